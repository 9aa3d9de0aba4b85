import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { conversationOf, sms } from '../helpers/outreach.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { SHUICHENG, addCrewShift, allVisits, commit, confirmedDrivers, preview } from '../helpers/scheduling.ts';

let t: TestApp;
const PHONE = '+8613500000001';
const driver: [string, RowInput] = ['400000000001', { phone: '13500000001', name: '孙测甲', sex: 'M', ...SHUICHENG }];

beforeEach(async () => {
  t = await createTestApp();
  await confirmedDrivers(t, [driver]);
  await addCrewShift(t, 1);
  await preview(t);
  await commit(t);
});
afterEach(() => t.cleanup());

const visit = () => t.deps.db.selectFrom('visits').selectAll().where('file_number', '=', '400000000001').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
const replyOf = async (res: Response) => {
  expect(res.status).toBe(200);
  return (await res.text()).replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)));
};

describe('a driver answering the appointment by SMS', () => {
  it('confirms the visit with 1', async () => {
    const reply = await replyOf(await sms(t, PHONE, '1'));
    expect(reply).toContain('已确认，11月27日（周五）');
    expect(await visit()).toMatchObject({ status: 'confirmed' });
    expect((await conversationOf(t, '400000000001')).status).toBe('confirmed');
  });

  it('moves the visit to the date asked for when it fits, and tells the new window', async () => {
    const before = await visit();
    await addCrewShift(t, 2, { date: '2026-11-30', startsAt: '08:30', endsAt: '11:30' });
    const reply = await replyOf(await sms(t, PHONE, '3 11月30日上午'));
    const after = await visit();
    expect(after).toMatchObject({ id: before.id, date: '2026-11-30', status: 'booked', revision: before.revision + 1, part_of_day: 'am' });
    expect(reply).toContain(`已为您改到11月30日（周一）${after.window_start.replace(/^0/, '')}-${after.window_end.replace(/^0/, '')}`);
    expect((await conversationOf(t, '400000000001')).status).toBe('confirmed');
    // The new revision's reminder waits for the day before; the old one is superseded.
    const notices = await t.deps.db.selectFrom('visit_notices').select(['kind', 'revision', 'status', 'due_at']).where('visit_id', '=', before.id).where('kind', '=', 'reminder').orderBy('revision').execute();
    expect(notices.map((n) => [n.revision, n.status])).toEqual([
      [1, 'skipped'],
      [2, 'pending'],
    ]);
    expect(notices[1]!.due_at).toBe('2026-11-29T02:00:00.000Z');
  });

  it('offers the next feasible days when the date asked for has no room, and keeps the booking', async () => {
    await addCrewShift(t, 2, { date: '2026-12-01', startsAt: '13:30', endsAt: '17:00' });
    const before = await visit();
    const reply = await replyOf(await sms(t, PHONE, '3 11月30日'));
    expect(reply).toContain('可改到：12月1日下午。');
    expect(reply).toContain('原预约暂时保留');
    expect(await visit()).toMatchObject({ id: before.id, date: before.date, revision: before.revision, status: 'booked' });
  });

  it('says staff will call when nothing fits in the next two weeks', async () => {
    const reply = await replyOf(await sms(t, PHONE, '3'));
    expect(reply).toContain('近期没有可改的时间');
  });

  it('cancels the visit and declines with 2', async () => {
    await replyOf(await sms(t, PHONE, '2'));
    expect(await visit()).toMatchObject({ status: 'cancelled', closed_reason: 'driver_declined' });
    expect((await conversationOf(t, '400000000001')).status).toBe('declined');
    expect(allVisits(await preview(t))).toHaveLength(0);
  });
});
