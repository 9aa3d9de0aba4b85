import type { AppDeps } from '../http/env.ts';
import type { SharedSender } from '../outreach/loop.ts';
import { runDueVisitNotices } from '../scheduling/notices.ts';
import { runDueCompletionNotices } from '../submissions/notices.ts';

/**
 * The senders that share the outreach loop's sending window and rate budget with the ladder's
 * steps: visit notices, then completion SMS. The same list for the Node server's loop and the
 * Worker's cron.
 */
export function sharedSenders(deps: AppDeps): SharedSender[] {
  return [(budget) => runDueVisitNotices(deps, budget), (budget) => runDueCompletionNotices(deps, budget)];
}
