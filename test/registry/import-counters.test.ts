import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { csv, row, syntheticId } from '../helpers/registry-csv.ts';

/**
 * Issue 14: an import's figures add up: totalRows = inserted + updated + unchanged + rejected,
 * each one what the rows and the registry before them say. Random small files over a registry
 * that grows with each import; a model of the registry predicts every figure.
 */
const FILES = Array.from({ length: 8 }, (_, i) => `6100000000${String(i + 1).padStart(2, '0')}`);
const NAMES = ['测试甲', '测试乙', '测试丙'];

type Line = { file: number; kind: 'valid'; name: number; twice: boolean } | { file: number; kind: 'invalid' };
const lineArb: fc.Arbitrary<Line> = fc.oneof(
  fc.record({ file: fc.integer({ min: 0, max: FILES.length - 1 }), kind: fc.constant('valid' as const), name: fc.integer({ min: 0, max: NAMES.length - 1 }), twice: fc.boolean() }),
  fc.record({ file: fc.integer({ min: 0, max: FILES.length - 1 }), kind: fc.constant('invalid' as const) }),
);
/** One file: each file number at most once (a repeat is its own case, `twice`). */
const fileArb = fc.uniqueArray(lineArb, { selector: (l) => l.file, maxLength: FILES.length });

const registryRow = (file: number, name: number) => row(FILES[file]!, { id_number: syntheticId('1956-03-10', 'M', file + 1), name: NAMES[name]! });

interface ImportJson {
  totalRows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

describe('the import’s figures', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('totalRows = inserted + updated + unchanged + rejected, as the registry before the import predicts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 3 }), async (imports) => {
        await t.deps.db.deleteFrom('licences').where('file_number', 'in', FILES).execute();
        const registry = new Map<number, number>();
        for (const lines of imports) {
          const rows: string[][] = [];
          const expected = { inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
          for (const l of lines) {
            if (l.kind === 'invalid') {
              rows.push(row(FILES[l.file]!, { valid_until: '2030-13-40' }));
              expected.rejected++;
              continue;
            }
            rows.push(registryRow(l.file, l.name));
            const before = registry.get(l.file);
            if (before === undefined) expected.inserted++;
            else if (before === l.name) expected.unchanged++;
            else expected.updated++;
            registry.set(l.file, l.name);
            if (l.twice) {
              // the same file number again later in the file: rejected as a duplicate
              rows.push(registryRow(l.file, (l.name + 1) % NAMES.length));
              expected.rejected++;
            }
          }
          const res = await postCsv(t, csv(rows));
          expect(res.status, await res.clone().text()).toBe(201);
          const summary = (await res.json()) as ImportJson;
          expect(summary).toMatchObject({ totalRows: rows.length, ...expected });
          expect(summary.inserted + summary.updated + summary.unchanged + summary.rejected).toBe(summary.totalRows);
        }
      }),
      { numRuns: 300 },
    );
    // A cap against a hang only: the runs are CPU work, many times longer on a loaded machine.
  }, 180_000);
});
