import { sql, type CompiledQuery } from 'kysely';
import type { WebhookKind } from '../db/schema/outreach.ts';
import type { AppDeps } from '../http/env.ts';

/**
 * Every webhook is stored, and its effects applied, in one atomic batch before we answer
 * (issue 3). The batch starts by storing the event under its dedupe key: a second delivery
 * of the same MessageSid/CallSid fails on that key and the whole batch, effects included,
 * is rolled back. An earlier delivery whose processing failed (stored unprocessed) is taken
 * over, so a retry or the recovery pass can still apply it once.
 *
 * The event also carries the digest of its URL and signature (issue 13), unique in the table:
 * the same signed request reshaped so that it parses to other fields (a boundary shift) fails
 * on that index the same way, whatever its dedupe key.
 */
export interface WebhookEvent {
  kind: WebhookKind;
  dedupeKey: string;
  params: Record<string, string>;
  /** Digest of (URL, X-Twilio-Signature); null on the recovery pass, which keeps the stored one. */
  signature?: string | null;
}

export type EventResult = 'processed' | 'duplicate';

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'logger'>;

export async function processEvent(deps: Deps, event: WebhookEvent, effects: CompiledQuery[]): Promise<EventResult> {
  const at = deps.clock.now().toISOString();
  const queries = [
    // One statement stores the event, or takes over an earlier unprocessed delivery of it. A
    // processed one (a replay) must fail the whole batch, effects included: the update then sets
    // the NOT NULL dedupe_key to NULL, and that constraint error aborts the batch. (Plain SQL:
    // Kysely's builder took 20 times as long to compile this, on every webhook.) A signature
    // already stored on another row fails the unique index: a replay too. SQLite checks the
    // conflict target first, so taking over our own unprocessed row never trips on its signature.
    sql`INSERT INTO webhook_events (id, kind, dedupe_key, params, received_at, processed_at, signature)
      VALUES (${deps.ids.next()}, ${event.kind}, ${event.dedupeKey}, ${JSON.stringify(event.params)}, ${at}, ${at}, ${event.signature ?? null})
      ON CONFLICT (dedupe_key) DO UPDATE SET id = excluded.id, params = excluded.params, received_at = excluded.received_at,
        processed_at = excluded.processed_at, error = NULL, signature = coalesce(excluded.signature, webhook_events.signature),
        dedupe_key = iif(webhook_events.processed_at IS NULL, excluded.dedupe_key, NULL)`.compile(deps.db),
    ...effects,
  ];
  try {
    // Only whether the batch was applied matters: it may go in its group's script (issue 18).
    await deps.atomic(queries, { results: false });
    return 'processed';
  } catch (err) {
    if (isDuplicate(err)) return 'duplicate';
    throw err;
  }
}

/**
 * The event, its signature, or the message it records (an inbound SMS whose MessageSid is a
 * message we know already, e.g. one we sent: Twilio's SIDs are unique) was seen before.
 */
function isDuplicate(err: unknown): boolean {
  return (
    err instanceof Error &&
    /(UNIQUE|NOT NULL) constraint failed: (webhook_events\.(dedupe_key|signature)|messages\.provider_sid)/.test(err.message)
  );
}

/** Whether a request with this signature digest was stored already (processed or not). */
export async function signatureSeen(deps: Deps, signature: string): Promise<boolean> {
  const row = await deps.db.selectFrom('webhook_events').select('id').where('signature', '=', signature).executeTakeFirst();
  return row !== undefined;
}

/**
 * Keeps an event whose effects could not be applied yet (an error, or a status callback that
 * arrived before its message was recorded), for the recovery pass. Never overwrites a processed
 * one, and keeps nothing for a signature stored already (a reshaped replay: its first form is kept).
 */
export async function storeUnprocessed(deps: Deps, event: WebhookEvent, reason: string): Promise<void> {
  const error = reason.slice(0, 200);
  // Two conflict clauses (SQLite 3.35+): the dedupe key updates the error of an unprocessed
  // event; any other conflict (the signature) stores nothing.
  await sql`INSERT INTO webhook_events (id, kind, dedupe_key, params, received_at, error, signature)
    VALUES (${deps.ids.next()}, ${event.kind}, ${event.dedupeKey}, ${JSON.stringify(event.params)}, ${deps.clock.now().toISOString()}, ${error}, ${event.signature ?? null})
    ON CONFLICT (dedupe_key) DO UPDATE SET error = excluded.error WHERE webhook_events.processed_at IS NULL
    ON CONFLICT DO NOTHING`.execute(deps.db);
}

/** Events left unprocessed, oldest first, for the recovery pass. */
export async function unprocessedEvents(deps: Deps, olderThan: Date, limit: number) {
  return deps.db
    .selectFrom('webhook_events')
    .select(['id', 'kind', 'dedupe_key', 'params', 'received_at'])
    .where('processed_at', 'is', null)
    .where('received_at', '<', olderThan.toISOString())
    .orderBy('received_at')
    .limit(limit)
    .execute();
}

/** Gives up on an event that cannot be applied (e.g. a status for a message we never sent). */
export async function abandonEvent(deps: Deps, id: string, reason: string): Promise<void> {
  const at = deps.clock.now().toISOString();
  await deps.db.updateTable('webhook_events').set({ processed_at: at, error: reason }).where('id', '=', id).where('processed_at', 'is', null).execute();
}
