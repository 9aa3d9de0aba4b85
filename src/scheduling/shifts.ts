import type { CompiledQuery, ExpressionBuilder } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { FieldStaffKind, FieldStaffRow, ShiftRow } from '../db/schema/scheduling.ts';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import { normaliseNumber } from '../outreach/phone.ts';
import { daysBetween, type CivilDate } from '../shared/civil-date.ts';
import { auditEntry } from '../staff/audit.ts';
import { can } from '../staff/permissions.ts';
import type { StaffMember } from '../staff/repository.ts';
import { todayIn } from '../shared/time.ts';
import { minutesOf } from './plan-rules.ts';
import { atomicOrConflict, noticeInsert, type PlannerDeps } from './planning.ts';
import { routeSheetOf } from './repository.ts';
import { ACTIVE_STATES, FINISHED_STATES, nextVisitState, rowState, statesWhere, TOLD_STATES, type VisitState } from './visit-lifecycle.ts';

/** Postal workers and examiners, and their shifts (issue 4). */

export interface FieldStaffInput {
  kind: FieldStaffKind;
  name: string;
  phone: string;
  organisation: string;
  staffId?: string | undefined;
}

export async function addFieldStaff(deps: PlannerDeps, input: FieldStaffInput, by: string | null): Promise<FieldStaffRow> {
  const phone = normaliseNumber(input.phone);
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) throw validationError([fieldIssue('phone', 'invalid_phone', { key: 'phone_mobile_or_landline' })]);
  if (input.staffId) {
    const account = await deps.db.selectFrom('staff').select(['role']).where('id', '=', input.staffId).executeTakeFirst();
    if (!account) throw validationError([fieldIssue('staffId', 'unknown_staff', { key: 'unknown_staff' })]);
    if (input.kind === 'examiner' && account.role !== 'examiner') {
      throw validationError([fieldIssue('staffId', 'wrong_role', { key: 'examiner_account_only' })]);
    }
  }
  const at = deps.clock.now().toISOString();
  const row: FieldStaffRow = {
    id: deps.ids.next(),
    kind: input.kind,
    name: input.name,
    phone,
    organisation: input.organisation,
    staff_id: input.staffId ?? null,
    active: 1,
    created_at: at,
    updated_at: at,
  };
  try {
    await deps.atomic([
      deps.db.insertInto('field_staff').values(row).compile(),
      auditEntry(deps, { staffId: by, action: 'field_staff.add', subject: row.id, details: { kind: row.kind } }),
    ]);
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed: field_staff\.staff_id/.test(err.message)) {
      throw AppError.keyed('conflict', { key: 'staff_already_linked' });
    }
    throw err;
  }
  return row;
}

export interface Place {
  label: string;
  lat: number;
  lng: number;
}

export interface ShiftInput {
  date: string;
  startsAt: string;
  endsAt: string;
  postalId: string;
  examinerId: string;
  start: Place;
  end?: Place | undefined;
  area?: { communities?: string[] | undefined; center?: { lat: number; lng: number } | undefined; radiusKm?: number | undefined } | undefined;
  capacity?: number | undefined;
}

/** Default capacity: one visit per quarter hour of the shift (ten minutes each plus travel). */
export function defaultCapacity(startsAt: string, endsAt: string): number {
  return Math.max(1, Math.floor((minutesOf(endsAt) - minutesOf(startsAt)) / 15));
}

async function crewIssues(deps: PlannerDeps, input: ShiftInput): Promise<FieldIssue[]> {
  const people = await deps.db.selectFrom('field_staff').select(['id', 'kind', 'active']).where('id', 'in', [input.postalId, input.examinerId]).execute();
  const issues: FieldIssue[] = [];
  const check = (field: 'postalId' | 'examinerId', id: string, kind: FieldStaffKind) => {
    const p = people.find((x) => x.id === id);
    if (!p) issues.push(fieldIssue(field, 'unknown_field_staff', { key: 'unknown_field_staff' }));
    else if (p.kind !== kind) issues.push(fieldIssue(field, 'wrong_kind', { key: kind === 'postal' ? 'must_be_postal_worker' : 'must_be_medical_examiner' }));
    else if (p.active !== 1) issues.push(fieldIssue(field, 'inactive', { key: 'no_longer_active' }));
  };
  check('postalId', input.postalId, 'postal');
  check('examinerId', input.examinerId, 'examiner');
  return issues;
}

