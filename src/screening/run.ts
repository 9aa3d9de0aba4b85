import type { CompiledQuery } from 'kysely';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { isGuardFailure, leaseLost, leaseTiming, startHeartbeat, type Heartbeat, type LeaseTiming } from '../shared/lease.ts';
import { todayIn } from '../shared/time.ts';
import { yieldToQueries } from '../shared/yield.ts';
import { auditEntry } from '../staff/audit.ts';
import { CASE_CATEGORIES, type ScreenedCase, type ScreeningParams } from './case.ts';
import {
  createRunStaging,
  eachLicence,
  failRun,
  finishRun,
  licencePage,
  openCases,
  runHeartbeat,
  stageCases,
  takeOverDeadRuns,
  type RunTakeover,
} from './repository.ts';
import { screenPacked, screeningDay, type PackedLicence } from './rules.ts';
import type { ScreeningRunRow } from '../db/schema/screening.ts';

export type ScreeningDeps = Pick<AppDeps, 'db' | 'atomic' | 'sqlLimits' | 'clock' | 'ids' | 'logger' | 'config'>;

export interface ScreeningRequest {
  asOf?: string | undefined;
  leadDays?: number | undefined;
  renewalMinAge?: number | undefined;
  staffId: string | null;
  trigger: 'api' | 'cli' | 'schedule';
  /** Told after each page, and when the last batch starts (the CLI's progress bar). */
  progress?: { screened(licences: number): void; publishing(): void } | undefined;
}

const PAGE = 5000;
/** Cases staged per atomic batch (gathered over pages; the staging table has no index). */
const WRITE_CASES = 10_000;

/**
 * One screening run (RULES.md §3-4) over the whole registry, page by page. The new or changed
 * cases are gathered in the run's staging table as it goes; one last atomic batch writes them
 * into `cases`, closes the open cases the run did not flag and records the counts. So a run's
 * result is all or nothing: a run that stops (an error, a killed process, a lost lease) leaves
 * the cases exactly as the run before it left them. Idempotent: the same data and date flag the
 * same cases.
 *
 * One run at a time, under a lease with a heartbeat (issue 13): a run whose process died is taken
 * over by the next one RUN_LEASE_SECONDS after its last heartbeat; a run taken over publishes
 * nothing.
 */
