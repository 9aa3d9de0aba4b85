import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import {
  GUANGYUE,
  SHUICHENG,
  TOMORROW,
  addCrewShift,
  addPerson,
  addShift,
  allVisits,
  commit,
  confirmedDrivers,
  preview,
  type PlanJson,
} from '../helpers/scheduling.ts';

let t: TestApp;

type ErrorJson = { error: { message: string; details: { issues: { field: string; code: string }[] } } };

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `2000000000${String(n).padStart(2, '0')}`,
  { phone: `1370000${String(n).padStart(4, '0')}`, name: `赵测${n}`, ...SHUICHENG, ...extra },
];

beforeEach(async () => {
  t = await createTestApp({ lang: 'en' });
});
afterEach(() => t.cleanup());

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Every route inside its shift hours, one after another, each visit inside its told window. */
function expectConsistent(plan: PlanJson, hours: Record<string, [string, string]>) {
  for (const s of plan.shifts) {
    let previousEnd = 0;
    for (const v of s.visits) {
      const start = minutes(v.startsAt);
      expect(start).toBeGreaterThanOrEqual(previousEnd);
      expect(start).toBeGreaterThanOrEqual(minutes(hours[s.id]![0]));
      expect(start + v.serviceMinutes).toBeLessThanOrEqual(minutes(hours[s.id]![1]));
      expect(start).toBeGreaterThanOrEqual(minutes(v.windowStart));
      expect(start).toBeLessThanOrEqual(minutes(v.windowEnd));
      previousEnd = start + v.serviceMinutes;
    }
  }
}

