import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openNodeDatabase } from '../db/open-node.ts';
import type { AppDeps } from '../http/env.ts';
import { workerParser } from '../registry/parse-in-worker.ts';
import { randomIds, systemClock } from '../ports.ts';
import { telephonyFromConfig, webhookAuthToken } from '../outreach/compose.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createCipher, loadMasterKey } from '../shared/personal-data.ts';

/**
 * The Node composition root shared by the server and the CLI: one SQLite file, real clock,
 * the same settings (DESIGN.md "Config").
 */
export async function composeNode(config: Config, logger: Logger = createLogger({ level: config.LOG_LEVEL })): Promise<AppDeps & { close(): Promise<void> }> {
  const database = await openNodeDatabase(config.DATABASE_PATH);
  const key = loadMasterKey(config.DATA_KEY, join(config.DATA_DIR, 'dev-data-key'), (msg) => logger.warn(msg));
  return {
    config,
    telephony: telephonyFromConfig(config, logger, systemClock),
    twilioAuthToken: webhookAuthToken(config),
    db: database.db,
    atomic: database.atomic,
    clock: systemClock,
    ids: randomIds,
    cipher: createCipher(key),
    logger,
    registryParser: workerParser(key),
    close: database.close,
  };
}
