import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type OutboundCall, type OutboundSms, type ProviderReceipt, type Telephony } from '../ports.ts';
import type { Logger } from '../shared/logger.ts';
import { maskPhone } from '../shared/mask.ts';

/** One message or call the recording adapter pretended to send. */
export interface RecordedSend {
  kind: 'sms' | 'call';
  to: string;
  body?: string;
  twimlUrl?: string;
  sid: string;
  at: Date;
}

/**
 * Telephony that sends nothing (the embedded default, demos, tests): every send is kept in
 * `sent` and answered like Twilio would, so the rest of the outreach flow runs unchanged.
 */
export function createRecordingTelephony(logger: Logger, clock: Clock = systemClock): Telephony & { sent: RecordedSend[] } {
  const sent: RecordedSend[] = [];
  return {
    provider: 'recording',
    sent,
    async sendSms(sms: OutboundSms): Promise<ProviderReceipt> {
      const sid = twilioLikeSid('SM');
      sent.push({ kind: 'sms', to: sms.to, body: sms.body, sid, at: clock.now() });
      // Length, not text: the body may name the driver.
      logger.info('recorded send', { kind: 'sms', to: maskPhone(sms.to), sid, bodyLength: sms.body.length });
      return { sid, status: 'sent' };
    },
    async placeCall(call: OutboundCall): Promise<ProviderReceipt> {
      const sid = twilioLikeSid('CA');
      sent.push({ kind: 'call', to: call.to, twimlUrl: call.twimlUrl, sid, at: clock.now() });
      logger.info('recorded send', { kind: 'call', to: maskPhone(call.to), sid });
      return { sid, status: 'queued' };
    },
  };
}

/** Twilio's shape (two letters, 32 lowercase hex digits), so columns and webhooks see real-looking ids. */
function twilioLikeSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}
