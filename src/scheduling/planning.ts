import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import type { CompiledQuery } from 'kysely';
import type { ShiftRow } from '../db/schema/scheduling.ts';
import { AppError, fieldIssue, validationError } from '../errors.ts';
import type { Locale } from '../i18n/locale.ts';
import { render, type MessageKey } from '../i18n/messages.ts';
import type { AppDeps } from '../http/env.ts';
import { addDays } from '../shared/civil-date.ts';
import { instantAt, todayIn, ZONE } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { haversineSource, type Point, type TravelSource, type TravelTable } from './geo.ts';
import { osrmSource, TravelSourceError } from './osrm.ts';
import {
  DEFAULT_PLAN_SETTINGS,
  layoutPlan,
  minutesOf,
  readPlan,
  toProblem,
  type FixedVisit,
  type Plan,
  type PlanDriver,
  type PlannedVisit,
  type PlanSettings,
  type TrailVisit,
  type Unplanned,
  UNPLANNED_REASONS,
} from './plan-rules.ts';
import { runDueVisitNotices } from './notices.ts';
import { fixedVisit, fixedVisitsOn, openShiftsOn, planShift, poolOn } from './repository.ts';
import { ACTIVE_STATES, FINISHED_STATES, nextVisitState, rowState, statesAllowing, statesWhere, TOLD_STATES } from './visit-lifecycle.ts';
import { solve } from './vrptw/solve.ts';

/**
 * The dispatcher's plan for a date (issue 4): preview (a draft of `planned` visits, re-made
 * around pinned and booked ones), then commit (booked, the drivers are told).
 */
export type PlannerDeps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger'>;

export function planSettings(config: AppDeps['config']): PlanSettings {
  return {
    ...DEFAULT_PLAN_SETTINGS,
    serviceMinutes: config.PLANNER_SERVICE_MINUTES,
    cognitiveExtraMinutes: config.PLANNER_COGNITIVE_EXTRA_MINUTES,
    windowMinutes: config.PLANNER_WINDOW_MINUTES,
  };
}

export type TravelModel = 'haversine' | 'osrm' | 'haversine (OSRM failed)';

/** Road times from OSRM when configured; if it fails, the straight-line model (and say so). */
async function travelTable(deps: PlannerDeps, points: readonly Point[]): Promise<{ table: TravelTable; model: TravelModel }> {
  const haversine: TravelSource = haversineSource({ detourFactor: deps.config.PLANNER_DETOUR_FACTOR, speedKmh: deps.config.PLANNER_SPEED_KMH });
  if (!deps.config.OSRM_URL) return { table: await haversine(points), model: 'haversine' };
  try {
    return { table: await osrmSource(deps.config.OSRM_URL, { timeoutMs: 10_000 })(points), model: 'osrm' };
  } catch (err) {
    if (!(err instanceof TravelSourceError)) throw err;
    deps.logger.warn('OSRM unavailable: planning with straight-line travel times', { error: err.message });
    return { table: await haversine(points), model: 'haversine (OSRM failed)' };
  }
}

export interface SolveChoice {
  seed?: number | undefined;
  maxIterations?: number | undefined;
  timeBudgetMs?: number | undefined;
  /** The search's progress, 0-1 (the CLI's bar; see SolveOptions.onProgress). */
  onProgress?: ((share: number) => void) | undefined;
}

export interface ComputedPlan {
  plan: Plan;
  travel: TravelModel;
  iterations: number;
  elapsedMs: number;
  seed: number;
}

/**
 * Minutes since midnight (Asia/Shanghai, rounded up to the minute) of now when `date` is today,
 * the end of the day when it has passed, null for a later date: nothing before it is offered.
 */
export function planNow(now: Date, date: string): number | null {
  const today = todayIn(now);
  if (date > today) return null;
  if (date < today) return 24 * 60;
  const t = new TZDate(now, ZONE);
  return minutesOf(format(t, 'HH:mm')) + (t.getSeconds() > 0 || t.getMilliseconds() > 0 ? 1 : 0);
}

/** A plan for a date before today is refused (the crew cannot go back in time). */
export function refusePast(deps: Pick<PlannerDeps, 'clock'>, date: string): void {
  if (date < todayIn(deps.clock.now())) throw validationError([fieldIssue('date', 'in_the_past', { key: 'today_or_later' })]);
}

