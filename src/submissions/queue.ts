import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { SubmissionEventKind, SubmissionRow } from '../db/schema/submissions.ts';
import type { Clock, Ids } from '../ports.ts';
import { failBatchIf } from '../shared/lease.ts';
import { todayIn } from '../shared/time.ts';

/**
 * The submission queue in SQLite (issue 5): a transactional outbox with leases. Every state
 * change of a leased row is guarded by the lease: the row is still `leased`, with this claim's
 * token, and the lease has not run out. A worker that lost its lease (it stalled, another worker
 * took the row after the lease ran out) therefore changes nothing, whatever it heard from the
 * gateway: the new holder sends again with the same idempotency key.
 */

type Db = Kysely<DB>;
export const QUEUE = 'submissions';

export interface Lease {
  id: string;
  token: string;
}

/**
 * Takes up to `limit` due submissions in one statement (so two workers never take the same
 * row): pending ones whose time has come, and leased ones whose lease ran out (their worker died),
 * oldest due first - a crashed worker's rows keep their place in the queue. A held row (waiting for
 * the driver's 委托书, src/scheduling/authorisation.ts) is never taken.
 *
 * Each side reads its own partial index in order and stops at `limit` (issue 18): the planner
 * took the status index instead and sorted every pending row at every claim - 10,000 rows
 * sorted for each of the drain's thousand claims.
 */
export async function claimDue(db: Db, lease: { token: string; now: Date; leaseMs: number; limit: number }): Promise<SubmissionRow[]> {
  const now = lease.now.toISOString();
  const expires = new Date(lease.now.getTime() + lease.leaseMs).toISOString();
  const today = todayIn(lease.now);
  const { rows } = await sql<SubmissionRow>`
    UPDATE submissions
    SET status = 'leased', lease_token = ${lease.token}, lease_expires_at = ${expires}, attempts = attempts + 1, updated_at = ${now}
    WHERE id IN (
      SELECT id FROM (
        SELECT * FROM (
          SELECT id, next_attempt_at AS due FROM submissions INDEXED BY submissions_due
          WHERE status = 'pending' AND held_for IS NULL AND next_attempt_at <= ${now} AND not_before <= ${today}
          ORDER BY next_attempt_at LIMIT ${lease.limit})
        UNION ALL
        SELECT * FROM (
          SELECT id, next_attempt_at AS due FROM submissions INDEXED BY submissions_leased
          WHERE status = 'leased' AND held_for IS NULL AND lease_expires_at <= ${now}
          ORDER BY next_attempt_at LIMIT ${lease.limit})
      ) ORDER BY due LIMIT ${lease.limit})
    RETURNING *`.execute(db);
  return rows;
}

