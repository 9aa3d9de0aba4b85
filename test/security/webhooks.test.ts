import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recoverWebhookEvents } from '../../src/outreach/loop.ts';
import { STATUS_RANKS, TWILIO_CALL_STATUSES, TWILIO_MESSAGE_STATUSES, FINAL, isFinal, statusRank } from '../../src/outreach/status.ts';
import { simulateReply } from '../../src/outreach/simulator.ts';
import { storeUnprocessed } from '../../src/outreach/webhook-events.ts';
import { DEVELOPMENT_ACCOUNT_SID, signatureDigest } from '../../src/outreach/webhooks.ts';
import { TEST_TWILIO_TOKEN, createTestApp, type TestApp } from '../helpers/app.ts';
import {
  PUBLIC_BASE,
  advance,
  conversationOf,
  runSteps,
  seedDrivers,
  sid,
  signedBody,
  startOutreach,
  twilioPost,
  webhookRows,
} from '../helpers/outreach.ts';

/**
 * Issue 13, items 2-4: the Twilio webhooks as an attacker holding one captured request sees them.
 * Each finding is reproduced with requests signed by the twilio SDK itself; after each hostile
 * request the same app still serves a normal one.
 */
const TWILIO_NUMBER = '+15005550006';
const ATTACKER = '+8613800000001';
const VICTIM = '+8613800000002';
const LANDLINE = '+866358123456';
const SMS_URL = `${PUBLIC_BASE}/twilio/sms`;

let t: TestApp;
let unknownCaller = 0;

beforeEach(async () => {
  t = await createTestApp();
  await seedDrivers(t, [
    ['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }],
    ['100000000002', { phone: '138 0000 0002', name: '李秀英', sex: 'F' }],
    ['100000000003', { phone: '0635-8123456', name: '张伟', sex: 'M' }],
  ]);
  await startOutreach(t);
});
afterEach(() => t.cleanup());

/** The same app still stores and answers an ordinary SMS. */
async function stillServes() {
  const before = await webhookRows(t);
  const from = `+86139${String(++unknownCaller).padStart(8, '0')}`;
  const res = await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: from, To: TWILIO_NUMBER, Body: '1' });
  expect(res.status).toBe(200);
  expect((await webhookRows(t)).events).toBe(before.events + 1);
}

async function expectRejected(res: Response, status: number, fields: string[] = []) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; details?: { issues: { field: string }[] } } };
  if (fields.length > 0) expect(body.error.details?.issues.map((i) => i.field)).toEqual(fields);
  return body;
}

const signature = (url: string, params: Record<string, string | string[]>) => twilio.getExpectedTwilioSignature(TEST_TWILIO_TOKEN, url, params);

