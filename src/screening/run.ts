import type { CompiledQuery } from 'kysely';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { todayIn } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { CASE_CATEGORIES, type ScreenedCase, type ScreeningParams } from './case.ts';
import { caseContent, caseKey, finishRun, licencePage, openCases, upsertCases } from './repository.ts';
import { screenLicence } from './rules.ts';
import type { ScreeningRunRow } from '../db/schema/screening.ts';

export type ScreeningDeps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'logger' | 'config'>;

export interface ScreeningRequest {
  asOf?: string | undefined;
  leadDays?: number | undefined;
  renewalMinAge?: number | undefined;
  staffId: string | null;
  trigger: 'api' | 'cli' | 'schedule';
}

const PAGE = 5000;
/**
 * Cases written per atomic batch (gathered over pages). Each commit writes every index page it
 * touched to the WAL, and new cases land all over the indexes: a batch per page of licences
 * (about 1,300 cases on a first run) took a first run over a million licences to 12.4 s, batches
 * of 10,000 cases to 7.2 s.
 */
const WRITE_CASES = 10_000;
/** A run still 'running' after this long was abandoned by a crashed process. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/**
 * One screening run (RULES.md §3-4) over the whole registry, page by page: each page's cases are
 * upserted in an atomic batch; at the end, one batch closes the open cases the run did not flag
 * and records the counts. Idempotent: the same data and date flag the same cases.
 * A crash midway leaves every case correct for one of the two dates and the run marked
 * abandoned; the next run repairs both.
 */
export async function runScreening(deps: ScreeningDeps, request: ScreeningRequest): Promise<ScreeningRunRow> {
  const params: ScreeningParams = {
    asOf: request.asOf ?? todayIn(deps.clock.now()),
    leadDays: request.leadDays ?? deps.config.SCREENING_LEAD_DAYS,
    renewalMinAge: request.renewalMinAge ?? deps.config.SCREENING_RENEWAL_MIN_AGE,
  };
  const runId = await startRun(deps, params, request);
  const flagged = Object.fromEntries(CASE_CATEGORIES.map((c) => [c, 0])) as Record<string, number>;
  let screened = 0;
  try {
    // Only screening writes cases, and one run goes at a time: the open cases read here stay as
    // they are until this run's final batch. A flagged case equal to its open one is not written.
    const open = await openCases(deps.db);
    const at = deps.clock.now().toISOString();
    const run = { id: runId, asOf: params.asOf, at };
    // The next page is read while this one is screened; gathered cases are written while the
    // next pages are read and screened.
    let next = licencePage(deps.db, 0, PAGE);
    let pending: Promise<unknown> = Promise.resolve();
    let toWrite: ScreenedCase[] = [];
    for (;;) {
      const { licences, lastRowid } = await next;
      if (licences.length === 0) break;
      next = handled(licencePage(deps.db, lastRowid, PAGE));
      screened += licences.length;
      const changed = licences.flatMap((l) => screenLicence(l, params)).filter((c) => {
        flagged[c.category]! += 1;
        const key = caseKey(c);
        const known = open.get(key);
        open.delete(key); // what is left at the end was not flagged
        return known?.content !== caseContent(c);
      });
      toWrite.push(...changed);
      if (toWrite.length < WRITE_CASES) continue;
      await pending;
      pending = handled(deps.atomic(upsertCases(toWrite, run, () => deps.ids.next())));
      toWrite = [];
    }
    await pending;
    if (toWrite.length > 0) await deps.atomic(upsertCases(toWrite, run, () => deps.ids.next()));
    const stale = [...open.values()];
    await deps.atomic([
      ...finishRun(deps.db, { ...run, at: deps.clock.now().toISOString(), licencesScreened: screened, flagged }, stale),
      auditEntry(deps, { staffId: request.staffId, action: 'screening.run', subject: runId, details: { ...params, trigger: request.trigger } }),
    ]);
  } catch (err) {
    await deps.db
      .updateTable('screening_runs')
      .set({ status: 'failed', finished_at: deps.clock.now().toISOString(), error: 'stopped on an internal error' })
      .where('id', '=', runId)
      .execute();
    throw err;
  }
  const row = await deps.db.selectFrom('screening_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  deps.logger.info('screening run completed', { runId, asOf: params.asOf, screened, counts: row.counts });
  return row;
}

/** Marks a promise as handled so that leaving the loop early never leaves a rejection unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function startRun(deps: ScreeningDeps, params: ScreeningParams, request: ScreeningRequest): Promise<string> {
  const now = deps.clock.now();
  const id = deps.ids.next();
  const abandon: CompiledQuery = deps.db
    .updateTable('screening_runs')
    .set({ status: 'failed', finished_at: now.toISOString(), error: 'abandoned: the process running it stopped' })
    .where('status', '=', 'running')
    .where('started_at', '<', new Date(now.getTime() - ABANDONED_AFTER_MS).toISOString())
    .compile();
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
      started_at: now.toISOString(),
    })
    .compile();
  try {
    await deps.atomic([abandon, insert]);
  } catch (err) {
    if (/UNIQUE/.test((err as Error).message)) {
      throw new AppError('conflict', 'a screening run is already in progress; try again when it has finished');
    }
    throw err;
  }
  return id;
}