describe('planning a day of home visits', () => {
  it('assigns confirmed drivers to shifts, one stop per community, inside the shift hours', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3), driver(4, GUANGYUE), driver(5, GUANGYUE), driver(6, { community: '', lat: '36.4500', lng: '116.0100' })]);
    const a = await addCrewShift(t, 1);
    const plan = await preview(t);
    expect(plan.run?.planned).toBe(6);
    expect(plan.unplanned).toEqual([]);
    const visits = allVisits(plan);
    expect(visits.map((v) => v.shiftId)).toEqual(Array(6).fill(a));
    expect(visits.every((v) => v.status === 'planned')).toBe(true);
    // Drivers of one community are seen one after another at its gate.
    const stops = visits.map((v) => v.stop.key);
    for (const key of new Set(stops)) {
      const at = stops.flatMap((k, i) => (k === key ? [i] : []));
      expect(at.at(-1)! - at[0]!).toBe(at.length - 1);
    }
    expect(visits.filter((v) => v.stop.atGate).map((v) => v.stop.label).sort()).toEqual(['光岳小区', '光岳小区', '水城花园', '水城花园', '水城花园']);
    expect(visits.find((v) => !v.stop.atGate)?.stop.label).toContain('测试路');
    expectConsistent(plan, { [a]: ['08:30', '12:00'] });
    // A dispatcher sees the driver's name and a masked ID, nothing more (DESIGN.md roles).
    expect(visits[0]!.driver.idNumberMasked).toMatch(/^371502\*{8}\d{3}[\dX]$/);
    expect(visits[0]!.driver.birthDate).toBeUndefined();
  });

  it('says why a driver is left out: outside every shift area, or only free in the afternoon', async () => {
    await confirmedDrivers(t, [driver(1), driver(2, GUANGYUE)]);
    // Driver 3 asked for tomorrow afternoon; the only shift is a morning one.
    await confirmedDrivers(t, [driver(3)]);
    await t.deps.db.updateTable('conversations').set({ status: 'reschedule', reschedule_on: TOMORROW, reschedule_part: 'pm' }).where('file_number', '=', '200000000003').execute();
    await addCrewShift(t, 1, { area: { communities: ['水城花园'] } });
    const plan = await preview(t);
    expect(allVisits(plan).map((v) => v.fileNumber)).toEqual(['200000000001']);
    expect(plan.unplanned.sort((x, y) => x.fileNumber.localeCompare(y.fileNumber))).toEqual([
      { fileNumber: '200000000002', reason: 'no_shift_in_area', message: expect.stringContaining('community'), driver: expect.objectContaining({ community: '光岳小区' }) },
      { fileNumber: '200000000003', reason: 'outside_shift_hours', message: expect.stringContaining('morning/afternoon'), driver: expect.anything() },
    ]);
    // The same view read in zh-CN (the default): the words in Chinese, the reason codes unchanged.
    const zh = await t.request(`/api/plans/${TOMORROW}`, { as: 'dispatcher', headers: { 'accept-language': 'zh-CN' } });
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    const unplanned = ((await zh.json()) as { unplanned: { fileNumber: string; reason: string; message: string }[] }).unplanned;
    expect(unplanned.sort((x, y) => x.fileNumber.localeCompare(y.fileNumber)).map((u) => [u.reason, u.message])).toEqual([
      ['no_shift_in_area', '这一天没有覆盖驾驶人所在小区或区域的班次'],
      ['outside_shift_hours', '没有班次能在班次时间内、按驾驶人的上午/下午偏好到达'],
    ]);
  });

  it('keeps overdue drivers first when the shifts are too small for everyone', async () => {
    // Driver 9 turned 63 long ago: the downgrade is overdue.
    await confirmedDrivers(t, [driver(1), driver(2), driver(9, { birth: '1963-09-01' })]);
    await addCrewShift(t, 1, { capacity: 2 });
    const plan = await preview(t);
    expect(allVisits(plan).map((v) => v.fileNumber)).toContain('200000000009');
    expect(plan.unplanned).toEqual([expect.objectContaining({ reason: 'shifts_full' })]);
  });

  it('gives the same plan for the same seed and iterations', async () => {
    await confirmedDrivers(t, [driver(1), driver(2, GUANGYUE), driver(3, { community: '', lat: '36.4800', lng: '116.0000' }), driver(4, { community: '', lat: '36.4300', lng: '115.9600' })]);
    await addCrewShift(t, 1);
    await addCrewShift(t, 2, { start: { label: '西站', lat: 36.43, lng: 115.95 } });
    const order = (p: PlanJson) => p.shifts.map((s) => s.visits.map((v) => `${v.fileNumber}@${v.startsAt}`));
    const first = order(await preview(t, TOMORROW, { seed: 7, maxIterations: 500 }));
    const second = order(await preview(t, TOMORROW, { seed: 7, maxIterations: 500 }));
    expect(second).toEqual(first);
  });

  it('re-plans around a pinned visit and a moved one, and drops removed drivers from the date', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3, GUANGYUE)]);
    const a = await addCrewShift(t, 1);
    const b = await addCrewShift(t, 2, { startsAt: '13:30', endsAt: '17:00' });
    const plan = await preview(t);
    const v3 = allVisits(plan).find((v) => v.fileNumber === '200000000003')!;
    const other = v3.shiftId === a ? b : a;
    const moved = await t.request(`/api/visits/${v3.id}`, { method: 'PATCH', body: JSON.stringify({ shiftId: other }), headers: { 'content-type': 'application/json' }, as: 'dispatcher' });
    expect(moved.status, await moved.clone().text()).toBe(200);
    expect(await moved.json()).toMatchObject({ shiftId: other, pinned: true });
    const v1 = allVisits(plan).find((v) => v.fileNumber === '200000000001')!;
    expect((await postJson(t, `/api/visits/${v1.id}/cancel`, { reason: '驾驶人住院' }, 'dispatcher')).status).toBe(200);

    const again = await preview(t);
    const visits = allVisits(again);
    expect(visits.find((v) => v.fileNumber === '200000000003')).toMatchObject({ id: v3.id, shiftId: other, pinned: true });
    expect(visits.map((v) => v.fileNumber)).not.toContain('200000000001');
    expect(visits.map((v) => v.fileNumber)).toContain('200000000002');
    expectConsistent(again, { [a]: ['08:30', '12:00'], [b]: ['13:30', '17:00'] });
  });

  it('refuses a move onto a shift of another date, naming the field', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await addCrewShift(t, 1);
    const later = await addCrewShift(t, 2, { date: '2026-11-30' });
    const [v] = allVisits(await preview(t));
    const res = await t.request(`/api/visits/${v!.id}`, { method: 'PATCH', body: JSON.stringify({ shiftId: later }), headers: { 'content-type': 'application/json' }, as: 'dispatcher' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { details: { issues: [{ field: 'shiftId', code: 'other_date' }] } } });
  });

  it('answers 409 when there is no shift to plan with', async () => {
    const res = await postJson(t, `/api/plans/${TOMORROW}/preview`, {}, 'dispatcher');
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorJson).error.message).toContain('no open shift');
  });
});