/** Whether the told window of a visit on `date` has begun at `now` (its start is before now). */
export function windowBegun(date: string, windowStart: string, now: Date): boolean {
  return instantAt(date, windowStart).getTime() < now.getTime();
}

/** Today's visits the crews have closed (neither active nor cancelled): where each crew has been. */
async function trailOf(deps: PlannerDeps, shifts: readonly ShiftRow[]): Promise<TrailVisit[]> {
  if (shifts.length === 0) return [];
  const rows = await deps.db
    .selectFrom('visits')
    .select(['shift_id', 'stop_key', 'lat', 'lng', 'starts_at', 'service_minutes'])
    .where('shift_id', 'in', shifts.map((s) => s.id))
    .where('status', 'in', FINISHED_STATES)
    .execute();
  return rows.map((r) => ({ shiftId: r.shift_id, stopKey: r.stop_key, point: { lat: r.lat, lng: r.lng }, startsAt: r.starts_at, serviceMinutes: r.service_minutes }));
}

export async function computePlan(
  deps: PlannerDeps,
  date: string,
  shifts: readonly ShiftRow[],
  drivers: readonly PlanDriver[],
  fixed: readonly FixedVisit[],
  choice: SolveChoice,
): Promise<ComputedPlan> {
  const settings = planSettings(deps.config);
  const now = planNow(deps.clock.now(), date);
  const layout = layoutPlan(date, shifts.map(planShift), drivers, fixed, settings, { now, trail: now === null ? [] : await trailOf(deps, shifts) });
  const { table, model } = await travelTable(deps, layout.points);
  const seed = choice.seed ?? deps.config.PLANNER_SEED;
  const solution = solve(toProblem(layout, table, settings), {
    seed,
    timeLimitMs: choice.timeBudgetMs ?? deps.config.PLANNER_TIME_BUDGET_MS,
    ...(choice.maxIterations !== undefined ? { maxIterations: choice.maxIterations } : {}),
    ...(choice.onProgress ? { onProgress: choice.onProgress } : {}),
  });
  return { plan: readPlan(layout, solution, settings, table), travel: model, iterations: solution.iterations, elapsedMs: solution.elapsedMs, seed };
}

/** Times and order of a visit that exists; its told window stays unless it is still a draft. */
export function visitUpdate(deps: PlannerDeps, v: PlannedVisit, shiftId: string, at: string, draft: boolean): CompiledQuery {
  return deps.db
    .updateTable('visits')
    .set({
      shift_id: shiftId,
      seq: v.seq,
      starts_at: v.startsAt,
      ...(draft ? { window_start: v.windowStart, window_end: v.windowEnd } : {}),
      updated_at: at,
    })
    .where('id', '=', v.candidate.fixed!.visitId)
    .compile();
}

export function visitInsert(deps: PlannerDeps, v: PlannedVisit, shiftId: string, date: string, at: string): CompiledQuery {
  const c = v.candidate;
  return deps.db
    .insertInto('visits')
    .values({
      id: deps.ids.next(),
      file_number: c.fileNumber,
      conversation_id: c.conversationId,
      shift_id: shiftId,
      date,
      status: 'planned',
      seq: v.seq,
      starts_at: v.startsAt,
      service_minutes: c.serviceMinutes,
      window_start: v.windowStart,
      window_end: v.windowEnd,
      stop_key: c.stopKey,
      stop_label: c.stopLabel,
      lat: c.point.lat,
      lng: c.point.lng,
      part_of_day: c.partOfDay,
      cases: JSON.stringify(c.caseIds),
      needs_cognitive_test: c.needsCognitiveTest ? 1 : 0,
      created_at: at,
      updated_at: at,
    })
    .compile();
}

/** Writes a computed plan's routes: updates for visits that exist, inserts for new drafts. */
export function routeWrites(deps: PlannerDeps, plan: Plan, date: string, at: string, drafts: ReadonlySet<string>): CompiledQuery[] {
  return plan.routes.flatMap((r) =>
    r.visits.map((v) => (v.candidate.fixed ? visitUpdate(deps, v, r.shiftId, at, drafts.has(v.candidate.fixed.visitId)) : visitInsert(deps, v, r.shiftId, date, at))),
  );
}

