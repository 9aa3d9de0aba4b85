import { applyD1Migrations, env, type D1Migration } from 'cloudflare:test';
import { Kysely } from 'kysely';
import { d1Atomic, D1Dialect, type D1Like } from '../../src/db/d1-dialect.ts';
import { D1_LIMITS } from '../../src/db/limits.ts';
import type { NodeDatabase } from '../../src/db/open-node.ts';
import type { DB } from '../../src/db/schema/index.ts';

/**
 * `openTempDatabase` for the suite's run in workerd (vitest.workers.config.ts puts this module in
 * place of temp-db.ts): a D1 database of the pool's bindings (D1_0 ... D1_n), migrated by the
 * same files as wrangler applies, emptied when the test's cleanup hands it back.
 */
type Bindings = Record<string, unknown> & { MIGRATIONS: D1Migration[]; D1_DATABASES: string };

const bindings = env as unknown as Bindings;
const free: string[] = Array.from({ length: Number(bindings.D1_DATABASES) }, (_, i) => `D1_${i}`);
/** Per binding once migrated: the rows the migrations wrote (e.g. queue_control's), put back after each test. */
const seeds = new Map<string, Seed[]>();
type Seed = { table: string; rows: Record<string, unknown>[] };

export async function openTempDatabase(): Promise<NodeDatabase & { binding: D1Like; dir: string; path: string; cleanup(): Promise<void> }> {
  const name = free.shift();
  if (!name) throw new Error(`every one of the ${bindings.D1_DATABASES} D1 test databases is in use: raise D1_DATABASES in vitest.workers.config.ts`);
  const d1 = bindings[name] as D1Like;
  if (!seeds.has(name)) {
    await applyD1Migrations(d1, bindings.MIGRATIONS);
    seeds.set(name, await seedRows(d1));
  }
  const db = new Kysely<DB>({ dialect: new D1Dialect(d1) });
  let open = true;
  return {
    binding: d1,
    db,
    atomic: d1Atomic(d1),
    sqlLimits: D1_LIMITS,
    close: async () => {},
    dir: `/d1/${name}`,
    path: `d1:${name}`,
    cleanup: async () => {
      if (!open) return;
      open = false;
      await empty(d1, seeds.get(name)!);
      free.push(name);
    },
  };
}

async function tables(d1: D1Like): Promise<string[]> {
  const { results = [] } = await d1
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*' AND name <> 'd1_migrations'")
    .all();
  return (results as Array<{ name: string }>).map((r) => r.name);
}

async function seedRows(d1: D1Like): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const table of await tables(d1)) {
    const { results = [] } = await d1.prepare(`SELECT * FROM "${table}"`).all();
    if (results.length > 0) seeds.push({ table, rows: results as Record<string, unknown>[] });
  }
  return seeds;
}

const STAGING = /^(import_staging_|screening_staging_)/;

/** Every row gone, every staging table dropped and the migrations' rows back: as freshly migrated. */
async function empty(d1: D1Like, seeds: readonly Seed[]): Promise<void> {
  const names = await tables(d1);
  const reseed = seeds.flatMap(({ table, rows }) =>
    rows.map((row) => {
      const columns = Object.keys(row);
      const sql = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      return d1.prepare(sql).bind(...Object.values(row));
    }),
  );
  await d1.batch([
    d1.prepare('PRAGMA defer_foreign_keys = ON'),
    ...names.map((t) => d1.prepare(STAGING.test(t) ? `DROP TABLE "${t}"` : `DELETE FROM "${t}"`)),
    ...reseed,
  ]);
}
