import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { GUANGYUE, SHUICHENG, TOMORROW, addCrewShift, confirmedDrivers, type PlanJson } from '../helpers/scheduling.ts';
import { scaleLength, stopGroups } from '../../src/web/planning/route-map.tsx';

let t: TestApp;
let dispatcher: ConsoleAgent;

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `3000000000${String(n).padStart(2, '0')}`,
  { phone: `1370000${String(n).padStart(4, '0')}`, name: `钱测${n}`, ...SHUICHENG, ...extra },
];

beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  dispatcher = await signedIn(t, 'dispatcher');
});
afterEach(async () => t.cleanup());

const BOARD = `/console/plans?date=${TOMORROW}`;

async function apiPlan(date = TOMORROW): Promise<PlanJson> {
  const res = await t.request(`/api/plans/${date}`, { as: 'dispatcher' });
  expect(res.status).toBe(200);
  return (await res.json()) as PlanJson;
}

/** Five confirmed drivers (one out of every shift's area), two crews of tomorrow. */
async function day(): Promise<{ a: string; b: string }> {
  await confirmedDrivers(t, [driver(1), driver(2), driver(3, GUANGYUE), driver(4, GUANGYUE), driver(5, { community: '远方村', lat: '36.9000', lng: '116.5000' })]);
  const a = await addCrewShift(t, 1, { area: { communities: ['水城花园', '光岳小区'] } });
  const b = await addCrewShift(t, 2, { startsAt: '13:30', endsAt: '17:00', area: { communities: ['水城花园', '光岳小区'] } });
  return { a, b };
}

async function planThroughPage(): Promise<string> {
  await dispatcher.page(BOARD);
  const res = await dispatcher.post('/console/plans/preview', { date: TOMORROW });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(BOARD);
  return dispatcher.page(BOARD);
}

const visitIds = (page: string) => [...page.matchAll(/<tr id="visit-([0-9a-f-]{36})"/g)].map((m) => m[1]!);
const smsTexts = (page: string) => [...page.matchAll(/<p class="sms-text">([^<]+)<\/p>/g)].map((m) => m[1]!);

