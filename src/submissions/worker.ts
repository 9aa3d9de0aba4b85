import type { Config } from '../config.ts';
import type { SubmissionRow } from '../db/schema/submissions.ts';
import type { AppDeps } from '../http/env.ts';
import { GatewayError, type GatewayReceipt, type GovGateway } from '../ports.ts';
import { backoffMs, RateLimiter, type BackoffSettings } from './backoff.ts';
import { isGuardFailure } from '../shared/lease.ts';
import { acceptedQueries, cancelledQueries, claimDue, deadQueries, isPaused, retryQueries, type Lease } from './queue.ts';

/**
 * The submission worker (issue 5): takes due submissions with a lease, sends each to the 12123
 * gateway with its idempotency key, and records the outcome under the lease. Runs inside the
 * server and as `npm run cli -- worker`; several workers may share one database.
 *
 * - transient failures (5xx, timeouts) come back after a capped, jittered exponential backoff;
 *   permanent ones (4xx) and the last try are dead-lettered with the error;
 * - a worker killed at any point leaves its rows leased; when the lease runs out another worker
 *   takes them and sends again with the same key (the gateway files a key once); a row that keeps
 *   killing its workers is dead-lettered once its tries are spent;
 * - at most `ratePerSecond` sends per second; when every send of a round fails transiently the
 *   worker itself backs off (capped) before trying again, so an outage costs a probe per backoff
 *   instead of every row's tries.
 */
export interface WorkerSettings {
  concurrency: number;
  ratePerSecond: number;
  leaseMs: number;
  maxAttempts: number;
  backoff: BackoffSettings;
  pollMs: number;
}

export function workerSettings(c: Config): WorkerSettings {
  return {
    concurrency: c.SUBMISSION_CONCURRENCY,
    ratePerSecond: c.SUBMISSION_RATE_PER_SECOND,
    leaseMs: c.SUBMISSION_LEASE_SECONDS * 1000,
    maxAttempts: c.SUBMISSION_MAX_ATTEMPTS,
    backoff: { baseMs: c.SUBMISSION_BACKOFF_BASE_MS, capMs: c.SUBMISSION_BACKOFF_CAP_MS },
    pollMs: c.SUBMISSION_POLL_MS,
  };
}

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'logger'>;

export interface RoundResult {
  paused: boolean;
  claimed: number;
  accepted: number;
  retrying: number;
  dead: number;
  cancelled: number;
  /** Outcomes not recorded because the lease had run out (another worker has the row). */
  lost: number;
  /** Nothing was due (pending rows may still wait for their backoff or their date). */
  idle: boolean;
  /** How long the caller should wait before the next round (0: go on at once). */
  waitMs: number;
}

/** What a worker keeps between rounds: its rate limit and its own backoff after an outage. */
export class WorkerState {
  readonly limiter: RateLimiter;
  failuresInARow = 0;
  coolingUntil = 0;

  constructor(
    readonly settings: WorkerSettings,
    readonly random: () => number = Math.random,
  ) {
    this.limiter = new RateLimiter(settings.ratePerSecond);
  }
}

type Outcome = 'accepted' | 'retrying' | 'dead' | 'cancelled' | 'lost';

/**
 * One round: claim what may be sent now (up to `slots`, within the rate limit), send it all,
 * record each outcome. The rate is reserved before the claim so that rounds running side by side
 * never send more than it together.
 */
export async function runRound(deps: Deps, gateway: GovGateway, state: WorkerState, slots = state.settings.concurrency): Promise<RoundResult> {
  const result: RoundResult = { paused: false, claimed: 0, accepted: 0, retrying: 0, dead: 0, cancelled: 0, lost: 0, idle: false, waitMs: 0 };
  const s = state.settings;
  const nowMs = deps.clock.now().getTime();
  if (await isPaused(deps.db)) return { ...result, paused: true, waitMs: s.pollMs };
  if (nowMs < state.coolingUntil) return { ...result, waitMs: state.coolingUntil - nowMs };
  const allowance = Math.min(slots, state.limiter.allowance(nowMs));
  if (allowance === 0) return { ...result, waitMs: state.limiter.waitMs(nowMs) };
  state.limiter.take(nowMs, allowance);
  const rows = await claimDue(deps.db, { token: deps.ids.next(), now: deps.clock.now(), leaseMs: s.leaseMs, limit: allowance });
  state.limiter.giveBack(allowance - rows.length);
  if (rows.length === 0) return { ...result, idle: true, waitMs: s.pollMs };
  result.claimed = rows.length;
  const openCases = await openCaseIds(deps, rows);
  const outcomes = await Promise.all(rows.map((row) => processOne(deps, gateway, state, row, openCases.has(row.case_id))));
  for (const o of outcomes) result[o]++;
  const transientOnly = result.retrying > 0 && result.accepted + result.dead === 0;
  state.failuresInARow = transientOnly ? state.failuresInARow + 1 : result.accepted > 0 ? 0 : state.failuresInARow;
  if (transientOnly) state.coolingUntil = deps.clock.now().getTime() + backoffMs(state.failuresInARow, s.backoff, state.random);
  return result;
}

