import type { WebhookKind } from '../db/schema/outreach.ts';
import type { AppDeps } from '../http/env.ts';
import { runDueSteps, type TickResult } from './steps.ts';
import { abandonEvent, unprocessedEvents } from './webhook-events.ts';
import { runWebhook, type Params } from './webhooks.ts';

/**
 * Applies webhooks that could not be applied when they arrived (an error, or a status callback
 * that overtook the recording of its message). Replayed without an SMS answer; given up after a day.
 */
export async function recoverWebhookEvents(deps: AppDeps): Promise<{ applied: number; abandoned: number }> {
  const now = deps.clock.now();
  const events = await unprocessedEvents(deps, new Date(now.getTime() - 60_000), 100);
  let applied = 0;
  let abandoned = 0;
  for (const event of events) {
    const tooOld = now.getTime() - Date.parse(event.received_at) > 86_400_000;
    try {
      await runWebhook(deps, event.kind as WebhookKind, JSON.parse(event.params) as Params, false);
      const left = await deps.db.selectFrom('webhook_events').select('id').where('dedupe_key', '=', event.dedupe_key).where('processed_at', 'is', null).executeTakeFirst();
      if (!left) applied++;
      else if (tooOld) {
        await abandonEvent(deps, left.id, 'given up after a day');
        abandoned++;
      }
    } catch {
      if (tooOld) {
        await abandonEvent(deps, event.id, 'given up after a day');
        abandoned++;
      }
    }
  }
  return { applied, abandoned };
}

/** Another sender sharing the loop's rate limit (the visit SMS of issue 4). */
export type SharedSender = (budget: number) => Promise<{ sent: number; failed: number }>;

/**
 * One pass of outreach within `budget` sends: the due steps, then the other senders with what is
 * left, then the webhook recovery pass. The server's loop runs it every OUTREACH_TICK_SECONDS; the
 * Worker's cron once a minute (src/entry/worker.ts).
 */
export async function outreachTick(deps: AppDeps, budget: number, others: readonly SharedSender[]): Promise<{ result: TickResult; used: number }> {
  const result = await runDueSteps(deps, budget);
  let used = result.sent + result.failed;
  for (const send of others) {
    const other = await send(Math.max(0, budget - used));
    used += other.sent + other.failed;
  }
  await recoverWebhookEvents(deps);
  return { result, used };
}

/**
 * The server's outreach loop: every OUTREACH_TICK_SECONDS, the due steps within the rate limit
 * (a token bucket of OUTREACH_RATE_PER_MINUTE), then the other senders with what is left of it,
 * then the webhook recovery pass.
 */
export function startOutreachLoop(deps: AppDeps, others: readonly SharedSender[] = []): { stop(): void; tick(): Promise<TickResult> } {
  const seconds = deps.config.OUTREACH_TICK_SECONDS;
  const rate = deps.config.OUTREACH_RATE_PER_MINUTE;
  let tokens = rate;
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const elapsed = (Date.now() - last) / 60_000;
    last = Date.now();
    tokens = Math.min(rate, tokens + elapsed * rate);
    const { result, used } = await outreachTick(deps, Math.floor(tokens), others);
    tokens -= used;
    return result;
  };
  const schedule = () => {
    if (stopped || seconds === 0) return;
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) => deps.logger.error('outreach tick failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(schedule);
    }, seconds * 1000);
    timer.unref();
  };
  schedule();
  return {
    tick,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
