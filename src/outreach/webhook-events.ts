import { sql, type CompiledQuery } from 'kysely';
import type { WebhookKind } from '../db/schema/outreach.ts';
import type { AppDeps } from '../http/env.ts';

/**
 * Every webhook is stored, and its effects applied, in one atomic batch before we answer
 * (issue 3). The batch starts by storing the event under its dedupe key: a second delivery
 * of the same MessageSid/CallSid fails on that key and the whole batch, effects included,
 * is rolled back. An earlier delivery whose processing failed (stored unprocessed) is taken
 * over, so a retry or the recovery pass can still apply it once.
 */
export interface WebhookEvent {
  kind: WebhookKind;
  dedupeKey: string;
  params: Record<string, string>;
}

export type EventResult = 'processed' | 'duplicate';

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'logger'>;

export async function processEvent(deps: Deps, event: WebhookEvent, effects: CompiledQuery[]): Promise<EventResult> {
  const at = deps.clock.now().toISOString();
  const queries = [
    // One statement stores the event, or takes over an earlier unprocessed delivery of it. A
    // processed one (a replay) must fail the whole batch, effects included: the update then sets
    // the NOT NULL dedupe_key to NULL, and that constraint error aborts the batch. (Plain SQL:
    // Kysely's builder took 20 times as long to compile this, on every webhook.)
    sql`INSERT INTO webhook_events (id, kind, dedupe_key, params, received_at, processed_at)
      VALUES (${deps.ids.next()}, ${event.kind}, ${event.dedupeKey}, ${JSON.stringify(event.params)}, ${at}, ${at})
      ON CONFLICT (dedupe_key) DO UPDATE SET id = excluded.id, params = excluded.params, received_at = excluded.received_at,
        processed_at = excluded.processed_at, error = NULL,
        dedupe_key = iif(webhook_events.processed_at IS NULL, excluded.dedupe_key, NULL)`.compile(deps.db),
    ...effects,
  ];
  try {
    await deps.atomic(queries);
    return 'processed';
  } catch (err) {
    if (isDuplicate(err)) return 'duplicate';
    throw err;
  }
}

function isDuplicate(err: unknown): boolean {
  return err instanceof Error && /(UNIQUE|NOT NULL) constraint failed: webhook_events\.dedupe_key/.test(err.message);
}

/**
 * Keeps an event whose effects could not be applied yet (an error, or a status callback that
 * arrived before its message was recorded), for the recovery pass. Never overwrites a processed one.
 */
export async function storeUnprocessed(deps: Deps, event: WebhookEvent, reason: string): Promise<void> {
  await deps.db
    .insertInto('webhook_events')
    .values({
      id: deps.ids.next(),
      kind: event.kind,
      dedupe_key: event.dedupeKey,
      params: JSON.stringify(event.params),
      received_at: deps.clock.now().toISOString(),
      error: reason.slice(0, 200),
    })
    .onConflict((oc) => oc.column('dedupe_key').doUpdateSet({ error: reason.slice(0, 200) }).where('webhook_events.processed_at', 'is', null))
    .execute();
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
