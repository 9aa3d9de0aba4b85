import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvCell, toCsvLine, unescapeFormulaCell } from '../../src/registry/csv-write.ts';
import { readCsv } from '../../src/registry/csv.ts';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { csv, HEADER, row } from '../helpers/registry-csv.ts';

/** Issue 13 item 7: no CSV the service writes can run a formula in a spreadsheet. */
const FORMULA_START = /^[=+\-@\t\r]/;

async function cellsOf(text: string): Promise<string[][]> {
  const out: string[][] = [];
  const bytes = new TextEncoder().encode(text);
  async function* once() {
    yield bytes;
  }
  for await (const batch of readCsv(once(), { maxRecordBytes: 1 << 20 })) out.push(...batch.map((r) => r.cells));
  return out;
}

describe('CSV cells written by the service', () => {
  it.each(['=HYPERLINK("http://evil.example","点此")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])(
    'makes %j inert: apostrophe first, quoted',
    (cell) => {
      const written = csvCell(cell);
      expect(written.startsWith(`"'`)).toBe(true);
    },
  );

  it('leaves ordinary cells as they were', () => {
    expect(toCsvLine(['371500000001', '张三', 'a,b', 'say "hi"'])).toBe('371500000001,张三,"a,b","say ""hi"""\n');
  });

  it('reads back as the original text after the import removes the apostrophe, and never starts a formula (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', "'", 'a', '张', ' ') }), { minLength: 1, maxLength: 6 }), async (cells) => {
        // A first plain cell: the reader skips a blank line (README choice 10).
        const [[, ...read]] = (await cellsOf(toCsvLine(['x', ...cells]))) as [string[]];
        expect(read).toHaveLength(cells.length);
        for (const [i, cell] of read.entries()) {
          expect(FORMULA_START.test(cell)).toBe(false);
          // A cell that itself began with an apostrophe before a formula character loses it, as in a spreadsheet.
          const original = cells[i]!;
          const expected = original.startsWith("'") && FORMULA_START.test(original.slice(1)) ? original.slice(1) : original;
          expect(unescapeFormulaCell(cell)).toBe(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('GET /api/registry/imports/{id}/rejected.csv', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.cleanup());

  it('writes no cell that a spreadsheet would run, and the file imports again as the rows were sent', async () => {
    const hostile = row('371500000011', { name: '=HYPERLINK("http://evil.example","点此")', status: 'lost' });
    const plusPhone = row('371500000012', { phone: '+8613800000012', status: 'lost' });
    const { id } = (await (await postCsv(t, csv([hostile, plusPhone]))).json()) as { id: string };
    const text = await (await t.request(`/api/registry/imports/${id}/rejected.csv`)).text();
    const [header, ...records] = await cellsOf(text.replace(/^\uFEFF/, ''));
    expect(header).toEqual(['line', ...HEADER, 'errors']);
    for (const cells of records) for (const cell of cells) expect(FORMULA_START.test(cell)).toBe(false);
    expect(records[0]![3]).toBe(`'${hostile[2]}`);

    // Corrected (status emptied) and sent back with every other cell exactly as downloaded.
    const quoted = (cells: string[]) => cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',') + '\n';
    const corrected = records.map((cells) => cells.slice(1, -1).map((cell, i) => (HEADER[i] === 'status' ? '' : cell)));
    const again = await postCsv(t, quoted([...HEADER]) + corrected.map(quoted).join(''));
    expect(await again.json()).toMatchObject({ inserted: 2, rejected: 0 });
    const stored = await t.deps.db.selectFrom('licences').select(['file_number', 'name', 'phone']).orderBy('file_number').execute();
    expect(stored).toEqual([
      { file_number: '371500000011', name: hostile[2], phone: '+8613800000001' },
      { file_number: '371500000012', name: plusPhone[2], phone: '+8613800000012' },
    ]);
  });
});
