import type { CompiledQuery } from 'kysely';
import type { VisitRow } from '../db/schema/scheduling.ts';
import type { AppDeps } from '../http/env.ts';
import { AppError, fieldIssue, validationError } from '../errors.ts';
import { auditEntry } from '../staff/audit.ts';
import { todayIn } from '../shared/time.ts';
import { atomicOrConflict, computePlan, routeWrites, type PlannerDeps } from './planning.ts';
import { activeVisitsOfShifts, fixedVisit } from './repository.ts';
import { cancelVisitQueries } from './shifts.ts';
import { nextVisitState, rowState, type VisitEvent } from './visit-lifecycle.ts';

/**
 * The dispatcher's and the crew's changes to single visits (issue 4): pin, move, remove, cancel,
 * set out, arrive, no-show. Each asks the life cycle (visit-lifecycle.ts) first and writes only
 * from the state it read, so a change that raced another one is a 409, never a silent no-op.
 */

export async function visitById(deps: PlannerDeps, id: string): Promise<VisitRow> {
  const v = await deps.db.selectFrom('visits').selectAll().where('id', '=', id).executeTakeFirst();
  if (!v) throw AppError.keyed('not_found', { key: 'visit_not_found' });
  return v;
}

/**
 * The routes of the given shifts re-ordered and re-timed with every visit kept on its shift
 * (after `moved` takes its new one); booked visits keep the window their driver was told.
 * A visit that no longer fits makes the whole change a 409.
 */
export async function resequence(deps: PlannerDeps, date: string, shiftIds: readonly string[], moved?: { visitId: string; shiftId: string }): Promise<CompiledQuery[]> {
  const shifts = await deps.db.selectFrom('shifts').selectAll().where('id', 'in', [...shiftIds]).where('status', '=', 'open').execute();
  const visits = (await activeVisitsOfShifts(deps.db, shiftIds)).map((v) => (moved && v.id === moved.visitId ? { ...v, shift_id: moved.shiftId } : v));
  const { plan } = await computePlan(deps, date, shifts, [], visits.map((v) => fixedVisit(v, { keepPromise: true })), { timeBudgetMs: 500, maxIterations: 2000 });
  if (plan.conflicts.length > 0) {
    throw AppError.keyed('conflict', { key: 'visit_does_not_fit' }, { visits: plan.conflicts.length });
  }
  const drafts = new Set(visits.filter((v) => v.status === 'planned').map((v) => v.id));
  return routeWrites(deps, plan, date, deps.clock.now().toISOString(), drafts);
}

export interface VisitChange {
  pinned?: boolean | undefined;
  shiftId?: string | undefined;
}

/** Pin or move a draft. A moved visit is pinned: a re-plan keeps it where the dispatcher put it. */
export async function changeVisit(deps: PlannerDeps, id: string, change: VisitChange, by: string | null): Promise<VisitRow> {
  const v = await visitById(deps, id);
  nextVisitState(v.status, 'pin');
  const at = deps.clock.now().toISOString();
  const queries: CompiledQuery[] = [];
  if (change.shiftId !== undefined && change.shiftId !== v.shift_id) {
    const target = await deps.db.selectFrom('shifts').select(['date', 'status']).where('id', '=', change.shiftId).executeTakeFirst();
    if (!target) throw validationError([fieldIssue('shiftId', 'unknown_shift', { key: 'shift_not_found' })]);
    if (target.status !== 'open') throw validationError([fieldIssue('shiftId', 'shift_cancelled', { key: 'shift_is_cancelled' })]);
    if (target.date !== v.date) throw validationError([fieldIssue('shiftId', 'other_date', { key: 'shift_other_date', params: { date: v.date } })]);
    queries.push(deps.db.updateTable('visits').set({ shift_id: change.shiftId, pinned: 1, updated_at: at }).where('id', '=', id).where('status', '=', 'planned').compile());
    queries.push(...(await resequence(deps, v.date, [v.shift_id, change.shiftId], { visitId: id, shiftId: change.shiftId })));
  } else if (change.pinned !== undefined) {
    queries.push(deps.db.updateTable('visits').set({ pinned: change.pinned ? 1 : 0, updated_at: at }).where('id', '=', id).where('status', '=', 'planned').compile());
  }
  if (queries.length === 0) return v;
  queries.push(auditEntry(deps, { staffId: by, action: 'visit.change', subject: id, details: { ...change } }));
  await atomicOrConflict(deps, queries, 'what_visit_not_changed');
  return visitById(deps, id);
}

