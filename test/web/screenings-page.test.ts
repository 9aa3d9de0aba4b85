import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn } from '../helpers/console.ts';
import { csv, row } from '../helpers/registry-csv.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  await postCsv(t, csv([
    row('371500000001', { birth: '1964-01-10', classes: 'B2', valid_until: '2032-01-10' }),
    row('371500000002', { birth: '1956-03-01', classes: 'C1', first_issued_on: '1980-06-15', valid_until: '2027-01-05' }),
    row('371500000004', { birth: '1976-05-05', classes: 'A1', first_issued_on: '2000-01-01', valid_until: '2030-01-01' }),
  ]));
});
afterEach(async () => t.cleanup());

describe('the screening page', () => {
  it('runs a screening for today from the form and shows the result by category, as the API counts it', async () => {
    const admin = await signedIn(t, 'admin');
    const form = await admin.page('/console/screenings');
    expect(form).toContain('value="2026-11-26"');
    const res = await admin.post('/console/screenings', { asOf: '2026-11-26', leadDays: '60', renewalMinAge: '60' });
    expect(res.status).toBe(303);
    const page = await admin.page(res.headers.get('location')!);
    expect(page).toContain('筛查完成：检查了 3 名驾驶人。');
    const runs = (await (await t.request('/api/screenings')).json()) as { items: { counts: { flagged: Record<string, number>; flaggedTotal: number } }[] };
    const { flagged, flaggedTotal } = runs.items[0]!.counts;
    expect(flaggedTotal).toBe(3);
    for (const [category, n] of Object.entries(flagged)) {
      expect(page).toMatch(new RegExp(`category=${category}">[^<]+</a></td><td class="num">${n}</td>`));
    }
    expect(await admin.page('/console/screenings')).toContain('筛查记录');
  });

  it('answers a bad date and a bad number on the form, keeping what was typed, and runs nothing', async () => {
    const admin = await signedIn(t, 'admin');
    await admin.page('/console/screenings');
    const res = await admin.post('/console/screenings', { asOf: 'someday', leadDays: '-3', renewalMinAge: '60' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('href="#asOf"');
    expect(page).toContain('href="#leadDays"');
    expect(page).toContain('value="someday"');
    expect(await t.deps.db.selectFrom('screening_runs').selectAll().execute()).toHaveLength(0);
  });

  it('takes date words as the API does', async () => {
    const admin = await signedIn(t, 'admin');
    await admin.page('/console/screenings');
    const res = await admin.post('/console/screenings', { asOf: 'tomorrow' });
    expect(res.status).toBe(303);
    const run = await t.deps.db.selectFrom('screening_runs').select('as_of').executeTakeFirstOrThrow();
    expect(run.as_of).toBe('2026-11-27');
  });

  it('is for the office: a dispatcher may neither run nor read screenings', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    expect((await dispatcher.get('/console/screenings')).status).toBe(403);
    await dispatcher.page('/console');
    expect((await dispatcher.post('/console/screenings', { asOf: '2026-11-26' })).status).toBe(403);
  });
});
