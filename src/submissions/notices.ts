import { sql, type CompiledQuery } from 'kysely';
import type { AppDeps } from '../http/env.ts';
import { nextSendingTime, parseWindow } from '../outreach/ladder.ts';
import type { ProviderReceipt } from '../ports.ts';
import { messageInsert, type Recipient } from '../scheduling/notices.ts';
import { maskPhone } from '../shared/mask.ts';
import { asProviderError, drainDue, emptyTick, finishRows, INTERRUPTED_NOTE, retryRows, shouldRetry, staleClaimsBefore, type OutboxTick } from '../shared/outbox.ts';
import type { SubmissionPayload } from './payload.ts';
import { completedSms, type Completed } from './templates.ts';

/**
 * The driver's SMS when 12123 accepted a business (issue 5): an outbox filled in the batch that
 * records the acceptance. Whatever of one driver is pending when it is sent goes out as one SMS
 * (three cases settled by one exam make one message, not three). Same rules as the other SMS:
 * sending window, opt-outs, no SMS to landlines, claimed before sending so none goes out twice.
 */
type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'telephony'>;

export async function runDueCompletionNotices(deps: Deps, budget: number): Promise<OutboxTick> {
  const result = emptyTick();
  await giveUpStaleClaims(deps, result);
  await drainDue(
    budget,
    () => result.sent + result.failed,
    async () =>
      (
        await deps.db
          .selectFrom('completion_notices')
          .select('file_number')
          .where('status', '=', 'pending')
          .where('due_at', '<=', deps.clock.now().toISOString())
          .groupBy('file_number')
          .orderBy(sql`min(due_at)`)
          .limit(200)
          .execute()
      ).map((r) => ({ id: r.file_number })),
    (driver) => notifyDriver(deps, driver.id, result),
  );
  return result;
}

async function notifyDriver(deps: Deps, fileNumber: string, result: OutboxTick): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const driver = await deps.db
    .selectFrom('licences as l')
    .select([
      'l.name',
      'l.sex',
      'l.phone',
      'l.phone_kind',
      sql<number>`EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = l.phone)`.as('opted_out'),
      sql<string | null>`(SELECT c.id FROM conversations c WHERE c.file_number = l.file_number ORDER BY c.started_at DESC LIMIT 1)`.as('conversation_id'),
    ])
    .where('l.file_number', '=', fileNumber)
    .executeTakeFirstOrThrow();
  const due = () => deps.db.updateTable('completion_notices').where('file_number', '=', fileNumber).where('status', '=', 'pending').where('due_at', '<=', at);
  const skip = Number(driver.opted_out) === 1 ? 'number opted out' : driver.phone_kind === 'landline' ? 'landline: no SMS' : null;
  if (skip) {
    const r = await due().set({ status: 'skipped', note: skip, updated_at: at }).executeTakeFirst();
    result.skipped += Number(r.numUpdatedRows);
    return;
  }
  const opens = nextSendingTime(now, parseWindow(deps.config.OUTREACH_WINDOW));
  if (opens.getTime() > now.getTime()) {
    const r = await due().set({ due_at: opens.toISOString(), updated_at: at }).executeTakeFirst();
    result.deferred += Number(r.numUpdatedRows);
    return;
  }
  const claimed = await due()
    .set({ status: 'sending', claimed_at: at, attempts: sql`attempts + 1`, updated_at: at })
    .returning(['id', 'submission_id', 'attempts'])
    .execute();
  if (claimed.length === 0) return;
  const ids = claimed.map((n) => n.id);
  const done = await deps.db.selectFrom('submissions').select(['business', 'payload']).where('id', 'in', claimed.map((n) => n.submission_id)).execute();
  const body = completedSms(
    deps.config.OUTREACH_SIGNATURE,
    { name: driver.name, sex: driver.sex },
    done.map((d): Completed => ({ business: d.business, targetClasses: (JSON.parse(d.payload) as SubmissionPayload).targetClasses ?? null })),
  );
  const to: Recipient = { conversationId: driver.conversation_id, fileNumber, phone: driver.phone };
  let receipt: ProviderReceipt;
  try {
    receipt = await deps.telephony.sendSms({ to: driver.phone, body, statusCallback: `${deps.config.PUBLIC_BASE_URL}/twilio/message-status` });
  } catch (err) {
    const error = asProviderError(err);
    deps.logger.warn('completion notice failed', { code: error.code, retryable: error.retryable });
    if (shouldRetry(error, Math.max(...claimed.map((n) => n.attempts)) - 1)) {
      await deps.db.executeQuery(retryRows(deps.db, 'completion_notices', ids, error, deps.clock.now()));
      result.retrying++;
      return;
    }
    const messageId = deps.ids.next();
    await deps.atomic([
      messageInsert(deps, { id: messageId, to, purpose: 'completed', body, status: 'failed', sid: null, errorCode: error.code, at: deps.clock.now().toISOString() }),
      finish(deps, ids, 'failed', `provider: ${error.code ?? 'error'}`, messageId),
    ]);
    result.failed++;
    return;
  }
  const messageId = deps.ids.next();
  await deps.atomic([
    messageInsert(deps, { id: messageId, to, purpose: 'completed', body, status: receipt.status, sid: receipt.sid, errorCode: null, at: deps.clock.now().toISOString() }),
    finish(deps, ids, 'done', null, messageId),
  ]);
  result.sent++;
  deps.logger.info('completion notice sent', { to: maskPhone(driver.phone), businesses: done.length, sid: receipt.sid });
}

function finish(deps: Deps, ids: readonly string[], status: 'done' | 'failed', note: string | null, messageId: string | null): CompiledQuery {
  return finishRows(deps.db, 'completion_notices', ids, { status, note, messageId, from: 'sending', at: deps.clock.now().toISOString() });
}

/** A claim never released (the process died while sending) is given up, not resent. */
async function giveUpStaleClaims(deps: Deps, result: OutboxTick): Promise<void> {
  const stale = await deps.db.selectFrom('completion_notices').select('id').where('status', '=', 'sending').where('claimed_at', '<', staleClaimsBefore(deps.clock.now())).execute();
  if (stale.length === 0) return;
  await deps.atomic([finish(deps, stale.map((s) => s.id), 'failed', INTERRUPTED_NOTE, null)]);
  result.failed += stale.length;
}
