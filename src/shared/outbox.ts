import type { CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { ProviderError } from '../ports.ts';

/**
 * What the SMS outboxes share (outreach steps, issue 3; visit notices, issue 4; completion
 * notices, issue 5): rows due
 * are taken in pages and run one by one until the budget of sends is spent; a provider error
 * that certainly sent nothing is retried a little later, a few times; a claim left by a crash is
 * given up, not resent.
 */
export const OUTBOX = {
  /** A claim older than this was left by a crash. */
  staleClaimMs: 10 * 60_000,
  retryAfterMs: 5 * 60_000,
  maxAttempts: 3,
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

/** The note of a claim given up after a crash. */
export const INTERRUPTED_NOTE = 'interrupted while sending: not resent, it may have gone out';

/** Claims made before this instant were left by a crash. */
export function staleClaimsBefore(now: Date): string {
  return new Date(now.getTime() - OUTBOX.staleClaimMs).toISOString();
}

/** Ends rows still in `from`: done, failed or skipped, with the message sent (if any). */
export function finishRows(
  db: Kysely<DB>,
  table: OutboxTable,
  ids: readonly string[],
  f: { status: 'done' | 'failed' | 'skipped'; note: string | null; messageId: string | null; from: 'pending' | 'sending'; at: string },
): CompiledQuery {
  return db
    .updateTable(table)
    .set({ status: f.status, note: f.note, message_id: f.messageId, updated_at: f.at })
    .where('id', 'in', [...ids])
    .where('status', '=', f.from)
    .compile();
}

/** Sends claimed rows back to `pending` after a retryable provider error. */
export function retryRows(db: Kysely<DB>, table: OutboxTable, ids: readonly string[], error: ProviderError, now: Date): CompiledQuery {
  return db.updateTable(table).set(retryPatch(error, now)).where('id', 'in', [...ids]).where('status', '=', 'sending').compile();
}

/** The columns of a row sent back to `pending` after a retryable provider error. */
export function retryPatch(error: ProviderError, now: Date): { status: 'pending'; due_at: string; note: string; updated_at: string } {
  return { status: 'pending', due_at: new Date(now.getTime() + OUTBOX.retryAfterMs).toISOString(), note: `retry: ${error.code ?? 'provider error'}`, updated_at: now.toISOString() };
}