export async function createShift(deps: PlannerDeps, input: ShiftInput, by: string | null): Promise<ShiftRow> {
  const issues: FieldIssue[] = [];
  if (input.startsAt >= input.endsAt) issues.push(fieldIssue('endsAt', 'before_start', { key: 'later_than_starts_at' }));
  if (input.date < todayIn(deps.clock.now())) issues.push(fieldIssue('date', 'in_the_past', { key: 'today_or_later' }));
  const area = input.area;
  if (area && (area.center === undefined) !== (area.radiusKm === undefined)) {
    issues.push(fieldIssue('area.radiusKm', 'incomplete_area', { key: 'incomplete_area' }));
  }
  issues.push(...(await crewIssues(deps, input)));
  if (issues.length > 0) throw validationError(issues);
  const at = deps.clock.now().toISOString();
  const end = input.end ?? input.start;
  const row: ShiftRow = {
    id: deps.ids.next(),
    date: input.date,
    starts_at: input.startsAt,
    ends_at: input.endsAt,
    postal_id: input.postalId,
    examiner_id: input.examinerId,
    start_label: input.start.label,
    start_lat: input.start.lat,
    start_lng: input.start.lng,
    end_label: end.label,
    end_lat: end.lat,
    end_lng: end.lng,
    area_communities: area?.communities && area.communities.length > 0 ? JSON.stringify(area.communities) : null,
    area_lat: area?.center?.lat ?? null,
    area_lng: area?.center?.lng ?? null,
    area_radius_km: area?.radiusKm ?? null,
    capacity: input.capacity ?? defaultCapacity(input.startsAt, input.endsAt),
    status: 'open',
    created_by: by,
    created_at: at,
    updated_at: at,
  };
  await atomicOrConflict(
    deps,
    [deps.db.insertInto('shifts').values(row).compile(), auditEntry(deps, { staffId: by, action: 'shift.create', subject: row.id, details: { date: row.date } })],
    'what_shift_not_created',
  );
  return row;
}

/**
 * A cancelled shift: its drafts are dropped, its booked drivers (and those the crew set out for)
 * are told and go back to the pool (their conversation stays confirmed), all in one batch. A
 * visit whose crew is at the door refuses it (the life cycle): record its exam or no-show first.
 */
export async function cancelShift(deps: PlannerDeps, shiftId: string, by: string | null): Promise<{ cancelledVisits: number }> {
  const shift = await deps.db.selectFrom('shifts').select(['status']).where('id', '=', shiftId).executeTakeFirst();
  if (!shift) throw AppError.keyed('not_found', { key: 'shift_not_found' });
  if (shift.status === 'cancelled') throw AppError.keyed('conflict', { key: 'shift_already_cancelled' });
  const active = await deps.db.selectFrom('visits').select(['id', 'status']).where('shift_id', '=', shiftId).where('status', 'in', ACTIVE_STATES).execute();
  const plans = active.map((v) => ({ ...v, t: nextVisitState(v.status, 'shift_cancelled') }));
  const booked = plans.filter((v) => v.t.to !== 'deleted');
  const at = deps.clock.now().toISOString();
  const queries: CompiledQuery[] = [
    deps.db.deleteFrom('visits').where('shift_id', '=', shiftId).where('status', 'in', statesWhere('shift_cancelled', 'deleted')).compile(),
    ...booked.flatMap((v) => cancelVisitQueries(deps, v.id, v.status, 'shift_cancelled', 'shift_cancelled', by, at)),
    deps.db.updateTable('shifts').set({ status: 'cancelled', updated_at: at }).where('id', '=', shiftId).compile(),
    auditEntry(deps, { staffId: by, action: 'shift.cancel', subject: shiftId, details: { visits: booked.length } }),
  ];
  await atomicOrConflict(deps, queries, 'what_shift_not_cancelled');
  return { cancelledVisits: booked.length };
}

/** A told visit cancelled (from the state read): a new revision, and the driver is told (decided at send time). */
export function cancelVisitQueries(
  deps: PlannerDeps,
  visitId: string,
  from: VisitState,
  event: 'cancel_by_staff' | 'shift_cancelled',
  reason: string,
  by: string | null,
  at: string,
): CompiledQuery[] {
  return [
    deps.db
      .updateTable('visits')
      .set((eb) => ({ status: rowState(nextVisitState(from, event)), revision: eb('revision', '+', 1), closed_at: at, closed_reason: reason, closed_by: by, updated_at: at }))
      .where('id', '=', visitId)
      .where('status', '=', from)
      .compile(),
    noticeInsert(deps, visitId, 'cancelled', at, at),
  ];
}


