import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openNodeDatabase, type NodeDatabase } from '../db/open-node.ts';
import type { AppDeps } from '../http/env.ts';
import { workerParser } from '../registry/parse-in-worker.ts';
import { randomIds, systemClock } from '../ports.ts';
import { reportRecordedStatuses, telephonyFromConfig, webhookAuthToken } from '../outreach/compose.ts';
import { checkDataKey } from '../shared/key-rotation.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createCipher, DataKeyError, loadDataKeys, type DataKeys } from '../shared/personal-data.ts';
import { StartupError } from './process-guard.ts';

export type NodeDeps = AppDeps & { dataKeys: DataKeys; close(): Promise<void> };

/**
 * The Node composition root shared by the server and the CLI: one SQLite file, real clock,
 * the same settings (DESIGN.md "Config"). Refuses to start - with one line, a StartupError or
 * DataKeyError - on a missing (production) or malformed key, a key the database was not written
 * with, and a data folder or database file it cannot use.
 */
export async function composeNode(config: Config, logger: Logger = createLogger({ level: config.LOG_LEVEL })): Promise<NodeDeps> {
  const keys = dataKeys(config, logger);
  const database = await openForStart(config);
  try {
    const note = await checkDataKey({ db: database.db, atomic: database.atomic, clock: systemClock }, keys);
    if (note) logger.warn(note);
  } catch (err) {
    await database.close();
    throw err;
  }
  const deps: NodeDeps = {
    config,
    telephony: telephonyFromConfig(config, logger, systemClock),
    twilioAuthToken: webhookAuthToken(config),
    db: database.db,
    atomic: database.atomic,
    sqlLimits: database.sqlLimits,
    clock: systemClock,
    ids: randomIds,
    // Reads values of either key during a rotation; seals (and the import's parser seals) with DATA_KEY only.
    cipher: createCipher(keys.current, keys.previous ?? undefined),
    logger,
    registryParser: workerParser(keys.current),
    dataKeys: keys,
    close: database.close,
  };
  reportRecordedStatuses(deps);
  return deps;
}

function dataKeys(config: Config, logger: Logger): DataKeys {
  const settings = { dataKey: config.DATA_KEY, previousKey: config.DATA_KEY_PREVIOUS, production: config.NODE_ENV === 'production' };
  try {
    return loadDataKeys(settings, join(config.DATA_DIR, 'dev-data-key'), (msg) => logger.warn(msg));
  } catch (err) {
    if (err instanceof DataKeyError) throw err;
    // The development key's file: DATA_DIR cannot be created, read or written.
    throw new StartupError(`cannot use DATA_DIR ${config.DATA_DIR} for the development key: ${reason(err)}: set DATA_DIR to a folder this user can write, or set DATA_KEY`);
  }
}

async function openForStart(config: Config): Promise<NodeDatabase> {
  try {
    return await openNodeDatabase(config.DATABASE_PATH);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StartupError(`${config.DATABASE_PATH} is not an SQLite database: set DATABASE_PATH (or DATA_DIR) to the service's database, or move the file away`);
    }
    throw new StartupError(`cannot open the database ${config.DATABASE_PATH}: ${reason(err)}: check DATA_DIR and DATABASE_PATH`);
  }
}

/** The first line of an error's message (system errors name the call and the path). */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
