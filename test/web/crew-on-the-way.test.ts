import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendOnTheWaySms } from '../../src/scheduling/on-the-way.ts';
import { onTheWaySms } from '../../src/scheduling/templates.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS } from '../helpers/console.ts';
import { CREW_DRIVERS, crewDay, type CrewDay } from './crew-day.ts';

/** The crew's "about 15 minutes" SMS (issue 16): now or never, and only where any SMS may go (RULES.md §7). */
let t: TestApp;
let day: CrewDay;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  day = await crewDay(t);
}, 60_000);
afterEach(async () => t.cleanup());

const sent = async () => t.deps.db.selectFrom('messages').select(['phone', 'body', 'status']).where('purpose', '=', 'on_the_way').execute();
const fileOf = async (visitId: string) => (await t.deps.db.selectFrom('visits').select('file_number').where('id', '=', visitId).executeTakeFirstOrThrow()).file_number;

describe('the on-the-way SMS', () => {
  it('says who comes, where and what to have ready, by surname, with no ID number or address', () => {
    const text = onTheWaySms({ signature: '聊城市车管所', addressee: { name: '孙测一', sex: 'F' }, atGate: false, crew: { postalName: '吴投递', examinerName: '冯医生' } });
    expect(text).toBe('【聊城市车管所】孙女士：邮政吴师傅和冯医生已出发，约15分钟后到您家，请备好身份证和驾驶证稍候。');
    expect(text.length).toBeLessThanOrEqual(70);
  });

  it('goes out at once to a mobile inside the sending window, and is kept in the messages', async () => {
    expect(await sendOnTheWaySms(t.deps, day.visits[0]!)).toBe('sent');
    const [m] = await sent();
    expect(m?.phone).toMatch(/^\+86137/);
    expect(m?.body).toContain('小区门口');
  });

  it('is not sent to an opted-out number, a landline, or outside the sending window - and never later', async () => {
    const file = await fileOf(day.visits[0]!);
    const phone = `+86${CREW_DRIVERS.find(([f]) => f === file)![1].phone}`;
    await t.deps.db.insertInto('opt_outs').values({ phone, at: t.clock.now().toISOString(), channel: 'sms', file_number: file }).execute();
    expect(await sendOnTheWaySms(t.deps, day.visits[0]!)).toBe('opted_out');
    await t.deps.db.updateTable('licences').set({ phone_kind: 'landline' }).where('file_number', '=', await fileOf(day.visits[1]!)).execute();
    expect(await sendOnTheWaySms(t.deps, day.visits[1]!)).toBe('landline');
    t.clock.set('2026-11-27T13:30:00Z'); // 21:30 in Shanghai
    expect(await sendOnTheWaySms(t.deps, day.visits[2]!)).toBe('outside_window');
    expect(await sent()).toEqual([]);
    expect(await t.deps.db.selectFrom('visit_notices').select('id').where('kind', 'not in', ['appointment', 'reminder']).execute()).toEqual([]);
  });
});
