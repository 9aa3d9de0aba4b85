import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, fromDayNumber } from '../../src/shared/civil-date.ts';
import { isDateInput, resolveDateInput } from '../../src/shared/date-words.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { addPerson, OFFICE } from '../helpers/scheduling.ts';

// Dates as people say them (issue 14): `today`, `tomorrow`, `+N` wherever a date is taken.
describe('date words', () => {
  const today = '2026-12-07';

  it('names today, tomorrow, yesterday and offsets in days, in English or Chinese', () => {
    expect(resolveDateInput('today', today)).toBe('2026-12-07');
    expect(resolveDateInput('Tomorrow', today)).toBe('2026-12-08');
    expect(resolveDateInput('明天', today)).toBe('2026-12-08');
    expect(resolveDateInput('yesterday', today)).toBe('2026-12-06');
    expect(resolveDateInput('+30', today)).toBe('2027-01-06');
    expect(resolveDateInput('-7', today)).toBe('2026-11-30');
    expect(resolveDateInput('2027-02-28', today)).toBe('2027-02-28');
  });

  it('refuses anything else, offsets beyond ten years and impossible dates included', () => {
    for (const bad of ['', 'now', '+', '+3d', '3', '+9999', '2026-02-29', '2026-12-7', 'today+1']) {
      expect(isDateInput(bad), bad).toBe(false);
      expect(resolveDateInput(bad, today), bad).toBeNull();
    }
  });

  it('an offset of N days is N days from today, for any today and N', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_900_000 }), fc.integer({ min: -3660, max: 3660 }), (day, n) => {
        const base = fromDayNumber(day);
        expect(resolveDateInput(n < 0 ? String(n) : `+${n}`, base)).toBe(addDays(base, n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('date words through the API', () => {
  let t: TestApp;
  // 2026-11-26 10:00 in Shanghai: tomorrow is the 27th.
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('a shift created for tomorrow is listed under tomorrow and under its date', async () => {
    const created = await postJson(t, '/api/shifts', {
      date: 'tomorrow', startsAt: '08:30', endsAt: '12:00', start: OFFICE,
      postalId: await addPerson(t, 'postal', '王邮递'), examinerId: await addPerson(t, 'examiner', '李医生'),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { date: string }).date).toBe('2026-11-27');
    for (const query of ['tomorrow', '%2B1', '2026-11-27']) {
      const list = (await (await t.request(`/api/shifts?date=${query}`)).json()) as { items: { date: string }[] };
      expect(list.items.map((s) => s.date), query).toEqual(['2026-11-27']);
    }
    expect(((await (await t.request('/api/shifts?date=today')).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('a plan is previewed under a date word and shown under the date it names', async () => {
    const preview = await t.request('/api/plans/tomorrow/preview', { method: 'POST' });
    expect(preview.status, await preview.clone().text()).toBe(200);
    expect(((await preview.json()) as { date: string }).date).toBe('2026-11-27');
    expect(((await (await t.request('/api/plans/%2B1')).json()) as { date: string }).date).toBe('2026-11-27');
  });

  it('a screening as of a date word screens as of that date; a wrong word names the field', async () => {
    const run = await t.request('/api/screenings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ asOf: '-1' }) });
    expect(run.status).toBe(201);
    expect(((await run.json()) as { asOf: string }).asOf).toBe('2026-11-25');
    const bad = await t.request('/api/cases?dueBefore=someday');
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { details: { issues: unknown[] } } };
    expect(body.error.details.issues).toEqual([expect.objectContaining({ field: 'dueBefore' })]);
    const cases = await t.request('/api/cases?dueBefore=%2B60&dueAfter=yesterday');
    expect(cases.status).toBe(200);
  });
});
