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
 * Where the adapter reports a recorded send's progress: the same status path as Twilio's status
 * callbacks once their signature and fields are checked (`runWebhook` with `message_status` or
 * `call_status`), wired by the composition root.
 */
export type StatusSink = (kind: 'message_status' | 'call_status', params: Record<string, string>) => Promise<unknown>;

/**
 * What Twilio reports after it took a send, in order (issue 14: a demo timeline completes):
 * a message is `queued` when taken, then `sent` and `delivered`; a call is `queued`, then
 * `ringing`, `in-progress` and `completed` (nobody presses a key: that is `simulate-reply --digits`).
 */
export const RECORDED_PROGRESS = {
  sms: ['sent', 'delivered'],
  call: ['ringing', 'in-progress', 'completed'],
} as const;

export interface RecordingTelephony extends Telephony {
  sent: RecordedSend[];
  /** From now on, each send's progress is reported to `sink`, a step every `stepMs`. */
  reportStatusesTo(sink: StatusSink, accountSid: string): void;
  settle(): Promise<void>;
}

/** Between two status reports of one send: long enough that the send's own write lands first. */
export const RECORDED_STATUS_STEP_MS = 250;

/**
 * Telephony that sends nothing (the embedded default, demos, tests): every send is kept in
 * `sent` and answered like Twilio would, so the rest of the outreach flow runs unchanged.
 * `findSent` answers from `sent`, which lives in memory: after a restart the adapter has no trace
 * of what it pretended to send before, so a claim left by a crash is "sent" again - harmless, as
 * nothing ever left the machine. Once `reportStatusesTo` is called, each send then moves on as a
 * real one would; a report that fails is logged and dropped (the message keeps its last status).
 */
export function createRecordingTelephony(logger: Logger, clock: Clock = systemClock, stepMs = RECORDED_STATUS_STEP_MS): RecordingTelephony {
  const sent: RecordedSend[] = [];
  const pending = new Set<Promise<void>>();
  let sink: { report: StatusSink; accountSid: string } | null = null;

  const progress = (kind: 'sms' | 'call', sid: string, to: string) => {
    if (!sink) return;
    const { report, accountSid } = sink;
    const run = (async () => {
      for (const status of RECORDED_PROGRESS[kind]) {
        // Not unref'd: a CLI awaiting settle() must stay alive until its sends' reports are made.
        await new Promise<void>((resolve) => setTimeout(resolve, stepMs));
        const params =
          kind === 'sms'
            ? { AccountSid: accountSid, MessageSid: sid, MessageStatus: status, To: to }
            : { AccountSid: accountSid, CallSid: sid, CallStatus: status, To: to };
        try {
          await report(kind === 'sms' ? 'message_status' : 'call_status', params);
        } catch (err) {
          logger.warn('recorded status report failed', { sid, status, error: err instanceof Error ? err.message : String(err) });
          return;
        }
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };

  return {
    provider: 'recording',
    // Nothing to wait for; the nominal figure only spaces reconciliation from a send in flight.
    requestTimeoutMs: 1000,
    sent,
    reportStatusesTo(report, accountSid) {
      sink = { report, accountSid };
    },
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async sendSms(sms: OutboundSms): Promise<ProviderReceipt> {
      const sid = twilioLikeSid('SM');
      sent.push({ kind: 'sms', to: sms.to, body: sms.body, sid, at: clock.now() });
      // Length, not text: the body may name the driver.
      logger.info('recorded send', { kind: 'sms', to: maskPhone(sms.to), sid, bodyLength: sms.body.length });
      progress('sms', sid, sms.to);
      return { sid, status: 'queued' };
    },
    async placeCall(call: OutboundCall): Promise<ProviderReceipt> {
      const sid = twilioLikeSid('CA');
      sent.push({ kind: 'call', to: call.to, twimlUrl: call.twimlUrl, sid, at: clock.now() });
      logger.info('recorded send', { kind: 'call', to: maskPhone(call.to), sid });
      progress('call', sid, call.to);
      return { sid, status: 'queued' };
    },
    async findSent(query: SentQuery): Promise<ProviderReceipt[]> {
      const kind = query.channel === 'sms' ? 'sms' : 'call';
      return sent
        .filter((s) => s.kind === kind && s.to === query.to && s.at.getTime() >= query.since.getTime() && (kind === 'call' || s.body === query.body))
        .map((s) => ({ sid: s.sid, status: 'queued' }));
    },
  };
}

/** Twilio's shape (two letters, 32 lowercase hex digits), so columns and webhooks see real-looking ids. */
function twilioLikeSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}
