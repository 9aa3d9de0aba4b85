import { sql, type CompiledQuery } from 'kysely';
import type { AppDeps } from '../http/env.ts';
import { nextSendingTime, parseWindow } from '../outreach/ladder.ts';
import type { ProviderReceipt } from '../ports.ts';
import { messageInsert, type Recipient } from '../scheduling/notices.ts';
import { maskPhone } from '../shared/mask.ts';
import {
  asProviderError,
  claimsSettledBefore,
  drainDue,
  emptyTick,
  finishRows,
  mayHaveSent,
  reconcileClaims,
  recordAccepted,
  retryRows,
  shouldRetry,
  type OutboxTick,
  type StaleClaim,
} from '../shared/outbox.ts';
import type { SubmissionPayload } from './payload.ts';
import { completedSms, type Completed } from './templates.ts';

/**
 * The driver's SMS when 12123 accepted a business (issue 5): an outbox filled in the batch that
 * records the acceptance. Whatever of one driver is pending when it is sent goes out as one SMS
 * (three cases settled by one exam make one message, not three). Same rules as the other SMS:
 * sending window, opt-outs, no SMS to landlines, claimed before sending so none goes out twice,
 * reconciled with the provider when a claim is left `sending`.
 */
type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'telephony'>;

export async function runDueCompletionNotices(deps: Deps, budget: number): Promise<OutboxTick> {
  const result = emptyTick();
  await reconcileStaleClaims(deps, result);
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
  const pending = await deps.db
    .selectFrom('completion_notices as n')
    .innerJoin('submissions as s', 's.id', 'n.submission_id')
    .select(['n.id', 's.business', 's.payload'])
    .where('n.file_number', '=', fileNumber)
    .where('n.status', '=', 'pending')
    .where('n.due_at', '<=', at)
    .execute();
  if (pending.length === 0) return;
  const ids = pending.map((n) => n.id);
  const body = completedSms(
    deps.config.OUTREACH_SIGNATURE,
    { name: driver.name, sex: driver.sex },
    pending.map((d): Completed => ({ business: d.business, targetClasses: (JSON.parse(d.payload) as SubmissionPayload).targetClasses ?? null })),
  );
  const to: Recipient = { conversationId: driver.conversation_id, fileNumber, phone: driver.phone };
  // All of them or none (another worker took one): the text names exactly these businesses, and
  // it goes with the claim for reconciliation.
  const claimed = await deps.db
    .updateTable('completion_notices')
    .set({ status: 'sending', claimed_at: at, attempts: sql`attempts + 1`, send_to: to.phone, send_body: body, updated_at: at })
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .where(sql<number>`(SELECT count(*) FROM completion_notices c WHERE c.id IN (${sql.join(ids)}) AND c.status = 'pending')`, '=', ids.length)
    .returning(['id', 'attempts'])
    .execute();
  if (claimed.length === 0) return;
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
    // No answer: it may have gone out. The notices stay `sending`; reconciliation asks the provider.
    if (mayHaveSent(error)) {
      result.failed++;
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
  result.sent++;
  if (await recordAccepted(deps, takenQueries(deps, ids, to, body, receipt), { label: 'completion notice', to: driver.phone, sid: receipt.sid })) {
    deps.logger.info('completion notice sent', { to: maskPhone(driver.phone), businesses: pending.length, sid: receipt.sid });
  }
}

/** What a notice taken by the provider writes: its message and every notice it covered done. */
function takenQueries(deps: Deps, ids: readonly string[], to: Recipient, body: string, receipt: ProviderReceipt, claimedAt?: string): CompiledQuery[] {
  const messageId = deps.ids.next();
  const at = deps.clock.now().toISOString();
  return [
    messageInsert(deps, { id: messageId, to, purpose: 'completed', body, status: receipt.status, sid: receipt.sid, errorCode: null, at }),
    finishRows(deps.db, 'completion_notices', ids, { status: 'done', note: null, messageId, from: 'sending', at, ...(claimedAt === undefined ? {} : { claimedAt }) }),
  ];
}

function finish(deps: Deps, ids: readonly string[], status: 'done' | 'failed', note: string | null, messageId: string | null): CompiledQuery {
  return finishRows(deps.db, 'completion_notices', ids, { status, note, messageId, from: 'sending', at: deps.clock.now().toISOString() });
}

/**
 * Notices still `sending` after any send must have returned, reconciled with the provider: one
 * claim is the notices of one driver claimed together (same driver, same claim time).
 */
async function reconcileStaleClaims(deps: Deps, result: OutboxTick): Promise<void> {
  const stale = await deps.db
    .selectFrom('completion_notices as n')
    .select([
      'n.id',
      'n.file_number',
      'n.claimed_at',
      'n.attempts',
      'n.send_to',
      'n.send_body',
      sql<string | null>`(SELECT c.id FROM conversations c WHERE c.file_number = n.file_number ORDER BY c.started_at DESC LIMIT 1)`.as('conversation_id'),
    ])
    .where('n.status', '=', 'sending')
    .where('n.claimed_at', '<', claimsSettledBefore(deps.clock.now(), deps.telephony))
    // No limit: a claim's notices must all be reconciled together.
    .orderBy('n.claimed_at')
    .execute();
  const claims = new Map<string, StaleClaim & { ids: string[]; fileNumber: string; conversationId: string | null }>();
  for (const n of stale) {
    const key = `${n.file_number} ${n.claimed_at}`;
    const claim = claims.get(key);
    if (claim) {
      claim.ids.push(n.id);
      claim.attempts = Math.max(claim.attempts, n.attempts);
    } else {
      claims.set(key, { ids: [n.id], fileNumber: n.file_number, conversationId: n.conversation_id, claimedAt: n.claimed_at ?? '', attempts: n.attempts, channel: 'sms', to: n.send_to, body: n.send_body });
    }
  }
  const { givenUp } = await reconcileClaims(deps, [...claims.values()], {
    table: 'completion_notices',
    label: 'completion notice',
    taken: async (c, receipt) => takenQueries(deps, c.ids, { conversationId: c.conversationId, fileNumber: c.fileNumber, phone: c.to }, c.body ?? '', receipt, c.claimedAt),
    givenUp: async (c, note) => [finishRows(deps.db, 'completion_notices', c.ids, { status: 'failed', note, messageId: null, from: 'sending', at: deps.clock.now().toISOString(), claimedAt: c.claimedAt })],
  });
  result.failed += givenUp;
}
