import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { ACTIVE_VISIT_STATUSES, type ShiftRow, type VisitRow } from '../db/schema/scheduling.ts';
import type { FixedVisit, PlanDriver, PlanShift } from './plan-rules.ts';
import { needsOf, type RouteSheet } from './route-sheet.ts';
import { isUnderway, TOLD_STATES } from './visit-lifecycle.ts';

/** What the planner reads: open shifts, confirmed drivers without a visit, visits that stay. */

export function planShift(s: ShiftRow): PlanShift {
  return {
    id: s.id,
    startsAt: s.starts_at,
    endsAt: s.ends_at,
    start: { lat: s.start_lat, lng: s.start_lng },
    end: { lat: s.end_lat, lng: s.end_lng },
    areaCommunities: s.area_communities === null ? null : (JSON.parse(s.area_communities) as string[]),
    area: s.area_lat !== null && s.area_lng !== null && s.area_radius_km !== null ? { lat: s.area_lat, lng: s.area_lng, radiusKm: s.area_radius_km } : null,
    capacity: s.capacity,
  };
}

export async function openShiftsOn(db: Kysely<DB>, date: string): Promise<ShiftRow[]> {
  return db.selectFrom('shifts').selectAll().where('date', '=', date).where('status', '=', 'open').orderBy('starts_at').orderBy('id').execute();
}

/**
 * Drivers waiting for a visit: their conversation is confirmed (or asks for another date), they
 * have no visit under way, and the dispatcher did not remove them from this date's plan.
 */
export async function poolOn(db: Kysely<DB>, date: string, only?: { fileNumbers: readonly string[]; ignoreVisits: boolean }): Promise<PlanDriver[]> {
  let q = db
    .selectFrom('conversations as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .innerJoin('cases as c', (j) =>
      j
        .onRef('c.file_number', '=', 'v.file_number')
        .on('c.status', '=', 'open')
        .on('c.category', '<>', 'cancellation_notice')
        // a case examined already waits for 12123 or for staff (issue 5): no second visit unless
        // staff closed its follow-up with `revisit`
        .on((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('exam_cases as ec')
                .select(sql.lit(1).as('one'))
                .whereRef('ec.case_id', '=', 'c.id')
                .where((w) => w.or([w('ec.resolution', 'is', null), w('ec.resolution', '<>', 'revisit')])),
            ),
          ),
        ),
    )
    .select([
      'v.id as conversation_id',
      'v.file_number',
      'v.reschedule_on',
      'v.reschedule_part',
      'l.community',
      'l.address',
      'l.lat',
      'l.lng',
      'c.id as case_id',
      'c.category',
      'c.opens_on',
      'c.due_on',
      'c.lapses_on',
      'c.needs_cognitive_test',
    ])
    .where('v.status', 'in', ['confirmed', 'reschedule'])
    .orderBy('v.file_number')
    .orderBy('c.due_on');
  if (!only?.ignoreVisits) {
    q = q.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('visits as x')
            .select(sql.lit(1).as('one'))
            .whereRef('x.file_number', '=', 'v.file_number')
            .where((w) =>
              w.or([
                // an unpinned draft of this date is about to be re-planned: it does not count
                w.and([w('x.status', 'in', ACTIVE_VISIT_STATUSES), w.not(w.and([w('x.status', '=', 'planned'), w('x.pinned', '=', 0), w('x.date', '=', date)]))]),
                w.and([w('x.date', '=', date), w('x.closed_reason', '=', 'removed')]),
              ]),
            ),
        ),
      ),
    );
  }
  if (only) q = q.where('v.file_number', 'in', only.fileNumbers.length > 0 ? [...only.fileNumbers] : ['']);
  const drivers = new Map<string, PlanDriver>();
  for (const r of await q.execute()) {
    let d = drivers.get(r.file_number);
    if (!d) {
      d = {
        fileNumber: r.file_number,
        conversationId: r.conversation_id,
        community: r.community,
        address: r.address,
        point: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : null,
        partOfDay: r.reschedule_part,
        rescheduleOn: r.reschedule_on,
        cases: [],
      };
      drivers.set(r.file_number, d);
    }
    d.cases.push({ id: r.case_id, category: r.category, opensOn: r.opens_on, dueOn: r.due_on, lapsesOn: r.lapses_on, needsCognitiveTest: r.needs_cognitive_test === 1 });
  }
  return [...drivers.values()];
}

