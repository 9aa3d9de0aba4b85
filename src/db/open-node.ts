import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely } from 'kysely';
import sqlite3 from 'sqlite3';
import { kyselyAtomic } from './atomic.ts';
import { SQLITE_LIMITS, type SqlLimits } from './limits.ts';
import { migrate } from './migrate.ts';
import type { DB } from './schema/index.ts';
import { Sqlite3Dialect } from './sqlite3-dialect.ts';
import type { Atomic } from '../ports.ts';

export interface NodeDatabase {
  db: Kysely<DB>;
  atomic: Atomic;
  sqlLimits: SqlLimits;
  close(): Promise<void>;
}

function openRaw(path: string): Promise<sqlite3.Database> {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  return new Promise((resolve, reject) => {
    const raw = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(raw)));
  });
}

const isFile = (path: string) => path !== ':memory:' && path !== '' && !(path.startsWith('file:') && /[?&]mode=memory\b/.test(path));

function exec(raw: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => raw.exec(sql, (err) => (err ? reject(err) : resolve())));
}

/**
 * Opens (creating if needed) the SQLite file, sets the pragmas of DESIGN.md and applies pending
 * migrations. `synchronous=FULL`: a commit that returned must survive a power cut - 12123
 * submissions are kept here. A 32 MB page cache keeps the indexes of a million-licence registry
 * in memory during imports; the 30 s busy timeout lets another process (the CLI beside the
 * server) wait out the final statement of an import instead of failing.
 *
 * Pages of 16 KB (SQLite's default is 4 KB) for a new file: the final upsert of a million-row
 * import, which inserts into two indexes in random order, took 6.9 s with 4 KB pages and 4.3 s
 * with 16 KB (8 KB: 5.8 s, 32 and 64 KB: 4.7-4.9 s; bench/README.md). An existing file keeps the
 * page size it was created with.
 */
export async function openNodeDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Promise<NodeDatabase> {
  const raw = await openRaw(path);
  await exec(
    raw,
    `PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;
     PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 30_000)}; PRAGMA temp_store = MEMORY;
     PRAGMA cache_size = -32768;`,
  );
  await migrate(raw);
  // The reader (issue 18): SELECTs outside transactions, beside the writer (WAL: readers and the
  // writer do not block each other). An in-memory database has no file to share.
  const reader = isFile(path) ? await openRaw(path) : undefined;
  if (reader) {
    await exec(reader, `PRAGMA query_only = ON; PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 30_000)}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;`);
  }
  const db = new Kysely<DB>({ dialect: new Sqlite3Dialect({ database: raw, reader }) });
  return { db, atomic: kyselyAtomic(db), sqlLimits: SQLITE_LIMITS, close: () => db.destroy() };
}
