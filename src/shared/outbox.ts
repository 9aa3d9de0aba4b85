import type { CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { AppDeps } from '../http/env.ts';
import { ProviderError, type ProviderReceipt, type Telephony } from '../ports.ts';
import { maskPhone } from './mask.ts';

/**
 * What the SMS outboxes share (outreach steps, issue 3; visit notices, issue 4; completion
 * notices, issue 5): rows due are taken in pages and run one by one until the budget of sends is
 * spent; a provider error that certainly sent nothing is retried a little later, a few times.
 *
 * Exactly once across crashes (issue 13): the claim (pending -> sending) records the number and
 * the exact text; the write after the provider's acceptance is retried a few times; a claim still
 * `sending` once no send can be in flight any more is reconciled with the provider before anything
 * is sent again (`reconcileClaims`).
 */
export const OUTBOX = {
  retryAfterMs: 5 * 60_000,
  maxAttempts: 3,
  /** Pauses between tries of the write that records what the provider took. */
  writeRetryDelaysMs: [50, 200, 600],
  /** Provider timestamps are whole seconds, and its clock is not ours. */
  clockSkewMs: 60_000,
  /** A claim is left alone at least this long, whatever the provider's timeout. */
  minClaimAgeMs: 2_000,
} as const;

/** What one pass over an SMS outbox did. */
export interface OutboxTick {
  sent: number;
  skipped: number;
  deferred: number;
  failed: number;
  retrying: number;
}

export const emptyTick = (): OutboxTick => ({ sent: 0, skipped: 0, deferred: 0, failed: 0, retrying: 0 });

export async function drainDue<T extends { id: string }>(
  budget: number,
  spent: () => number,
  fetchDue: () => Promise<T[]>,
  runOne: (item: T) => Promise<void>,
): Promise<void> {
  // A row deferred or skipped in this pass may come back in the next page: run it once only.
  const seen = new Set<string>();
  while (spent() < budget) {
    const fresh = (await fetchDue()).filter((item) => !seen.has(item.id));
    if (fresh.length === 0) return;
    for (const item of fresh) {
      seen.add(item.id);
      if (spent() >= budget) return;
      await runOne(item);
    }
  }
}

/** Anything thrown by an adapter, as a ProviderError (unknown failures: possibly sent, not retried). */
export function asProviderError(err: unknown): ProviderError {
  return err instanceof ProviderError ? err : new ProviderError(err instanceof Error ? err.message : String(err), false, null);
}

/** Whether a failed send is tried again (it certainly did not go, and attempts remain). */
export function shouldRetry(error: ProviderError, attemptsBefore: number): boolean {
  return error.retryable && attemptsBefore + 1 < OUTBOX.maxAttempts;
}

/** The outbox tables: each row has an id, a status, a note, a message id and a claim time. */
export type OutboxTable = 'outreach_steps' | 'visit_notices' | 'completion_notices';

/** The note of a claim made before migration 0007 (no number or text to look up) left by a crash. */
export const INTERRUPTED_NOTE = 'interrupted while sending: not resent, it may have gone out';

/**
 * Claims made before this instant are no longer in flight: the provider call has returned or
 * given up (its timeout), with room for a slow process. Twice the timeout, at least a little.
 */
export function claimsSettledBefore(now: Date, telephony: Pick<Telephony, 'requestTimeoutMs'>): string {
  return new Date(now.getTime() - Math.max(2 * telephony.requestTimeoutMs, OUTBOX.minClaimAgeMs)).toISOString();
}

/** Ends rows still in `from` (and, given `claimedAt`, still under that claim): done, failed or skipped. */
export function finishRows(
  db: Kysely<DB>,
  table: OutboxTable,
  ids: readonly string[],
  f: { status: 'done' | 'failed' | 'skipped'; note: string | null; messageId: string | null; from: 'pending' | 'sending'; at: string; claimedAt?: string },
): CompiledQuery {
  const q = db
    .updateTable(table)
    .set({ status: f.status, note: f.note, message_id: f.messageId, updated_at: f.at })
    .where('id', 'in', [...ids])
    .where('status', '=', f.from);
  return (f.claimedAt === undefined ? q : q.where('claimed_at', '=', f.claimedAt)).compile();
}

/** Sends claimed rows back to `pending` after a retryable provider error. */
export function retryRows(db: Kysely<DB>, table: OutboxTable, ids: readonly string[], error: ProviderError, now: Date): CompiledQuery {
  return db.updateTable(table).set(retryPatch(error, now)).where('id', 'in', [...ids]).where('status', '=', 'sending').compile();
}

/** The columns of a row sent back to `pending` after a retryable provider error. */
export function retryPatch(error: ProviderError, now: Date): { status: 'pending'; due_at: string; note: string; updated_at: string } {
  return { status: 'pending', due_at: new Date(now.getTime() + OUTBOX.retryAfterMs).toISOString(), note: `retry: ${error.code ?? 'provider error'}`, updated_at: now.toISOString() };
}

/**
 * The provider gave no answer (timeout, connection lost, an unexpected failure): it may have
 * taken the message. The row stays `sending`, and reconciliation asks the provider.
 */
export function mayHaveSent(error: ProviderError): boolean {
  return !error.retryable && (error.code === null || error.code === 'network' || error.code === 'unknown');
}

type OutboxDeps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'logger' | 'telephony'>;

/**
 * Records what the provider took: the batch is tried again a few times, shortly apart. When it
 * still fails the row stays `sending` and reconciliation records it later; false then.
 */
export async function recordAccepted(deps: OutboxDeps, batch: readonly CompiledQuery[], what: { label: string; to: string; sid: string }): Promise<boolean> {
  const delays = OUTBOX.writeRetryDelaysMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.atomic(batch);
      if (attempt > 0) deps.logger.info(`${what.label}: recorded after a retry`, { to: maskPhone(what.to), sid: what.sid, tries: attempt + 1 });
      return true;
    } catch (err) {
      const fields = { to: maskPhone(what.to), sid: what.sid, tries: attempt + 1, error: errorText(err) };
      if (attempt >= delays.length) {
        deps.logger.error(`${what.label}: the provider took it but the database write failed; left to reconciliation`, fields);
        return false;
      }
      deps.logger.warn(`${what.label}: the provider took it, the database write failed; trying again`, fields);
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}

/** A database error's message (SQLite's never quote bound values), kept short. */
function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}

