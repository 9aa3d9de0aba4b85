import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateRegistryRows } from '../../src/demo/demo-data.ts';
import { toCsvLine } from '../../src/registry/csv-write.ts';
import { importRegistry } from '../../src/registry/import-service.ts';
import { D1_LIMITS, SQLITE_LIMITS } from '../../src/db/limits.ts';
import { PER_ROW, StatementBlocks, stagingTable, stagingTables } from '../../src/registry/repository.ts';
import { maskIdNumber } from '../../src/shared/mask.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const ROWS_PER_BLOCK = Math.floor(16000 / PER_ROW); // 800: 19 licence columns and the refresh flag
/** `count` rows whose values are their row numbers, from `first`. */
const rows = (first: number, count: number) => Array.from({ length: count * PER_ROW }, (_, i) => first + Math.floor(i / PER_ROW));

describe('StatementBlocks', () => {
  it('cuts rows arriving in parts into full statement blocks, in order, and keeps the rest', () => {
    const blocks = new StatementBlocks(SQLITE_LIMITS);
    blocks.add(rows(0, 500));
    blocks.add([]);
    blocks.add(rows(500, 500));
    expect(blocks.rows).toBe(1000);
    const full = blocks.take(false);
    expect(full).toHaveLength(1);
    expect(full[0]).toEqual(rows(0, ROWS_PER_BLOCK));
    expect(blocks.rows).toBe(1000 - ROWS_PER_BLOCK);
    blocks.add(rows(1000, 2000));
    const more = blocks.take(false);
    expect(more.map((b) => b.length / PER_ROW)).toEqual([ROWS_PER_BLOCK, ROWS_PER_BLOCK]);
    expect(more[0]![0]).toBe(ROWS_PER_BLOCK);
    const last = blocks.take(true);
    expect(last).toEqual([rows(3 * ROWS_PER_BLOCK, 3000 - 3 * ROWS_PER_BLOCK)]);
    expect(blocks.rows).toBe(0);
    expect(blocks.take(true)).toEqual([]);
  });

  it("cuts blocks to the database's bulk form: 800 rows of bound values on sqlite3, 1,000 rows of JSON on D1", () => {
    const blocks = new StatementBlocks(D1_LIMITS);
    blocks.add(rows(0, 2500));
    expect(blocks.take(true).map((b) => b.length / PER_ROW)).toEqual([1000, 1000, 500]);
  });
});

describe('the staging table of an import in progress', () => {
  const TODAY = '2026-11-26';
  let t: TestApp;
  afterEach(async () => t?.cleanup());

  /** Every value of every table an import writes to while it runs, as one text to search. */
  async function everythingStored(db: TestApp['deps']['db'], importId: string): Promise<{ text: string; staged: number }> {
    const staged = await sql.raw<Record<string, unknown>>(`SELECT * FROM "${stagingTable(importId)}"`).execute(db);
    const rejected = await db.selectFrom('import_rejected_rows').selectAll().execute();
    const imports = await db.selectFrom('imports').selectAll().execute();
    const rows = [...staged.rows, ...rejected, ...imports];
    return { text: rows.map((r) => Object.values(r).map(String).join('\u0001')).join('\n'), staged: staged.rows.length };
  }

  for (const parser of ['worker', 'in-thread'] as const) {
    it(`never holds a clear ID number, mid-import (${parser} parser)`, async () => {
      t = await createTestApp({ parser });
      const generated = [...generateRegistryRows({ count: 6000, seed: 13, today: TODAY })];
      const [header, ...data] = generated as [string[], ...string[][]];
      // Some rows rejected (bad phone), their cells kept encrypted for the errors download.
      const rows = data.map((r, i) => (i % 50 === 7 ? r.map((cell, c) => (header[c] === 'phone' ? 'x' : cell)) : r));
      const idColumn = header.indexOf('id_number');
      const ids = rows.map((r) => r[idColumn]!);
      const lines = [header, ...rows].map((r) => toCsvLine(r));
      const encoder = new TextEncoder();
      let release!: () => void;
      const paused = new Promise<void>((resolve) => (release = resolve));
      let reachedPause!: () => void;
      const atPause = new Promise<void>((resolve) => (reachedPause = resolve));
      async function* source(): AsyncGenerator<Uint8Array> {
        yield encoder.encode(lines.slice(0, 5001).join(''));
        reachedPause();
        await paused;
        yield encoder.encode(lines.slice(5001).join(''));
      }
      const running = importRegistry(t.deps, { source: source(), staffId: null, origin: 'cli', filename: null });
      await atPause;
      const importId = (await t.deps.db.selectFrom('imports').select('id').where('status', '=', 'running').executeTakeFirstOrThrow()).id;
      // Wait (by condition, not time) until the batch writer has staged rows of the first part.
      let stored = await everythingStored(t.deps.db, importId);
      await vi.waitFor(async () => {
        stored = await everythingStored(t.deps.db, importId);
        expect(stored.staged).toBeGreaterThan(2000);
      }, { timeout: 20_000 });
      expect(await t.deps.db.selectFrom('import_rejected_rows').select('line').execute()).not.toHaveLength(0);
      // Every 18-character run that could be an ID number, overlapping ones included.
      const candidates = (text: string) => new Set([...text.matchAll(/(?=(\d{17}[\dXx]))/g)].map((m) => m[1]!.toUpperCase()));
      expect(candidates(lines.join('')).size).toBe(ids.length); // the search finds them where they are
      const inDatabase = candidates(stored.text);
      expect(ids.filter((id) => inDatabase.has(id))).toEqual([]);
      // And the masked form is all that shows of them.
      expect(stored.text).toContain(maskIdNumber(ids[0]!));
      release();
      await running;
      expect(await stagingTables(t.deps.db)).toEqual([]);
    });
  }
});
