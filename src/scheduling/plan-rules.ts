/**
 * The visit planner's rules (issue 4), pure: which confirmed drivers can be visited on a date
 * and how urgently, where the stops are, which shifts may serve whom; then the vehicle-routing
 * problem handed to the engine (src/scheduling/vrptw) and the plan read back from its solution.
 */
import type { MessageKey } from '../i18n/messages.ts';
import type { CaseCategory } from '../screening/case.ts';
import { addMonths, daysBetween } from '../shared/civil-date.ts';
import { haversineKm, type Point, type TravelTable } from './geo.ts';
import type { Job, Problem, Solution, UnassignedReason, Vehicle } from './vrptw/types.ts';

export interface PlanCase {
  id: string;
  category: CaseCategory;
  opensOn: string;
  dueOn: string;
  lapsesOn: string | null;
  needsCognitiveTest: boolean;
}

/** A confirmed driver without a visit. */
export interface PlanDriver {
  fileNumber: string;
  conversationId: string | null;
  community: string | null;
  address: string;
  point: Point | null;
  partOfDay: 'am' | 'pm' | null;
  /** The driver asked for this date (`3 12月3日`): not planned before it. */
  rescheduleOn: string | null;
  cases: PlanCase[];
}

/** A visit that keeps its shift: pinned by the dispatcher, or booked (the driver was told when). */
export interface FixedVisit {
  visitId: string;
  fileNumber: string;
  conversationId: string | null;
  shiftId: string;
  stopKey: string;
  stopLabel: string;
  point: Point;
  serviceMinutes: number;
  caseIds: string[];
  needsCognitiveTest: boolean;
  partOfDay: 'am' | 'pm' | null;
  /** The window the driver was told (booked, confirmed): the checkup must start inside it. */
  promised: { start: string; end: string } | null;
  /** The planned start (HH:MM), when known: on a plan for today it tells what the crew has behind it. */
  startsAt?: string | undefined;
  /** The crew set out for it or is at the door (en route, arrived): left where it is, counted as under way. */
  underway?: boolean | undefined;
}

export interface PlanShift {
  id: string;
  startsAt: string;
  endsAt: string;
  start: Point;
  end: Point;
  areaCommunities: string[] | null;
  area: { lat: number; lng: number; radiusKm: number } | null;
  capacity: number;
}