describe('shifts', () => {
  it('rejects a crew member in two overlapping shifts, and accepts back-to-back ones', async () => {
    const postalId = await addPerson(t, 'postal', '钱投递');
    const examinerId = await addPerson(t, 'examiner', '孙医生');
    const otherExaminer = await addPerson(t, 'examiner', '周医生');
    await addShift(t, { postalId, examinerId, startsAt: '08:00', endsAt: '12:00' });
    const overlap = await postJson(t, '/api/shifts', { date: TOMORROW, startsAt: '11:00', endsAt: '15:00', postalId, examinerId: otherExaminer, start: { label: 'x', lat: 36.4, lng: 116 } }, 'dispatcher');
    expect(overlap.status).toBe(409);
    expect(((await overlap.json()) as ErrorJson).error.message).toContain('overlapping');
    await addShift(t, { postalId, examinerId: otherExaminer, startsAt: '12:00', endsAt: '15:00' });
  });

  it('names every bad field of a shift at once', async () => {
    const postalId = await addPerson(t, 'postal', '钱投递');
    const res = await postJson(t, '/api/shifts', { date: '2026-11-20', startsAt: '14:00', endsAt: '09:00', postalId, examinerId: postalId, start: { label: 'x', lat: 36.4, lng: 116 } }, 'dispatcher');
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as ErrorJson).error.details.issues.map((i) => `${i.field}:${i.code}`).sort();
    expect(fields).toEqual(['date:in_the_past', 'endsAt:before_start', 'examinerId:wrong_kind']);
  });

  it('never gives a driver two visits, even when two dates are planned at once', async () => {
    await confirmedDrivers(t, [driver(1), driver(2)]);
    await addCrewShift(t, 1);
    await addCrewShift(t, 2, { date: '2026-11-30' });
    const results = await Promise.all(
      [TOMORROW, '2026-11-30'].map((date) => postJson(t, `/api/plans/${date}/preview`, { maxIterations: 500 }, 'dispatcher')),
    );
    expect(results.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);
    const active = await t.deps.db.selectFrom('visits').select('file_number').where('status', 'in', ['planned', 'booked', 'confirmed']).execute();
    expect(active.map((v) => v.file_number).sort()).toEqual(['200000000001', '200000000002']);
  });

  it('enforces capacity in the database even for concurrent moves', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3)]);
    const a = await addCrewShift(t, 1, { capacity: 3 });
    const plan = await preview(t);
    const b = await addCrewShift(t, 2, { capacity: 1 });
    const visits = allVisits(plan).filter((v) => v.shiftId === a);
    expect(visits).toHaveLength(3);
    const moves = await Promise.all(
      visits.slice(0, 2).map((v) => t.request(`/api/visits/${v.id}`, { method: 'PATCH', body: JSON.stringify({ shiftId: b }), headers: { 'content-type': 'application/json' }, as: 'dispatcher' })),
    );
    expect(moves.map((r) => r.status).sort()).toEqual([200, 409]);
    const inB = await t.deps.db.selectFrom('visits').select('id').where('shift_id', '=', b).where('status', 'in', ['planned', 'booked', 'confirmed']).execute();
    expect(inB).toHaveLength(1);
  });
});
