import { createHmac } from 'node:crypto';
import { Kysely } from 'kysely';
import { loadConfig } from '../config.ts';
import { d1Atomic, D1Dialect, type D1Like } from '../db/d1-dialect.ts';
import { D1_LIMITS } from '../db/limits.ts';
import type { DB } from '../db/schema/index.ts';
import type { AppDeps } from '../http/env.ts';
import { reportRecordedStatuses, telephonyFromConfig } from '../outreach/compose.ts';
import { randomIds, systemClock } from '../ports.ts';
import { inThreadParser } from '../registry/seal.ts';
import { checkDataKey } from '../shared/key-rotation.ts';
import { createLogger } from '../shared/logger.ts';
import { r2QueueHandoff, type ImportQueue, type UploadsBucket } from './worker-imports.ts';
import { createCipher, DataKeyError, loadDataKeys, type DataKeys } from '../shared/personal-data.ts';

/**
 * The Worker's bindings (wrangler.toml): the D1 database; R2 and a Queue for large registry
 * uploads (without them every import runs in its request); every setting as a string var or secret.
 */
export type WorkerEnv = { DB: D1Like; UPLOADS?: UploadsBucket; IMPORTS?: ImportQueue } & Record<string, unknown>;

/**
 * The Workers composition root (DESIGN.md "Two runtimes"): the same deps as composeNode, over D1.
 * No data folder: DATA_KEY is a secret (`wrangler secret put DATA_KEY`, or .dev.vars for
 * `wrangler dev`) and required, as with NODE_ENV=production on Node; it is checked against the
 * database once per isolate (`ready`), and every request waits for that check.
 */
export function composeWorker(env: WorkerEnv): { deps: AppDeps; ready: Promise<void>; keys: DataKeys } {
  const settings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const config = loadConfig(settings);
  const logger = createLogger({ level: config.LOG_LEVEL });
  if (!config.DATA_KEY) throw new DataKeyError('DATA_KEY is not set: on Workers it is a secret (wrangler secret put DATA_KEY; for wrangler dev, a line in .dev.vars)');
  const keys = loadDataKeys({ dataKey: config.DATA_KEY, previousKey: config.DATA_KEY_PREVIOUS, production: true }, '', (msg) => logger.warn(msg));
  const db = new Kysely<DB>({ dialect: new D1Dialect(env.DB) });
  const deps: AppDeps = {
    config,
    db,
    atomic: d1Atomic(env.DB),
    sqlLimits: D1_LIMITS,
    clock: systemClock,
    ids: randomIds,
    cipher: createCipher(keys.current, keys.previous ?? undefined),
    logger,
    // No threads to hand parsing to: the request's own isolate parses (within Workers' CPU limit).
    registryParser: inThreadParser(createCipher(keys.current), { knownRows: false }),
    telephony: telephonyFromConfig(config, logger, systemClock, 'fetch'),
    twilioAuthToken: config.TWILIO_AUTH_TOKEN ?? developmentWebhookSecret(keys.current),
    ...(env.UPLOADS && env.IMPORTS ? { importHandoff: r2QueueHandoff(env.UPLOADS, env.IMPORTS, config.IMPORT_QUEUE_MIN_BYTES) } : {}),
  };
  // Without Twilio, recorded sends move on to delivered as on Node; the cron tick waits for them.
  reportRecordedStatuses(deps);
  const ready = checkDataKey(deps, keys).then((note) => {
    if (note) logger.warn(note);
  });
  return { deps, ready, keys };
}

/**
 * Without a Twilio account (the recording adapter) webhooks are signed with a secret derived from
 * DATA_KEY: no file to keep it in, and whoever holds DATA_KEY can sign a simulated reply.
 */
export function developmentWebhookSecret(dataKey: Buffer): string {
  return createHmac('sha256', dataKey).update('senior-driver-checkup/dev-webhook-secret').digest('base64url');
}