describe('boundary-shift replay (item 2)', () => {
  it('answers a captured SMS reshaped into another MessageSid as a replay: 200, empty, no second effect', async () => {
    const original = { AccountSid: DEVELOPMENT_ACCOUNT_SID, Body: '1', From: ATTACKER, MessageSid: sid('SM'), NumMedia: '0' };
    // `MessageSid` takes the N of `NumMedia`: the signed string (URL + sorted key+value pairs) is the same.
    const shifted = { AccountSid: DEVELOPMENT_ACCOUNT_SID, Body: '1', From: ATTACKER, MessageSid: `${original.MessageSid}N`, umMedia: '0' };
    const captured = signature(SMS_URL, original);
    expect(signature(SMS_URL, shifted)).toBe(captured);
    expect(twilio.validateRequest(TEST_TWILIO_TOKEN, captured, SMS_URL, shifted)).toBe(true);

    expect(await (await twilioPost(t, '/twilio/sms', original)).text()).toContain('<Message>');
    const before = await webhookRows(t);
    const replay = await twilioPost(t, '/twilio/sms', shifted, { signature: captured });
    expect(replay.status).toBe(200);
    expect(await replay.text()).not.toContain('<Message>');
    expect(await webhookRows(t)).toEqual(before);
    await stillServes();
  });

  it("refuses a reshaping that passes every field check and would answer for another driver's number", async () => {
    // The attacker texts from their own phone a body that carries a second, well-formed request:
    // moved across the boundaries it reads as a reply "1" from the victim with a fresh MessageSid.
    const other = sid('SM');
    const original = {
      AccountSid: DEVELOPMENT_ACCOUNT_SID,
      Body: `1From${VICTIM}MessageSid${other}Z`,
      From: ATTACKER,
      MessageSid: sid('SM'),
      To: TWILIO_NUMBER,
    };
    const shifted = { AccountSid: DEVELOPMENT_ACCOUNT_SID, Body: '1', From: VICTIM, MessageSid: other, ZFrom: `${ATTACKER}MessageSid${original.MessageSid}To${TWILIO_NUMBER}` };
    const captured = signature(SMS_URL, original);
    expect(signature(SMS_URL, shifted)).toBe(captured);

    expect((await twilioPost(t, '/twilio/sms', original)).status).toBe(200);
    const before = await webhookRows(t);
    const replay = await twilioPost(t, '/twilio/sms', shifted, { signature: captured });
    expect(replay.status).toBe(200);
    expect(await replay.text()).not.toContain('<Message>');
    expect(await webhookRows(t)).toEqual(before);
    expect((await conversationOf(t, '100000000002')).status).toBe('active');
    const victimAnswers = await t.deps.db.selectFrom('answers').select('id').where('phone', '=', VICTIM).execute();
    expect(victimAnswers).toHaveLength(0);
    await stillServes();
  });

  it('takes a reshaped replay of a deferred status callback as a replay, and the recovery pass still applies the original once', async () => {
    await runSteps(t);
    const early = sid('SM');
    const original = { AccountSid: DEVELOPMENT_ACCOUNT_SID, MessageSid: early, MessageStatus: 'delivered' };
    const url = `${PUBLIC_BASE}/twilio/message-status`;
    const captured = signature(url, original);
    // Twilio's status callback overtook the recording of its message: kept for the recovery pass.
    expect((await twilioPost(t, '/twilio/message-status', original)).status).toBe(200);
    const deferred = await t.deps.db.selectFrom('webhook_events').selectAll().where('kind', '=', 'message_status').executeTakeFirstOrThrow();
    expect(deferred.processed_at).toBeNull();
    expect(deferred.signature).toBe(signatureDigest(url, captured));

    const before = await webhookRows(t);
    const shifted = { AccountSid: DEVELOPMENT_ACCOUNT_SID, MessageSid: `${early}M`, essageStatus: 'delivered' };
    const replay = await twilioPost(t, '/twilio/message-status', shifted, { signature: captured });
    expect(replay.status).toBe(200);
    expect(await webhookRows(t)).toEqual(before);

    await t.deps.db.updateTable('messages').set({ provider_sid: early }).where('phone', '=', ATTACKER).where('purpose', '=', 'notice').execute();
    advance(t, 120_000);
    expect(await recoverWebhookEvents(t.deps)).toEqual({ applied: 1, abandoned: 0 });
    const message = await t.deps.db.selectFrom('messages').select('status').where('provider_sid', '=', early).executeTakeFirstOrThrow();
    expect(message.status).toBe('delivered');
    const applied = await t.deps.db.selectFrom('webhook_events').selectAll().where('id', '=', (await t.deps.db.selectFrom('webhook_events').select('id').where('kind', '=', 'message_status').executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow();
    expect(applied.processed_at).not.toBeNull();
    expect(applied.signature).toBe(deferred.signature);
    // Delivered once more, exactly as captured: a duplicate.
    expect((await twilioPost(t, '/twilio/message-status', original)).status).toBe(200);
    expect(await webhookRows(t)).toEqual(before);
    await stillServes();
  });

  it('keeps one unprocessed event per signature, whatever the dedupe key', async () => {
    const digest = signatureDigest(SMS_URL, 'captured-signature');
    const params = { MessageSid: sid('SM') };
    await storeUnprocessed(t.deps, { kind: 'sms', dedupeKey: `sms:${params.MessageSid}`, params, signature: digest }, 'database was busy');
    await storeUnprocessed(t.deps, { kind: 'sms', dedupeKey: `sms:${sid('SM')}`, params, signature: digest }, 'database was busy');
    const events = await t.deps.db.selectFrom('webhook_events').select('dedupe_key').execute();
    expect(events).toEqual([{ dedupe_key: `sms:${params.MessageSid}` }]);
  });

  it('applies, once, a Twilio retry of an SMS whose first delivery failed, though its signature is stored', async () => {
    const params = { AccountSid: DEVELOPMENT_ACCOUNT_SID, MessageSid: sid('SM'), From: ATTACKER, To: TWILIO_NUMBER, Body: '1' };
    const digest = signatureDigest(SMS_URL, signature(SMS_URL, params));
    await storeUnprocessed(t.deps, { kind: 'sms', dedupeKey: `sms:${params.MessageSid}`, params, signature: digest }, 'database was busy');
    expect(await (await twilioPost(t, '/twilio/sms', params)).text()).toContain('已收到您的确认');
    expect(await (await twilioPost(t, '/twilio/sms', params)).text()).not.toContain('<Message>');
    const events = await t.deps.db.selectFrom('webhook_events').select(['signature', 'error']).execute();
    expect(events).toEqual([{ signature: digest, error: null }]);
    expect((await conversationOf(t, '100000000001')).status).toBe('confirmed');
  });
});

describe('parameters (item 2)', () => {
  it('refuses a repeated parameter with 400 naming it: the SDK signs Body=1&Body=2 as a Body of 1Body2', async () => {
    const base = { AccountSid: DEVELOPMENT_ACCOUNT_SID, From: ATTACKER, MessageSid: sid('SM'), To: TWILIO_NUMBER };
    expect(signature(SMS_URL, { ...base, Body: ['1', '2'] })).toBe(signature(SMS_URL, { ...base, Body: '1Body2' }));
    const body = `${new URLSearchParams(base).toString()}&Body=1&Body=2`;
    const before = await webhookRows(t);
    await expectRejected(await signedBody(t, '/twilio/sms', body), 400, ['Body']);
    // The same value twice signs like once: refused as well.
    await expectRejected(await signedBody(t, '/twilio/sms', `${new URLSearchParams(base).toString()}&Body=1&Body=1`), 400, ['Body']);
    expect(await webhookRows(t)).toEqual(before);
    await stillServes();
  });

  it('refuses names that are not a letter and letters, digits or _ (our own _c among them), and accepts new plain ones', async () => {
    const conversation = await conversationOf(t, '100000000003');
    const call = { CallSid: sid('CA'), _c: conversation.id };
    const before = await webhookRows(t);
    await expectRejected(await twilioPost(t, '/twilio/voice', call), 400, ['_c']);
    await expectRejected(await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: ATTACKER, 'X-Header': '1' }), 400, ['X-Header']);
    await expectRejected(await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: ATTACKER, ['A'.repeat(65)]: '1' }), 400, ['A'.repeat(64)]);
    expect(await webhookRows(t)).toEqual(before);
    // A field Twilio might add tomorrow is stored and ignored.
    const res = await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: ATTACKER, To: TWILIO_NUMBER, Body: '1', SomeNewField2030: 'x' });
    expect(await res.text()).toContain('已收到您的确认');
  });

  it('stores a Body of 1,600 characters and refuses a longer one, as Twilio caps messages', async () => {
    const before = await webhookRows(t);
    await expectRejected(await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: ATTACKER, Body: '好'.repeat(1601) }), 400, ['Body']);
    await expectRejected(await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: ATTACKER, Body: '1', FromCity: 'x'.repeat(4097) }), 400, ['FromCity']);
    expect(await webhookRows(t)).toEqual(before);
    // Counted in characters: 1,600 emoji are 3,200 UTF-16 units.
    for (const body of ['好'.repeat(1600), '🚗'.repeat(1600)]) {
      expect((await twilioPost(t, '/twilio/sms', { MessageSid: sid('SM'), From: '+8613900000099', Body: body })).status).toBe(200);
    }
    const stored = await t.deps.db.selectFrom('messages').select('body').where('phone', '=', '+8613900000099').execute();
    expect(stored.map((m) => [...(m.body ?? '')].length)).toEqual([1600, 1600]);
    await stillServes();
  });
});

