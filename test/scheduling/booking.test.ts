import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { advance, hours } from '../helpers/outreach.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { GUANGYUE, SHUICHENG, TOMORROW, addCrewShift, addPerson, addShift, allVisits, commit, confirmedDrivers, preview, type PlanJson } from '../helpers/scheduling.ts';

let t: TestApp;

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `3000000000${String(n).padStart(2, '0')}`,
  { phone: `1360000${String(n).padStart(4, '0')}`, name: `钱测${n}`, sex: n % 2 ? 'M' : 'F', ...SHUICHENG, ...extra },
];

beforeEach(async () => {
  t = await createTestApp({ lang: 'en' });
});
afterEach(() => t.cleanup());

const smsTo = async (phone: string, purpose?: string) => {
  let q = t.deps.db.selectFrom('messages').selectAll().where('phone', '=', phone).where('direction', '=', 'out');
  if (purpose) q = q.where('purpose', '=', purpose);
  return q.orderBy('created_at').execute();
};

describe('committing a plan', () => {
  it('books every draft and texts each driver the date, window and crew, with no ID or address', async () => {
    await confirmedDrivers(t, [driver(1), driver(2, GUANGYUE)]);
    await addCrewShift(t, 1);
    const plan = await preview(t);
    const result = await commit(t);
    expect(result.booked).toBe(2);
    expect(result.notices.sent).toBe(2);
    const [appointment] = await smsTo('+8613600000001', 'appointment');
    const v = allVisits(plan).find((x) => x.fileNumber === '300000000001')!;
    expect(appointment?.body).toContain('【聊城市车管所】钱先生');
    expect(appointment?.body).toContain('邮政邮师傅和医医生'); // surnames of 邮递员1 and 医生1
    expect(appointment?.body).toContain(`11月27日（周五）${v.windowStart.replace(/^0/, '')}-${v.windowEnd.replace(/^0/, '')}`);
    expect(appointment?.body).toContain('小区门口');
    expect(appointment?.body).toContain('回复1确认，3改期');
    expect(appointment?.body).not.toMatch(/测1|水城|371502/);
    const after = await t.request(`/api/plans/${TOMORROW}`, { as: 'dispatcher' });
    expect(allVisits((await after.json()) as PlanJson).map((x) => x.status)).toEqual(['booked', 'booked']);
    // Nothing left to commit.
    expect((await postJson(t, `/api/plans/${TOMORROW}/commit`, {}, 'dispatcher')).status).toBe(409);
  });

  it('reminds the driver the day before at VISIT_REMINDER_AT, once', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await addCrewShift(t, 1, { date: '2026-11-30' });
    await preview(t, '2026-11-30');
    await commit(t, '2026-11-30');
    const run = async () => (await postJson(t, '/api/visits/notices/run', {}, 'dispatcher')).json();
    advance(t, hours(24 * 3 - 1)); // 2026-11-29 09:00 Shanghai
    expect(await run()).toMatchObject({ sent: 0 });
    advance(t, hours(1)); // 10:00
    expect(await run()).toMatchObject({ sent: 1 });
    expect(await run()).toMatchObject({ sent: 0 });
    const [reminder] = await smsTo('+8613600000001', 'reminder');
    expect(reminder?.body).toContain('提醒您，11月30日（周一）');
  });

  it('skips a reminder that would come right after the appointment', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await addCrewShift(t, 1);
    await preview(t);
    await commit(t);
    const notices = await t.deps.db.selectFrom('visit_notices').select(['kind', 'status', 'note']).orderBy('kind').execute();
    expect(notices).toEqual([
      { kind: 'appointment', status: 'done', note: null },
      { kind: 'reminder', status: 'skipped', note: 'the appointment went out a few hours ago' },
    ]);
  });

  it('does not text a landline but lists it for a staff call', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await t.deps.db.updateTable('licences').set({ phone_kind: 'landline' }).execute();
    await addCrewShift(t, 1);
    await preview(t);
    expect((await commit(t)).notices).toMatchObject({ sent: 0, skipped: 2 });
    const plan = (await (await t.request(`/api/plans/${TOMORROW}`, { as: 'dispatcher' })).json()) as PlanJson;
    expect(allVisits(plan)[0]).toMatchObject({ phoneKind: 'landline', status: 'booked' });
  });
});