/** A claim found `sending`: what was handed to the provider, on which rows. */
export interface StaleClaim {
  ids: readonly string[];
  claimedAt: string;
  attempts: number;
  channel: 'sms' | 'call';
  /** Null for claims made before migration 0007. */
  to: string | null;
  body: string | null;
}

/** What reconciliation found: taken (record it), not taken (send again), or no answer (wait). */
export type Reconciliation = { kind: 'taken'; receipt: ProviderReceipt } | { kind: 'not_taken' } | { kind: 'unknown' };

/**
 * Asks the provider whether it took what the claim handed it: to that number, at or after the
 * claim, with that text. A match already recorded in `messages` (another row's message with the
 * same text) does not count.
 */
export async function lookUpClaim(deps: OutboxDeps, claim: StaleClaim & { to: string }): Promise<Reconciliation> {
  let found: ProviderReceipt[];
  try {
    const since = new Date(Date.parse(claim.claimedAt) - OUTBOX.clockSkewMs);
    found = await deps.telephony.findSent({ channel: claim.channel, to: claim.to, body: claim.body, since });
  } catch {
    return { kind: 'unknown' };
  }
  if (found.length === 0) return { kind: 'not_taken' };
  const known = await deps.db.selectFrom('messages').select('provider_sid').where('provider_sid', 'in', found.map((f) => f.sid)).execute();
  const recorded = new Set(known.map((k) => k.provider_sid));
  const receipt = found.find((f) => !recorded.has(f.sid));
  return receipt ? { kind: 'taken', receipt } : { kind: 'not_taken' };
}

/** How one outbox records a reconciled claim. */
export interface ReconcileWith<C extends StaleClaim> {
  table: OutboxTable;
  label: string;
  /** The provider took it: the message row and the row done, as the write after the send would have. */
  taken(claim: C & { to: string }, receipt: ProviderReceipt): Promise<readonly CompiledQuery[]>;
  /** Given up (attempts spent, or a claim from before migration 0007): the row failed, and what follows. */
  givenUp(claim: C, note: string): Promise<readonly CompiledQuery[]>;
}

/**
 * Reconciles claims no send can still be working on. Taken: recorded as sent. Not taken: back to
 * `pending`, due now (the claim counted as an attempt), or failed once the attempts are spent.
 * No answer from the provider: left `sending`, asked again on the next pass. Returns how many
 * rows were given up.
 */
export async function reconcileClaims<C extends StaleClaim>(deps: OutboxDeps, claims: readonly C[], how: ReconcileWith<C>): Promise<{ givenUp: number }> {
  let givenUp = 0;
  for (const claim of claims) {
    try {
      givenUp += await reconcileOne(deps, claim, how);
    } catch (err) {
      // One row's write failing again must not hold up the others: it stays `sending`.
      deps.logger.warn(`${how.label}: reconciliation failed; tried again next pass`, { rows: claim.ids.length, error: errorText(err) });
    }
  }
  return { givenUp };
}

async function reconcileOne<C extends StaleClaim>(deps: OutboxDeps, claim: C, how: ReconcileWith<C>): Promise<number> {
  const at = deps.clock.now().toISOString();
  if (claim.to === null) {
    await deps.atomic(await how.givenUp(claim, INTERRUPTED_NOTE));
    return claim.ids.length;
  }
  const withTo = { ...claim, to: claim.to };
  const found = await lookUpClaim(deps, withTo);
  const fields = { to: maskPhone(claim.to), channel: claim.channel, rows: claim.ids.length };
  if (found.kind === 'unknown') {
    deps.logger.warn(`${how.label}: the provider could not say whether it took a claimed send; asked again next pass`, fields);
    return 0;
  }
  if (found.kind === 'taken') {
    await deps.atomic(await how.taken(withTo, found.receipt));
    deps.logger.info(`${how.label}: reconciled, the provider had taken it`, { ...fields, sid: found.receipt.sid });
    return 0;
  }
  if (claim.attempts >= OUTBOX.maxAttempts) {
    await deps.atomic(await how.givenUp(claim, `not sent: the provider has no trace of it after ${claim.attempts} attempts`));
    deps.logger.warn(`${how.label}: reconciled, never taken; attempts spent`, fields);
    return claim.ids.length;
  }
  await deps.db
    .updateTable(how.table)
    .set({ status: 'pending', due_at: at, note: 'reconciled: the provider had not taken it, sent again', updated_at: at })
    .where('id', 'in', [...claim.ids])
    .where('status', '=', 'sending')
    .where('claimed_at', '=', claim.claimedAt)
    .execute();
  deps.logger.info(`${how.label}: reconciled, the provider had not taken it; sending again`, fields);
  return 0;
}
