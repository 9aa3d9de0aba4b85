import { sql } from 'kysely';
import { createApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { AppDeps } from '../../src/http/env.ts';
import { fixedClock, randomIds, type Clock, type Telephony } from '../../src/ports.ts';
import { createRecordingTelephony } from '../../src/outreach/recording-telephony.ts';
import { silentLogger, type Logger } from '../../src/shared/logger.ts';
import { createCipher } from '../../src/shared/personal-data.ts';
import { ROLES, type Role } from '../../src/staff/permissions.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { workerParser } from '../../src/registry/parse-in-worker.ts';
import { inThreadParser } from '../../src/registry/seal.ts';
import { openTempDatabase } from './temp-db.ts';

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/**
 * The real app over a real SQLite file, with a fixed clock (2026-11-26 10:00 in Shanghai) and a
 * token per role. Fakes only at the process edge.
 */
export const TEST_TWILIO_TOKEN = 'test-twilio-auth-token-0123456789';

export async function createTestApp(
  options: {
    now?: string;
    env?: Record<string, string>;
    parser?: 'worker' | 'in-thread';
    /** false: the in-thread parser takes every row the full way (no known rows, as on the Worker). */
    knownRows?: boolean;
    telephony?: (clock: Clock) => Telephony;
    dataKey?: Buffer;
    logger?: Logger;
    /** The Accept-Language of every request that sets none (e.g. 'en' for a file asserting English words). */
    lang?: string;
  } = {},
) {
  const database = await openTempDatabase();
  const clock = fixedClock(options.now ?? '2026-11-26T02:00:00.000Z');
  const config: Config = loadConfig({
    DATA_DIR: database.dir,
    DATABASE_PATH: database.path,
    PUBLIC_BASE_URL: 'https://checkup.example.test',
    ...options.env,
  });
  const dataKey = options.dataKey ?? Buffer.alloc(32, 42);
  const cipher = createCipher(dataKey);
  const recording = createRecordingTelephony(silentLogger, clock);
  const deps: AppDeps = {
    config,
    telephony: options.telephony ? options.telephony(clock) : recording,
    twilioAuthToken: TEST_TWILIO_TOKEN,
    db: database.db,
    atomic: database.atomic,
    sqlLimits: database.sqlLimits,
    clock,
    ids: randomIds,
    cipher,
    logger: options.logger ?? silentLogger,
    registryParser: options.parser === 'worker' ? workerParser(dataKey) : inThreadParser(cipher, { knownRows: options.knownRows ?? true }),
  };
  const app = createApp(deps);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    tokens[role] = (await addStaff(deps, { name: `测试${role}`, role, createdBy: null })).token;
  }
  const request = (path: string, init: RequestInit & { as?: Role | null; client?: string } = {}) => {
    const { as = 'admin', client, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (as) headers.set('authorization', `Bearer ${tokens[as]}`);
    if (options.lang && !headers.has('accept-language')) headers.set('accept-language', options.lang);
    return app.request(path, { ...rest, headers }, client === undefined ? undefined : fromAddress(client));
  };
  return { app, deps, clock, tokens, request, recording, cleanup: database.cleanup };
}

/**
 * What @hono/node-server passes as the env of a request from `address` (its socket): `app.request`
 * has no socket, so every request would otherwise be the one client of src/http/client-address.ts.
 */
export function fromAddress(address: string) {
  return { incoming: { socket: { remoteAddress: address } } };
}

export function postCsv(t: TestApp, csv: string | Uint8Array, as: Role = 'admin') {
  return t.request('/api/registry/imports', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' }, as });
}

export function postJson(t: TestApp, path: string, body: unknown, as: Role = 'admin') {
  return t.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, as });
}

/**
 * SQLite's integrity check of the test's database: 'ok', or what it found. D1 authorises only the
 * quick form (every check but the comparison of each index with its table).
 */
export async function integrityCheck(db: AppDeps['db']): Promise<string> {
  const check = async (pragma: 'integrity_check' | 'quick_check') =>
    (await sql.raw<Record<string, string>>(`PRAGMA ${pragma}`).execute(db)).rows.map((r) => r[pragma]).join('\n');
  try {
    return await check('integrity_check');
  } catch (err) {
    if (!/SQLITE_AUTH/.test(String(err))) throw err;
    return check('quick_check');
  }
}