describe('cancellations and no-shows', () => {
  it('tells the driver of a cancelled visit and puts them back in the pool', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await addCrewShift(t, 1);
    const [v] = allVisits(await preview(t));
    await commit(t);
    const res = await postJson(t, `/api/visits/${v!.id}/cancel`, { reason: '医生临时有事' }, 'dispatcher');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'cancelled', closedReason: '医生临时有事' });
    await postJson(t, '/api/visits/notices/run', {}, 'dispatcher');
    const [cancelled] = await smsTo('+8613600000001', 'visit_cancelled');
    expect(cancelled?.body).toContain('原定11月27日（周五）的上门体检已取消');
    // Back in the pool: a shift on another day plans the driver again.
    await addCrewShift(t, 2, { date: '2026-11-30' });
    expect(allVisits(await preview(t, '2026-11-30')).map((x) => x.fileNumber)).toEqual(['300000000001']);
  });

  it('records a no-show on the day, not before', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await addCrewShift(t, 1);
    const [v] = allVisits(await preview(t));
    await commit(t);
    expect((await postJson(t, `/api/visits/${v!.id}/no-show`, {}, 'dispatcher')).status).toBe(409);
    advance(t, hours(24));
    const res = await postJson(t, `/api/visits/${v!.id}/no-show`, {}, 'dispatcher');
    expect(await res.json()).toMatchObject({ status: 'no_show' });
    await addCrewShift(t, 2, { date: '2026-11-30' });
    expect(allVisits(await preview(t, '2026-11-30'))).toHaveLength(1);
  });

  // Issue 14: "done without an exam" stranded the visit's cases, so the route only refuses now;
  // the examiner's own-shift rule moved to en-route / arrived (test/scheduling/visit-lifecycle.test.ts).
  it('lets the examiner of the shift set out and arrive on the day, and nobody else; done without an exam is refused', async () => {
    const me = (await (await t.request('/api/me', { as: 'examiner' })).json()) as { id: string };
    await confirmedDrivers(t, [driver(1)]);
    const postalId = await addPerson(t, 'postal', '吴投递');
    const other = await addPerson(t, 'examiner', '冯医生');
    await addShift(t, { postalId, examinerId: other });
    const [v] = allVisits(await preview(t));
    await commit(t);
    advance(t, hours(24));
    expect((await postJson(t, `/api/visits/${v!.id}/en-route`, {}, 'examiner')).status).toBe(403);
    await t.deps.db.updateTable('field_staff').set({ staff_id: me.id }).where('id', '=', other).execute();
    expect(await (await postJson(t, `/api/visits/${v!.id}/en-route`, {}, 'examiner')).json()).toMatchObject({ status: 'en_route' });
    expect(await (await postJson(t, `/api/visits/${v!.id}/arrived`, {}, 'examiner')).json()).toMatchObject({ status: 'arrived' });
    const done = await postJson(t, `/api/visits/${v!.id}/done`, {}, 'admin');
    expect(done.status).toBe(409);
    expect(((await done.json()) as { error: { message: string } }).error.message).toContain('finished only by recording its exam or a no-show');
  });

  it('cancelling a shift tells its booked drivers and frees them', async () => {
    await confirmedDrivers(t, [driver(1), driver(2)]);
    const a = await addCrewShift(t, 1);
    await preview(t);
    await commit(t);
    const res = await postJson(t, `/api/shifts/${a}/cancel`, {}, 'dispatcher');
    expect(await res.json()).toEqual({ cancelledVisits: 2 });
    const notices = await t.deps.db.selectFrom('visit_notices').select('kind').where('kind', '=', 'cancelled').execute();
    expect(notices).toHaveLength(2);
    expect((await postJson(t, `/api/plans/${TOMORROW}/preview`, {}, 'dispatcher')).status).toBe(409);
  });
});

