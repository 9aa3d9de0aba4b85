import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapHeader } from '../../src/registry/columns.ts';
import { oldestBirthDate } from '../../src/registry/id-number.ts';
import { cellsHash, KnownRows, NO_FINGERPRINT } from '../../src/registry/known-rows.ts';
import { parseRegistry } from '../../src/registry/parse-registry.ts';
import { knownRowsOf } from '../../src/registry/repository.ts';
import { parseOptions } from '../../src/registry/seal.ts';
import { createCipher } from '../../src/shared/personal-data.ts';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { csv, HEADER, row, syntheticId } from '../helpers/registry-csv.ts';

/**
 * Known rows (issue 18): a re-import counts the rows the registry holds exactly so without
 * validating, sealing or staging them. Whatever the file, it must come out as the full path
 * would: the same figures and the same stored licences.
 */
const DATA_KEY = Buffer.alloc(32, 42);
const TODAY = '2026-11-26';

interface Summary {
  totalRows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

const BASE = Array.from({ length: 10 }, (_, i) =>
  row(`37150000${String(i + 1).padStart(4, '0')}`, { birth: `19${50 + i}-0${(i % 9) + 1}-1${i % 10}`, classes: i % 3 === 0 ? 'A2 D' : 'C1' }),
);
const ID = HEADER.indexOf('id_number');

/** One change to a file: a cell edited, a row added, removed or duplicated, the ID's x lower-cased, columns swapped. */
const editArb = fc.oneof(
  fc.record({ kind: fc.constant('cell' as const), row: fc.nat(), column: fc.constantFrom('phone', 'address', 'community', 'classes', 'valid_until', 'status', 'lat', 'name'), value: fc.constantFrom('', ' 13900000009 ', 'C1 M', '2031-01-01', 'cancelled', '36.5', '测试乙', 'Q', '东昌府区 2号') }),
  fc.record({ kind: fc.constant('id' as const), row: fc.nat(), birth: fc.constantFrom('1950-03-10', '1962-07-01', '1939-02-28') }),
  fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 11, max: 14 }) }),
  fc.record({ kind: fc.constant('drop' as const), row: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), row: fc.nat() }),
  fc.record({ kind: fc.constant('swap-columns' as const) }),
);

type Edit = typeof editArb extends fc.Arbitrary<infer E> ? E : never;

function apply(rows: string[][], edit: Edit): string[][] {
  const out = rows.map((r) => [...r]);
  const at = 'row' in edit ? edit.row % Math.max(1, out.length) : 0;
  if (edit.kind === 'cell' && out[at]) out[at][HEADER.indexOf(edit.column)] = edit.value;
  if (edit.kind === 'id' && out[at]) out[at][ID] = syntheticId(edit.birth, 'F', at + 7).replace(/X$/, 'x');
  if (edit.kind === 'add') out.push(row(`37150000${String(edit.n).padStart(4, '0')}`));
  if (edit.kind === 'drop') out.splice(at, 1);
  if (edit.kind === 'duplicate' && out[at]) out.push([...out[at]]);
  return out;
}

function text(rows: string[][], swapped: boolean): string {
  if (!swapped) return csv(rows);
  // The same data with the first two columns exchanged: a fingerprint does not depend on the order.
  const swap = (r: readonly string[]) => [r[1]!, r[0]!, ...r.slice(2)];
  return csv(rows.map(swap), swap(HEADER));
}

const stored = (t: TestApp) =>
  t.deps.db
    .selectFrom('licences')
    .select(['file_number', 'id_hash', 'id_masked', 'birth_date', 'sex', 'name', 'phone', 'phone_kind', 'address', 'community', 'classes',
      'first_issued_on', 'valid_until', 'extension_until', 'last_cert_submitted_on', 'status', 'lat', 'lng', 'updated_at'])
    .orderBy('file_number')
    .execute();

