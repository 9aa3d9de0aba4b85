import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { conversationOf, runSteps, seedDrivers, sms, startOutreach, stepsOf } from '../helpers/outreach.ts';
import { maskFileNumber, nameFor, phoneFor } from '../../src/outreach/people-view.ts';

const KNOWN = '+8613800000001';
const SHARED = '+8613800000003';
const STRANGER = '+8613999999999';

interface Item {
  id: string;
  reason: string;
  status: string;
  body: string | null;
  phoneDisplay: string;
  drivers: { fileNumberMasked: string; name: string; caseId: string | null }[];
  resolution: { meaning: string; by: string | null } | null;
}

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
  await seedDrivers(t, [
    ['100000000001', { phone: '13800000001', name: '王建国' }],
    ['100000000003', { phone: '13800000003', name: '李秀英' }],
    ['100000000004', { phone: '13800000003', name: '李德明' }],
    ['100000000005', { phone: '13800000005', name: '赵一平' }],
  ]);
  await startOutreach(t);
  await runSteps(t);
});
afterEach(() => t.cleanup());

async function inbox(query = '') {
  const res = await t.request(`/api/outreach/inbox${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Item[] }).items;
}

const resolve = (id: string, body: Record<string, unknown>, as: 'admin' | 'dispatcher' = 'admin') => postJson(t, `/api/outreach/inbox/${id}/resolve`, body, as);

describe('the inbox lists what staff must decide', () => {
  it('lists a known driver’s reply the parser did not understand, with the driver masked', async () => {
    await sms(t, KNOWN, '我下周不在家，你们什么时候来');
    await sms(t, KNOWN, '1'); // understood: not for the inbox
    const items = await inbox();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      reason: 'not_understood',
      status: 'open',
      body: '我下周不在家，你们什么时候来',
      phoneDisplay: '138 0000 0001',
      drivers: [{ fileNumberMasked: '1000****0001', name: '王建国' }],
      resolution: null,
    });
  });

  it('lists replies from unknown and shared numbers, naming the drivers of a shared one', async () => {
    await sms(t, SHARED, '1');
    await sms(t, STRANGER, '好');
    const items = await inbox();
    expect(items.map((i) => i.reason)).toEqual(['shared_number', 'unknown_number']);
    expect(items[0]!.drivers.map((d) => d.fileNumberMasked)).toEqual(['1000****0003', '1000****0004']);
    expect(items[0]!.drivers.every((d) => d.caseId !== null)).toBe(true);
    expect(items[1]!.drivers).toEqual([]);
  });

  it('is for staff who call drivers: a dispatcher may neither read nor resolve it', async () => {
    await sms(t, STRANGER, '好');
    expect((await t.request('/api/outreach/inbox', { as: 'dispatcher' })).status).toBe(403);
    const [item] = await inbox();
    expect((await resolve(item!.id, { meaning: 'ignore' }, 'dispatcher')).status).toBe(403);
  });
});

describe('resolving a reply', () => {
  it('applies a confirm as the parser would: the conversation is confirmed and its ladder stops', async () => {
    await sms(t, KNOWN, '嗯嗯');
    const [item] = await inbox();
    const res = await resolve(item!.id, { meaning: 'confirm' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'applied', item: { status: 'resolved', resolution: { meaning: 'confirm' } } });
    const conversation = await conversationOf(t, '100000000001');
    expect([conversation.status, conversation.answer_channel]).toEqual(['confirmed', 'sms']);
    expect((await stepsOf(t, conversation.id)).filter((s) => s.status === 'pending')).toEqual([]);
    expect(await inbox()).toEqual([]);
    expect((await inbox('?status=resolved')).map((i) => i.id)).toEqual([item!.id]);
    const audit = await t.deps.db.selectFrom('audit_log').select(['action', 'subject']).where('action', '=', 'outreach.inbox_resolve').execute();
    expect(audit).toEqual([{ action: 'outreach.inbox_resolve', subject: item!.id }]);
  });

  it('resolves once: a second resolve is a 409 and changes nothing', async () => {
    await sms(t, KNOWN, '嗯嗯');
    const [item] = await inbox();
    expect((await resolve(item!.id, { meaning: 'decline' })).status).toBe(200);
    const second = await resolve(item!.id, { meaning: 'confirm' });
    expect(second.status).toBe(409);
    expect((await conversationOf(t, '100000000001')).status).toBe('declined');
  });

  it('resolves once when two members of staff decide at the same moment', async () => {
    await sms(t, KNOWN, '嗯嗯');
    const [item] = await inbox();
    const statuses = (await Promise.all([resolve(item!.id, { meaning: 'confirm' }), resolve(item!.id, { meaning: 'decline' })])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 409]);
    const applied = await t.deps.db.selectFrom('answers').select('intent').where('staff_id', 'is not', null).execute();
    expect(applied).toHaveLength(1);
    expect((await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'outreach.inbox_resolve').execute())).toHaveLength(1);
  });

  it('needs the driver for a shared number, one of those on it, and applies to that driver only', async () => {
    await sms(t, SHARED, '1');
    const [item] = await inbox();
    expect((await resolve(item!.id, { meaning: 'confirm' })).status).toBe(400);
    expect((await resolve(item!.id, { meaning: 'confirm', fileNumber: '100000000005' })).status).toBe(400);
    const caseId = item!.drivers[1]!.caseId!;
    expect((await resolve(item!.id, { meaning: 'confirm', caseId })).status).toBe(200);
    expect((await conversationOf(t, '100000000004')).status).toBe('confirmed');
    expect((await conversationOf(t, '100000000003')).status).toBe('active');
  });

  it('applies an unknown number’s answer to the driver staff name by file number', async () => {
    await sms(t, STRANGER, '不需要');
    const [item] = await inbox();
    const res = await resolve(item!.id, { meaning: 'decline', fileNumber: '100000000005' });
    expect(res.status).toBe(200);
    expect((await conversationOf(t, '100000000005')).status).toBe('declined');
    expect((await resolve(item!.id, { meaning: 'decline', fileNumber: '100000000005' })).status).toBe(409);
  });

  it('opts the number out without a driver, as TD would, and lists it among the opt-outs', async () => {
    await sms(t, STRANGER, '别再发了');
    const [item] = await inbox();
    expect((await resolve(item!.id, { meaning: 'opt_out' })).status).toBe(200);
    const res = await t.request('/api/outreach/opt-outs');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { phone: string; channel: string; fileNumber: string | null }[] };
    expect(items).toEqual([expect.objectContaining({ phone: STRANGER, channel: 'sms', fileNumber: null })]);
  });

  it('opts out a shared number from every conversation on it, as TD from it would', async () => {
    await sms(t, SHARED, '不要再打了');
    const [item] = await inbox();
    expect((await resolve(item!.id, { meaning: 'opt_out' })).status).toBe(200);
    expect([(await conversationOf(t, '100000000003')).status, (await conversationOf(t, '100000000004')).status]).toEqual(['opted_out', 'opted_out']);
  });

  it('ignores a reply: it leaves the inbox and nothing else changes', async () => {
    await sms(t, KNOWN, '谢谢');
    const [item] = await inbox();
    const res = await resolve(item!.id, { meaning: 'ignore' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: null, item: { status: 'resolved', resolution: { meaning: 'ignore' } } });
    expect((await conversationOf(t, '100000000001')).status).toBe('active');
    expect(await inbox()).toEqual([]);
  });

  it('answers 404 for a reply that is not in the inbox', async () => {
    await sms(t, KNOWN, '1');
    const answer = await t.deps.db.selectFrom('answers').select('id').executeTakeFirstOrThrow();
    expect((await resolve(answer.id, { meaning: 'ignore' })).status).toBe(404);
  });
});

describe('names and numbers by role', () => {
  it('shows them whole to a role with outreach:read and masked to any other', () => {
    expect(phoneFor(KNOWN, 'admin')).toEqual({ phone: KNOWN, phoneDisplay: '138 0000 0001' });
    expect(phoneFor(KNOWN, 'dispatcher')).toEqual({ phone: '138****0001', phoneDisplay: '138****0001' });
    expect([nameFor('王建国', 'admin'), nameFor('王建国', 'dispatcher')]).toEqual(['王建国', '王**']);
    expect(maskFileNumber('100000000001')).toBe('1000****0001');
  });
});

describe('opt-outs', () => {
  it('lists who opted out, when and by which channel, newest first', async () => {
    await sms(t, KNOWN, 'TD');
    t.clock.set('2026-11-26T03:00:00.000Z');
    await sms(t, '+8613800000005', '退订');
    const res = await t.request('/api/outreach/opt-outs?limit=1');
    const first = (await res.json()) as { items: { fileNumber: string; name: string; at: string; channel: string }[]; nextCursor: string };
    expect(first.items).toEqual([expect.objectContaining({ fileNumber: '100000000005', name: '赵一平', at: '2026-11-26T03:00:00.000Z', channel: 'sms' })]);
    const next = (await (await t.request(`/api/outreach/opt-outs?limit=1&cursor=${first.nextCursor}`)).json()) as { items: { fileNumber: string }[]; nextCursor: null };
    expect(next).toEqual({ items: [expect.objectContaining({ fileNumber: '100000000001' })], nextCursor: null });
    expect((await t.request('/api/outreach/opt-outs', { as: 'dispatcher' })).status).toBe(403);
  });
});
