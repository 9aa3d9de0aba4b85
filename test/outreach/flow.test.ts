import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioTelephony } from '../../src/outreach/twilio-telephony.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import twilio from 'twilio';
import { TEST_TWILIO_TOKEN, createTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../helpers/fake-twilio-api.ts';
import {
  PUBLIC_BASE,
  advance,
  conversationOf,
  hours,
  runSteps,
  seedDrivers,
  sid,
  sms,
  startOutreach,
  stepsOf,
  twilioPost,
} from '../helpers/outreach.ts';

const ACCOUNT_SID = 'AC' + 'a1b2c3d4e5f60718'.repeat(2);
const AUTH_TOKEN = 'fake-twilio-auth-token-0123456789';
const FROM = '+15005550006';
const MOBILE = '+8613800000001';
const LANDLINE = '+866358123456';

let fake: FakeTwilioApi;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
});
afterAll(() => fake.close());

beforeEach(async () => {
  fake.requests.length = 0;
  t = await createTestApp({
    telephony: () => createTwilioTelephony({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBaseUrl: fake.url }, silentLogger),
  });
  await seedDrivers(t, [
    ['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }],
    ['100000000002', { phone: '0635-8123456', name: '李秀英', sex: 'F' }],
  ]);
});
afterEach(() => t.cleanup());

const sent = (to: string) => fake.requests.filter((r) => r.params.To === to);

describe('outreach through the real Twilio SDK', () => {
  it('texts a mobile, calls a landline, and stops the ladder when the driver answers 1', async () => {
    expect(await startOutreach(t)).toEqual({ started: 2, remaining: 0 });
    expect((await runSteps(t)).sent).toBe(2);

    const [text] = sent(MOBILE);
    expect(text?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(text?.params.From).toBe(FROM);
    expect(text?.params.Body).toContain('【聊城市车管所】王先生您好');
    expect(text?.params.Body).toContain('办理期限至2027年1月19日'); // due on Bday(63) + 30
    expect(text?.params.Body).not.toContain('建国');
    expect(text?.params.StatusCallback).toBe(`${PUBLIC_BASE}/twilio/message-status`);

    // RULES.md §2: a landline gets a call, never an SMS.
    const [call] = sent(LANDLINE);
    const landline = await conversationOf(t, '100000000002');
    expect(call?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    expect(call?.params.Url).toBe(`${PUBLIC_BASE}/twilio/voice?c=${landline.id}&n=0`);

    const reply = await sms(t, MOBILE, '１');
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain('已收到您的确认');
    const mobile = await conversationOf(t, '100000000001');
    expect(mobile.status).toBe('confirmed');
    expect((await stepsOf(t, mobile.id)).map((s) => [s.channel, s.status])).toEqual([
      ['sms', 'done'],
      ['voice', 'cancelled'],
    ]);

    // 49 hours later the landline's second call goes out; the confirmed driver gets nothing.
    advance(t, hours(25));
    await runSteps(t);
    expect(sent(MOBILE)).toHaveLength(1);
    expect(sent(LANDLINE)).toHaveLength(2);
  });

  it('stops everything for a number that answers TD, and never starts it again', async () => {
    await startOutreach(t);
    await runSteps(t);
    const reply = await sms(t, MOBILE, 'td');
    expect(await reply.text()).toContain('退订');
    expect((await conversationOf(t, '100000000001')).status).toBe('opted_out');

    advance(t, hours(200));
    await runSteps(t);
    await startOutreach(t);
    expect(sent(MOBILE)).toHaveLength(1);
    // What the number says afterwards is kept, but nothing is sent back.
    expect(await (await sms(t, MOBILE, '1')).text()).not.toContain('<Message>');
  });

  it('records delivery statuses forward only, whatever order they arrive in', async () => {
    await startOutreach(t);
    await runSteps(t);
    const message = await t.deps.db.selectFrom('messages').selectAll().where('phone', '=', MOBILE).executeTakeFirstOrThrow();
    const status = (MessageStatus: string) => twilioPost(t, '/twilio/message-status', { MessageSid: message.provider_sid!, MessageStatus });
    for (const s of ['sent', 'delivered', 'sent', 'queued']) expect((await status(s)).status).toBe(200);
    expect((await t.deps.db.selectFrom('messages').select('status').where('id', '=', message.id).executeTakeFirstOrThrow()).status).toBe('delivered');
  });

  it('answers a keypress on the call and takes 2 as a decline', async () => {
    await startOutreach(t);
    await runSteps(t);
    const conversation = await conversationOf(t, '100000000002');
    const callSid = sid('CA');
    const script = await twilioPost(t, `/twilio/voice?c=${conversation.id}&n=0`, { CallSid: callSid, To: LANDLINE, From: FROM });
    const xml = await script.text();
    expect(xml).toContain('<Gather');
    expect(xml).toContain('language="cmn-CN"');
    expect(xml).toContain('<prosody rate="slow">李女士您好');
    expect(xml).toContain('按9，重听');

    const repeat = await twilioPost(t, `/twilio/voice/gather?c=${conversation.id}&n=0`, { CallSid: callSid, Digits: '9' });
    expect(await repeat.text()).toContain(`<Redirect method="POST">${PUBLIC_BASE}/twilio/voice?c=${conversation.id}&amp;n=1</Redirect>`);
    const press = await twilioPost(t, `/twilio/voice/gather?c=${conversation.id}&n=1`, { CallSid: callSid, Digits: '2' });
    expect(await press.text()).toContain('<Hangup/>');
    expect((await conversationOf(t, '100000000002')).status).toBe('declined');
  });
});

describe('webhook signatures and replays', () => {
  const params = () => ({ MessageSid: sid('SM'), From: MOBILE, To: FROM, Body: '1' });
  const stored = async () => {
    const events = await t.deps.db.selectFrom('webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const answers = await t.deps.db.selectFrom('answers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return [Number(events.n), Number(answers.n)];
  };

  it('refuses a missing, wrong, tampered or other-URL signature with 403 and stores nothing', async () => {
    await startOutreach(t);
    const p = params();
    expect((await twilioPost(t, '/twilio/sms', p, { signature: null })).status).toBe(403);
    expect((await twilioPost(t, '/twilio/sms', p, { token: 'not-the-auth-token-0123456789' })).status).toBe(403);
    expect((await twilioPost(t, '/twilio/sms', p, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).status).toBe(403);
    // Behind a TLS-terminating proxy Twilio signs the public https URL, not the local one.
    expect((await twilioPost(t, '/twilio/sms', p, { signedUrl: 'http://127.0.0.1:3000/twilio/sms' })).status).toBe(403);
    // Signed for Body 1, sent with Body TD.
    const signature = twilio.getExpectedTwilioSignature(TEST_TWILIO_TOKEN, `${PUBLIC_BASE}/twilio/sms`, p);
    const tampered = await twilioPost(t, '/twilio/sms', { ...p, Body: 'TD' }, { signature });
    expect(tampered.status).toBe(403);
    expect(await stored()).toEqual([0, 0]);
    expect((await conversationOf(t, '100000000001')).status).toBe('active');
  });

  it('accepts a signature Twilio made over the URL with its default port, as the SDK does', async () => {
    await startOutreach(t);
    const res = await twilioPost(t, '/twilio/sms', params(), { signedUrl: `${PUBLIC_BASE.replace('.test', '.test:443')}/twilio/sms` });
    expect(res.status).toBe(200);
    expect(await stored()).toEqual([1, 1]);
  });

  it('gives the same MessageSid delivered again no second effect and no second reply', async () => {
    await startOutreach(t);
    const p = params();
    const first = await twilioPost(t, '/twilio/sms', p);
    const again = await twilioPost(t, '/twilio/sms', p);
    expect(await first.text()).toContain('<Message>');
    expect(again.status).toBe(200);
    expect(await again.text()).not.toContain('<Message>');
    expect(await stored()).toEqual([1, 1]);
    const replies = await t.deps.db.selectFrom('messages').select('id').where('purpose', '=', 'ack_confirm').execute();
    expect(replies).toHaveLength(1);
  });
});