describe('known rows of a re-import', () => {
  let fast: TestApp;
  let full: TestApp;
  beforeAll(async () => {
    fast = await createTestApp({ dataKey: DATA_KEY });
    full = await createTestApp({ dataKey: DATA_KEY, knownRows: false });
  });
  afterAll(async () => {
    await fast.cleanup();
    await full.cleanup();
  });

  it('give the figures and licences of the full path, whatever changed between two imports', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { maxLength: 4 }), fc.array(editArb, { maxLength: 3 }), async (first, second) => {
        round += 1;
        const at = (minute: number) => `2026-11-26T0${Math.floor(round / 60) % 10}:${String(round % 60).padStart(2, '0')}:${String(minute).padStart(2, '0')}.000Z`;
        let rows = BASE;
        for (const [i, edits] of [first, second].entries()) {
          for (const edit of edits) rows = apply(rows, edit);
          const swapped = edits.some((e) => e.kind === 'swap-columns');
          const summaries: Summary[] = [];
          for (const t of [fast, full]) {
            t.clock.set(at(i));
            const res = await postCsv(t, text(rows, swapped));
            const { totalRows, inserted, updated, unchanged, rejected } = (await res.json()) as Summary;
            summaries.push({ totalRows, inserted, updated, unchanged, rejected });
          }
          expect(summaries[0]).toEqual(summaries[1]);
          expect(await stored(fast)).toEqual(await stored(full));
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('known rows, one by one', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dataKey: DATA_KEY });
  });
  afterEach(() => t.cleanup());

  const cipher = createCipher(DATA_KEY);
  const known = async (file: string) => {
    const rows = await knownRowsOf(t.deps.db, oldestBirthDate(TODAY));
    let count = 0;
    const source = (async function* () {
      yield new TextEncoder().encode(file);
    })();
    for await (const batch of parseRegistry(source, parseOptions({ today: TODAY, maxRecordBytes: 65536, known: rows }, cipher))) count += batch.known;
    return count;
  };

  it('skips exactly the rows stored so, and none of a row whose ID or another cell changed', async () => {
    await postCsv(t, csv(BASE));
    expect(await known(csv(BASE))).toBe(BASE.length);
    const edited = BASE.map((r) => [...r]);
    edited[2]![HEADER.indexOf('address')] = '另一个地址';
    edited[5]![ID] = syntheticId('1955-06-15', 'F', 99);
    expect(await known(csv(edited))).toBe(BASE.length - 2);
  });

  it('stores the fingerprint of a row that had none (imported before the fingerprints), without counting it updated', async () => {
    await postCsv(t, csv(BASE));
    await t.deps.db.updateTable('licences').set({ row_hash: null }).execute();
    expect(await known(csv(BASE))).toBe(0);
    expect((await knownRowsOf(t.deps.db, oldestBirthDate(TODAY))).get(Number(BASE[0]![0]))).toBe(NO_FINGERPRINT);
    const body = (await (await postCsv(t, csv(BASE))).json()) as Summary;
    expect(body).toMatchObject({ inserted: 0, updated: 0, unchanged: BASE.length });
    expect(await known(csv(BASE))).toBe(BASE.length);
  });

  it('validates again a row whose holder passed the 120-year bound since', async () => {
    const old = row('371500000200', { birth: '1906-12-01' });
    expect((await (await postCsv(t, csv([old]))).json()) as Summary).toMatchObject({ inserted: 1 });
    t.clock.set('2026-12-05T02:00:00.000Z');
    expect((await (await postCsv(t, csv([old]))).json()) as Summary).toMatchObject({ rejected: 1, unchanged: 0 });
  });

  it('fingerprints the cells whatever their column order, and each cell apart', () => {
    const columns = mapHeader([...HEADER], 1).columns;
    const swapped = mapHeader([HEADER[1]!, HEADER[0]!, ...HEADER.slice(2)], 1).columns;
    const cells = BASE[0]!;
    expect(cellsHash([cells[1]!, cells[0]!, ...cells.slice(2)], swapped)).toBe(cellsHash(cells, columns));
    const moved = [...cells];
    const name = HEADER.indexOf('name');
    const address = HEADER.indexOf('address');
    moved[address] = moved[name]!.slice(-1) + moved[address]!;
    moved[name] = moved[name]!.slice(0, -1);
    expect(cellsHash(moved, columns)).not.toBe(cellsHash(cells, columns));
    const map = new KnownRows(4);
    for (let i = 0; i < 100; i++) map.set(371500000000 + i, i * 7);
    expect(map.size).toBe(100);
    expect(map.get(371500000042)).toBe(294);
    expect(map.get(371500000100)).toBeUndefined();
  });
});
