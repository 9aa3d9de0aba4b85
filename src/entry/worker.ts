import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from '../app.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { gatewayFromConfig } from '../submissions/compose.ts';
import { composeWorker, type WorkerEnv } from './compose-worker.ts';
import { runCronTick } from './worker-cron.ts';
import { runQueuedImport } from './worker-imports.ts';
import type { ImportJob } from '../ports.ts';
import type { DataKeys } from '../shared/personal-data.ts';
import { operatorMessage } from './process-guard.ts';

/**
 * The Cloudflare Worker (DESIGN.md "Two runtimes"): the same Hono app as `npm start`, over D1,
 * with the server's background loops driven by a Cron Trigger. `npm run dev:worker` runs it on
 * this machine (wrangler dev, local D1); README "On Cloudflare Workers" deploys it.
 */

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

interface QueueMessageLike {
  readonly body: unknown;
  ack(): void;
}

/** How long one cron invocation sends 12123 submissions (a Cron Trigger may run for 15 minutes). */
const CRON_SUBMISSIONS_MS = 50_000;

interface Isolate {
  env: WorkerEnv;
  deps: AppDeps;
  keys: DataKeys;
  app: OpenAPIHono<AppEnv>;
  ready: Promise<void>;
}

let current: Isolate | { env: WorkerEnv; error: unknown } | undefined;

/** The app and its deps, made once per isolate (bindings do not change within one). */
function isolate(env: WorkerEnv): Isolate {
  if (current?.env !== env) {
    try {
      const { deps, ready, keys } = composeWorker(env);
      // Awaited by every invocation; until then a failed check is not an unhandled rejection.
      ready.catch(() => undefined);
      current = { env, deps, keys, app: createApp(deps), ready };
    } catch (error) {
      current = { env, error };
    }
  }
  if ('error' in current) throw current.error;
  return current;
}

/** A wrong setting or key: one line, in the log and the answer; nothing of the request is run. */
function unavailable(err: unknown): Response {
  const message = operatorMessage(err) ?? 'the service could not start';
  console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'worker cannot start', error: message }));
  return Response.json({ error: { code: 'unavailable', message } }, { status: 503 });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContextLike): Promise<Response> {
    let app: Isolate;
    try {
      app = isolate(env);
      await app.ready;
    } catch (err) {
      // A setting or the key stays wrong until the next deploy; anything else (D1 not answering
      // the key check) is tried again by the next request.
      if (operatorMessage(err) === null) current = undefined;
      return unavailable(err);
    }
    const response = await app.app.fetch(request, env, ctx as never);
    // Without Twilio, the recording adapter reports a send's statuses over the next second; the
    // isolate may stop once the answer is out, so the reports of sends made in this request (a
    // booking's SMS, the crew's "on the way") are waited for (README "On Cloudflare Workers").
    const reports = app.deps.telephony.settle?.();
    if (reports) ctx.waitUntil(reports);
    return response;
  },

  /** The queue consumer of large registry uploads (wrangler.toml [[queues.consumers]]). */
  async queue(batch: { messages: readonly QueueMessageLike[] }, env: WorkerEnv): Promise<void> {
    const { deps, ready } = isolate(env);
    await ready;
    if (!env.UPLOADS) throw new Error('the UPLOADS bucket is not bound: see wrangler.toml');
    for (const message of batch.messages) {
      const outcome = await runQueuedImport(deps, env.UPLOADS, message.body as ImportJob);
      deps.logger.info('queued import', { importId: (message.body as ImportJob).importId, outcome });
      message.ack();
    }
  },

  async scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContextLike): Promise<void> {
    const { deps, ready, keys } = isolate(env);
    await ready;
    const tick = runCronTick(deps, gatewayFromConfig(deps.config), { submissionsMs: CRON_SUBMISSIONS_MS, uploads: env.UPLOADS, keys }).then((outcome) =>
      deps.logger.info('cron tick', { ...outcome }),
    );
    ctx.waitUntil(tick);
    await tick;
  },
};