describe('webhook identity (item 3)', () => {
  it('refuses another account with 403 and a missing or malformed AccountSid with 400, storing nothing', async () => {
    const params = () => ({ MessageSid: sid('SM'), From: ATTACKER, To: TWILIO_NUMBER, Body: '1' });
    const before = await webhookRows(t);
    expect((await expectRejected(await twilioPost(t, '/twilio/sms', params(), { accountSid: 'AC' + 'b'.repeat(32) }), 403)).error.code).toBe('forbidden');
    await expectRejected(await twilioPost(t, '/twilio/sms', params(), { accountSid: null }), 400, ['AccountSid']);
    await expectRejected(await twilioPost(t, '/twilio/sms', params(), { accountSid: 'AC123' }), 400, ['AccountSid']);
    await expectRejected(await twilioPost(t, '/twilio/call-status', { CallSid: sid('CA'), CallStatus: 'completed' }, { accountSid: 'AC' + '1'.repeat(32) }), 403);
    expect(await webhookRows(t)).toEqual(before);
    expect((await conversationOf(t, '100000000001')).status).toBe('active');
    await stillServes();
  });

  it('takes the configured TWILIO_ACCOUNT_SID, and then no longer the development account', async () => {
    const account = 'AC' + '1234abcd'.repeat(4);
    const configured = await createTestApp({ env: { TWILIO_ACCOUNT_SID: account, TWILIO_AUTH_TOKEN: TEST_TWILIO_TOKEN, TWILIO_FROM_NUMBER: TWILIO_NUMBER } });
    try {
      const params = () => ({ MessageSid: sid('SM'), From: ATTACKER, Body: '1' });
      expect((await twilioPost(configured, '/twilio/sms', params(), { accountSid: DEVELOPMENT_ACCOUNT_SID })).status).toBe(403);
      expect((await twilioPost(configured, '/twilio/sms', params())).status).toBe(200);
      // Twilio writes SIDs in lower case; a configured upper-case one is the same account.
      expect((await twilioPost(configured, '/twilio/sms', params(), { accountSid: 'AC' + account.slice(2).toUpperCase() })).status).toBe(200);
    } finally {
      await configured.cleanup();
    }
  });

  it.each([
    ['/twilio/sms', 'MessageSid', { From: ATTACKER, Body: '1' }],
    ['/twilio/message-status', 'MessageSid', { MessageStatus: 'delivered' }],
    ['/twilio/voice', 'CallSid', {}],
    ['/twilio/voice/gather', 'CallSid', { Digits: '1' }],
    ['/twilio/call-status', 'CallSid', { CallStatus: 'completed' }],
  ])('%s refuses a malformed %s with 400 and stores nothing', async (path, field, rest) => {
    const prefix = field === 'MessageSid' ? 'SM' : 'CA';
    const malformed = [`${prefix}123`, `XX${'0'.repeat(32)}`, `${prefix}${'g'.repeat(32)}`, `${prefix}${'0'.repeat(33)}`, `${field === 'MessageSid' ? 'CA' : 'SM'}${'0'.repeat(32)}`, ''];
    const before = await webhookRows(t);
    for (const value of malformed) await expectRejected(await twilioPost(t, path, { ...rest, [field]: value }), 400, [field]);
    expect(await webhookRows(t)).toEqual(before);
    await stillServes();
  });

  it('accepts the simulator (cli simulate-reply), which signs as the development account', async () => {
    const reply = await simulateReply(t.deps, t.app, { phone: '138 0000 0001', text: '1' });
    expect(reply).toMatchObject({ status: 200, conversationStatus: 'confirmed' });
    expect(reply.reply).toContain('已收到您的确认');
    const keypress = await simulateReply(t.deps, t.app, { phone: '138 0000 0002', digits: '2' });
    expect(keypress).toMatchObject({ status: 200, conversationStatus: 'declined' });
  });

  it('accepts MM for a media message and refuses an ErrorCode that is not digits', async () => {
    expect((await twilioPost(t, '/twilio/sms', { MessageSid: 'MM' + 'a'.repeat(32), From: '+8613900000098', Body: '1' })).status).toBe(200);
    await expectRejected(await twilioPost(t, '/twilio/message-status', { MessageSid: sid('SM'), MessageStatus: 'failed', ErrorCode: "30003'; --" }), 400, ['ErrorCode']);
  });
});

