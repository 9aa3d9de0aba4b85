import type { CompiledQuery } from 'kysely';
import type { FieldStaffKind, FieldStaffRow, ShiftRow } from '../db/schema/scheduling.ts';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import { normaliseNumber } from '../outreach/phone.ts';
import { auditEntry } from '../staff/audit.ts';
import { todayIn } from '../shared/time.ts';
import { minutesOf } from './plan-rules.ts';
import { atomicOrConflict, noticeInsert, type PlannerDeps } from './planning.ts';
import { ACTIVE_STATES, nextVisitState, rowState, statesWhere, type VisitState } from './visit-lifecycle.ts';

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

