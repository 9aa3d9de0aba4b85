/**
 * The dashboard's figures for a period (issue 15, 工作台): pure, rows in, figures out. The
 * repository (./repository.ts) reads the rows; the API and the page show the same figures.
 * Definitions: README "Documented choices" and the route's description.
 */
import type { CivilDate } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { percentile, PROMISE_MINUTES } from '../submissions/figures.ts';

export { PROMISE_MINUTES };

/** The funnel's steps in order. A driver counts at every step up to the furthest one reached. */
export const FUNNEL_STEPS = ['screened', 'due', 'notified', 'confirmed', 'booked', 'visited', 'passed', 'filed', 'accepted'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** The office's words for each step (zh-CN first: the page and the chart use these). */
export const STEP_LABELS: Record<FunnelStep, string> = {
  screened: '已筛查',
  due: '应办理',
  notified: '已通知',
  confirmed: '已确认',
  booked: '已预约',
  visited: '已上门体检',
  passed: '体检合格',
  filed: '已报送 12123',
  accepted: '12123 已受理',
};

/** Steps after `due`: the furthest one a driver of the period's cohort reached (repository). */
export type ReachedStep = Exclude<FunnelStep, 'screened'>;

export interface DashboardRows {
  /** Licences the period's largest completed screening run looked at. */
  screened: number;
  /** Drivers with a case first flagged in the period, by the furthest step each reached. */
  furthest: ReadonlyArray<{ step: ReachedStep; drivers: number }>;
  optOuts: number;
  noShows: number;
  unreachable: number;
  /** One row per crew-day (a crew on a date) that went out: visits with an exam recorded. */
  crewDays: ReadonlyArray<{ examsRecorded: number }>;
  /** Submissions accepted by 12123 in the period. */
  accepted: ReadonlyArray<{ examStartedAt: string; acceptedAt: string; notBefore: CivilDate }>;
  /** Open overdue cases per community (null: none recorded), most first, already cut to the top N. */
  overdueTop: ReadonlyArray<{ community: string | null; cases: number }>;
  overdueTotal: number;
}

export interface FunnelFigure {
  step: FunnelStep;
  label: string;
  count: number;
  /** count / the previous step's count, null for the first step or when that is 0. */
  rateFromPrevious: number | null;
  /** count / `due`, null for `screened` or when `due` is 0. */
  rateFromDue: number | null;
}

export interface DashboardFigures {
  from: CivilDate;
  to: CivilDate;
  funnel: FunnelFigure[];
  optOuts: number;
  noShows: number;
  unreachable: number;
  visitsPerCrewDay: { visits: number; crewDays: number; perCrewDay: number | null };
  examToAcceptance: {
    promiseMinutes: number;
    accepted: number;
    /** Accepted submissions that could be filed at once: the ones measured. */
    measured: number;
    /** Accepted after waiting for their case to open (the law's wait, not the queue's): not measured. */
    waitedForOpening: number;
    medianMinutes: number | null;
    p90Minutes: number | null;
    withinPromise: number;
    withinPromiseShare: number | null;
  };
  overdueByCommunity: { total: number; top: Array<{ community: string | null; cases: number }>; others: number };
}

/** A share rounded to 4 decimals (0.1234 = 12.34%), null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

const toMinutes = (ms: number) => Math.round(ms / 6000) / 10;

export function funnel(screened: number, furthest: DashboardRows['furthest']): FunnelFigure[] {
  const reached = FUNNEL_STEPS.slice(1) as ReachedStep[];
  // Drivers who got at least as far as step i: the sum over steps i and after.
  const counts = reached.map((_, i) => furthest.filter((f) => reached.indexOf(f.step) >= i).reduce((n, f) => n + f.drivers, 0));
  const due = counts[0] ?? 0;
  const all = [screened, ...counts];
  return FUNNEL_STEPS.map((step, i) => ({
    step,
    label: STEP_LABELS[step],
    count: all[i]!,
    rateFromPrevious: i === 0 ? null : rate(all[i]!, all[i - 1]!),
    rateFromDue: i === 0 ? null : rate(all[i]!, due),
  }));
}

/** Exam start -> 12123 acceptance, nearest-rank percentiles as /api/submissions/figures. */
export function examToAcceptance(accepted: DashboardRows['accepted']): DashboardFigures['examToAcceptance'] {
  const durations: number[] = [];
  let waited = 0;
  for (const s of accepted) {
    if (s.notBefore > todayIn(new Date(s.examStartedAt))) waited++;
    else durations.push(Date.parse(s.acceptedAt) - Date.parse(s.examStartedAt));
  }
  durations.sort((a, b) => a - b);
  const p = (q: number) => {
    const v = percentile(durations, q);
    return v === null ? null : toMinutes(v);
  };
  const within = durations.filter((ms) => ms < PROMISE_MINUTES * 60_000).length;
  return {
    promiseMinutes: PROMISE_MINUTES,
    accepted: accepted.length,
    measured: durations.length,
    waitedForOpening: waited,
    medianMinutes: p(0.5),
    p90Minutes: p(0.9),
    withinPromise: within,
    withinPromiseShare: rate(within, durations.length),
  };
}

export function dashboardFigures(from: CivilDate, to: CivilDate, rows: DashboardRows): DashboardFigures {
  const visits = rows.crewDays.reduce((n, d) => n + d.examsRecorded, 0);
  const crewDays = rows.crewDays.length;
  const topCases = rows.overdueTop.reduce((n, c) => n + c.cases, 0);
  return {
    from,
    to,
    funnel: funnel(rows.screened, rows.furthest),
    optOuts: rows.optOuts,
    noShows: rows.noShows,
    unreachable: rows.unreachable,
    visitsPerCrewDay: { visits, crewDays, perCrewDay: crewDays > 0 ? Math.round((visits / crewDays) * 100) / 100 : null },
    examToAcceptance: examToAcceptance(rows.accepted),
    overdueByCommunity: { total: rows.overdueTotal, top: rows.overdueTop.map((c) => ({ ...c })), others: rows.overdueTotal - topCases },
  };
}
