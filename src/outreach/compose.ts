import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Clock, Telephony } from '../ports.ts';
import type { Logger } from '../shared/logger.ts';
import { developmentSecret } from '../shared/personal-data.ts';
import type { AppDeps } from '../http/env.ts';
import { createRecordingTelephony, type RecordingTelephony } from './recording-telephony.ts';
import { createTwilioTelephony } from './twilio-telephony.ts';
import { runWebhook, webhookAccountSid } from './webhooks.ts';

/**
 * Twilio when credentials are configured; otherwise the recording adapter, which stores and logs
 * what would be sent (the embedded default of `npm start`, issue 3).
 */
export function telephonyFromConfig(config: Config, logger: Logger, clock: Clock, transport: 'node' | 'fetch' = 'node'): Telephony {
  if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN) return createRecordingTelephony(logger, clock, config.RECORDED_STATUS_STEP_MS);
  return createTwilioTelephony(
    {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      ...(config.TWILIO_FROM_NUMBER ? { from: config.TWILIO_FROM_NUMBER } : {}),
      ...(config.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID } : {}),
      ...(config.TWILIO_API_BASE_URL ? { apiBaseUrl: config.TWILIO_API_BASE_URL } : {}),
      timeoutMs: config.TWILIO_TIMEOUT_MS,
      transport,
    },
    logger,
  );
}

/**
 * The secret webhooks are signed with: the Twilio auth token, or without an account a development
 * secret under DATA_DIR, shared by the server and `cli simulate-reply` (which signs like Twilio).
 */
export function webhookAuthToken(config: Config): string {
  return config.TWILIO_AUTH_TOKEN ?? developmentSecret(join(config.DATA_DIR, 'dev-webhook-secret'));
}

/**
 * With the recording adapter, each recorded send then moves on (queued, sent, delivered; a call
 * to completed) through the very path of Twilio's status callbacks after their checks
 * (`runWebhook`), so a demo's timeline completes as a real one does (issue 14).
 */
export function reportRecordedStatuses(deps: AppDeps): void {
  const telephony = deps.telephony as Partial<RecordingTelephony>;
  if (telephony.provider !== 'recording' || !telephony.reportStatusesTo) return;
  telephony.reportStatusesTo((kind, params) => runWebhook(deps, kind, params), webhookAccountSid(deps.config));
}
