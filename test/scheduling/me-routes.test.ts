import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeSheetIcs } from '../../src/scheduling/route-sheet.ts';
import { routeSheetOf } from '../../src/scheduling/repository.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { createApp } from '../../src/app.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { PUBLIC_BASE } from '../helpers/outreach.ts';
import { bookedVisits, driver } from '../helpers/exams.ts';
import { addCrewShift } from '../helpers/scheduling.ts';

// Issue 14, "the people at the door": an examiner finds their own shifts and visits, with what the
// route sheet and the exam need; never another crew's; every link from PUBLIC_BASE_URL.
const BASE = PUBLIC_BASE; // what the test app configures as PUBLIC_BASE_URL
const ANNUAL = driver(1);
const RENEWAL = driver(3, { valid_until: '2027-01-10' });

describe('GET /api/me/shifts and /api/me/visits', () => {
  let t: TestApp;
  let visits: Map<string, string>;
  let otherShift: string;
  let otherExaminer: string;

  beforeAll(async () => {
    t = await createTestApp();
    visits = await bookedVisits(t, [ANNUAL, RENEWAL]); // the test's examiner account, 2026-11-27
    otherShift = await addCrewShift(t, 9, { date: '2026-11-27', startsAt: '13:00', endsAt: '17:00' });
    otherExaminer = (await addStaff(t.deps, { name: '另一位医生', role: 'examiner', createdBy: null })).token;
  });
  afterAll(() => t.cleanup());

  const get = async (path: string, as: 'admin' | 'dispatcher' | 'examiner' | null = 'examiner', token?: string) => {
    const res = token ? await t.app.request(path, { headers: { authorization: `Bearer ${token}` } }) : await t.request(path, { as });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('lists the examiner’s own shift only, with absolute links', async () => {
    const { status, body } = await get('/api/me/shifts?from=today&to=%2B3');
    expect(status).toBe(200);
    expect(body.linked).toBe(true);
    expect(body.items).toHaveLength(1);
    const [shift] = body.items;
    expect(shift).toMatchObject({ date: '2026-11-27', as: 'examiner', visits: 2, status: 'open' });
    expect(shift.id).not.toBe(otherShift);
    expect(shift.links.routeSheet).toBe(`${BASE}/api/shifts/${shift.id}/route-sheet`);
    expect(shift.links.visits).toBe(`${BASE}/api/me/visits?date=2026-11-27`);
  });

  it('gives the day’s visits in route order with driver, cases, 三力 and the exam links', async () => {
    const { status, body } = await get('/api/me/visits');
    expect(status).toBe(200);
    expect(body.date).toBe('2026-11-27'); // the clock is on the visit day
    expect(body.shifts).toHaveLength(1);
    const mine = body.shifts[0].visits as Record<string, any>[];
    expect(mine.map((v) => v.id).sort()).toEqual([...visits.values()].sort());
    expect(mine.map((v) => v.seq)).toEqual([...mine.map((v) => v.seq)].sort((a, b) => a - b));
    const renewal = mine.find((v) => v.id === visits.get(RENEWAL[0]))!;
    const annual = mine.find((v) => v.id === visits.get(ANNUAL[0]))!;
    expect(renewal.needsCognitiveTest).toBe(true);
    expect(annual.needsCognitiveTest).toBe(false);
    expect(renewal.cases.map((c: { category: string }) => c.category).sort()).toEqual(['annual_exam_70', 'expiry_renewal']);
    expect(annual.driver).toMatchObject({ name: '孙测1', phone: '+8613700000001', phoneDisplay: '137 0000 0001' });
    expect(annual.stop).toMatchObject({ lat: expect.any(Number), lng: expect.any(Number) });
    expect(annual.links.exam).toBe(`${BASE}/api/visits/${annual.id}/exam`);
    // The form the link names answers for this examiner.
    const form = await t.request(new URL(annual.links.examForm).pathname, { as: 'examiner' });
    expect(form.status).toBe(200);
  });

  it('shows nothing of another crew: an examiner not linked, a dispatcher, anonymous', async () => {
    expect(await get('/api/me/shifts', null, otherExaminer)).toEqual({ status: 200, body: { linked: false, items: [] } });
    expect(await get('/api/me/visits?date=2026-11-27', null, otherExaminer)).toEqual({ status: 200, body: { date: '2026-11-27', linked: false, shifts: [] } });
    expect((await get('/api/me/visits', 'dispatcher')).body).toMatchObject({ linked: false, shifts: [] });
    expect((await get('/api/me/visits', null)).status).toBe(401);
    expect((await get('/api/me/shifts?from=today&to=%2B40')).status).toBe(400);
  });

  it('a postal worker with an account sees their shift as postal, and its route sheet; the examiner not', async () => {
    const account = await addStaff(t.deps, { name: '投递员账户', role: 'examiner', createdBy: null });
    const { postal_id } = await t.deps.db.selectFrom('shifts').select('postal_id').where('id', '=', otherShift).executeTakeFirstOrThrow();
    await t.deps.db.updateTable('field_staff').set({ staff_id: account.staff.id }).where('id', '=', postal_id).execute();
    const { status, body } = await get('/api/me/shifts', null, account.token);
    expect(status).toBe(200);
    expect(body.items).toEqual([expect.objectContaining({ id: otherShift, as: 'postal', visits: 0 })]);
    const sheet = await t.app.request(new URL(body.items[0].links.routeSheet).pathname, { headers: { authorization: `Bearer ${account.token}` } });
    expect(sheet.status).toBe(200);
    expect((await t.request(`/api/shifts/${otherShift}/route-sheet`, { as: 'examiner' })).status).toBe(403);
    const mine = await get('/api/me/shifts');
    expect(mine.body.items.map((s: { id: string }) => s.id)).not.toContain(otherShift);
  });

  it('puts the visit id on the route sheet and in the .ics, whose URLs come from PUBLIC_BASE_URL', async () => {
    const { body } = await get('/api/me/shifts?from=today');
    const html = await (await t.request(`/api/shifts/${body.items[0].id}/route-sheet`, { as: 'examiner' })).text();
    for (const id of visits.values()) expect(html).toContain(id);
    const ics = await (await t.request(`/api/shifts/${body.items[0].id}/route-sheet.ics`, { as: 'examiner' })).text();
    const unfolded = ics.replace(/\r\n /g, '');
    for (const id of visits.values()) {
      expect(unfolded).toContain(`UID:${id}@checkup.example.test`);
      expect(unfolded).toContain(`URL:${BASE}/api/visits/${id}/exam-form`);
      expect(unfolded).toContain(`访视编号 ${id}`);
    }
    expect(unfolded).not.toMatch(/127\.0\.0\.1|localhost/);
    // Another office's address, e.g. behind its proxy: every URL follows it.
    const sheet = (await routeSheetOf(t.deps.db, body.items[0].id))!;
    const elsewhere = routeSheetIcs(sheet, new Date(), 'https://jianche.lc.example.cn').replace(/\r\n /g, '');
    expect(elsewhere.match(/https?:\/\/[^\s\\]+/g)!.every((u) => u.startsWith('https://jianche.lc.example.cn/'))).toBe(true);
  });

  it('takes every absolute URL from the configured PUBLIC_BASE_URL, never the request host', async () => {
    // The same database served under another configured address (e.g. https://checkup.example.cn).
    const other = createApp({ ...t.deps, config: { ...t.deps.config, PUBLIC_BASE_URL: 'https://checkup.example.cn' } });
    const as = { headers: { authorization: `Bearer ${t.tokens.examiner}`, host: '127.0.0.1:3000' } };
    const urls = (text: string) => text.replace(/\r\n /g, '').match(/https?:\/\/[^\s"\\]+/g) ?? [];
    const shifts = await (await other.request('http://127.0.0.1:3000/api/me/shifts', as)).text();
    const day = await (await other.request('http://127.0.0.1:3000/api/me/visits', as)).text();
    const shiftId = (JSON.parse(shifts) as { items: { id: string }[] }).items[0]!.id;
    const ics = await (await other.request(`http://127.0.0.1:3000/api/shifts/${shiftId}/route-sheet.ics`, as)).text();
    for (const text of [shifts, day, ics]) {
      expect(urls(text).length).toBeGreaterThan(0);
      for (const u of urls(text)) expect(u.startsWith('https://checkup.example.cn/')).toBe(true);
    }
    expect(ics).toContain('@checkup.example.cn');
    expect(`${shifts}${day}${ics}`).not.toMatch(/127\.0\.0\.1|localhost/);
  });
});
