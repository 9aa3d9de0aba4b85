import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import { OFFICE, SHUICHENG, TOMORROW, addCrewShift, addPerson, addShift, commit, confirmedDrivers, preview } from '../helpers/scheduling.ts';

/** The test clock's today is Thursday 2026-11-26: its week starts on Monday 2026-11-23. */
const MONDAY = '2026-11-23';

let t: TestApp;
let dispatcher: ConsoleAgent;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  dispatcher = await signedIn(t, 'dispatcher');
});
afterEach(async () => t.cleanup());

const patchJson = (path: string, body: unknown) =>
  t.request(path, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, as: 'dispatcher' });

async function shiftRow(id: string) {
  return t.deps.db.selectFrom('shifts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function crew() {
  return { postalId: await addPerson(t, 'postal', '赵投递'), examinerId: await addPerson(t, 'examiner', '钱医生') };
}

function addForm(c: { postalId: string; examinerId: string }, extra: Record<string, string> = {}) {
  return { date: '2026-11-28', startsAt: '13:30', endsAt: '17:00', postalId: c.postalId, examinerId: c.examinerId, place: 'new', startLabel: '东昌府区邮政支局', startLat: '36.456', startLng: '115.985', communities: '水城花园、光岳小区', ...extra };
}

describe('the week of shifts', () => {
  it('shows each crew by day with hours and start point, the cancelled struck, the same shifts as the API', async () => {
    const c = await crew();
    const open = await addShift(t, c);
    const gone = await addShift(t, { ...c, date: '2026-11-28', startsAt: '13:00', endsAt: '16:00' });
    expect((await t.request(`/api/shifts/${gone}/cancel`, { method: 'POST', as: 'dispatcher' })).status).toBe(200);
    await addShift(t, { ...c, date: '2026-12-01' });

    const page = await dispatcher.page('/console/shifts');
    expect(page).toContain('赵投递');
    expect(page).toContain('钱医生');
    expect(page).toContain(`href="/console/shifts/${open}">8:30-12:00</a>`);
    expect(page).toContain(OFFICE.label);
    expect(page).toMatch(new RegExp(`<s><a href="/console/shifts/${gone}">13:00-16:00</a>`));
    expect(page).toContain('已取消');
    expect(page).not.toContain('2026-12-01');
    const api = (await (await t.request(`/api/shifts?from=${MONDAY}&to=2026-11-29`, { as: 'dispatcher' })).json()) as { items: { id: string; status: string }[] };
    expect(api.items.map((s) => s.id).sort()).toEqual([open, gone].sort());
    expect(page).toContain(`本周 ${api.items.length} 个班次，其中 1 个已取消`);
    expect(page).toContain(`href="/console/shifts?week=2026-11-30"`);
    expect(page).toContain(`href="/console/shifts?week=2026-11-16"`);
  });

  it('opens the week of any day in the URL from its Monday, and one person’s shifts only', async () => {
    const c = await crew();
    const other = await crew();
    const next = await addShift(t, { ...c, date: '2026-12-03' });
    const theirs = await addShift(t, { ...other, date: '2026-12-03', startsAt: '13:00', endsAt: '17:00' });
    const page = await dispatcher.page('/console/shifts?week=2026-12-03');
    expect(page).toContain('2026年11月30日 星期一');
    expect(page).toContain(`/console/shifts/${next}"`);
    expect(page).toContain('回到本周');
    const mine = await dispatcher.page(`/console/shifts?week=2026-11-30&person=${c.examinerId}`);
    expect(mine).toContain(`/console/shifts/${next}"`);
    expect(mine).not.toContain(`/console/shifts/${theirs}"`);
    expect(mine).toContain('只显示 钱医生 的班次');
  });

  it('is refused to examiners and postal workers', async () => {
    for (const role of ['examiner', 'postal'] as const) {
      const agent = await signedIn(t, role);
      expect((await agent.get('/console/shifts')).status).toBe(403);
    }
  });
});

describe('adding a shift', () => {
  it('creates it from the form and shows its week with a message', async () => {
    const c = await crew();
    await dispatcher.page('/console/shifts');
    const res = await dispatcher.post('/console/shifts', addForm(c));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/console/shifts?week=${MONDAY}`);
    const page = await dispatcher.page(res.headers.get('location')!);
    expect(page).toContain('已新建班次：2026年11月28日 星期六 13:30-17:00，赵投递 / 钱医生。');
    const row = await t.deps.db.selectFrom('shifts').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ date: '2026-11-28', starts_at: '13:30', start_label: '东昌府区邮政支局', start_lat: 36.456, area_communities: JSON.stringify(['水城花园', '光岳小区']) });
  });

  it('offers the start points used before, with their coordinates', async () => {
    const c = await crew();
    await addShift(t, c);
    const page = await dispatcher.page('/console/shifts');
    expect(page).toContain(`value="${OFFICE.lat}|${OFFICE.lng}|${OFFICE.label}"`);
    const res = await dispatcher.post('/console/shifts', addForm(c, { place: `${OFFICE.lat}|${OFFICE.lng}|${OFFICE.label}`, startLabel: '', startLat: '', startLng: '', date: '2026-11-30' }));
    expect(res.status).toBe(303);
    const rows = await t.deps.db.selectFrom('shifts').select(['start_label', 'start_lat']).where('date', '=', '2026-11-30').execute();
    expect(rows).toEqual([{ start_label: OFFICE.label, start_lat: OFFICE.lat }]);
  });

  it('says at each field what is wrong, keeps what was typed, and stores nothing', async () => {
    const c = await crew();
    await dispatcher.page('/console/shifts');
    const early = await dispatcher.post('/console/shifts', addForm(c, { endsAt: '12:00' }));
    expect(early.status).toBe(400);
    const text = await early.text();
    expect(text).toContain('结束时间必须晚于开始时间');
    expect(text).toContain('value="东昌府区邮政支局"');
    const noPlace = await (await dispatcher.post('/console/shifts', addForm(c, { startLat: '', startLng: 'east' }))).text();
    expect(noPlace).toContain('请填写出发地点的纬度');
    expect(noPlace).toContain('请填写出发地点的经度');
    expect(noPlace).toContain('href="#startLat"');
    const past = await dispatcher.post('/console/shifts', addForm(c, { date: '2026-11-20' }));
    expect(past.status).toBe(400);
    expect(await past.text()).toContain('必须是今天或以后');
    expect(await t.deps.db.selectFrom('shifts').select('id').execute()).toEqual([]);
  });

  it('refuses a crew member in two overlapping shifts, in words', async () => {
    const c = await crew();
    await addShift(t, { ...c, date: '2026-11-28', startsAt: '13:00', endsAt: '15:00' });
    await dispatcher.page('/console/shifts');
    const res = await dispatcher.post('/console/shifts', addForm(c));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('有工作人员将同时在两个时间重叠的班次中');
  });

  it('does nothing without the form’s token', async () => {
    const c = await crew();
    await dispatcher.page('/console/shifts');
    const res = await dispatcher.post('/console/shifts', addForm(c), { csrf: null });
    expect(res.status).toBe(303);
    expect(await t.deps.db.selectFrom('shifts').select('id').execute()).toEqual([]);
  });
});

describe('changing a shift', () => {
  it('changes the hours, start and area while nobody is told, and drops the drafts planned for the old hours', async () => {
    await confirmedDrivers(t, [['300000000001', { phone: '13600000001', name: '钱测1', ...SHUICHENG }]]);
    const id = await addCrewShift(t, 1);
    await preview(t);
    const page = await dispatcher.page(`/console/shifts/${id}`);
    expect(page).toContain('修改后，本班次的 1 个计划草案会被删除');
    expect(page).toContain(`href="/console/plans?date=${TOMORROW}"`);
    const res = await dispatcher.post(`/console/shifts/${id}`, { startsAt: '09:00', endsAt: '11:30', place: 'new', startLabel: '光岳路邮政所', startLat: '36.44', startLng: '115.97', communities: '水城花园' });
    expect(res.status).toBe(303);
    expect(await dispatcher.page(res.headers.get('location')!)).toContain('原有的 1 个计划草案已删除，请重新预览这一天的计划。');
    expect(await shiftRow(id)).toMatchObject({ starts_at: '09:00', ends_at: '11:30', start_label: '光岳路邮政所', end_label: '光岳路邮政所', capacity: 10, area_communities: '["水城花园"]' });
    expect(await t.deps.db.selectFrom('visits').select('id').where('shift_id', '=', id).execute()).toEqual([]);
  });

  it('refuses once a driver is told, on the page and through the API, with the reason', async () => {
    await confirmedDrivers(t, [['300000000001', { phone: '13600000001', name: '钱测1', ...SHUICHENG }]]);
    const id = await addCrewShift(t, 1);
    await preview(t);
    await commit(t);
    const page = await dispatcher.page(`/console/shifts/${id}`);
    expect(page).toContain('已有 1 位驾驶人收到了这个班次的预约通知，时间和地点不能再改');
    expect(page).not.toContain('保存修改');
    const res = await dispatcher.post(`/console/shifts/${id}`, { startsAt: '09:00', endsAt: '11:30', place: 'new', startLabel: 'x', startLat: '36.4', startLng: '115.9', communities: '' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('该班次已有 1 个预约通知了驾驶人');
    const api = await patchJson(`/api/shifts/${id}`, { startsAt: '09:00' });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain('1');
    expect((await shiftRow(id)).starts_at).toBe('08:30');
  });

  it('changes a shift through PATCH /api/shifts/{id}, the area cleared with null', async () => {
    const id = await addCrewShift(t, 1, { area: { communities: ['水城花园'] } });
    const res = await patchJson(`/api/shifts/${id}`, { endsAt: '11:00', area: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, startsAt: '08:30', endsAt: '11:00', area: null, droppedDrafts: 0, capacity: 10 });
    expect((await patchJson(`/api/shifts/${id}`, { endsAt: '08:00' })).status).toBe(400);
  });
});

describe('cancelling a shift', () => {
  it('asks for the confirmation, then cancels and says the told drivers get an SMS', async () => {
    await confirmedDrivers(t, [['300000000001', { phone: '13600000001', name: '钱测1', ...SHUICHENG }]]);
    const id = await addCrewShift(t, 1);
    await preview(t);
    await commit(t);
    const page = await dispatcher.page(`/console/shifts/${id}`);
    expect(page).toContain('已收到预约通知的 1 位驾驶人会收到取消短信');
    const unconfirmed = await dispatcher.post(`/console/shifts/${id}/cancel`, {});
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain('请勾选确认后再取消班次');
    expect((await shiftRow(id)).status).toBe('open');
    const res = await dispatcher.post(`/console/shifts/${id}/cancel`, { confirm: 'yes' });
    expect(res.status).toBe(303);
    expect(await dispatcher.page(res.headers.get('location')!)).toContain('班次已取消。1 位已收到预约的驾驶人会收到取消短信');
    expect((await shiftRow(id)).status).toBe('cancelled');
    const notices = await t.deps.db.selectFrom('visit_notices').select('kind').where('kind', '=', 'cancelled').execute();
    expect(notices).toHaveLength(1);
  });

  it('does nothing without the form’s token', async () => {
    const id = await addCrewShift(t, 1);
    await dispatcher.page(`/console/shifts/${id}`);
    await dispatcher.post(`/console/shifts/${id}/cancel`, { confirm: 'yes' }, { csrf: null });
    expect((await shiftRow(id)).status).toBe('open');
  });
});

describe('GET /api/shifts over a range', () => {
  it('lists the shifts of the days from..to, at most 31 days, and not with date', async () => {
    const c = await crew();
    const a = await addShift(t, c);
    const b = await addShift(t, { ...c, date: '2026-12-20' });
    const get = async (q: string) => t.request(`/api/shifts?${q}`, { as: 'dispatcher' });
    const month = (await (await get('from=2026-11-26&to=2026-12-26')).json()) as { items: { id: string }[] };
    expect(month.items.map((s) => s.id)).toEqual([a, b]);
    expect((await get('from=2026-11-26&to=2026-12-27')).status).toBe(400);
    expect((await get('from=2026-11-26&to=2026-11-25')).status).toBe(400);
    expect((await get(`date=${TOMORROW}&from=2026-11-26`)).status).toBe(400);
    const week = (await (await get('from=today')).json()) as { items: { id: string }[] };
    expect(week.items.map((s) => s.id)).toEqual([a]);
  });
});
