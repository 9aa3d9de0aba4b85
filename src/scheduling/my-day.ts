import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { formatPhone } from '../shared/phone-display.ts';
import type { StaffMember } from '../staff/repository.ts';
import { routeSheetOf } from './repository.ts';
import type { RouteSheet } from './route-sheet.ts';

/**
 * The crew's own work (issue 14, issue 16 "The crew, on a phone"): the shifts and the visits of
 * the signed-in account's own crew member (field_staff.staff_id), as postal worker or examiner,
 * for GET /api/me/* and the phone pages (src/web/crew/). Nobody else's: an account linked to no
 * crew member gets an empty answer with `linked: false` (a dispatcher or admin usually is not one).
 */

type Deps = Pick<AppDeps, 'db' | 'config'>;
type Caller = Pick<StaffMember, 'id' | 'role'>;

/** The crew members the account is (normally one), and the shifts they are in between two dates. */
export async function shiftsOf(deps: Pick<AppDeps, 'db'>, staff: Caller, from: string, to: string) {
  const people = await deps.db.selectFrom('field_staff').select(['id', 'kind']).where('staff_id', '=', staff.id).execute();
  if (people.length === 0) return { linked: false, rows: [] };
  const ids = people.map((p) => p.id);
  const rows = await deps.db
    .selectFrom('shifts as s')
    .select(['s.id', 's.date', 's.starts_at', 's.ends_at', 's.status', 's.start_label', 's.postal_id'])
    .select((eb) => eb.selectFrom('visits as v').select(eb.fn.countAll<number>().as('n')).whereRef('v.shift_id', '=', 's.id').where('v.status', '<>', 'cancelled').as('visits'))
    .where((eb) => eb.or([eb('s.postal_id', 'in', ids), eb('s.examiner_id', 'in', ids)]))
    .where('s.date', '>=', from)
    .where('s.date', '<=', to)
    .orderBy('s.date')
    .orderBy('s.starts_at')
    .orderBy('s.id')
    .execute();
  return { linked: true, rows: rows.map((r) => ({ ...r, as: ids.includes(r.postal_id) ? ('postal' as const) : ('examiner' as const) })) };
}

export function myVisitView(base: string, v: RouteSheet['visits'][number]) {
  const api = `${base}/api/visits/${v.id}`;
  return {
    id: v.id,
    seq: v.seq,
    status: v.status,
    startsAt: v.startsAt,
    windowStart: v.windowStart,
    windowEnd: v.windowEnd,
    serviceMinutes: v.serviceMinutes,
    stop: { label: v.stopLabel, atGate: v.stopKey.startsWith('c:'), lat: v.lat, lng: v.lng },
    // As on the route sheet: the crew greets the driver by name and calls the number (RULES.md §6: they need it).
    driver: { name: v.name, phone: v.phone, phoneDisplay: formatPhone(v.phone), address: v.address, community: v.community },
    needs: v.needs,
    cases: v.cases,
    needsCognitiveTest: v.needsCognitiveTest,
    links: { examForm: `${api}/exam-form`, exam: `${api}/exam`, enRoute: `${api}/en-route`, arrived: `${api}/arrived`, noShow: `${api}/no-show` },
  };
}
export type MyVisit = ReturnType<typeof myVisitView>;

type Sheet = NonNullable<Awaited<ReturnType<typeof routeSheetOf>>>;

function crewOf(sheet: Sheet) {
  return {
    postal: { name: sheet.postal.name, phoneDisplay: formatPhone(sheet.postal.phone) },
    examiner: { name: sheet.examiner.name, phoneDisplay: formatPhone(sheet.examiner.phone) },
  };
}

/** GET /api/me/visits: each of my shifts of a day (not cancelled) with its visits in route order. */
export async function myDay(deps: Deps, staff: Caller, date: string) {
  const { linked, rows } = await shiftsOf(deps, staff, date, date);
  const shifts = [];
  for (const r of rows.filter((s) => s.status !== 'cancelled')) {
    const sheet = (await routeSheetOf(deps.db, r.id))!;
    shifts.push({
      shiftId: r.id,
      startsAt: sheet.startsAt,
      endsAt: sheet.endsAt,
      as: r.as,
      crew: crewOf(sheet),
      visits: sheet.visits.map((v) => myVisitView(deps.config.PUBLIC_BASE_URL, v)),
    });
  }
  return { date, linked, shifts };
}
export type MyDay = Awaited<ReturnType<typeof myDay>>;

/**
 * One stop of a crew's route as the phone page shows it: the visit as on GET /api/me/visits, its
 * shift's crew, and the part the caller plays in it. The postal worker and the examiner see only
 * the stops of their own shifts; an admin or a dispatcher sees any (they see every route sheet).
 */
export async function crewStop(deps: Deps, staff: Caller, visitId: string) {
  const row = await deps.db.selectFrom('visits').select(['shift_id']).where('id', '=', visitId).executeTakeFirst();
  const sheet = row ? await routeSheetOf(deps.db, row.shift_id) : null;
  const visit = sheet?.visits.find((v) => v.id === visitId);
  if (!sheet || !visit) throw AppError.keyed('not_found', { key: 'visit_not_found' });
  const as = sheet.postalStaffId === staff.id ? ('postal' as const) : sheet.examinerStaffId === staff.id ? ('examiner' as const) : null;
  if (as === null && (staff.role === 'examiner' || staff.role === 'postal')) throw AppError.keyed('forbidden', { key: 'crew_own_stops' });
  return { date: sheet.date, shiftId: sheet.shiftId, startsAt: sheet.startsAt, endsAt: sheet.endsAt, as, crew: crewOf(sheet), visit: myVisitView(deps.config.PUBLIC_BASE_URL, visit) };
}
export type CrewStop = Awaited<ReturnType<typeof crewStop>>;