describe('route sheets', () => {
  it('prints the crew’s route in order with names, phones, addresses and what each visit needs', async () => {
    await confirmedDrivers(t, [driver(1), driver(2, { ...GUANGYUE, name: '<b>孙</b>测' })]);
    const a = await addCrewShift(t, 1);
    const plan = await preview(t);
    await commit(t);
    // A landline is shown with its area code and a dash, the Chinese way (issue 14).
    await t.deps.db.updateTable('licences').set({ phone: '+866352904665', phone_kind: 'landline' }).where('file_number', '=', '300000000002').execute();
    const res = await t.request(`/api/shifts/${a}/route-sheet`, { as: 'dispatcher' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('上门体检路线单');
    expect(html).toContain('136 0000 0001'); // as people write it (issue 14)
    expect(html).toContain('0635-2904665');
    expect(html).not.toContain('+866352904665');
    const shown = (await (await t.request(`/api/plans/${TOMORROW}`, { as: 'dispatcher' })).json()) as { shifts: { postal: { phone: string; phoneDisplay: string } }[] };
    expect(shown.shifts[0]?.postal.phoneDisplay).toMatch(/^1\d{2} \d{4} \d{4}$/);
    expect(shown.shifts[0]?.postal.phone).toMatch(/^\+861\d{10}$/);
    expect(html).toContain('降级换证（换为 C1）');
    expect(html).toContain('&lt;b&gt;孙&lt;/b&gt;测');
    expect(html).not.toContain('<b>孙</b>');
    const order = allVisits(plan).map((v) => v.fileNumber === '300000000001' ? '钱测1' : '孙');
    expect(html.indexOf(order[0]!)).toBeLessThan(html.indexOf(order[1]!));
    expect(html).not.toMatch(/371502\d{12}/);
  });

  it('exports the visits as an iCalendar file in UTC with folded lines', async () => {
    await confirmedDrivers(t, [driver(1)]);
    const a = await addCrewShift(t, 1);
    const [v] = allVisits(await preview(t));
    const res = await t.request(`/api/shifts/${a}/route-sheet.ics`, { as: 'dispatcher' });
    expect(res.headers.get('content-type')).toContain('text/calendar');
    const ics = await res.text();
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics).toContain(`UID:${v!.id}@checkup.example.test`);
    const [h, m] = v!.startsAt.split(':').map(Number) as [number, number];
    expect(ics).toContain(`DTSTART:20261127T${String(h - 8).padStart(2, '0')}${String(m).padStart(2, '0')}00Z`);
    expect(ics).toContain('钱*');
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
  });

  it('lets an examiner read only the route sheets of their own shifts', async () => {
    const me = (await (await t.request('/api/me', { as: 'examiner' })).json()) as { id: string };
    const postalId = await addPerson(t, 'postal', '吴投递');
    const mine = await addPerson(t, 'examiner', '郑医生', { staffId: me.id });
    const other = await addPerson(t, 'examiner', '冯医生');
    const myShift = await addShift(t, { postalId, examinerId: mine });
    const otherShift = await addShift(t, { postalId: await addPerson(t, 'postal', '陈投递'), examinerId: other });
    expect((await t.request(`/api/shifts/${myShift}/route-sheet`, { as: 'examiner' })).status).toBe(200);
    expect((await t.request(`/api/shifts/${otherShift}/route-sheet`, { as: 'examiner' })).status).toBe(403);
    expect((await postJson(t, `/api/plans/${TOMORROW}/preview`, {}, 'examiner')).status).toBe(403);
  });
});
