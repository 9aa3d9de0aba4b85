import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql, type Generated } from 'kysely';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kyselyAtomic } from '../../src/db/atomic.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/open-node.ts';
import { Sqlite3Dialect } from '../../src/db/sqlite3-dialect.ts';

interface TestDB {
  item: { id: Generated<number>; name: string; qty: number; seen_at: Generated<string | null> };
  ledger: { seq: Generated<number>; tx: number; step: number };
}

// The driver's contract (DESIGN.md "sqlite3 driver"), against a real SQLite file.
describe('Sqlite3Dialect', () => {
  let dir: string;
  let db: Kysely<TestDB>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-driver-'));
    const raw = new sqlite3.Database(join(dir, 'contract.db'));
    await migrate(raw, [
      {
        name: '0001.sql',
        sql: `CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER NOT NULL, seen_at TEXT);
              CREATE TABLE ledger (seq INTEGER PRIMARY KEY, tx INTEGER NOT NULL, step INTEGER NOT NULL);`,
      },
    ]);
    db = new Kysely<TestDB>({ dialect: new Sqlite3Dialect({ database: raw }) });
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the insert id and the affected row count of an insert', async () => {
    const first = await db.insertInto('item').values({ name: 'a', qty: 1 }).executeTakeFirstOrThrow();
    const second = await db.insertInto('item').values({ name: 'b', qty: 2 }).executeTakeFirstOrThrow();
    expect(first.insertId).toBe(1n);
    expect(second.insertId).toBe(2n);
    expect(second.numInsertedOrUpdatedRows).toBe(1n);
  });

  it('returns rows from insert, update and delete with returning', async () => {
    const inserted = await db.insertInto('item').values([{ name: 'a', qty: 1 }, { name: 'b', qty: 2 }]).returning(['id', 'name']).execute();
    expect(inserted).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    const updated = await db.updateTable('item').set({ qty: 5 }).where('name', '=', 'b').returning('qty').execute();
    expect(updated).toEqual([{ qty: 5 }]);
    const deleted = await db.deleteFrom('item').where('id', '=', 1).returning('name').execute();
    expect(deleted).toEqual([{ name: 'a' }]);
  });

  it('counts the rows an update and a delete touched', async () => {
    await db.insertInto('item').values([{ name: 'a', qty: 1 }, { name: 'b', qty: 1 }, { name: 'c', qty: 2 }]).execute();
    const updated = await db.updateTable('item').set({ qty: 9 }).where('qty', '=', 1).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).toBe(2n);
    const deleted = await db.deleteFrom('item').where('qty', '=', 42).executeTakeFirstOrThrow();
    expect(deleted.numDeletedRows).toBe(0n);
  });

  it('binds a Date as its ISO string and a boolean as 1 or 0', async () => {
    const at = new Date('2026-11-26T02:03:04.000Z');
    await sql`INSERT INTO item (name, qty, seen_at) VALUES ('d', ${true}, ${at})`.execute(db);
    const row = await db.selectFrom('item').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ qty: 1, seen_at: '2026-11-26T02:03:04.000Z' });
  });

  it('answers rows for raw selects and pragmas, and counts for raw writes', async () => {
    const { rows } = await sql<{ v: number }>`SELECT 1 + 1 AS v`.execute(db);
    expect(rows).toEqual([{ v: 2 }]);
    const { rows: fk } = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db);
    expect(fk).toHaveLength(1);
    const write = await sql`INSERT INTO item (name, qty) VALUES ('x', 1)`.execute(db);
    expect(write.numAffectedRows).toBe(1n);
  });

  it('rolls back every statement of a failed transaction', async () => {
    await db.insertInto('item').values({ name: 'keep', qty: 1 }).execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('item').values({ name: 'new', qty: 1 }).execute();
        await trx.updateTable('item').set({ qty: 100 }).execute();
        await trx.insertInto('item').values({ name: 'keep', qty: 3 }).execute(); // UNIQUE violation
      }),
    ).rejects.toThrow(/UNIQUE/);
    const rows = await db.selectFrom('item').select(['name', 'qty']).execute();
    expect(rows).toEqual([{ name: 'keep', qty: 1 }]);
  });

  it('reuses a cached statement after it failed', async () => {
    const insert = (name: string) => db.insertInto('item').values({ name, qty: 1 }).execute();
    await insert('a');
    await expect(insert('a')).rejects.toThrow(/UNIQUE/);
    await insert('b');
    expect(await db.selectFrom('item').select('name').orderBy('name').execute()).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('runs 50 concurrent transactions without interleaving their statements', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, tx) =>
        db.transaction().execute(async (trx) => {
          for (let step = 0; step < 5; step++) {
            await trx.insertInto('ledger').values({ tx, step }).execute();
            await new Promise((r) => setImmediate(r));
          }
        }),
      ),
    );
    const rows = await db.selectFrom('ledger').select(['tx', 'step']).orderBy('seq').execute();
    expect(rows).toHaveLength(250);
    for (let i = 0; i < rows.length; i += 5) {
      const block = rows.slice(i, i + 5);
      expect(new Set(block.map((r) => r.tx)).size).toBe(1);
      expect(block.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('keeps plain queries out of a running transaction', async () => {
    const trx = db.transaction().execute(async (t) => {
      await t.insertInto('item').values({ name: 'in-tx', qty: 1 }).execute();
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('abort');
    });
    const outside = db.insertInto('item').values({ name: 'outside', qty: 1 }).execute();
    await expect(trx).rejects.toThrow('abort');
    await outside;
    expect(await db.selectFrom('item').select('name').execute()).toEqual([{ name: 'outside' }]);
  });

  it('applies an atomic batch all or nothing', async () => {
    const atomic = kyselyAtomic(db);
    const ok = await atomic([
      db.insertInto('item').values({ name: 'a', qty: 1 }).compile(),
      db.insertInto('item').values({ name: 'b', qty: 1 }).returning('id').compile(),
    ]);
    expect(ok[1]?.rows).toEqual([{ id: 2 }]);
    await expect(
      atomic([
        db.insertInto('item').values({ name: 'c', qty: 1 }).compile(),
        db.insertInto('item').values({ name: 'a', qty: 1 }).compile(),
      ]),
    ).rejects.toThrow(/UNIQUE/);
    expect(await db.selectFrom('item').select('name').orderBy('name').execute()).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('applies each migration once', async () => {
    const raw = new sqlite3.Database(join(dir, 'twice.db'));
    const migrations = [{ name: '0001.sql', sql: 'CREATE TABLE t (x INTEGER);' }];
    expect(await migrate(raw, migrations)).toEqual(['0001.sql']);
    expect(await migrate(raw, migrations)).toEqual([]);
    await new Promise((r) => raw.close(r));
  });

  it('leaves no trace of a migration that fails', async () => {
    const raw = new sqlite3.Database(join(dir, 'broken.db'));
    await expect(
      migrate(raw, [{ name: '0001.sql', sql: 'CREATE TABLE ok (x INTEGER); CREATE TABLE broken (' }]),
    ).rejects.toThrow(/0001\.sql/);
    const tables = await new Promise<unknown[]>((res) => raw.all("SELECT name FROM sqlite_master WHERE name = 'ok'", (_e, r) => res(r)));
    expect(tables).toEqual([]);
    await new Promise((r) => raw.close(r));
  });
});

describe('openNodeDatabase', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pragma = async (database: NodeDatabase, name: string) =>
    Object.values((await sql<Record<string, unknown>>`${sql.raw(`PRAGMA ${name}`)}`.execute(database.db)).rows[0] ?? {})[0];

  it('creates a new file with 16 KB pages, WAL, foreign keys and synchronous FULL', async () => {
    const database = await openNodeDatabase(join(dir, 'new.db'));
    expect(await pragma(database, 'page_size')).toBe(16384);
    expect(await pragma(database, 'journal_mode')).toBe('wal');
    expect(await pragma(database, 'foreign_keys')).toBe(1);
    expect(await pragma(database, 'synchronous')).toBe(2);
    await database.close();
  });

  it('answers a SELECT from its reader while a transaction holds the writer, with what was last committed', async () => {
    const database = await openNodeDatabase(join(dir, 'reader.db'));
    const { db } = database;
    await sql`CREATE TABLE t (x INTEGER)`.execute(db);
    await sql`INSERT INTO t VALUES (1)`.execute(db);
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    let inserted!: () => void;
    const insertedInside = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await sql`INSERT INTO t VALUES (2)`.execute(trx);
      inserted();
      await held;
    });
    await insertedInside;
    // Not kept waiting behind the open transaction, and not seeing its uncommitted row.
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows).toEqual([{ n: 1 }]);
    expect(await db.selectFrom('t' as never).select(sql<number>`count(*)`.as('n')).execute()).toEqual([{ n: 1 }]);
    finish();
    await transaction;
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows).toEqual([{ n: 2 }]);
    // The writing connection's own counters are read from it, not from the reader.
    expect((await sql<{ c: number }>`SELECT total_changes() AS c`.execute(db)).rows[0]!.c).toBeGreaterThanOrEqual(2);
    await database.close();
  });

  it('keeps the page size of an existing file', async () => {
    const path = join(dir, 'old.db');
    const raw = new sqlite3.Database(path);
    await new Promise<void>((resolve, reject) => raw.exec('PRAGMA page_size = 4096; CREATE TABLE t (x);', (e) => (e ? reject(e) : resolve())));
    await new Promise((resolve) => raw.close(resolve));
    const database = await openNodeDatabase(path);
    expect(await pragma(database, 'page_size')).toBe(4096);
    expect(await pragma(database, 'journal_mode')).toBe('wal');
    await database.close();
  });
});
