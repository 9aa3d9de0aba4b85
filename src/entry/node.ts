import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { startDailyScreening } from '../screening/daily.ts';
import { composeNode } from './compose-node.ts';
import { startOutreachLoop } from '../outreach/loop.ts';
import { runDueVisitNotices } from '../scheduling/notices.ts';
import { gatewayFromConfig } from '../submissions/compose.ts';
import { runDueCompletionNotices } from '../submissions/notices.ts';
import { startSubmissionWorker, workerSettings } from '../submissions/worker.ts';

/** `npm start`: the Node server on its embedded default (a SQLite file, no outside service). */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = await composeNode(config);
  const app = createApp(deps);
  const daily = startDailyScreening(deps);
  // Visit and completion SMS share the outreach loop's sending window and rate budget.
  const outreach = startOutreachLoop(deps, [(budget) => runDueVisitNotices(deps, budget), (budget) => runDueCompletionNotices(deps, budget)]);
  const worker = config.SUBMISSION_WORKER === 'on' ? startSubmissionWorker(deps, gatewayFromConfig(config), workerSettings(config)) : null;
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    deps.logger.info('listening', { url: `http://${config.HOST}:${info.port}`, database: config.DATABASE_PATH });
  });
  const shutdown = () => {
    daily.stop();
    outreach.stop();
    server.close(() => void (worker?.stop() ?? Promise.resolve()).then(() => deps.close()).finally(() => process.exit(0)));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
