import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LICENCE_CLASSES, type LicenceClass, type ScreeningLicence } from '../../src/registry/licence.ts';
import { caseKey, eachLicence, licencePage, openCases } from '../../src/screening/repository.ts';
import { packLicence, screenLicence, type PackedLicence } from '../../src/screening/rules.ts';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
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
const licenceArb = fc.record({
  birth: dateArb(-9000, 1500), // 1945-1974
  classes: classesArb,
  firstIssued: dateArb(1500, 19000),
  validUntil: fc.option(dateArb(20000, 22500), { nil: '' }),
  extensionUntil: fc.option(dateArb(20300, 20800), { nil: '' }),
  cert: fc.option(dateArb(20000, 20420), { nil: '' }),
  status: fc.constantFrom('', 'active', 'cancelled'),
});

describe('what a screening run reads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('reads licences across pages as the rules pack them, and open cases as the rules write them', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(licenceArb, { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 9 }), async (licences, pageSize) => {
        round += 1;
        const files = licences.map((_, i) => `5${String(round).padStart(5, '0')}${String(i).padStart(6, '0')}`);
        const rows = licences.map((l, i) =>
          row(files[i]!, {
            birth: l.birth,
            classes: l.classes.join(' '),
            first_issued_on: l.firstIssued,
            valid_until: l.validUntil,
            extension_until: l.extensionUntil,
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

        const asOf = '2026-11-26';
        expect((await postJson(t, '/api/screenings', { asOf })).status).toBe(201);
        const expected = asScreened.flatMap((l) => screenLicence(l, { asOf, leadDays: 60, renewalMinAge: 60 }));
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
      { numRuns: 12 },
    );
  });
});
