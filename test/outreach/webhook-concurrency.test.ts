import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeUnprocessed } from '../../src/outreach/webhook-events.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { conversationOf, seedDrivers, sid, sms, startOutreach, stepsOf, twilioPost } from '../helpers/outreach.ts';

// Inbound SMS arrive concurrently; their batches share transactions (src/db/atomic.ts). Every
// guarantee of a single webhook must hold for each of them.
let t: TestApp;

const count = async (table: 'webhook_events' | 'answers' | 'messages', where?: [string, string]) => {
  let q = t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) q = q.where(where[0] as never, '=', where[1] as never);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.cleanup());

describe('concurrent inbound SMS', () => {
  it('applies 50 concurrent answers from 50 drivers, each with its own reply', async () => {
    const drivers = Array.from({ length: 50 }, (_, i) => {
      const n = String(i).padStart(2, '0');
      return [`1000000001${n}`, { phone: `138 0000 01${n}`, name: '王建国', sex: 'M' as const }] as [string, { phone: string; name: string; sex: 'M' }];
    });
    await seedDrivers(t, drivers);
    await startOutreach(t);
    const bodies = ['1', '2', '3 12月3日上午', 'hello', '１'];
    const responses = await Promise.all(drivers.map((_, i) => sms(t, `+86138000001${String(i).padStart(2, '0')}`, bodies[i % 5]!)));
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    texts.forEach((xml, i) => expect(xml).toContain(['已收到您的确认', '您不需要上门体检', '改期要求（12月3日上午）', '请回复：1预约上门', '已收到您的确认'][i % 5]));
    expect(await count('webhook_events')).toBe(50);
    expect(await count('answers')).toBe(50);
    expect(await count('messages', ['direction', 'in'])).toBe(50);
    const statuses = await Promise.all(drivers.map(([file]) => conversationOf(t, file).then((c) => c.status)));
    expect(statuses).toEqual(drivers.map((_, i) => ['confirmed', 'declined', 'reschedule', 'active', 'confirmed'][i % 5]));
  });

  it('gives the same MessageSid delivered five times at once one effect and one reply', async () => {
    await seedDrivers(t, [['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }]]);
    await startOutreach(t);
    const messageSid = sid('SM');
    const others = Array.from({ length: 5 }, () => sms(t, '+8613800000001', '2', sid('SM')));
    const same = Array.from({ length: 5 }, () => sms(t, '+8613800000001', '1', messageSid));
    const texts = await Promise.all([...same, ...others].map(async (r) => (await r).text()));
    // One of the five deliveries is answered; the repeats get an empty answer.
    expect(texts.slice(0, 5).filter((x) => x.includes('<Message>'))).toHaveLength(1);
    expect(await count('webhook_events')).toBe(6);
    expect(await count('answers')).toBe(6);
    expect(await count('messages', ['provider_sid', messageSid])).toBe(1);
    expect(await count('messages', ['purpose', 'ack_confirm'])).toBe(1);
  });

  it('applies, once, an SMS whose first delivery could not be processed', async () => {
    await seedDrivers(t, [['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }]]);
    await startOutreach(t);
    const params = { MessageSid: sid('SM'), AccountSid: 'AC' + '0'.repeat(32), From: '+8613800000001', To: '+15005550006', Body: '1' };
    await storeUnprocessed(t.deps, { kind: 'sms', dedupeKey: `sms:${params.MessageSid}`, params }, 'database was busy');
    const retried = await twilioPost(t, '/twilio/sms', params);
    expect(await retried.text()).toContain('已收到您的确认');
    const again = await twilioPost(t, '/twilio/sms', params);
    expect(await again.text()).not.toContain('<Message>');
    const events = await t.deps.db.selectFrom('webhook_events').select(['dedupe_key', 'processed_at', 'error']).execute();
    expect(events).toEqual([{ dedupe_key: `sms:${params.MessageSid}`, processed_at: t.clock.now().toISOString(), error: null }]);
    expect(await count('answers')).toBe(1);
    const conversation = await conversationOf(t, '100000000001');
    expect(conversation.status).toBe('confirmed');
    expect((await stepsOf(t, conversation.id)).every((s) => s.status !== 'pending')).toBe(true);
  });
});

describe('the day an SMS is read against', () => {
  it('resolves 明天 against the date in China, before and after midnight, and when the clock goes back', async () => {
    await seedDrivers(t, [['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }]]);
    await startOutreach(t);
    const askedFor = async (utc: string) => {
      t.clock.set(utc);
      return (await (await sms(t, '+8613800000001', '3 明天')).text()).match(/（(.+?)）/)?.[1];
    };
    expect(await askedFor('2026-11-26T15:59:00.000Z')).toBe('11月27日'); // 23:59 in Shanghai
    expect(await askedFor('2026-11-26T16:01:00.000Z')).toBe('11月28日'); // 00:01 the next day
    expect(await askedFor('2026-11-26T15:58:00.000Z')).toBe('11月27日');
  });
});
