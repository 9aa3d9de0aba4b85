import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LICENCE_CLASSES, type LicenceClass, type ScreeningLicence } from '../../src/registry/licence.ts';
import { caseKey, eachLicence, licencePage, openCases } from '../../src/screening/repository.ts';
import { packLicence, screenLicence, type PackedLicence } from '../../src/screening/rules.ts';
import { runScreening } from '../../src/screening/run.ts';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * What a screening run reads (issue 18): licences and open cases come as pages of text read in
 * place, not as rows or JSON. Over random registries: every licence is read as the rules would
 * pack it, across pages, and every open case's content as read equals the content the rules give
 * the same case (else a run would rewrite unchanged cases, or keep changed ones); a changed
 * content is told apart, and the cases not flagged come back with their ids and lapse dates.
 */
const dateArb = (from: number, to: number) =>
  fc.integer({ min: from, max: to }).map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10));
const classesArb = fc.subarray([...LICENCE_CLASSES], { minLength: 1, maxLength: 4 });
const paramsArb = fc.record({
  asOf: dateArb(19700, 21200), // 2023-2028
  leadDays: fc.integer({ min: 0, max: 150 }),
  renewalMinAge: fc.constantFrom(0, 60, 63, 75),
});
/** A date, or a day near one of a run's thresholds (Bday(63) or Bday(70) at D + L, Bday(R) at D, the renewal opening at D + L) given as an offset, placed by `near`. */
const nearArb = (from: number, to: number, ...bounds: Near['to'][]) =>
  fc.oneof(dateArb(from, to), fc.record({ to: fc.constantFrom(...bounds), days: fc.integer({ min: -1, max: 1 }) }));
type Near = { to: 'age63' | 'age70' | 'ageR' | 'renewal'; days: number };
const licenceArb = fc.record({
  birth: nearArb(-9000, 12800, 'age63', 'age70', 'ageR'), // 1945-2005
  classes: classesArb,
  // Days after the 18th birthday (the import rejects a licence issued before it).
  firstIssued: fc.integer({ min: 0, max: 12000 }),
  validUntil: fc.option(nearArb(20000, 22500, 'renewal'), { nil: '', freq: 8 }),
  // Days after the 63rd birthday: an extension runs at most three years from it (RULES.md §2).
  extensionUntil: fc.option(fc.integer({ min: 0, max: 1094 }), { nil: null, freq: 2 }),
  cert: fc.option(dateArb(20000, 20420), { nil: '' }),
  status: fc.constantFrom('', 'active', 'cancelled'),
});

const DAY = 86_400_000;
const TODAY = '2026-11-26'; // the test app's clock: the import's day
const toDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const yearsBefore = (date: string, years: number) => `${Number(date.slice(0, 4)) - years}${date.slice(4)}`;

/** The date of `value` for a run with `params`: near a threshold, a day either side of it or on it. */
function near(value: string | Near, params: { asOf: string; leadDays: number; renewalMinAge: number }): string {
  if (typeof value === 'string') return value;
  const horizon = toDate(Date.parse(params.asOf) + params.leadDays * DAY);
  const base = {
    age63: yearsBefore(horizon, 63),
    age70: yearsBefore(horizon, 70),
    ageR: yearsBefore(params.asOf, params.renewalMinAge),
    renewal: toDate(Date.parse(horizon) + 90 * DAY),
  }[value.to];
  // A 29 February moved to a year without one reads as 1 March.
  const day = Number.isNaN(Date.parse(base)) ? Date.parse(`${base.slice(0, 4)}-03-01`) : Date.parse(base);
  return toDate(day + value.days * DAY);
}

describe('what a screening run reads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('reads licences across pages as the rules pack them, the cases the rules give on any date and settings, and open cases as the rules write them', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(licenceArb, { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 9 }), paramsArb, async (licences, pageSize, params) => {
        round += 1;
        const files = licences.map((_, i) => `5${String(round).padStart(5, '0')}${String(i).padStart(6, '0')}`);
        const rows = licences.map((l, i) =>
          row(files[i]!, {
            birth: near(l.birth, params),
            classes: l.classes.join(' '),
            first_issued_on: toDate(Math.min(Date.parse(TODAY), Date.parse(yearsBefore(near(l.birth, params), -18)) + l.firstIssued * DAY)),
            valid_until: l.validUntil === '' ? '' : near(l.validUntil, params),
            extension_until: l.extensionUntil === null ? '' : toDate(Date.parse(yearsBefore(near(l.birth, params), -63)) + l.extensionUntil * DAY),
            last_cert_submitted_on: l.cert,
            status: l.status,
          }),
        );
        expect((await postCsv(t, csv(rows))).status).toBe(201);

        const stored = await t.deps.db
          .selectFrom('licences')
          .select(['file_number', 'birth_date', 'classes', 'first_issued_on', 'valid_until', 'extension_until', 'last_cert_submitted_on', 'status'])
          .execute();
        const asScreened = stored.map(
          (r): ScreeningLicence => ({
            fileNumber: r.file_number,
            birthDate: r.birth_date,
            classes: r.classes.split(' ') as LicenceClass[],
            firstIssuedOn: r.first_issued_on,
            validUntil: r.valid_until,
            extensionUntil: r.extension_until,
            lastCertSubmittedOn: r.last_cert_submitted_on,
            status: r.status,
          }),
        );
        const read: PackedLicence[] = [];
        let after = 0;
        for (;;) {
          const page = await licencePage(t.deps.db, after, pageSize);
          if (page.text === '') break;
          expect(eachLicence(page, (l) => read.push({ ...l }))).toBeLessThanOrEqual(pageSize);
          after = page.lastRowid;
        }
        const byFile = (a: { fileNumber: string }, b: { fileNumber: string }) => a.fileNumber.localeCompare(b.fileNumber);
        expect(read.sort(byFile)).toEqual(asScreened.map(packLicence).sort(byFile));

        // A run on random settings finds every case the rules give over all licences.
        await runScreening(t.deps, { ...params, staffId: null, trigger: 'cli' });
        const expected = asScreened.flatMap((l) => screenLicence(l, params));
        const open = await openCases(t.deps.db);
        expect(open.size).toBe(expected.length);
        for (const c of expected) expect(open.take(c)).toBe('same');
        expect(open.rest()).toEqual([]);

        // A case whose content differs is 'changed', one taken out is gone; the rest come back as stored.
        const [first, ...others] = expected;
        if (!first) return;
        const again = await openCases(t.deps.db);
        expect(again.take({ ...first, overdue: !first.overdue })).toBe('changed');
        expect(again.take(first)).toBe('new');
        const openRows = await t.deps.db.selectFrom('cases').select(['id', 'file_number', 'category', 'trigger_on', 'lapses_on']).where('status', '=', 'open').execute();
        const byKey = new Map(openRows.map((r) => [caseKey({ fileNumber: r.file_number, category: r.category, triggerOn: r.trigger_on }), { id: r.id, lapsesOn: r.lapses_on }]));
        const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
        expect(again.rest().sort(byId)).toEqual(others.map((c) => byKey.get(caseKey(c))!).sort(byId));
      }),
      { numRuns: 60 },
    );
  });
});
