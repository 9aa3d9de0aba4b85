import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type sqlite3 from 'sqlite3';

/**
 * The SQL files are the single source of truth for Node and D1 (wrangler reads the same folder):
 * db/migrations of the project, found from this module upwards (it runs from src/db/ or from a
 * bundle in dist/).
 */
export const MIGRATIONS_DIR = findUp(dirname(fileURLToPath(import.meta.url)), join('db', 'migrations'));

function findUp(from: string, relative: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}

export interface Migration {
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}`, 'utf8') })));
}

function exec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}

function all<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
}

/**
 * Applies the migrations not yet applied, each in its own transaction, in name order.
 * Multi-statement files need `exec`: a prepared statement runs only the first statement.
 * Must run before the Kysely instance is used (it bypasses the driver's lock).
 */
export async function migrate(db: sqlite3.Database, migrations?: Migration[]): Promise<string[]> {
  await exec(db, 'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((await all<{ name: string }>(db, 'SELECT name FROM schema_migrations')).map((r) => r.name));
  const applied: string[] = [];
  for (const m of migrations ?? (await loadMigrations())) {
    if (done.has(m.name)) continue;
    const name = m.name.replaceAll("'", "''");
    try {
      await exec(db, `BEGIN IMMEDIATE;\n${m.sql}\n;INSERT INTO schema_migrations VALUES ('${name}', '${new Date().toISOString()}');\nCOMMIT;`);
    } catch (err) {
      await exec(db, 'ROLLBACK').catch(() => undefined);
      throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
    }
    applied.push(m.name);
  }
  return applied;
}