export function fixedVisit(v: VisitRow, options: { keepPromise: boolean }): FixedVisit {
  const told = (TOLD_STATES as readonly string[]).includes(v.status);
  return {
    // the crew set out for it or is at the door: never moved, counted as under way
    ...(isUnderway(v.status) ? { underway: true, startsAt: v.starts_at } : {}),
    visitId: v.id,
    fileNumber: v.file_number,
    conversationId: v.conversation_id,
    shiftId: v.shift_id,
    stopKey: v.stop_key,
    stopLabel: v.stop_label,
    point: { lat: v.lat, lng: v.lng },
    serviceMinutes: v.service_minutes,
    caseIds: JSON.parse(v.cases) as string[],
    needsCognitiveTest: v.needs_cognitive_test === 1,
    partOfDay: v.part_of_day,
    promised: told && options.keepPromise ? { start: v.window_start, end: v.window_end } : null,
  };
}

/** Visits of the date that keep their shift in a re-plan: told ones (booked to arrived), and pinned drafts. */
export async function fixedVisitsOn(db: Kysely<DB>, date: string): Promise<VisitRow[]> {
  return db
    .selectFrom('visits')
    .selectAll()
    .where('date', '=', date)
    .where((eb) => eb.or([eb('status', 'in', TOLD_STATES), eb.and([eb('status', '=', 'planned'), eb('pinned', '=', 1)])]))
    .orderBy('shift_id')
    .orderBy('seq')
    .execute();
}

export async function activeVisitsOfShifts(db: Kysely<DB>, shiftIds: readonly string[]): Promise<VisitRow[]> {
  if (shiftIds.length === 0) return [];
  return db
    .selectFrom('visits')
    .selectAll()
    .where('shift_id', 'in', [...shiftIds])
    .where('status', 'in', ACTIVE_VISIT_STATUSES)
    .orderBy('shift_id')
    .orderBy('seq')
    .execute();
}

/** A shift with its crew and its visits in route order (the route sheet, the plan view). */
export async function routeSheetOf(db: Kysely<DB>, shiftId: string): Promise<(RouteSheet & { examinerStaffId: string | null; postalStaffId: string | null; status: string }) | null> {
  const shift = await db
    .selectFrom('shifts as s')
    .innerJoin('field_staff as p', 'p.id', 's.postal_id')
    .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
    .selectAll('s')
    .select(['p.name as p_name', 'p.phone as p_phone', 'p.organisation as p_org', 'e.name as e_name', 'e.phone as e_phone', 'e.organisation as e_org', 'e.staff_id as e_staff', 'p.staff_id as p_staff'])
    .where('s.id', '=', shiftId)
    .executeTakeFirst();
  if (!shift) return null;
  const visits = await db
    .selectFrom('visits as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .selectAll('v')
    .select(['l.name', 'l.phone', 'l.address', 'l.community'])
    .where('v.shift_id', '=', shiftId)
    .where('v.status', '<>', 'cancelled')
    .orderBy('v.seq')
    .execute();
  const caseIds = visits.flatMap((v) => JSON.parse(v.cases) as string[]);
  const cases = caseIds.length
    ? await db.selectFrom('cases').select(['id', 'category', 'target_classes', 'needs_cognitive_test']).where('id', 'in', caseIds).execute()
    : [];
  const byId = new Map(cases.map((c) => [c.id, c]));
  return {
    shiftId,
    status: shift.status,
    date: shift.date,
    startsAt: shift.starts_at,
    endsAt: shift.ends_at,
    startLabel: shift.start_label,
    endLabel: shift.end_label,
    postal: { name: shift.p_name, phone: shift.p_phone, organisation: shift.p_org },
    examiner: { name: shift.e_name, phone: shift.e_phone, organisation: shift.e_org },
    examinerStaffId: shift.e_staff,
    postalStaffId: shift.p_staff,
    visits: visits.map((v) => ({
      id: v.id,
      seq: v.seq,
      status: v.status,
      startsAt: v.starts_at,
      serviceMinutes: v.service_minutes,
      windowStart: v.window_start,
      windowEnd: v.window_end,
      stopKey: v.stop_key,
      stopLabel: v.stop_label,
      name: v.name,
      phone: v.phone,
      address: v.address,
      community: v.community,
      lat: v.lat,
      lng: v.lng,
      ...sheetCases((JSON.parse(v.cases) as string[]).flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []))),
    })),
  };
}

function sheetCases(cases: { id: string; category: string; target_classes: string | null; needs_cognitive_test: number }[]) {
  return {
    needs: needsOf(cases),
    cases: cases.map((c) => ({ id: c.id, category: c.category, needsCognitiveTest: c.needs_cognitive_test === 1 })),
    needsCognitiveTest: cases.some((c) => c.needs_cognitive_test === 1),
  };
}
