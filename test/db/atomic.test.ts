import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, Kysely, sql, type Generated } from 'kysely';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kyselyAtomic } from '../../src/db/atomic.ts';
import { migrate } from '../../src/db/migrate.ts';
import { Sqlite3Dialect } from '../../src/db/sqlite3-dialect.ts';

interface TestDB {
  item: { id: Generated<number>; name: string; qty: number };
  tag: { id: Generated<number>; item_id: number };
}

// Group commit (src/db/atomic.ts): concurrent batches share a transaction, each all or nothing.
describe('kyselyAtomic with concurrent batches', () => {
  let dir: string;
  let path: string;
  let raw: sqlite3.Database;
  let db: Kysely<TestDB>;
  let statements: string[];
  const markers = new Map<string, () => void>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-atomic-'));
    path = join(dir, 'atomic.db');
    raw = new sqlite3.Database(path);
    await new Promise<void>((resolve, reject) => raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;', (e) => (e ? reject(e) : resolve())));
    await migrate(raw, [
      {
        name: '0001.sql',
        sql: `CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER NOT NULL CHECK (qty >= 0));
            CREATE TABLE tag (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES item (id) DEFERRABLE INITIALLY DEFERRED);`,
      },
    ]);
    statements = [];
    raw.on('trace', (sql) => {
      statements.push(sql);
      markers.get(sql)?.();
    });
    db = new Kysely<TestDB>({ dialect: new Sqlite3Dialect({ database: raw }) });
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (name: string, qty = 1) => db.insertInto('item').values({ name, qty }).compile();
  const names = async () => (await db.selectFrom('item').select('name').orderBy('name').execute()).map((r) => r.name);
  const commits = () => statements.filter((s) => s === 'commit').length;

  let marker = 0;
  /**
   * Resolves once every statement run so far has been traced: sqlite3 delivers trace events
   * asynchronously (in order), so a marker query's own trace is waited for. (Through the one
   * listener: sqlite3 stops tracing new statements when a second 'trace' listener is added.)
   */
  function traced(): Promise<void> {
    const text = `SELECT 'trace marker ${++marker}'`;
    return new Promise((resolve, reject) => {
      markers.set(text, resolve);
      raw.get(text, (err) => err && reject(err));
    });
  }

  /** Reads through a second connection, which sees committed rows only. */
  async function committedNames(): Promise<string[]> {
    const reader = await new Promise<sqlite3.Database>((resolve, reject) => {
      const r = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (e) => (e ? reject(e) : resolve(r)));
    });
    try {
      const rows = await new Promise<Array<{ name: string }>>((resolve, reject) =>
        reader.all('SELECT name FROM item ORDER BY name', (e: Error | null, r: Array<{ name: string }>) => (e ? reject(e) : resolve(r))),
      );
      return rows.map((r) => r.name);
    } finally {
      await new Promise((r) => reader.close(r));
    }
  }

  it('commits 50 concurrent batches, in far fewer transactions, each with its own results', async () => {
    const atomic = kyselyAtomic(db);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => atomic([insert(`a${i}`), db.updateTable('item').set({ qty: 2 }).where('name', '=', `a${i}`).compile()])),
    );
    expect(await names()).toHaveLength(50);
    expect(results.map((r) => r[1]?.numAffectedRows)).toEqual(Array(50).fill(1n));
    expect(new Set(results.map((r) => r[0]?.insertId)).size).toBe(50);
    await traced();
    expect(commits()).toBeLessThan(50);
    expect(statements.filter((s) => s.startsWith('begin')).length).toBe(commits());
  });

  it('rolls back a failing batch alone: its caller gets its error, the others commit', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('taken')]);
    const outcomes = await Promise.allSettled([
      atomic([insert('a1'), insert('a2')]),
      atomic([insert('b1'), insert('taken')]), // UNIQUE violation on its second statement
      atomic([insert('c1')]),
      atomic([insert('d1'), db.updateTable('item').set({ qty: -1 }).where('name', '=', 'a1').compile()]), // CHECK violation
      atomic([insert('e1')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: item\.name/);
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint failed/);
    expect(await names()).toEqual(['a1', 'a2', 'c1', 'e1', 'taken']);
    expect(await db.selectFrom('item').select('qty').where('name', '=', 'a1').executeTakeFirst()).toEqual({ qty: 1 });
    await traced();
    expect(commits()).toBeLessThan(5);
  });

  it('runs resultless batches that wait together as one script between one BEGIN and one COMMIT', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('first')]);
    await traced();
    const before = { commits: commits(), statements: statements.length };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => atomic([insert(`s${i}`, i), db.updateTable('item').set({ qty: sql`qty + 1` }).where('name', '=', `s${i}`).compile()], { results: false })));
    expect(results).toEqual(Array(20).fill([]));
    const rows = await db.selectFrom('item').select(['name', 'qty']).where('name', 'like', 's%').orderBy('qty').execute();
    expect(rows).toEqual(Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, qty: i + 1 })));
    await traced();
    const ran = statements.slice(before.statements);
    expect(commits() - before.commits).toBeLessThan(20);
    // The values written in as literals (the trace shows each statement of the script as it ran).
    expect(ran).toContain(`insert into "item" ("name", "qty") values ('s3', 3);`);
    // The first batch alone, then the others that had arrived meanwhile, all in one script.
    expect(ran.filter((x) => x.startsWith('begin')).length).toBeLessThanOrEqual(2);
  });

  it('writes quotes, placeholders and any text into a script as they are, and binds a text with a NUL instead', async () => {
    const atomic = kyselyAtomic(db);
    const odd = ["it's ? 体检", "'); DROP TABLE item; --", 'a\u0000b', '?', '"?"'];
    await Promise.all(odd.map((name) => atomic([insert(name)], { results: false })));
    expect((await names()).sort()).toEqual([...odd].sort());
    expect(await db.selectFrom('item').select('name').where('name', '=', 'a\u0000b').executeTakeFirst()).toEqual({ name: 'a\u0000b' });
  });

  it('gives a failing resultless batch its own error, and commits the others of its script', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('taken')]);
    const outcomes = await Promise.allSettled([
      atomic([insert('r1')], { results: false }),
      atomic([insert('r2'), insert('taken')], { results: false }), // UNIQUE violation on its second statement
      atomic([insert('r3')], { results: false }),
      atomic([insert('r4'), db.updateTable('item').set({ qty: -1 }).where('name', '=', 'r1').compile()], { results: false }), // CHECK
      atomic([insert('r5')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: item\.name/);
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint failed/);
    expect(await names()).toEqual(['r1', 'r3', 'r5', 'taken']);
  });

  it('keeps the others when the first batch of a transaction fails', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('taken')]);
    const outcomes = await Promise.allSettled([atomic([insert('x'), insert('taken')]), atomic([insert('y')]), atomic([insert('z')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(await names()).toEqual(['taken', 'y', 'z']);
  });

  it('settles every promise only once its batch is committed', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('taken')]);
    const name = (i: number) => `n${String(i).padStart(2, '0')}`;
    const seen: Array<[string, string[]]> = [];
    const failedEarly: string[] = [];
    await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        atomic([insert(name(i)), ...(i % 5 === 4 ? [insert('taken')] : [])]).then(
          async () => seen.push([name(i), await committedNames()]),
          async () => {
            // A failed batch is told so only once the batches queued before it are committed.
            const committed = await committedNames();
            const before = Array.from({ length: i }, (_, j) => j).filter((j) => j % 5 !== 4).map(name);
            if (!before.every((n) => committed.includes(n))) failedEarly.push(name(i));
          },
        ),
      ),
    );
    const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 5 !== 4).map(name);
    expect(await committedNames()).toEqual([...expected, 'taken']);
    // Whoever was told "done" could already read their row from another connection.
    expect(seen).toHaveLength(16);
    for (const [mine, committed] of seen) expect(committed).toContain(mine);
    expect(failedEarly).toEqual([]);
    await traced();
    expect(commits()).toBeLessThan(10);
  });

  it('runs the batches of a transaction SQLite rolled back one by one, so that only the culprit fails', async () => {
    const atomic = kyselyAtomic(db);
    await atomic([insert('taken')]);
    const orRollback = db.insertInto('item').orRollback().values({ name: 'taken', qty: 1 }).compile();
    const outcomes = await Promise.allSettled([atomic([insert('a')]), atomic([insert('b')]), atomic([insert('c'), orRollback]), atomic([insert('d')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await names()).toEqual(['a', 'b', 'd', 'taken']);
  });

  it('runs the batches of a transaction whose commit failed one by one, so that only the culprit fails', async () => {
    const atomic = kyselyAtomic(db);
    // A deferred foreign key is checked at COMMIT, not when the batch's savepoint is released.
    const orphan = db.insertInto('tag').values({ item_id: 999 }).compile();
    const outcomes = await Promise.allSettled([atomic([insert('a')]), atomic([insert('b'), orphan]), atomic([insert('c')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(await names()).toEqual(['a', 'c']);
    expect(await db.selectFrom('tag').selectAll().execute()).toEqual([]);
  });

  it('lets no batch join a transaction that has run for maxTransactionMs', async () => {
    const atomic = kyselyAtomic(db, { maxTransactionMs: 5 });
    // About a hundred milliseconds of work in one statement.
    const slow = sql`INSERT INTO item (name, qty) WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000)
      SELECT 'slow', count(*) FROM n`.compile(db);
    await Promise.all([atomic([slow]), atomic([insert('a')]), atomic([insert('b')])]);
    await traced();
    const firstCommit = statements.indexOf('commit');
    expect(statements.slice(0, firstCommit).filter((s) => /^insert/i.test(s))).toHaveLength(1);
    // a and b share the next transaction, or (on a machine too busy to let b in within 5 ms) not.
    expect(commits()).toBeGreaterThanOrEqual(2);
    expect(commits()).toBeLessThanOrEqual(3);
    expect(await names()).toEqual(['a', 'b', 'slow']);
  });

  it('gives each batch its own transaction with maxBatchesPerTransaction 1', async () => {
    const atomic = kyselyAtomic(db, { maxBatchesPerTransaction: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => atomic([insert(`s${i}`)])));
    await traced();
    expect(commits()).toBe(10);
    expect(statements.some((s) => s.startsWith('savepoint'))).toBe(false);
  });

  it('lets plain queries run between transactions, never inside one', async () => {
    const atomic = kyselyAtomic(db);
    const work = Array.from({ length: 10 }, (_, i) => atomic([insert(`p${i}`), insert(`q${i}`)]));
    const counts = await Promise.all(Array.from({ length: 10 }, () => db.selectFrom('item').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()));
    await Promise.all(work);
    // A read sees whole batches only: an even number of rows.
    for (const { n } of counts) expect(n % 2).toBe(0);
  });

  it('hands a run of statements with the same SQL over at once, runs them in order and nothing after a failed one', async () => {
    const atomic = kyselyAtomic(db);
    const results = await atomic(['r1', 'r2', 'r3', 'r4', 'r5'].map((name) => insert(name)));
    expect(results.map((r) => r.insertId)).toEqual([1n, 2n, 3n, 4n, 5n]);
    await atomic([insert('taken')]);
    statements = [];
    const failed = atomic([insert('f1'), insert('f2'), insert('taken'), insert('f4'), insert('f5')]);
    await expect(failed).rejects.toThrow(/UNIQUE constraint failed/);
    expect(await committedNames()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'taken']);
    expect(await names()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'taken']);
    // The statements queued after the failing one ran, in order, before the rollback, which undid them.
    await traced();
    const inserts = statements.filter((s) => s.startsWith('insert'));
    expect(inserts.map((s) => /'(\w+)'/.exec(s)?.[1])).toEqual(['f1', 'f2', 'taken', 'f4', 'f5']);
    expect(statements.lastIndexOf(inserts.at(-1)!)).toBeLessThan(statements.indexOf('rollback'));
  });

  it('prepares a new statement once when a run of queries asks for it at the same time', async () => {
    const atomic = kyselyAtomic(db);
    const fresh = (name: string) => CompiledQuery.raw('INSERT INTO item (name, qty) VALUES (?, 7)', [name]);
    const results = await atomic(Array.from({ length: 20 }, (_, i) => fresh(`n${String(i).padStart(2, '0')}`)));
    expect(results.map((r) => Number(r.insertId))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await db.selectFrom('item').select('name').orderBy('id').execute()).map((r) => r.name)).toEqual(
      Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`),
    );
  });
});
