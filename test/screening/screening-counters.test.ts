import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * Issue 14: a screening run's figures add up. Over random small registries screened on random
 * dates, with some cases completed by 12123 in between:
 *   flaggedTotal = sum of flagged by category = created + reopened + updated + unchanged + alreadyCompleted
 *   open cases before the run = updated + unchanged + superseded + lapsed
 *   open cases after the run  = created + reopened + updated + unchanged
 */
interface Counts {
  flagged: Record<string, number>;
  flaggedTotal: number;
  created: number;
  reopened: number;
  updated: number;
  unchanged: number;
  alreadyCompleted: number;
  superseded: number;
  lapsed: number;
}

const FILES = Array.from({ length: 6 }, (_, i) => `6200000000${String(i + 1).padStart(2, '0')}`);

const licenceArb = fc.record({
  present: fc.boolean(),
  birth: fc.constantFrom('1952-12-10', '1956-03-10', '1956-12-20', '1963-12-20', '1970-06-01'),
  classes: fc.constantFrom('C1', 'B2', 'A1 B2', 'C1 D'),
  validUntil: fc.constantFrom('2025-11-01', '2026-12-15', '2027-03-01', '2030-05-20'),
  certOn: fc.constantFrom('', '2026-06-01', '2026-11-20'),
});
const stepArb = fc.record({
  licences: fc.array(licenceArb, { minLength: FILES.length, maxLength: FILES.length }),
  asOf: fc.constantFrom('2026-11-26', '2026-12-20', '2027-02-01', '2027-06-01', '2028-03-01', '2029-01-01'),
  complete: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
});

describe('the screening run’s figures', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('flagged = created + reopened + updated + unchanged + already completed, and the open cases before and after agree', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 4 }), async (steps) => {
        const db = t.deps.db;
        await db.deleteFrom('cases').execute();
        await db.deleteFrom('licences').execute();
        for (const step of steps) {
          const rows = step.licences.flatMap((l, i) =>
            l.present ? [row(FILES[i]!, { birth: l.birth, classes: l.classes, valid_until: l.validUntil, last_cert_submitted_on: l.certOn })] : [],
          );
          if (rows.length > 0) expect((await postCsv(t, csv(rows))).status).toBe(201);
          // 12123 accepted some cases meanwhile: a run never reopens them
          const open = await db.selectFrom('cases').select('id').where('status', '=', 'open').orderBy('id').execute();
          const done = open.filter((_, k) => step.complete[k % step.complete.length]).map((c) => c.id);
          if (done.length > 0) await db.updateTable('cases').set({ status: 'completed' }).where('id', 'in', done).execute();
          const openBefore = open.length - done.length;
          const res = await postJson(t, '/api/screenings', { asOf: step.asOf });
          expect(res.status, await res.clone().text()).toBe(201);
          const c = ((await res.json()) as { counts: Counts }).counts;
          const openAfter = (await db.selectFrom('cases').select('id').where('status', '=', 'open').execute()).length;
          expect(c.flaggedTotal).toBe(Object.values(c.flagged).reduce((n, k) => n + k, 0));
          expect(c.created + c.reopened + c.updated + c.unchanged + c.alreadyCompleted).toBe(c.flaggedTotal);
          expect(c.updated + c.unchanged + c.superseded + c.lapsed).toBe(openBefore);
          expect(c.created + c.reopened + c.updated + c.unchanged).toBe(openAfter);
          for (const k of ['created', 'reopened', 'updated', 'unchanged', 'alreadyCompleted', 'superseded', 'lapsed'] as const) {
            expect(c[k]).toBeGreaterThanOrEqual(0);
            if (c[k] > 0) seen.add(k);
          }
        }
      }),
      { numRuns: 150 },
    );
    // the runs met every kind of case at least once
    expect([...seen].sort()).toEqual(['alreadyCompleted', 'created', 'lapsed', 'reopened', 'superseded', 'unchanged', 'updated']);
    // A cap against a hang only: the runs are CPU work, many times longer on a loaded machine.
  }, 180_000);
});
