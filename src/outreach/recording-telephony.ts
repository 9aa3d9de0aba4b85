import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type OutboundCall, type OutboundSms, type ProviderReceipt, type SentQuery, type Telephony } from '../ports.ts';
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
 * `findSent` answers from `sent`, which lives in memory: after a restart the adapter has no trace
 * of what it pretended to send before, so a claim left by a crash is "sent" again - harmless, as
 * nothing ever left the machine.
 */
export function createRecordingTelephony(logger: Logger, clock: Clock = systemClock): Telephony & { sent: RecordedSend[] } {
  const sent: RecordedSend[] = [];
  return {
    provider: 'recording',
    // Nothing to wait for; the nominal figure only spaces reconciliation from a send in flight.
    requestTimeoutMs: 1000,
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
    async findSent(query: SentQuery): Promise<ProviderReceipt[]> {
      const kind = query.channel === 'sms' ? 'sms' : 'call';
      return sent
        .filter((s) => s.kind === kind && s.to === query.to && s.at.getTime() >= query.since.getTime() && (kind === 'call' || s.body === query.body))
        .map((s) => ({ sid: s.sid, status: kind === 'sms' ? 'sent' : 'queued' }));
    },
  };
}

/** Twilio's shape (two letters, 32 lowercase hex digits), so columns and webhooks see real-looking ids. */
function twilioLikeSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}