/**
 * Cancel a visit. A draft is removed from this date's plan (a re-plan of the date leaves the
 * driver out); a booked one is cancelled and the driver told. Either way the driver is back in
 * the pool for other dates.
 */
export async function cancelVisit(deps: PlannerDeps, id: string, reason: string, by: string | null): Promise<VisitRow> {
  const v = await visitById(deps, id);
  const at = deps.clock.now().toISOString();
  const t = nextVisitState(v.status, 'cancel_by_staff');
  let queries: CompiledQuery[];
  if (t.cases === 'off_this_date') {
    // a draft: nobody was told; `removed` keeps a re-plan of this date from planning the driver again
    queries = [
      deps.db
        .updateTable('visits')
        .set({ status: rowState(t), closed_at: at, closed_reason: 'removed', closed_by: by, updated_at: at })
        .where('id', '=', id)
        .where('status', '=', v.status)
        .compile(),
    ];
  } else {
    queries = cancelVisitQueries(deps, id, v.status, 'cancel_by_staff', reason, by, at);
  }
  await atomicOrConflict(deps, [...queries, auditEntry(deps, { staffId: by, action: 'visit.change', subject: id, details: { cancelled: reason } })], 'what_visit_not_cancelled');
  return landed(deps, v, 'cancel_by_staff');
}

/** The visit after a write: a 409 when another writer moved it first (the guarded UPDATE did nothing). */
export async function landed(deps: PlannerDeps, before: VisitRow, event: VisitEvent): Promise<VisitRow> {
  const after = await visitById(deps, before.id);
  if (after.status === nextVisitState(before.status, event).to) return after;
  // where it stands now: the refusal in words, else the plain fact that it moved
  nextVisitState(after.status, event);
  throw AppError.keyed('conflict', { key: 'visit_changed_meanwhile' }, { state: after.status, event });
}

/**
 * The crew acts only on the visits of their own shifts: an examiner as the shift's examiner, a
 * postal worker as its postal worker (an admin or a dispatcher on any).
 */
export async function ownShiftOnly(
  deps: Pick<PlannerDeps, 'db'>,
  v: Pick<VisitRow, 'shift_id'>,
  by: { id: string; role: string },
  what: 'examiner_own_visits_record' | 'examiner_own_visits_update',
): Promise<void> {
  if (by.role !== 'examiner' && by.role !== 'postal') return;
  const own = await deps.db
    .selectFrom('shifts as s')
    .innerJoin('field_staff as f', 'f.id', by.role === 'postal' ? 's.postal_id' : 's.examiner_id')
    .select('s.id')
    .where('s.id', '=', v.shift_id)
    .where('f.staff_id', '=', by.id)
    .executeTakeFirst();
  if (!own) throw AppError.keyed('forbidden', { key: by.role === 'postal' ? 'postal_own_visits' : what });
}

/**
 * A visit its exam may be recorded for: one the life cycle lets `record_exam` (booked, confirmed,
 * en route, arrived), on or after its day, and - for an examiner - on one of their own shifts
 * (an admin may record any).
 */
export async function visitToClose(deps: PlannerDeps, id: string, by: { id: string; role: string }): Promise<VisitRow> {
  const v = await visitById(deps, id);
  await ownShiftOnly(deps, v, by, 'examiner_own_visits_record');
  nextVisitState(v.status, 'record_exam');
  if (v.date > todayIn(deps.clock.now())) throw AppError.keyed('conflict', { key: 'visit_exam_before_day', params: { date: v.date } });
  return v;
}