async function openCaseIds(deps: Deps, rows: readonly SubmissionRow[]): Promise<Set<string>> {
  const cases = await deps.db.selectFrom('cases').select('id').where('id', 'in', rows.map((r) => r.case_id)).where('status', '=', 'open').execute();
  return new Set(cases.map((c) => c.id));
}

async function processOne(deps: Deps, gateway: GovGateway, state: WorkerState, row: SubmissionRow, caseOpen: boolean): Promise<Outcome> {
  const lease: Lease = { id: row.id, token: row.lease_token! };
  const s = state.settings;
  if (!caseOpen) return record(deps, cancelledQueries(deps, lease, now(deps), 'the case is no longer open (superseded or lapsed by screening)'), 'cancelled');
  // A row taken again and again without an outcome keeps killing its workers: stop it.
  if (row.attempts > s.maxAttempts) {
    return record(deps, deadQueries(deps, lease, now(deps), { message: `no outcome after ${s.maxAttempts} tries (the worker stopped each time)`, status: null }), 'dead');
  }
  let receipt: GatewayReceipt;
  try {
    receipt = await gateway.submit({ idempotencyKey: row.idempotency_key, payload: JSON.parse(row.payload) as unknown });
  } catch (err) {
    const error = asGatewayError(err);
    const failure = { message: error.message.slice(0, 300), status: error.status };
    if (error.kind === 'transient' && row.attempts < s.maxAttempts) {
      const next = new Date(deps.clock.now().getTime() + backoffMs(row.attempts, s.backoff, state.random)).toISOString();
      return record(deps, retryQueries(deps, lease, now(deps), next, failure), 'retrying');
    }
    deps.logger.warn('submission dead-lettered', { submission: row.id, business: row.business, status: error.status, kind: error.kind });
    return record(deps, deadQueries(deps, lease, now(deps), failure), 'dead');
  }
  return record(deps, acceptedQueries(deps, row, lease.token, receipt.reference, now(deps)), 'accepted');
}

const now = (deps: Deps) => deps.clock.now().toISOString();

/** The outcome's batch (its first statement fails it when the lease is no longer held: 'lost'). */
async function record(deps: Deps, queries: Parameters<Deps['atomic']>[0], outcome: Outcome): Promise<Outcome> {
  try {
    await deps.atomic(queries, { results: false });
    return outcome;
  } catch (err) {
    if (isGuardFailure(err)) return 'lost';
    throw err;
  }
}

/** Anything else thrown by an adapter is a bug or a network fault: transient. */
function asGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError(err instanceof Error ? err.message : String(err), 'transient', null);
}

export interface RunningWorker {
  stop(): Promise<void>;
  /** What the worker did so far. */
  totals: Pick<RoundResult, 'claimed' | 'accepted' | 'retrying' | 'dead' | 'cancelled' | 'lost'>;
  /** Resolves once a round finds nothing due (`worker --until-idle`, tests). */
  idle(): Promise<void>;
}

/** Rounds side by side in lanes: a slow answer holds up its own lane only. */
const MAX_LANES = 8;

/**
 * Rounds one after another in each lane until stopped; a lane waits when there is nothing to
 * send. The concurrency is shared out between the lanes, the rate limit and the outage backoff
 * are shared by all.
 */
export function startSubmissionWorker(deps: Deps, gateway: GovGateway, settings: WorkerSettings, options: { random?: () => number } = {}): RunningWorker {
  const state = new WorkerState(settings, options.random);
  const lanes = Math.min(MAX_LANES, settings.concurrency);
  const slots = Math.ceil(settings.concurrency / lanes);
  let stopped = false;
  const wakers = new Set<() => void>();
  const idleWaiters: Array<() => void> = [];
  const totals = { claimed: 0, accepted: 0, retrying: 0, dead: 0, cancelled: 0, lost: 0 };
  const lane = async () => {
    while (!stopped) {
      let waitMs: number;
      try {
        const r = await runRound(deps, gateway, state, slots);
        waitMs = r.waitMs;
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
        if (r.idle) idleWaiters.splice(0).forEach((f) => f());
      } catch (err) {
        deps.logger.error('submission worker round failed', { error: err instanceof Error ? err.message : String(err) });
        waitMs = settings.pollMs;
      }
      if (waitMs > 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, waitMs);
          wakers.add(wake);
        });
      }
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  return {
    totals,
    async stop() {
      stopped = true;
      [...wakers].forEach((wake) => wake());
      await running;
    },
    idle: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}
