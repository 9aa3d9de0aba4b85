import type { AppDeps } from '../http/env.ts';
import { outreachTick } from '../outreach/loop.ts';
import type { GovGateway } from '../ports.ts';
import { dailyRunDue } from '../screening/daily.ts';
import { runScreening } from '../screening/run.ts';
import { rotateDataKey } from '../shared/key-rotation.ts';
import type { DataKeys } from '../shared/personal-data.ts';
import { startSubmissionWorker, workerSettings } from '../submissions/worker.ts';
import { sharedSenders } from './background.ts';
import { giveUpStaleQueuedImports, type UploadsBucket } from './worker-imports.ts';

export interface CronOutcome {
  outreach: { sent: number } | { failed: string };
  screening: 'not due' | { runId: string } | { failed: string };
  submissions: 'off' | { claimed: number; accepted: number; retrying: number; dead: number } | { failed: string };
  queuedImports: 'no bucket' | { givenUp: number } | { failed: string };
  keyRotation: 'none' | { resealed: number; finished: boolean } | { failed: string };
}

/** How long one cron invocation re-seals values when DATA_KEY_PREVIOUS is set, and rows per batch. */
const ROTATION_MS = 10_000;
const ROTATION_BATCH = 1000;

/**
 * What the Node server's loops do, once, for a Cron Trigger (wrangler.toml: every minute): an
 * outreach pass with a minute's sending budget; the daily screening when its time has come and
 * today has no completed run (the same check as the server's start); queued registry imports that
 * never started are recorded as failed (giveUpStaleQueuedImports); while DATA_KEY_PREVIOUS is set,
 * up to ROTATION_MS of the key rotation (`cli rotate-key` on Node), which goes on where it stopped
 * at the next minute; then 12123 submissions from the same leased table, with the same lease,
 * backoff and dead-letter rules, until nothing is due or the rest of `submissionsMs` has passed. Each
 * part runs even when one before it failed; a run or a lease another invocation holds is left to
 * it (the next minute looks again).
 */
export async function runCronTick(
  deps: AppDeps,
  gateway: GovGateway,
  options: { submissionsMs: number; uploads?: UploadsBucket | undefined; keys?: DataKeys | undefined },
): Promise<CronOutcome> {
  const outreach = await attempt(deps, 'outreach', async () => {
    const { used } = await outreachTick(deps, deps.config.OUTREACH_RATE_PER_MINUTE, sharedSenders(deps));
    // The recording adapter's status reports (a Worker without Twilio) land within this invocation.
    await deps.telephony.settle?.();
    return { sent: used };
  });
  const screening = await attempt(deps, 'screening', async () =>
    (await dailyRunDue(deps)) ? { runId: (await runScreening(deps, { staffId: null, trigger: 'schedule' })).id } : ('not due' as const),
  );
  const uploads = options.uploads;
  const queuedImports = uploads ? await attempt(deps, 'queued imports', async () => ({ givenUp: (await giveUpStaleQueuedImports(deps, uploads)).length })) : ('no bucket' as const);
  const keys = options.keys;
  const rotating = Date.now();
  const keyRotation = keys?.previous
    ? await attempt(deps, 'key rotation', async () => {
        const { resealed, finished } = await rotateDataKey(deps, keys, { batchSize: ROTATION_BATCH, progress: (line) => deps.logger.debug(line), stopAt: Date.now() + ROTATION_MS });
        if (finished && resealed > 0) deps.logger.warn('the data key rotation is done: remove the DATA_KEY_PREVIOUS secret (wrangler secret delete DATA_KEY_PREVIOUS)');
        return { resealed, finished };
      })
    : ('none' as const);
  // The rotation's time comes out of the submissions' budget: the invocation ends within the minute.
  const submissionsMs = Math.max(0, options.submissionsMs - (Date.now() - rotating));
  const submissions = deps.config.SUBMISSION_WORKER === 'off' ? ('off' as const) : await attempt(deps, 'submissions', () => drainSubmissions(deps, gateway, submissionsMs));
  return { outreach, screening, submissions, queuedImports, keyRotation };
}

async function drainSubmissions(deps: AppDeps, gateway: GovGateway, ms: number) {
  const worker = startSubmissionWorker(deps, gateway, workerSettings(deps.config));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([worker.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  await worker.stop();
  const { claimed, accepted, retrying, dead } = worker.totals;
  return { claimed, accepted, retrying, dead };
}

async function attempt<T>(deps: AppDeps, part: string, fn: () => Promise<T>): Promise<T | { failed: string }> {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error('cron part failed', { part, error: message });
    return { failed: message };
  }
}