export interface PlanRunSummary {
  runId: string;
  date: string;
  seed: number;
  iterations: number;
  elapsedMs: number;
  travel: TravelModel;
  /** Drivers considered = planned + unplanned + conflicts + underway. */
  considered: number;
  planned: number;
  unplanned: Unplanned[];
  conflicts: Unplanned[];
  /** Told visits of today behind their crew (their planned start has passed): left as they are. */
  underway: number;
  km: number;
}

/** Conflicts from a racing writer (a driver booked meanwhile, a shift filled) become a 409. */
/** What was not done, as a catalogue key (src/i18n/messages.ts `what_*`). */
export type ConflictWhat = Extract<MessageKey, `what_${string}`>;

export async function atomicOrConflict(deps: PlannerDeps, queries: CompiledQuery[], whatKey: ConflictWhat): Promise<void> {
  try {
    await deps.atomic(queries);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const what = { key: whatKey } as const;
    if (/shift_full/.test(message)) throw AppError.keyed('conflict', { key: 'conflict_shift_full', params: { what } });
    if (/shift_overlap/.test(message)) throw AppError.keyed('conflict', { key: 'conflict_shift_overlap', params: { what } });
    if (/shift_closed/.test(message)) throw AppError.keyed('conflict', { key: 'conflict_shift_closed', params: { what } });
    if (/UNIQUE constraint failed: visits\.file_number/.test(message)) throw AppError.keyed('conflict', { key: 'conflict_driver_taken', params: { what } });
    throw err;
  }
}

export async function previewPlan(deps: PlannerDeps, date: string, choice: SolveChoice & { staffId: string | null }): Promise<PlanRunSummary> {
  refusePast(deps, date);
  const shifts = await openShiftsOn(deps.db, date);
  if (shifts.length === 0) throw AppError.keyed('conflict', { key: 'no_open_shift', params: { date } });
  const [drivers, fixedRows] = await Promise.all([poolOn(deps.db, date), fixedVisitsOn(deps.db, date)]);
  const drafts = new Set(fixedRows.filter((v) => v.status === 'planned').map((v) => v.id));
  const fixed = fixedRows.map((v) => ({ ...fixedVisit(v, { keepPromise: true }), startsAt: v.starts_at }));
  const computed = await computePlan(deps, date, shifts, drivers, fixed, choice);
  const { plan } = computed;
  const at = deps.clock.now().toISOString();
  const runId = deps.ids.next();
  const planned = plan.routes.reduce((n, r) => n + r.visits.length, 0);
  const km = Math.round(plan.routes.reduce((n, r) => n + r.km, 0) * 10) / 10;
  const considered = drivers.length + fixed.length;
  await atomicOrConflict(
    deps,
    [
      // the life cycle's `replan`: unpinned drafts are dropped and re-made; told visits stay
      deps.db.deleteFrom('visits').where('date', '=', date).where('status', 'in', statesWhere('replan', 'deleted')).where('pinned', '=', 0).compile(),
      ...routeWrites(deps, plan, date, at, drafts),
      deps.db
        .insertInto('plan_runs')
        .values({
          id: runId,
          date,
          staff_id: choice.staffId,
          created_at: at,
          seed: computed.seed,
          elapsed_ms: Math.round(computed.elapsedMs),
          iterations: computed.iterations,
          unassigned: JSON.stringify([...plan.unplanned, ...plan.conflicts]),
          figures: JSON.stringify({
            considered,
            planned,
            unplanned: plan.unplanned.length,
            conflicts: plan.conflicts.length,
            underway: plan.underway,
            km,
            travel: computed.travel,
          }),
        })
        .compile(),
    ],
    'what_plan_changed',
  );
  deps.logger.info('plan previewed', { date, planned, unplanned: plan.unplanned.length, ms: Math.round(computed.elapsedMs) });
  return {
    runId,
    date,
    seed: computed.seed,
    iterations: computed.iterations,
    elapsedMs: Math.round(computed.elapsedMs),
    travel: computed.travel,
    considered,
    planned,
    unplanned: plan.unplanned,
    conflicts: plan.conflicts,
    underway: plan.underway,
    km,
  };
}

/** The day-before reminder's due time (VISIT_REMINDER_AT, Asia/Shanghai). */
export function reminderDue(deps: Pick<PlannerDeps, 'config'>, date: string): string {
  return instantAt(addDays(date, -1), deps.config.VISIT_REMINDER_AT).toISOString();
}