// ---------------------------------------------------------------------------------------------
// Reads and the shift edit, shared by the API (src/scheduling/routes.ts) and the console's
// planning pages (src/web/planning/).

/** Postal workers and examiners, by name. */
export async function listFieldStaff(db: PlannerDeps['db'], filter: { kind?: FieldStaffKind | undefined } = {}): Promise<FieldStaffRow[]> {
  let q = db.selectFrom('field_staff').selectAll().orderBy('name').orderBy('id');
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  return q.execute();
}

/** The longest span GET /api/shifts?from=&to= lists: a month (31 days, both ends counted). */
export const MAX_SHIFT_RANGE_DAYS = 31;

/** The shifts of a date range (both ends included), by date and start time; cancelled ones too. */
export async function listShifts(db: PlannerDeps['db'], range: { from: CivilDate; to: CivilDate }): Promise<ShiftRow[]> {
  if (range.to < range.from || daysBetween(range.from, range.to) > MAX_SHIFT_RANGE_DAYS - 1) {
    throw validationError([fieldIssue('to', 'bad_range', { key: 'range_after_from', params: { days: MAX_SHIFT_RANGE_DAYS - 1 } })]);
  }
  return db.selectFrom('shifts').selectAll().where('date', '>=', range.from).where('date', '<=', range.to).orderBy('date').orderBy('starts_at').orderBy('id').execute();
}

export async function requireShift(db: PlannerDeps['db'], shiftId: string): Promise<ShiftRow> {
  const row = await db.selectFrom('shifts').selectAll().where('id', '=', shiftId).executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'shift_not_found' });
  return row;
}

/** A shift's visits by kind: drafts (nobody told), told (booked to at the door), finished. */
export interface ShiftTally {
  drafts: number;
  told: number;
  finished: number;
}

export async function shiftTally(db: PlannerDeps['db'], shiftId: string): Promise<ShiftTally> {
  const rows = await db
    .selectFrom('visits')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('shift_id', '=', shiftId)
    .groupBy('status')
    .execute();
  const tally: ShiftTally = { drafts: 0, told: 0, finished: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.status === 'planned') tally.drafts += n;
    else if ((TOLD_STATES as readonly string[]).includes(r.status)) tally.told += n;
    else if ((FINISHED_STATES as readonly string[]).includes(r.status)) tally.finished += n;
  }
  return tally;
}

export interface ShiftPatch {
  startsAt?: string | undefined;
  endsAt?: string | undefined;
  start?: Place | undefined;
  end?: Place | undefined;
  /** null: no area any more (anyone may be planned); absent: unchanged. */
  area?: ShiftInput['area'] | null | undefined;
}

const samePlace = (s: ShiftRow) => s.start_label === s.end_label && s.start_lat === s.end_lat && s.start_lng === s.end_lng;

/** The shift's row after the patch: an end that was the start follows it; a default capacity follows the hours. */
function patchedShift(row: ShiftRow, patch: ShiftPatch, at: string): ShiftRow {
  const startsAt = patch.startsAt ?? row.starts_at;
  const endsAt = patch.endsAt ?? row.ends_at;
  const start = patch.start ?? { label: row.start_label, lat: row.start_lat, lng: row.start_lng };
  const end = patch.end ?? (patch.start && samePlace(row) ? patch.start : { label: row.end_label, lat: row.end_lat, lng: row.end_lng });
  const defaulted = row.capacity === defaultCapacity(row.starts_at, row.ends_at);
  const area = patch.area === undefined ? null : patch.area;
  return {
    ...row,
    starts_at: startsAt,
    ends_at: endsAt,
    start_label: start.label,
    start_lat: start.lat,
    start_lng: start.lng,
    end_label: end.label,
    end_lat: end.lat,
    end_lng: end.lng,
    ...(patch.area === undefined
      ? {}
      : {
          area_communities: area?.communities && area.communities.length > 0 ? JSON.stringify(area.communities) : null,
          area_lat: area?.center?.lat ?? null,
          area_lng: area?.center?.lng ?? null,
          area_radius_km: area?.radiusKm ?? null,
        }),
    capacity: defaulted ? defaultCapacity(startsAt, endsAt) : row.capacity,
    updated_at: at,
  };
}

