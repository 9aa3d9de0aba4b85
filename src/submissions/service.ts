/**
 * The 12123 queue as staff see and steer it, for the API (routes.ts) and the console
 * (src/web/office/submissions.tsx) alike: the list, one submission with its tries, pausing the
 * workers, sending dead letters again.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { SubmissionRow, SubmissionStatus } from '../db/schema/submissions.ts';
import { AppError, fieldIssue, validationError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { todayIn } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { queueFigures } from './figures.ts';
import { retryDeadQueries, setPausedQuery } from './queue.ts';

export function submissionView(s: SubmissionRow) {
  return {
    id: s.id,
    caseId: s.case_id,
    examId: s.exam_id,
    fileNumber: s.file_number,
    business: s.business,
    status: s.status,
    notBefore: s.not_before,
    attempts: s.attempts,
    nextAttemptAt: s.next_attempt_at,
    leaseExpiresAt: s.lease_expires_at,
    lastError: s.last_error,
    reference: s.reference,
    heldFor: s.held_for,
    idempotencyKey: s.idempotency_key,
    examStartedAt: s.exam_started_at,
    acceptedAt: s.accepted_at,
    deadAt: s.dead_at,
    createdAt: s.created_at,
  };
}
export type SubmissionView = ReturnType<typeof submissionView>;

export async function listSubmissions(
  db: Kysely<DB>,
  q: { limit: number; cursor?: string | undefined; status?: SubmissionStatus | undefined; fileNumber?: string | undefined },
) {
  let query = db.selectFrom('submissions').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.fileNumber) query = query.where('file_number', '=', q.fileNumber);
  if (q.cursor) query = query.where(afterCursor(q.cursor, ['created_at', 'id'], 'desc'));
  const { items, nextCursor } = page(await query.execute(), q.limit, (s) => [s.created_at, s.id]);
  return { items: items.map(submissionView), nextCursor };
}

/** One submission with its payload and every try at the gateway, oldest first. */
export async function submissionDetail(db: Kysely<DB>, id: string) {
  const s = await db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s) throw AppError.keyed('not_found', { key: 'submission_not_found' });
  const events = await db.selectFrom('submission_events').selectAll().where('submission_id', '=', s.id).orderBy('at').execute();
  return {
    ...submissionView(s),
    payload: JSON.parse(s.payload) as unknown,
    events: events.map((e) => ({ at: e.at, kind: e.kind, httpStatus: e.http_status, error: e.error, staffId: e.staff_id })),
  };
}

export async function queueNow(deps: Pick<AppDeps, 'db' | 'clock'>) {
  return queueFigures(deps.db, todayIn(deps.clock.now()));
}

/** Stops (or lets again) every worker from sending; audited. The queue as it is then. */
export async function setSubmissionsPaused(deps: Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids'>, paused: boolean, staffId: string) {
  await deps.atomic([setPausedQuery(deps, paused, staffId), auditEntry(deps, { staffId, action: paused ? 'submissions.pause' : 'submissions.resume' })]);
  return queueNow(deps);
}

/** Sends dead letters again (the given ones, or all): their tries counted afresh; audited. */
export async function retryDeadSubmissions(
  deps: Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids'>,
  input: { ids?: readonly string[] | undefined; all?: boolean | undefined },
  staffId: string,
): Promise<number> {
  if (!input.ids === !input.all) throw validationError([fieldIssue('ids', 'ids_or_all', { key: 'ids_or_all' })]);
  const ids = input.ids ?? (await deps.db.selectFrom('submissions').select('id').where('status', '=', 'dead').execute()).map((r) => r.id);
  const results = await deps.atomic([
    ...retryDeadQueries(deps, ids, staffId),
    auditEntry(deps, { staffId, action: 'submissions.retry', details: { count: ids.length, all: input.all === true } }),
  ]);
  return Number(results[1]?.numAffectedRows ?? 0);
}