/** A notice of a visit's current revision, inserted from its row (nothing if it is not booked). */
export function noticeInsert(deps: PlannerDeps, visitId: string, kind: 'appointment' | 'reminder' | 'cancelled', dueAt: string, at: string): CompiledQuery {
  return deps.db
    .insertInto('visit_notices')
    .columns(['id', 'visit_id', 'kind', 'revision', 'due_at', 'status', 'created_at', 'updated_at'])
    .expression((eb) =>
      eb
        .selectFrom('visits')
        .select([
          eb.val(deps.ids.next()).as('id'),
          'id as visit_id',
          eb.val(kind).as('kind'),
          'revision',
          eb.val(dueAt).as('due_at'),
          eb.val('pending').as('status'),
          eb.val(at).as('created_at'),
          eb.val(at).as('updated_at'),
        ])
        .where('id', '=', visitId)
        .where('status', 'in', kind === 'cancelled' ? ['cancelled'] : TOLD_STATES),
    )
    .onConflict((oc) => oc.columns(['visit_id', 'kind', 'revision']).doNothing())
    .compile();
}

/** The appointment now and the reminder the day before, for a visit just booked or moved. */
export function bookingNotices(deps: PlannerDeps, visitId: string, date: string, at: string): CompiledQuery[] {
  return [noticeInsert(deps, visitId, 'appointment', at, at), noticeInsert(deps, visitId, 'reminder', reminderDue(deps, date), at)];
}

/**
 * What a commit did. Every figure adds up: considered = booked + unchanged + leftOut.length, and
 * appointments.sent + deferred + sending + skipped + failed = booked (one appointment per visit
 * booked now, read back after the first send).
 */
export interface CommitSummary {
  date: string;
  /** Visits of the date that could be told: the drafts, and the visits booked before. */
  considered: number;
  booked: number;
  /** Booked before this commit: left as they were (a commit never moves a told visit). */
  unchanged: number;
  /** Drafts not booked, with the reason (their window began before the commit): they stay drafts. */
  leftOut: Unplanned[];
  bookedIds: string[];
}

export interface AppointmentFigures {
  sent: number;
  /** Still waiting (outside the sending hours, over the rate): the outbox sends them later. */
  deferred: number;
  /** Handed to the provider, its answer not recorded yet. */
  sending: number;
  skipped: number;
  failed: number;
}

export async function commitPlan(deps: PlannerDeps, date: string, staffId: string | null): Promise<CommitSummary> {
  refusePast(deps, date);
  const visits = await deps.db
    .selectFrom('visits')
    .select(['id', 'file_number', 'status', 'window_start'])
    .where('date', '=', date)
    .where('status', 'in', ACTIVE_STATES)
    .orderBy('id')
    .execute();
  const drafts = visits.filter((v) => v.status === 'planned');
  if (drafts.length === 0) throw AppError.keyed('conflict', { key: 'nothing_to_commit', params: { date } });
  const now = deps.clock.now();
  const at = now.toISOString();
  // Checked again now: a plan previewed in the morning may be committed after its first windows began.
  const late = drafts.filter((d) => windowBegun(date, d.window_start, now));
  const ids = drafts.filter((d) => !windowBegun(date, d.window_start, now)).map((d) => d.id);
  const queries: CompiledQuery[] = [];
  // Chunks keep every statement under SQLite's bound-parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    queries.push(
      deps.db
        .updateTable('visits')
        .set((eb) => ({ status: rowState(nextVisitState('planned', 'book')), revision: eb('revision', '+', 1), booked_at: at, updated_at: at }))
        .where('id', 'in', chunk)
        .where('status', 'in', statesAllowing('book'))
        .compile(),
    );
    for (const id of chunk) queries.push(...bookingNotices(deps, id, date, at));
  }
  const summary: CommitSummary = {
    date,
    considered: visits.length,
    booked: ids.length,
    unchanged: visits.length - drafts.length,
    leftOut: late.map((d) => ({ fileNumber: d.file_number, reason: 'window_begun' })),
    bookedIds: ids,
  };
  queries.push(auditEntry(deps, { staffId, action: 'plan.commit', subject: date, details: { booked: ids.length, leftOut: late.length } }));
  await atomicOrConflict(deps, queries, 'what_commit');
  deps.logger.info('plan committed', { date, booked: ids.length, leftOut: late.length });
  return summary;
}