/** SQL true while the lease is held: every write of a leased row is conditioned on it. */
function held(lease: Lease, now: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM submissions h WHERE h.id = ${lease.id} AND h.status = 'leased' AND h.lease_token = ${lease.token} AND h.lease_expires_at > ${now})`;
}

function eventWhile(deps: { db: Db; ids: Ids }, lease: Lease, now: string, kind: SubmissionEventKind, e: { httpStatus?: number | null; error?: string | null }): CompiledQuery {
  return sql`INSERT INTO submission_events (id, submission_id, at, kind, http_status, error, staff_id)
    SELECT ${deps.ids.next()}, ${lease.id}, ${now}, ${kind}, ${e.httpStatus ?? null}, ${e.error ?? null}, NULL WHERE ${held(lease, now)}`.compile(deps.db);
}

/**
 * The first statement of every outcome's batch: it fails the batch (isGuardFailure) unless the
 * lease is still held, so the caller learns whether it applied without reading a result (its
 * batch may then run in its group's script, src/db/atomic.ts). Each statement after it keeps its
 * own condition on the lease as well.
 */
function leaseHeld(db: Db, lease: Lease, now: string): CompiledQuery {
  return failBatchIf(db, 'submission lease lost', sql`NOT ${held(lease, now)}`);
}

/**
 * The gateway took the business: the case completes and the driver's SMS is queued, in one batch
 * and only while the lease is held.
 */
export function acceptedQueries(deps: { db: Db; ids: Ids }, row: SubmissionRow, token: string, reference: string | null, now: string): CompiledQuery[] {
  const lease = { id: row.id, token };
  return [
    leaseHeld(deps.db, lease, now),
    sql`UPDATE cases SET status = 'completed', closed_at = ${now}, updated_at = ${now}
      WHERE id = ${row.case_id} AND status = 'open' AND ${held(lease, now)}`.compile(deps.db),
    sql`INSERT INTO completion_notices (id, submission_id, file_number, due_at, status, attempts, created_at, updated_at)
      SELECT ${deps.ids.next()}, ${row.id}, ${row.file_number}, ${now}, 'pending', 0, ${now}, ${now} WHERE ${held(lease, now)}`.compile(deps.db),
    eventWhile(deps, lease, now, 'accepted', {}),
    releaseQuery(deps.db, lease, now, { status: 'accepted', reference, accepted_at: now, last_error: null }),
  ];
}

/** A transient failure with tries left: back to pending, due again after the backoff. */
export function retryQueries(deps: { db: Db; ids: Ids }, lease: Lease, now: string, nextAttemptAt: string, error: { message: string; status: number | null }): CompiledQuery[] {
  return [
    leaseHeld(deps.db, lease, now),
    eventWhile(deps, lease, now, 'transient', { httpStatus: error.status, error: error.message }),
    releaseQuery(deps.db, lease, now, { status: 'pending', next_attempt_at: nextAttemptAt, last_error: error.message }),
  ];
}

/** A permanent failure, or the last try: dead-lettered with the error, for an admin to look at. */
export function deadQueries(deps: { db: Db; ids: Ids }, lease: Lease, now: string, error: { message: string; status: number | null }): CompiledQuery[] {
  return [
    leaseHeld(deps.db, lease, now),
    eventWhile(deps, lease, now, 'dead', { httpStatus: error.status, error: error.message }),
    releaseQuery(deps.db, lease, now, { status: 'dead', dead_at: now, last_error: error.message }),
  ];
}

/** The case went away before filing (superseded or lapsed by screening): nothing to file. */
export function cancelledQueries(deps: { db: Db; ids: Ids }, lease: Lease, now: string, why: string): CompiledQuery[] {
  return [leaseHeld(deps.db, lease, now), eventWhile(deps, lease, now, 'cancelled', { error: why }), releaseQuery(deps.db, lease, now, { status: 'cancelled', last_error: why })];
}

function releaseQuery(
  db: Db,
  lease: Lease,
  now: string,
  set: { status: 'pending' | 'accepted' | 'dead' | 'cancelled'; last_error: string | null; next_attempt_at?: string; reference?: string | null; accepted_at?: string; dead_at?: string },
): CompiledQuery {
  return db
    .updateTable('submissions')
    .set({ ...set, lease_expires_at: null, updated_at: now })
    .where('id', '=', lease.id)
    .where('status', '=', 'leased')
    .where('lease_token', '=', lease.token)
    .where('lease_expires_at', '>', now)
    .compile();
}


export async function isPaused(db: Db): Promise<boolean> {
  const row = await db.selectFrom('queue_control').select('paused').where('queue', '=', QUEUE).executeTakeFirst();
  return row?.paused === 1;
}

export function setPausedQuery(deps: { db: Db; clock: Clock }, paused: boolean, by: string | null): CompiledQuery {
  return deps.db
    .updateTable('queue_control')
    .set({ paused: paused ? 1 : 0, changed_by: by, changed_at: deps.clock.now().toISOString() })
    .where('queue', '=', QUEUE)
    .compile();
}

/**
 * An admin sends dead submissions (the given ones, or all) back to the queue with their tries
 * counted afresh. The event comes first, conditioned on the row still being dead.
 */
export function retryDeadQueries(deps: { db: Db; clock: Clock; ids: Ids }, ids: readonly string[], by: string): CompiledQuery[] {
  const now = deps.clock.now().toISOString();
  const list = JSON.stringify(ids);
  return [
    sql`INSERT INTO submission_events (id, submission_id, at, kind, http_status, error, staff_id)
      SELECT ${deps.ids.next()} || '-' || s.id, s.id, ${now}, 'retried', NULL, NULL, ${by} FROM submissions s
      WHERE s.status = 'dead' AND s.id IN (SELECT value FROM json_each(${list}))`.compile(deps.db),
    sql`UPDATE submissions SET status = 'pending', attempts = 0, next_attempt_at = ${now}, dead_at = NULL, lease_token = NULL, updated_at = ${now}
      WHERE status = 'dead' AND id IN (SELECT value FROM json_each(${list}))`.compile(deps.db),
  ];
}
