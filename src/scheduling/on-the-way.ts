import type { AppDeps } from '../http/env.ts';
import { nextSendingTime, parseWindow } from '../outreach/ladder.ts';
import { asProviderError } from '../shared/outbox.ts';
import { maskPhone } from '../shared/mask.ts';
import { messageInsert, visitContext } from './notices.ts';
import { onTheWaySms } from './templates.ts';

/**
 * The optional SMS when the crew sets out (issue 16 "on the way, optional SMS about 15
 * minutes"): sent at once or not at all - a message about the next quarter hour that went out
 * later would be wrong, so it is not queued or retried. The same rules as every SMS (RULES.md
 * §7): no landline, no opted-out number, only inside the sending window; kept in `messages`.
 */
type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'telephony'>;

export type OnTheWayOutcome = 'sent' | 'landline' | 'opted_out' | 'outside_window' | 'failed';

export async function sendOnTheWaySms(deps: Deps, visitId: string): Promise<OnTheWayOutcome> {
  const ctx = await visitContext(deps.db, visitId);
  if (!ctx) return 'failed';
  if (ctx.licence.phone_kind === 'landline') return 'landline';
  if (ctx.optedOut) return 'opted_out';
  const now = deps.clock.now();
  if (nextSendingTime(now, parseWindow(deps.config.OUTREACH_WINDOW)).getTime() > now.getTime()) return 'outside_window';
  const body = onTheWaySms({
    signature: deps.config.OUTREACH_SIGNATURE,
    addressee: { name: ctx.licence.name, sex: ctx.licence.sex },
    atGate: ctx.visit.stop_key.startsWith('c:'),
    crew: ctx.crew,
  });
  const to = { conversationId: ctx.visit.conversation_id, fileNumber: ctx.visit.file_number, phone: ctx.licence.phone };
  const at = now.toISOString();
  try {
    const receipt = await deps.telephony.sendSms({ to: to.phone, body, statusCallback: `${deps.config.PUBLIC_BASE_URL}/twilio/message-status` });
    await deps.atomic([messageInsert(deps, { id: deps.ids.next(), to, purpose: 'on_the_way', body, status: receipt.status, sid: receipt.sid, errorCode: null, at })]);
    deps.logger.info('on-the-way SMS sent', { to: maskPhone(to.phone), sid: receipt.sid });
    return 'sent';
  } catch (err) {
    const error = asProviderError(err);
    deps.logger.warn('on-the-way SMS failed', { visitId, code: error.code });
    await deps.atomic([messageInsert(deps, { id: deps.ids.next(), to, purpose: 'on_the_way', body, status: 'failed', sid: null, errorCode: error.code, at })]);
    return 'failed';
  }
}