/** Where each appointment of the visits just booked stands (one per visit, its current revision). */
export async function appointmentFigures(deps: Pick<PlannerDeps, 'db'>, visitIds: readonly string[]): Promise<AppointmentFigures> {
  const figures: AppointmentFigures = { sent: 0, deferred: 0, sending: 0, skipped: 0, failed: 0 };
  for (let i = 0; i < visitIds.length; i += 500) {
    const rows = await deps.db
      .selectFrom('visit_notices as n')
      .innerJoin('visits as v', (j) => j.onRef('v.id', '=', 'n.visit_id').onRef('v.revision', '=', 'n.revision'))
      .select('n.status')
      .where('n.kind', '=', 'appointment')
      .where('n.visit_id', 'in', visitIds.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      if (r.status === 'done') figures.sent++;
      else if (r.status === 'pending') figures.deferred++;
      else if (r.status === 'sending') figures.sending++;
      else if (r.status === 'skipped') figures.skipped++;
      else figures.failed++;
    }
  }
  return figures;
}

export interface CommitResult extends Omit<CommitSummary, 'bookedIds'> {
  appointments: AppointmentFigures;
  /** Every due visit notice the send after the commit handled (reminders and other dates too). */
  notices: { sent: number; skipped: number; deferred: number; failed: number };
}

/** Commit, send the appointments now (inside the sending hours and the rate), and say where each stands. */
export async function commitAndSend(deps: PlannerDeps & Pick<AppDeps, 'telephony'>, date: string, staffId: string | null): Promise<CommitResult> {
  const { bookedIds, ...summary } = await commitPlan(deps, date, staffId);
  const tick = await runDueVisitNotices(deps, deps.config.OUTREACH_RATE_PER_MINUTE);
  return {
    ...summary,
    appointments: await appointmentFigures(deps, bookedIds),
    notices: { sent: tick.sent, skipped: tick.skipped, deferred: tick.deferred, failed: tick.failed },
  };
}

// What the CLI prints about plans, in the operator's language (issue 14); the figures as sums.
const reasonLine = (locale: Locale) => (u: Unplanned) => `  ${u.fileNumber}  ${u.reason}  ${render(locale, UNPLANNED_REASONS[u.reason])}`;

/** What `plan preview` prints: the figures as a sum, then each driver left out with the reason. */
export function previewLines(r: PlanRunSummary, locale: Locale = 'en'): string[] {
  return [
    render(locale, 'plan_preview_summary', {
      considered: r.considered,
      planned: r.planned,
      unplanned: r.unplanned.length,
      conflicts: r.conflicts.length,
      underway: r.underway,
      km: r.km,
      travel: r.travel,
      ms: r.elapsedMs,
    }),
    ...r.unplanned.map(reasonLine(locale)),
    ...r.conflicts.map(reasonLine(locale)),
  ];
}

/** What `plan commit` prints: both sums, then each draft left out with the reason. */
export function commitLines(r: CommitResult, locale: Locale = 'en'): string[] {
  const a = r.appointments;
  return [
    render(locale, 'plan_commit_summary', { considered: r.considered, booked: r.booked, unchanged: r.unchanged, leftOut: r.leftOut.length }),
    ...r.leftOut.map(reasonLine(locale)),
    render(locale, 'plan_commit_sms', { booked: r.booked, sent: a.sent, deferred: a.deferred, sending: a.sending, skipped: a.skipped, failed: a.failed }),
  ];
}

/** What `plan show` prints first: the latest preview's figures as a sum (runs stored before them: planned only). */
export async function latestRunLines(deps: Pick<PlannerDeps, 'db'>, date: string, locale: Locale = 'en'): Promise<string[]> {
  const run = await deps.db.selectFrom('plan_runs').select(['created_at', 'figures', 'unassigned']).where('date', '=', date).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (!run) return [render(locale, 'plan_latest_none', { date })];
  const f = JSON.parse(run.figures) as { considered?: number; planned: number; unplanned?: number; conflicts?: number; underway?: number; km: number };
  const out = (JSON.parse(run.unassigned) as Unplanned[]).length;
  if (f.considered === undefined) return [render(locale, 'plan_latest_old', { at: run.created_at, planned: f.planned, out, km: f.km })];
  return [
    render(locale, 'plan_latest', {
      at: run.created_at,
      considered: f.considered,
      planned: f.planned,
      unplanned: f.unplanned ?? 0,
      conflicts: f.conflicts ?? 0,
      underway: f.underway ?? 0,
      km: f.km,
    }),
  ];
}
