import { addDays } from '../shared/civil-date.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import type { ScreeningDeps } from './run.ts';
import { runScreening } from './run.ts';

/** The next instant at `hhmm` Asia/Shanghai strictly after `now`. */
export function nextDailyRun(now: Date, hhmm: string): Date {
  const today = todayIn(now);
  const at = instantAt(today, hhmm);
  return at > now ? at : instantAt(addDays(today, 1), hhmm);
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
  const run = async () => {
    try {
      await runScreening(deps, { staffId: null, trigger: 'schedule' });
    } catch (err) {
      deps.logger.error('daily screening failed', { error: (err as Error).message });
    }
  };
  const schedule = () => {
    if (stopped) return;
    const delay = Math.max(0, nextDailyRun(deps.clock.now(), hhmm).getTime() - deps.clock.now().getTime());
    // setTimeout holds at most ~24.8 days; a day is well within.
    timer = setTimeout(() => void run().finally(schedule), delay);
  };
  const ready = (async () => {
    const now = deps.clock.now();
    const today = todayIn(now);
    const done = await deps.db
      .selectFrom('screening_runs')
      .select('id')
      .where('as_of', '=', today)
      .where('status', '=', 'completed')
      .executeTakeFirst();
    if (!done && instantAt(today, hhmm) <= now) await run();
  })()
    .catch((err: unknown) => deps.logger.error('daily screening start-up check failed', { error: (err as Error).message }))
    .finally(schedule);
  return {
    ready,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
