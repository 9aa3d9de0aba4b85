import { AppError } from '../errors.ts';
import { addDays } from '../shared/civil-date.ts';
import { leaseTiming } from '../shared/lease.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import type { ScreeningDeps } from './run.ts';
import { runScreening } from './run.ts';

/** The next instant at `hhmm` Asia/Shanghai strictly after `now`. */
export function nextDailyRun(now: Date, hhmm: string): Date {
  const today = todayIn(now);
  const at = instantAt(today, hhmm);
  return at > now ? at : instantAt(addDays(today, 1), hhmm);
}

/** Whether today's time has come (SCREENING_DAILY_AT, Asia/Shanghai) with no completed run for today. */
export async function dailyRunDue(deps: ScreeningDeps): Promise<boolean> {
  const hhmm = deps.config.SCREENING_DAILY_AT;
  if (hhmm === 'off') return false;
  const now = deps.clock.now();
  const today = todayIn(now);
  if (instantAt(today, hhmm) > now) return false;
  const done = await deps.db.selectFrom('screening_runs').select('id').where('as_of', '=', today).where('status', '=', 'completed').executeTakeFirst();
  return !done;
}

/**
 * Runs the screening once a day at SCREENING_DAILY_AT (Asia/Shanghai), and once at start when
 * today's time has passed without a completed run for today (the server was down then).
 * `ready` settles once that start-up check (and its run, if any) is over; `stop` ends the loop.
 */
export function startDailyScreening(deps: ScreeningDeps): { ready: Promise<void>; stop(): void } {
  const hhmm = deps.config.SCREENING_DAILY_AT;
  if (hhmm === 'off') return { ready: Promise.resolve(), stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const run = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await runScreening(deps, { staffId: null, trigger: 'schedule' });
        return;
      } catch (err) {
        // A run found in progress may be one whose process just died (a restart right after a
        // crash): it is taken over once its lease has run out, so try again after one (issue 13).
        if (attempt < 3 && !stopped && err instanceof AppError && err.code === 'conflict') {
          const { leaseMs, heartbeatMs } = leaseTiming(deps.config);
          await pause(leaseMs + heartbeatMs);
          if (!stopped) continue;
        }
        deps.logger.error('daily screening failed', { error: (err as Error).message });
        return;
      }
    }
  };
  const schedule = () => {
    if (stopped) return;
    const delay = Math.max(0, nextDailyRun(deps.clock.now(), hhmm).getTime() - deps.clock.now().getTime());
    // setTimeout holds at most ~24.8 days; a day is well within.
    timer = setTimeout(() => void run().finally(schedule), delay);
  };
  const ready = (async () => {
    if (await dailyRunDue(deps)) await run();
  })()
    .catch((err: unknown) => deps.logger.error('daily screening start-up check failed', { error: (err as Error).message }))
    .finally(schedule);
  return {
    ready,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}
