import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { loadConfig, type Config } from '../config.ts';
import { recoverInterruptedWork } from '../recovery.ts';
import { startDailyScreening } from '../screening/daily.ts';
import { createLogger } from '../shared/logger.ts';
import { localeFromEnv } from '../i18n/locale.ts';
import { render } from '../i18n/messages.ts';
import { sharedSenders } from './background.ts';
import { composeNode } from './compose-node.ts';
import { installProcessGuard, operatorMessage, StartupError } from './process-guard.ts';
import { startOutreachLoop } from '../outreach/loop.ts';
import { gatewayFromConfig } from '../submissions/compose.ts';
import { startSubmissionWorker, workerSettings } from '../submissions/worker.ts';

/**
 * `npm start`: the Node server on its embedded default (a SQLite file, no outside service).
 * Start-up order: settings, keys and database (composeNode refuses a wrong key), then the port;
 * the background loops start only once the server listens, so a failed start sends nothing.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const guard = installProcessGuard(logger);
  const deps = await composeNode(config, logger);
  // Imports and screenings whose process died: marked failed, staging tables dropped.
  await recoverInterruptedWork(deps);
  const app = createApp(deps);
  const server = await listen(app.fetch, config);
  guard.started();
  server.on('error', (err) => logger.error('server error', { error: err.name, code: (err as NodeJS.ErrnoException).code }));
  const daily = startDailyScreening(deps);
  // Visit and completion SMS share the outreach loop's sending window and rate budget.
  const outreach = startOutreachLoop(deps, sharedSenders(deps));
  const worker = config.SUBMISSION_WORKER === 'on' ? startSubmissionWorker(deps, gatewayFromConfig(config), workerSettings(config)) : null;
  const shutdown = () => {
    daily.stop();
    outreach.stop();
    server.close(() => void (worker?.stop() ?? Promise.resolve()).then(() => deps.close()).finally(() => process.exit(0)));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Last: whoever waits for this line may stop the server at once, and the handlers are in place.
  deps.logger.info('listening', { url: `http://${config.HOST}:${config.PORT}`, database: config.DATABASE_PATH });
}

/** Listens on HOST:PORT; a port in use (or not ours to take) is one line, not a stack trace. */
function listen(fetch: Parameters<typeof serve>[0]['fetch'], config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.PORT, hostname: config.HOST }, () => {
      server.off('error', onError);
      resolve(server as Server);
    });
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, config));
    server.once('error', onError);
  });
}

/** Worded in the operator's language (LANG / LC_ALL, src/i18n/locale.ts). */
function listenError(err: NodeJS.ErrnoException, config: Config): Error {
  const locale = localeFromEnv();
  const where = { port: config.PORT, host: config.HOST };
  if (err.code === 'EADDRINUSE') return new StartupError(render(locale, 'port_in_use', where));
  if (err.code === 'EACCES') return new StartupError(render(locale, 'port_needs_privilege', where));
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return new StartupError(render(locale, 'host_not_local', { host: config.HOST }));
  return new StartupError(render(locale, 'cannot_listen', { ...where, reason: err.message }));
}

main().catch((err: unknown) => {
  console.error(operatorMessage(err) ?? err);
  process.exit(1);
});