/**
 * A shift's hours, start point or area changed, while no driver has been told of a visit on it
 * (a told driver was promised a window from these hours: cancel the shift instead, which tells
 * them). Its drafts were planned for the old hours: they are dropped in the same batch and the
 * drivers go back to the pool for the next preview.
 */
export async function updateShift(deps: PlannerDeps, shiftId: string, patch: ShiftPatch, by: string | null): Promise<{ shift: ShiftRow; droppedDrafts: number }> {
  const row = await requireShift(deps.db, shiftId);
  if (row.status === 'cancelled') throw AppError.keyed('conflict', { key: 'shift_is_cancelled' });
  if (row.date < todayIn(deps.clock.now())) throw AppError.keyed('conflict', { key: 'shift_past_no_edit' });
  const tally = await shiftTally(deps.db, shiftId);
  if (tally.told + tally.finished > 0) throw AppError.keyed('conflict', { key: 'shift_has_told_visits', params: { visits: tally.told + tally.finished } });
  const at = deps.clock.now().toISOString();
  const next = patchedShift(row, patch, at);
  const issues: FieldIssue[] = [];
  if (next.starts_at >= next.ends_at) issues.push(fieldIssue(patch.endsAt ? 'endsAt' : 'startsAt', 'before_start', { key: 'later_than_starts_at' }));
  if (patch.area && (patch.area.center === undefined) !== (patch.area.radiusKm === undefined)) issues.push(fieldIssue('area.radiusKm', 'incomplete_area', { key: 'incomplete_area' }));
  if (issues.length > 0) throw validationError(issues);
  const { id: _id, created_at: _created, created_by: _by, ...changes } = next;
  const noneTold = (eb: ExpressionBuilder<DB, 'shifts'>) =>
    eb.not(eb.exists(eb.selectFrom('visits as v').select('v.id').whereRef('v.shift_id', '=', 'shifts.id').where('v.status', 'not in', ['planned', 'cancelled'])));
  await atomicOrConflict(
    deps,
    [
      deps.db.deleteFrom('visits').where('shift_id', '=', shiftId).where('status', '=', 'planned').compile(),
      deps.db.updateTable('shifts').set(changes).where('id', '=', shiftId).where('status', '=', 'open').where(noneTold).compile(),
      auditEntry(deps, { staffId: by, action: 'shift.update', subject: shiftId, details: { fields: Object.keys(patch).sort(), droppedDrafts: tally.drafts } }),
    ],
    'what_shift_not_changed',
  );
  const stored = await requireShift(deps.db, shiftId);
  // A commit or a cancel between the read and the batch: the guarded update changed nothing.
  if (stored.updated_at !== at) throw AppError.keyed('conflict', { key: 'shift_changed_meanwhile' });
  return { shift: stored, droppedDrafts: tally.drafts };
}

/**
 * A crew's route sheet, for the API and the console alike: the managing roles see every shift's;
 * anyone else (an examiner, a postal worker) only the sheet of a shift they are the crew of.
 */
export async function routeSheetFor(deps: Pick<PlannerDeps, 'db'>, staff: Pick<StaffMember, 'id' | 'role'>, shiftId: string): Promise<ShiftRouteSheet> {
  const sheet = await routeSheetOf(deps.db, shiftId);
  if (!sheet) throw AppError.keyed('not_found', { key: 'shift_not_found' });
  const own = sheet.examinerStaffId === staff.id || sheet.postalStaffId === staff.id;
  if (!can(staff.role, 'scheduling:read') && !own) throw AppError.keyed('forbidden', { key: staff.role === 'examiner' ? 'examiner_own_sheets' : 'crew_own_sheets' });
  return sheet;
}

export type ShiftRouteSheet = NonNullable<Awaited<ReturnType<typeof routeSheetOf>>>;

/** Where crews have set out from before (the latest first): the shift form offers them, with their coordinates. */
export async function knownStartPoints(db: PlannerDeps['db'], limit = 30): Promise<Place[]> {
  const rows = await db
    .selectFrom('shifts')
    .select(['start_label', 'start_lat', 'start_lng', (eb) => eb.fn.max('date').as('last')])
    .groupBy(['start_label', 'start_lat', 'start_lng'])
    .orderBy('last', 'desc')
    .orderBy('start_label')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ label: r.start_label, lat: r.start_lat, lng: r.start_lng }));
}