describe('status ranking (item 4)', () => {
  it('ranks every status Twilio documents for messages and calls', () => {
    for (const status of [...TWILIO_MESSAGE_STATUSES, ...TWILIO_CALL_STATUSES]) expect(Object.hasOwn(STATUS_RANKS, status)).toBe(true);
    for (const final of ['delivered', 'undelivered', 'failed', 'canceled', 'read', 'received', 'completed', 'busy', 'no-answer']) expect(isFinal(final)).toBe(true);
    const order = (statuses: string[]) => statuses.map(statusRank);
    expect(order(['accepted', 'queued', 'sending', 'sent', 'partially_delivered', 'delivered', 'read'])).toEqual(
      [...order(['accepted', 'queued', 'sending', 'sent', 'partially_delivered', 'delivered', 'read'])].sort((a, b) => a - b),
    );
    expect(new Set(order(['accepted', 'queued', 'sending', 'sent', 'partially_delivered', 'delivered', 'read'])).size).toBe(7);
    expect(order(['queued', 'initiated', 'ringing', 'in-progress', 'completed'])).toEqual([1, 2, 3, 4, FINAL]);
    expect(isFinal('partially_delivered')).toBe(false);
    // A status that is a property of every object is an unknown status, not a crash.
    expect(statusRank('constructor')).toBe(0);
  });

  it('moves a message through partially_delivered to delivered and read, never back', async () => {
    await runSteps(t);
    const notices = await t.deps.db.selectFrom('messages').select(['provider_sid', 'phone']).where('purpose', '=', 'notice').where('channel', '=', 'sms').orderBy('phone').execute();
    const [first, second] = notices.map((n) => n.provider_sid!);
    const post = (MessageSid: string, MessageStatus: string) => twilioPost(t, '/twilio/message-status', { MessageSid, MessageStatus });
    const statusOf = async (providerSid: string) =>
      (await t.deps.db.selectFrom('messages').select('status').where('provider_sid', '=', providerSid).executeTakeFirstOrThrow()).status;

    // The recording adapter answers a send with `queued`, as Twilio does when it takes one.
    expect(await statusOf(first!)).toBe('queued');
    for (const [status, expected] of [['sent', 'sent'], ['sending', 'sent'], ['partially_delivered', 'partially_delivered'], ['sent', 'partially_delivered'], ['delivered', 'delivered'], ['read', 'read']] as const) {
      expect((await post(first!, status)).status).toBe(200);
      expect(await statusOf(first!)).toBe(expected);
    }
    for (const status of ['delivered', 'partially_delivered', 'queued']) expect((await post(second!, status)).status).toBe(200);
    expect(await statusOf(second!)).toBe('delivered');
    // An unknown status, even one named like an object property, is kept and moves nothing.
    expect((await post(second!, 'constructor')).status).toBe(200);
    expect(await statusOf(second!)).toBe('delivered');
  });

  it('moves a call through initiated and ringing to completed, never back', async () => {
    await runSteps(t);
    const call = await t.deps.db.selectFrom('messages').select('provider_sid').where('phone', '=', LANDLINE).where('channel', '=', 'voice').executeTakeFirstOrThrow();
    const callSid = call.provider_sid!;
    for (const CallStatus of ['ringing', 'initiated', 'in-progress', 'completed', 'ringing']) {
      expect((await twilioPost(t, '/twilio/call-status', { CallSid: callSid, CallStatus })).status).toBe(200);
    }
    const stored = await t.deps.db.selectFrom('messages').select('status').where('provider_sid', '=', callSid).executeTakeFirstOrThrow();
    expect(stored.status).toBe('completed');
  });
});