export interface PlanSettings {
  /** A checkup (issue 4: about ten minutes). */
  serviceMinutes: number;
  /** Added when a 三力测试 is due (RULES.md §3, Art 73 para 3). */
  cognitiveExtraMinutes: number;
  /** Width of the window the driver is told. */
  windowMinutes: number;
  /** 上午 visits end by this time; 下午 visits start from this one. */
  morningEnds: string;
  afternoonStarts: string;
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = {
  serviceMinutes: 10,
  cognitiveExtraMinutes: 5,
  windowMinutes: 60,
  morningEnds: '12:00',
  afternoonStarts: '13:00',
};

/** Why a driver is not planned: the code the API returns, and the catalogue key of its words (zh-CN, English). */
export const UNPLANNED_REASONS = {
  no_visit_needed: 'unplanned_no_visit_needed',
  no_location: 'unplanned_no_location',
  asked_for_later_date: 'unplanned_asked_for_later_date',
  too_early: 'unplanned_too_early',
  lapsed: 'unplanned_lapsed',
  no_shift_in_area: 'unplanned_no_shift_in_area',
  outside_shift_hours: 'unplanned_outside_shift_hours',
  shifts_full: 'unplanned_shifts_full',
  fixed_infeasible: 'unplanned_fixed_infeasible',
  day_too_short: 'unplanned_day_too_short',
  window_begun: 'unplanned_window_begun',
} as const satisfies Record<string, MessageKey>;
export type UnplannedReason = keyof typeof UNPLANNED_REASONS;

export interface Unplanned {
  fileNumber: string;
  reason: UnplannedReason;
}

// ---------------------------------------------------------------------------------------------
// Times of day

export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export function hhmm(minutes: number): string {
  const m = Math.max(0, Math.min(24 * 60 - 1, Math.round(minutes)));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Who can be visited on the date, and how urgently

/**
 * RULES.md §5: a visit serves a case from the day a certificate issued then is still valid
 * (6 months, Art 85) when the case opens, until the case lapses. `cancellation_notice` needs no
 * visit.
 */
export function caseServedOn(c: PlanCase, date: string): 'yes' | 'too_early' | 'lapsed' {
  if (date <= addMonths(c.opensOn, -6)) return 'too_early';
  if (c.lapsesOn !== null && date >= c.lapsesOn) return 'lapsed';
  return 'yes';
}

/**
 * Weight of leaving a driver out (the engine keeps heavier drivers first): overdue cases and
 * cases about to lapse before the others (issue 4), then cases due soon.
 */
export function urgency(cases: readonly PlanCase[], date: string): number {
  let weight = 1;
  if (cases.some((c) => c.dueOn < date)) weight += 8;
  if (cases.some((c) => c.lapsesOn !== null && daysBetween(date, c.lapsesOn) <= 30)) weight += 16;
  if (cases.some((c) => c.dueOn >= date && daysBetween(date, c.dueOn) <= 14)) weight += 2;
  return weight;
}

export interface Candidate {
  fileNumber: string;
  conversationId: string | null;
  fixed: FixedVisit | null;
  stopKey: string;
  stopLabel: string;
  point: Point;
  location: number;
  serviceMinutes: number;
  caseIds: string[];
  needsCognitiveTest: boolean;
  partOfDay: 'am' | 'pm' | null;
  priority: number;
  community: string | null;
  allowedShifts: number[];
}

/** Where a shift's crew sets out from and when, and how many places it has left. */
export interface Crew {
  /** Location index: the shift's start point, or on a plan for today the stop of its last visit behind it. */
  start: number;
  earliest: number;
  capacity: number;
  /** Told visits behind the crew (their planned start is before now): left as they are. */
  passed: number;
}

export interface Layout {
  date: string;
  shifts: PlanShift[];
  /** Every location: each shift's start and end, then every stop. */
  points: Point[];
  candidates: Candidate[];
  unplanned: Unplanned[];
  /** Minutes since midnight of now when the plan is for today (the past is not offered), else null. */
  now: number | null;
  crews: Crew[];
  /** Told visits of today behind their crew: not re-planned, counted apart. */
  passed: FixedVisit[];
  /** Fixed visits whose shift is not among the open ones: reported, never silently dropped. */
  orphans: Unplanned[];
}

export interface LayoutOptions {
  /** Minutes since midnight (Asia/Shanghai) of now, when the date is today. */
  now?: number | null | undefined;
  /** Today's visits the crews have already closed (exam recorded, no-show...): where each crew has been, nothing more. */
  trail?: readonly TrailVisit[] | undefined;
}

/** A visit of today its crew has closed: only where and when, to tell where the crew is. */
export interface TrailVisit {
  shiftId: string;
  stopKey: string;
  point: Point;
  startsAt: string;
  serviceMinutes: number;
}

/** A told visit the crew has behind it on a plan for today. */
export function isPassed(f: FixedVisit, now: number | null): boolean {
  if (f.underway) return true;
  if (now === null || f.promised === null) return false;
  return minutesOf(f.startsAt ?? f.promised.start) < now;
}

/** The earliest start of a checkup whose window is still to be told: its window (the start rounded down to the half hour) must not begin before now. */
export function earliestToldStart(now: number): number {
  return Math.ceil(now / 30) * 30;
}

function crewsOf(
  shifts: readonly PlanShift[],
  passed: readonly FixedVisit[],
  trail: readonly TrailVisit[],
  now: number | null,
  locationOf: (key: string, p: Point) => number,
): Crew[] {
  const been: TrailVisit[] = [...trail, ...passed.map((f) => ({ shiftId: f.shiftId, stopKey: f.stopKey, point: f.point, startsAt: f.startsAt ?? f.promised!.start, serviceMinutes: f.serviceMinutes }))];
  return shifts.map((s, i) => {
    const behind = passed.filter((f) => f.shiftId === s.id).length;
    const mine = now === null ? [] : been.filter((v) => v.shiftId === s.id);
    const last = mine.reduce<TrailVisit | null>((a, v) => (a === null || minutesOf(v.startsAt) >= minutesOf(a.startsAt) ? v : a), null);
    const free = last ? minutesOf(last.startsAt) + last.serviceMinutes : 0;
    return {
      start: last ? locationOf(last.stopKey, last.point) : 2 * i,
      earliest: Math.max(minutesOf(s.startsAt), now ?? 0, free),
      // closed visits no longer take a place (the capacity trigger counts active ones only)
      capacity: Math.max(0, s.capacity - behind),
      // ... but keep theirs in the route order
      passed: mine.length,
    };
  });
}

function communityKey(community: string): string {
  return `c:${community}`;
}

function doorKey(p: Point): string {
  return `p:${p.lat.toFixed(5)},${p.lng.toFixed(5)}`;
}

/** Gate of each community: where a fixed visit already stops, else the mean of its drivers. */
function communityPoints(drivers: readonly PlanDriver[], fixed: readonly FixedVisit[]): Map<string, Point> {
  const sums = new Map<string, { lat: number; lng: number; n: number }>();
  for (const d of drivers) {
    if (!d.community || !d.point) continue;
    const s = sums.get(d.community) ?? { lat: 0, lng: 0, n: 0 };
    sums.set(d.community, { lat: s.lat + d.point.lat, lng: s.lng + d.point.lng, n: s.n + 1 });
  }
  const points = new Map<string, Point>([...sums].map(([k, s]) => [communityKey(k), { lat: s.lat / s.n, lng: s.lng / s.n }]));
  for (const f of fixed) if (f.stopKey.startsWith('c:')) points.set(f.stopKey, f.point);
  return points;
}

function allowedShifts(shifts: readonly PlanShift[], community: string | null, point: Point): number[] {
  const allowed: number[] = [];
  shifts.forEach((s, i) => {
    const unlimited = s.areaCommunities === null && s.area === null;
    const inList = community !== null && (s.areaCommunities?.includes(community) ?? false);
    const inCircle = s.area !== null && haversineKm(point, s.area) <= s.area.radiusKm;
    if (unlimited || inList || inCircle) allowed.push(i);
  });
  return allowed;
}

/**
 * Everything before the travel table: candidates with their stop, service time, urgency and
 * shifts; drivers that cannot be visited on the date with the reason.
 */
export function layoutPlan(
  date: string,
  shifts: readonly PlanShift[],
  drivers: readonly PlanDriver[],
  fixed: readonly FixedVisit[],
  settings: PlanSettings,
  options: LayoutOptions = {},
): Layout {
  const now = options.now ?? null;
  const points: Point[] = shifts.flatMap((s) => [s.start, s.end]);
  const stopIndex = new Map<string, number>();
  const locationOf = (key: string, p: Point) => {
    let at = stopIndex.get(key);
    if (at === undefined) {
      at = points.length;
      points.push(p);
      stopIndex.set(key, at);
    }
    return at;
  };
  const gates = communityPoints(drivers, fixed);
  const shiftIndex = new Map(shifts.map((s, i) => [s.id, i]));
  const candidates: Candidate[] = [];
  const unplanned: Unplanned[] = [];
  const orphans: Unplanned[] = [];
  const passed: FixedVisit[] = [];
  for (const f of fixed) {
    const shift = shiftIndex.get(f.shiftId);
    if (shift === undefined) {
      orphans.push({ fileNumber: f.fileNumber, reason: 'fixed_infeasible' });
      continue;
    }
    if (isPassed(f, now)) {
      passed.push(f);
      continue;
    }
    candidates.push({
      fileNumber: f.fileNumber,
      conversationId: f.conversationId,
      fixed: f,
      stopKey: f.stopKey,
      stopLabel: f.stopLabel,
      point: f.point,
      location: locationOf(f.stopKey, f.point),
      serviceMinutes: f.serviceMinutes,
      caseIds: f.caseIds,
      needsCognitiveTest: f.needsCognitiveTest,
      partOfDay: f.partOfDay,
      priority: 1000,
      community: f.stopKey.startsWith('c:') ? f.stopKey.slice(2) : null,
      allowedShifts: [shift],
    });
  }
  for (const d of drivers) {
    const placed = placeDriver(d, date, gates, settings);
    if ('reason' in placed) {
      unplanned.push({ fileNumber: d.fileNumber, reason: placed.reason });
      continue;
    }
    candidates.push({ ...placed, location: locationOf(placed.stopKey, placed.point), allowedShifts: allowedShifts(shifts, d.community, placed.point) });
  }
  const crews = crewsOf(shifts, passed, options.trail ?? [], now, locationOf);
  return { date, shifts: [...shifts], points, candidates, unplanned, now, crews, passed, orphans };
}

function placeDriver(
  d: PlanDriver,
  date: string,
  gates: Map<string, Point>,
  settings: PlanSettings,
): Omit<Candidate, 'location' | 'allowedShifts'> | { reason: UnplannedReason } {
  if (d.rescheduleOn !== null && d.rescheduleOn > date) return { reason: 'asked_for_later_date' };
  const visitCases = d.cases.filter((c) => c.category !== 'cancellation_notice');
  if (visitCases.length === 0) return { reason: 'no_visit_needed' };
  const served = visitCases.filter((c) => caseServedOn(c, date) === 'yes');
  if (served.length === 0) return { reason: visitCases.some((c) => caseServedOn(c, date) === 'too_early') ? 'too_early' : 'lapsed' };
  const gate = d.community ? gates.get(communityKey(d.community)) : undefined;
  const point = gate ?? d.point;
  if (!point) return { reason: 'no_location' };
  const needsCognitiveTest = served.some((c) => c.needsCognitiveTest);
  return {
    fileNumber: d.fileNumber,
    conversationId: d.conversationId,
    fixed: null,
    stopKey: gate && d.community ? communityKey(d.community) : doorKey(point),
    stopLabel: gate && d.community ? d.community : d.address,
    point,
    serviceMinutes: settings.serviceMinutes + (needsCognitiveTest ? settings.cognitiveExtraMinutes : 0),
    caseIds: served.map((c) => c.id),
    needsCognitiveTest,
    partOfDay: d.partOfDay,
    priority: urgency(served, date),
    community: d.community,
  };
}

// ---------------------------------------------------------------------------------------------
// To the engine and back

/**
 * When the checkup may start: the promised window, else the driver's 上午/下午 preference; on a
 * plan for today a window still to be told starts no earlier than the next half hour.
 */
function startWindow(c: Candidate, settings: PlanSettings, now: number | null): { earliest: number; latest: number } {
  if (c.fixed?.promised) return { earliest: minutesOf(c.fixed.promised.start), latest: minutesOf(c.fixed.promised.end) };
  const floor = now === null ? 0 : earliestToldStart(now);
  if (c.partOfDay === 'am') return { earliest: floor, latest: minutesOf(settings.morningEnds) - c.serviceMinutes };
  if (c.partOfDay === 'pm') return { earliest: Math.max(floor, minutesOf(settings.afternoonStarts)), latest: 24 * 60 };
  return { earliest: floor, latest: 24 * 60 };
}

/** Minutes since midnight of the plan date; distance in km, travel in minutes. */
export function toProblem(layout: Layout, table: TravelTable, settings: PlanSettings): Problem {
  const jobs: Job[] = layout.candidates.map((c) => ({
    id: c.fileNumber,
    location: c.location,
    service: c.serviceMinutes,
    ...startWindow(c, settings, layout.now),
    demand: 1,
    priority: c.priority,
    allowedVehicles: c.allowedShifts,
    pinned: c.fixed !== null,
  }));
  const vehicles: Vehicle[] = layout.shifts.map((s, i) => {
    const crew = layout.crews[i];
    return {
      id: s.id,
      start: crew?.start ?? 2 * i,
      end: 2 * i + 1,
      earliest: crew?.earliest ?? minutesOf(s.startsAt),
      latest: minutesOf(s.endsAt),
      capacity: crew?.capacity ?? s.capacity,
    };
  });
  return { matrices: { size: table.size, distance: table.km, travel: table.minutes }, jobs, vehicles };
}

export interface PlannedVisit {
  candidate: Candidate;
  seq: number;
  startsAt: string;
  windowStart: string;
  windowEnd: string;
}

export interface PlannedRoute {
  shiftId: string;
  visits: PlannedVisit[];
  km: number;
  departAt: string;
  returnAt: string;
}

export interface Plan {
  routes: PlannedRoute[];
  unplanned: Unplanned[];
  /** Pinned or booked visits the engine could not keep (left unchanged, reported). */
  conflicts: Unplanned[];
  /** Told visits of today behind their crew (left as they are). */
  underway: number;
}

/** The same day with the whole of every shift ahead: what a plan made before the shifts began could do. */
function wholeDay(layout: Layout): Layout {
  return { ...layout, now: null, crews: layout.shifts.map((s, i) => ({ start: 2 * i, earliest: minutesOf(s.startsAt), capacity: s.capacity, passed: 0 })) };
}

/** Whether some allowed vehicle serves job `j` on a route of its own, in time. */
function servesAloneIn(problem: Problem, j: number): boolean {
  const job = problem.jobs[j]!;
  const { size, travel } = problem.matrices;
  return problem.vehicles.some((v, i) => {
    if (job.allowedVehicles && !job.allowedVehicles.includes(i)) return false;
    const start = Math.max(v.earliest + travel[v.start * size + job.location]!, job.earliest);
    return start <= job.latest && start + job.service + travel[job.location * size + v.end]! <= v.latest;
  });
}

const ENGINE_REASON: Record<UnassignedReason, UnplannedReason> = {
  no_vehicle: 'no_shift_in_area',
  time_window: 'outside_shift_hours',
  capacity: 'shifts_full',
  no_room: 'shifts_full',
};

/** The window told to the driver: the planned start rounded down to the half hour, `windowMinutes` wide. */
export function toldWindow(start: number, settings: PlanSettings): { start: string; end: string } {
  const from = Math.floor(start / 30) * 30;
  return { start: hhmm(from), end: hhmm(from + settings.windowMinutes) };
}

/**
 * The engine's solution as visits to book. `table` lets a plan for today tell `day_too_short`
 * (the driver would have fitted the whole day) from `outside_shift_hours`.
 */
export function readPlan(layout: Layout, solution: Solution, settings: PlanSettings, table?: TravelTable): Plan {
  const routes: PlannedRoute[] = solution.routes.map((r) => {
    // told visits behind the crew keep the first places of the route
    const offset = layout.crews[r.vehicle]?.passed ?? 0;
    return {
      shiftId: layout.shifts[r.vehicle]!.id,
      km: r.distance,
      departAt: hhmm(r.departure),
      returnAt: hhmm(r.returnAt),
      visits: r.visits.map((v, k) => {
        const candidate = layout.candidates[v.job]!;
        const window = candidate.fixed?.promised ?? toldWindow(v.start, settings);
        return { candidate, seq: offset + k + 1, startsAt: hhmm(v.start), windowStart: window.start, windowEnd: window.end };
      }),
    };
  });
  const unplanned = [...layout.unplanned];
  const conflicts: Unplanned[] = [...layout.orphans];
  const whole = layout.now !== null && table ? toProblem(wholeDay(layout), table, settings) : null;
  for (const u of solution.unassigned) {
    const c = layout.candidates[u.job]!;
    if (c.fixed) conflicts.push({ fileNumber: c.fileNumber, reason: 'fixed_infeasible' });
    else if (u.reason === 'time_window' && whole && servesAloneIn(whole, u.job)) unplanned.push({ fileNumber: c.fileNumber, reason: 'day_too_short' });
    else unplanned.push({ fileNumber: c.fileNumber, reason: ENGINE_REASON[u.reason] });
  }
  return { routes, unplanned, conflicts, underway: layout.passed.length };
}