describe('the planning board', () => {
  it('plans the date from the page and shows each crew, its stops, the map, the SMS and who was left out, as the API says', async () => {
    await day();
    const page = await planThroughPage();
    const plan = await apiPlan();
    const planned = plan.shifts.flatMap((s) => s.visits);
    expect(planned).toHaveLength(4);
    expect(page).toContain(`已排班：4 位驾驶人排入计划，1 位未能排入`);
    // The crews, the stops in the API's order, the left-out driver with the reason in words.
    expect(page).toContain('1号班次：邮政 邮递员1 · 医生1 医生');
    expect(page).toContain('2号班次：邮政 邮递员2 · 医生2 医生');
    expect(visitIds(page)).toEqual(plan.shifts.flatMap((s) => s.visits.map((v) => v.id)));
    for (const v of planned) expect(page).toContain(`${v.windowStart.replace(/^0/, '')}-${v.windowEnd.replace(/^0/, '')}`);
    expect(plan.unplanned).toHaveLength(1);
    expect(page).toContain(`未能排入的驾驶人（1）`);
    expect(page).toContain(plan.unplanned[0]!.message);
    expect(page).toContain('钱测5');
    // The map: an image with a name, one route per crew, a numbered circle per stop, a scale bar.
    expect(page).toMatch(/<svg class="map" role="img" aria-labelledby="board-map-title"/);
    expect(page).toContain('<title id="board-map-title">2026年11月27日 星期五各班次的路线</title>');
    expect(page.match(/<polyline /g)).toHaveLength(2);
    const marks = [...page.matchAll(/<g class="stop">.*?<text[^>]*>([\d-]+)<\/text>/g)].map((m) => m[1]!);
    const numbered = marks.flatMap((m) => { const [a, b = a] = m.split('-').map(Number) as [number, number?]; return Array.from({ length: b! - a + 1 }, (_, k) => a + k); });
    expect(numbered.sort()).toEqual(plan.shifts.flatMap((s) => s.visits.map((v) => v.seq)).sort());
    for (const v of planned) expect(page).toContain(`${v.stop.label} ${v.driver.name}（${v.windowStart.replace(/^0/, '')}-${v.windowEnd.replace(/^0/, '')}）`);
    expect(page).toMatch(/(公里|米)<\/text>/);
    // The SMS of each draft, and the confirmation's count.
    expect(smsTexts(page)).toHaveLength(4);
    expect(page).toContain('将预约 4 个上门，立即发送 4 条预约短信。');
  });

  it('commits with the confirmation only, and the drivers receive exactly the SMS the board showed', async () => {
    await day();
    const page = await planThroughPage();
    const shown = smsTexts(page).sort();

    const unconfirmed = await dispatcher.post('/console/plans/commit', { date: TOMORROW });
    expect(unconfirmed.status).toBe(400);
    const again = await unconfirmed.text();
    expect(again).toContain('请先勾选“我已核对计划，确认发送”');
    expect((await apiPlan()).shifts.flatMap((s) => s.visits).every((v) => v.status === 'planned')).toBe(true);
    expect(t.recording.sent.filter((s) => s.kind === 'sms' && s.body?.includes('上门体检，约10分钟'))).toHaveLength(0);

    const before = t.recording.sent.length;
    const res = await dispatcher.post('/console/plans/commit', { date: TOMORROW, confirm: 'yes' });
    expect(res.status).toBe(303);
    const after = await dispatcher.page(BOARD);
    expect(after).toContain('已确认 4 个上门。预约短信：已发送 4 条，稍后发送 0 条，未发送 0 条（需电话通知），失败 0 条。');
    const sent = t.recording.sent.slice(before).filter((s) => s.kind === 'sms').map((s) => s.body!).sort();
    expect(sent).toEqual(shown);
    // Told visits: no actions, the SMS as sent, no second confirmation.
    expect(after).not.toContain('action="/console/plans/commit"');
    expect(after.match(/已通知，不能在此改动/g)).toHaveLength(4);
    expect(smsTexts(after).sort()).toEqual(shown);
  });

  it('counts a driver who opted out as a call, not an SMS, in the confirmation and on the stop, as the outbox then does', async () => {
    await day();
    await planThroughPage();
    await t.deps.db.insertInto('opt_outs').values({ phone: '+8613700000001', at: '2026-11-26T02:00:00.000Z', channel: 'sms', file_number: null }).execute();
    const page = await dispatcher.page(BOARD);
    expect(page).toContain('将预约 4 个上门，立即发送 3 条预约短信；1 位驾驶人不能收短信，需电话通知。');
    expect(page).toContain('驾驶人已退订短信');
    expect(smsTexts(page)).toHaveLength(3);
    const before = t.recording.sent.length;
    await dispatcher.post('/console/plans/commit', { date: TOMORROW, confirm: 'yes' });
    expect(await dispatcher.page(BOARD)).toContain('预约短信：已发送 3 条，稍后发送 0 条，未发送 1 条（需电话通知），失败 0 条。');
    expect(t.recording.sent.slice(before).filter((x) => x.kind === 'sms')).toHaveLength(3);
  });

  it('pins a draft, moves one to the other shift, and removes one, each through the same services as the API', async () => {
    const { b } = await day();
    const page = await planThroughPage();
    const [first, second, third] = visitIds(page) as [string, string, string];

    const pin = await dispatcher.post(`/console/plans/visits/${first}`, { date: TOMORROW, action: 'pin' });
    expect(pin.status).toBe(303);
    expect(pin.headers.get('location')).toBe(`${BOARD}#visit-${first}`);
    expect(await dispatcher.page(BOARD)).toContain('已固定：重新排班时这个上门保持在原班次。');

    const plan = await apiPlan();
    const from = plan.shifts.find((s) => s.visits.some((v) => v.id === second))!;
    const to = plan.shifts.find((s) => s.id !== from.id)!;
    const move = await dispatcher.post(`/console/plans/visits/${second}`, { date: TOMORROW, action: 'move', shiftId: to.id });
    expect(move.status).toBe(303);
    expect(await dispatcher.page(BOARD)).toContain('已移到所选班次并固定');

    expect((await dispatcher.post(`/console/plans/visits/${third}/remove`, { date: TOMORROW })).status).toBe(303);
    expect(await dispatcher.page(BOARD)).toContain('已移出这一天的计划');

    const now = await apiPlan();
    const visits = now.shifts.flatMap((s) => s.visits);
    expect(visits.find((v) => v.id === first)?.pinned).toBe(true);
    expect(visits.find((v) => v.id === second)).toMatchObject({ shiftId: to.id, pinned: true });
    expect(visits.find((v) => v.id === third)).toBeUndefined();
    expect(to.id === b || from.id === b).toBe(true);
  });

  it('says on the board why a move is refused, and changes nothing', async () => {
    await day();
    const page = await planThroughPage();
    const [first] = visitIds(page) as [string];
    const otherDay = await addCrewShift(t, 3, { date: '2026-11-28' });
    const res = await dispatcher.post(`/console/plans/visits/${first}`, { date: TOMORROW, action: 'move', shiftId: otherDay });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('必须是 2026-11-27（该预约的日期）的班次');
    const v = (await apiPlan()).shifts.flatMap((s) => s.visits).find((x) => x.id === first)!;
    expect(v.shiftId).not.toBe(otherDay);
    expect(v.pinned).toBe(false);
  });

  it('does nothing for a form without its CSRF token', async () => {
    await day();
    await dispatcher.page(BOARD);
    const res = await dispatcher.post('/console/plans/preview', { date: TOMORROW }, { csrf: null });
    expect(res.status).toBe(303);
    expect(await dispatcher.page(BOARD)).toContain('页面已过期或来源不明，操作没有执行');
    expect(await t.deps.db.selectFrom('plan_runs').selectAll().execute()).toHaveLength(0);
  });

  it('takes the date from the URL, in words too, defaults to tomorrow, and says when it is not a date', async () => {
    await day();
    await planThroughPage();
    const byWord = await dispatcher.page('/console/plans?date=明天');
    const byDefault = await dispatcher.page('/console/plans');
    for (const p of [byWord, byDefault]) {
      expect(p).toContain('<h2>2026年11月27日 星期五</h2>');
      expect(p.match(/<tr id="visit-/g)).toHaveLength(4);
    }
    expect(await dispatcher.page('/console/plans?date=today')).toContain('今天的计划从现在开始安排');
    const bad = await dispatcher.get('/console/plans?date=someday');
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('请填写日期');
    expect(text).toContain('value="someday"');
  });

  it('shows an empty date with no shift in words, and no forms', async () => {
    const page = await dispatcher.page('/console/plans?date=2026-12-01');
    expect(page).toContain('这一天没有开放的班次');
    expect(page).not.toContain('action="/console/plans/preview"');
  });

  it('is for dispatchers and administrators: the crew gets the refusal page and cannot post', async () => {
    await day();
    const admin = await signedIn(t, 'admin');
    expect(await admin.page(BOARD)).toContain('排班计划');
    const examiner = await signedIn(t, 'examiner');
    expect((await examiner.get(BOARD)).status).toBe(403);
    const postal = await signedIn(t, 'postal');
    await postal.page('/console/account');
    expect((await postal.post('/console/plans/preview', { date: TOMORROW })).status).toBe(403);
    expect(await t.deps.db.selectFrom('plan_runs').selectAll().execute()).toHaveLength(0);
  });
});

describe('the route map', () => {
  it('draws one mark for stops one after another at one place', () => {
    const at = (seq: number, lat: number) => ({ seq, lat, lng: 116, label: `站${seq}`, window: '9:00-10:00' });
    expect(stopGroups([at(1, 36.1), at(2, 36.2), at(3, 36.2), at(4, 36.2), at(5, 36.1)]).map((g) => g.text)).toEqual(['1', '2-4', '5']);
  });

  it('picks a round scale bar about a fifth of the map', () => {
    // 640 units wide: 0.01 km a unit is 6.4 km across, a fifth 1.28 km: the bar is 1 km.
    expect(scaleLength(0.01)).toBe(1);
    expect(scaleLength(0.05)).toBe(5);
    expect(scaleLength(0.2)).toBe(20);
    expect(scaleLength(0.003)).toBe(0.2);
  });
});