/**
 * Marking a visit done without an exam is gone (issue 14): it closed the visit, blocked the exam
 * and stranded its cases. The life cycle refuses it from every state, in words saying what to do.
 */
export async function recordDone(deps: PlannerDeps, id: string): Promise<never> {
  const v = await visitById(deps, id);
  nextVisitState(v.status, 'mark_done');
  throw AppError.keyed('conflict', { key: 'visit_done_needs_exam' }, { state: v.status, event: 'mark_done' });
}

/** Why the crew found nobody to examine (the phone page's select; kept on the visit). */
export const NO_SHOW_REASONS = ['nobody_home', 'no_answer', 'wrong_address', 'away', 'other'] as const;
export type NoShowReason = (typeof NO_SHOW_REASONS)[number];

/**
 * Nobody at the door: recorded, and the driver is back in the pool. The crew of the shift (or a
 * dispatcher, an admin) records it, with why and a short note if they give them: both on the
 * visit, the note sealed (it may name someone); the audit entry says only that there is one.
 */
export async function recordNoShow(
  deps: PlannerDeps & Pick<AppDeps, 'cipher'>,
  id: string,
  by: { id: string; role: string },
  why: { reason?: NoShowReason | undefined; note?: string | undefined } = {},
): Promise<VisitRow> {
  const v = await visitById(deps, id);
  await ownShiftOnly(deps, v, by, 'examiner_own_visits_update');
  const to = rowState(nextVisitState(v.status, 'record_no_show'));
  if (v.date > todayIn(deps.clock.now())) throw AppError.keyed('conflict', { key: 'visit_no_show_before_day', params: { date: v.date } });
  const at = deps.clock.now().toISOString();
  await atomicOrConflict(
    deps,
    [
      deps.db
        .updateTable('visits')
        .set({
          status: to,
          closed_at: at,
          closed_reason: 'no_show',
          closed_by: by.id,
          updated_at: at,
          no_show_reason: why.reason ?? null,
          no_show_note: why.note ? deps.cipher.encrypt(why.note) : null,
        })
        .where('id', '=', id)
        .where('status', '=', v.status)
        .compile(),
      auditEntry(deps, { staffId: by.id, action: 'visit.change', subject: id, details: { noShow: true, ...(why.reason ? { reason: why.reason } : {}), ...(why.note ? { note: true } : {}) } }),
    ],
    'what_no_show_not_recorded',
  );
  return landed(deps, v, 'record_no_show');
}

/**
 * The crew sets out for the visit, or is at the door (the examiner of the shift, a dispatcher or
 * an admin), on the visit's day. From then on a re-plan leaves the visit where it is, and the
 * driver's SMS no longer moves or cancels it.
 */
export async function recordProgress(deps: PlannerDeps, id: string, event: 'set_out' | 'arrive', by: { id: string; role: string }): Promise<VisitRow> {
  const v = await visitById(deps, id);
  await ownShiftOnly(deps, v, by, 'examiner_own_visits_update');
  const to = rowState(nextVisitState(v.status, event));
  const today = todayIn(deps.clock.now());
  if (v.date !== today) throw AppError.keyed('conflict', { key: 'visit_crew_on_day', params: { date: v.date } }, { state: v.status, event });
  const at = deps.clock.now().toISOString();
  await atomicOrConflict(
    deps,
    [
      deps.db.updateTable('visits').set({ status: to, updated_at: at }).where('id', '=', id).where('status', '=', v.status).compile(),
      auditEntry(deps, { staffId: by.id, action: 'visit.change', subject: id, details: { [event === 'set_out' ? 'enRoute' : 'arrived']: true } }),
    ],
    event === 'set_out' ? 'what_visit_not_set_out' : 'what_arrival_not_recorded',
  );
  return landed(deps, v, event);
}