export async function runScreening(deps: ScreeningDeps, request: ScreeningRequest): Promise<ScreeningRunRow> {
  const params: ScreeningParams = {
    asOf: request.asOf ?? todayIn(deps.clock.now()),
    leadDays: request.leadDays ?? deps.config.SCREENING_LEAD_DAYS,
    renewalMinAge: request.renewalMinAge ?? deps.config.SCREENING_RENEWAL_MIN_AGE,
  };
  const timing = leaseTiming(deps.config);
  const runId = await startRun(deps, timing, params, request);
  const heartbeat = startHeartbeat(deps, 'screening run', timing, (at) => runHeartbeat(deps.db, runId, at));
  let screened: number;
  try {
    screened = await screenAndPublish(deps, runId, params, request, heartbeat);
  } catch (err) {
    await heartbeat.stop();
    await deps.atomic(failRun(deps.db, { id: runId, at: deps.clock.now().toISOString(), error: 'stopped on an internal error' })).catch(() => undefined);
    if (isGuardFailure(err)) throw leaseLost('screening run');
    throw err;
  }
  await heartbeat.stop();
  const row = await deps.db.selectFrom('screening_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  deps.logger.info('screening run completed', { runId, asOf: params.asOf, screened, counts: row.counts });
  return row;
}

/** Screens every licence into the run's staging table, then publishes in one batch; returns the licences screened. */
async function screenAndPublish(
  deps: ScreeningDeps,
  runId: string,
  params: ScreeningParams,
  request: ScreeningRequest,
  heartbeat: Heartbeat,
): Promise<number> {
  const flagged = Object.fromEntries(CASE_CATEGORIES.map((c) => [c, 0])) as Record<string, number>;
  let screened = 0;
  // Only screening writes cases (besides a case completed by 12123, which no run reopens), and
  // the lease lets one run at a time: the open cases read here stay as they are until this run's
  // last batch. A flagged case equal to its open one is not staged.
  const open = await openCases(deps.db);
  // The next page is read while this one is screened; gathered cases are staged while the next
  // pages are read and screened.
  let next = licencePage(deps.db, 0, PAGE);
  let pending: Promise<unknown> = Promise.resolve();
  let toWrite: ScreenedCase[] = [];
  const day = screeningDay(params);
  const found: ScreenedCase[] = [];
  const screen = (licence: PackedLicence) => screenPacked(licence, day, found);
  for (;;) {
    const page = await next;
    if (page.text === '') break;
    heartbeat.check();
    next = handled(licencePage(deps.db, page.lastRowid, PAGE));
    await yieldToQueries();
    found.length = 0;
    screened += eachLicence(page, screen);
    request.progress?.screened(screened);
    const changed = found.filter((c) => {
      flagged[c.category]! += 1;
      return open.take(c) !== 'same'; // what is left at the end was not flagged
    });
    toWrite.push(...changed);
    if (toWrite.length < WRITE_CASES) continue;
    await pending;
    pending = handled(deps.atomic(stageCases(deps.sqlLimits, runId, toWrite, () => deps.ids.next())));
    toWrite = [];
  }
  await pending;
  if (toWrite.length > 0) await deps.atomic(stageCases(deps.sqlLimits, runId, toWrite, () => deps.ids.next()));
  heartbeat.check();
  const stale = open.rest();
  request.progress?.publishing();
  const publishing = performance.now();
  await deps.atomic([
    ...finishRun(deps.db, { id: runId, asOf: params.asOf, at: deps.clock.now().toISOString(), licencesScreened: screened, flagged }, stale),
    auditEntry(deps, { staffId: request.staffId, action: 'screening.run', subject: runId, details: { ...params, trigger: request.trigger } }),
  ]);
  deps.logger.debug('screening run published', { runId, publishMs: Math.round(performance.now() - publishing) });
  return screened;
}

/** Marks a promise as handled so that leaving the loop early never leaves a rejection unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Runs the takeover of a dead run, with the caller's `extra` statements, in one atomic batch;
 * reads again when it lost a race with a run that looked dead and beat meanwhile (the batch
 * then failed as a whole). Returns what was cleaned up.
 */
export async function withDeadRunsTakenOver(
  deps: Pick<ScreeningDeps, 'db' | 'atomic' | 'clock'>,
  timing: LeaseTiming,
  extra: () => CompiledQuery[] = () => [],
): Promise<RunTakeover> {
  for (let attempt = 1; ; attempt++) {
    const takeover = await takeOverDeadRuns(deps.db, deps.clock.now(), timing);
    try {
      await deps.atomic([...takeover.queries, ...extra()]);
      return takeover;
    } catch (err) {
      if (!isGuardFailure(err) || attempt >= 3) throw err;
    }
  }
}

/** Takes the lease: one batch fails a dead run, records this one as the running run and creates its staging table. */
async function startRun(deps: ScreeningDeps, timing: LeaseTiming, params: ScreeningParams, request: ScreeningRequest): Promise<string> {
  const now = deps.clock.now().toISOString();
  const id = deps.ids.next();
  const insert = deps.db
    .insertInto('screening_runs')
    .values({
      id,
      staff_id: request.staffId,
      trigger: request.trigger,
      as_of: params.asOf,
      lead_days: params.leadDays,
      renewal_min_age: params.renewalMinAge,
      status: 'running',
      started_at: now,
      heartbeat_at: now,
    })
    .compile();
  try {
    await withDeadRunsTakenOver(deps, timing, () => [insert, createRunStaging(id)]);
  } catch (err) {
    // The unique index of the one running run: a live run holds the lease.
    if (/UNIQUE constraint failed: screening_runs\.status/.test((err as Error).message)) {
      throw AppError.keyed('conflict', { key: 'screening_in_progress', params: { leaseSeconds: timing.leaseMs / 1000 } });
    }
    throw err;
  }
  return id;
}
