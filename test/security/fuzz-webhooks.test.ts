import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TWILIO_CALL_STATUSES, TWILIO_MESSAGE_STATUSES } from '../../src/outreach/status.ts';
import { DEVELOPMENT_ACCOUNT_SID } from '../../src/outreach/webhooks.ts';
import { TEST_TWILIO_TOKEN, createTestApp, type TestApp } from '../helpers/app.ts';
import { PUBLIC_BASE, runSteps, seedDrivers, startOutreach, webhookRows } from '../helpers/outreach.ts';

/**
 * Issue 13: property-based fuzzing of the five Twilio webhooks with arbitrary parameter sets,
 * correctly signed (so they get past the signature check) and forged. Whatever arrives: never a
 * 5xx; a forged request is a 403 that stores nothing; a rejected one stores nothing (no row in
 * webhook_events, messages, answers, conversations or opt_outs); an accepted one stores at most
 * one event. One app over one SQLite file serves every case, so each case also runs against the
 * state the earlier ones left.
 */
const PATHS = ['/twilio/sms', '/twilio/message-status', '/twilio/voice', '/twilio/voice/gather', '/twilio/call-status'] as const;
type Path = (typeof PATHS)[number];
const TWILIO_NUMBER = '+15005550006';
const PHONES = ['+8613800000001', '+8613800000002', '+866358123456', '+8613999999999'];

let t: TestApp;
let messageSids: string[] = [];
let callSids: string[] = [];
let conversationIds: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  await seedDrivers(t, [
    ['100000000001', { phone: '138 0000 0001', name: '王建国', sex: 'M' }],
    ['100000000002', { phone: '138 0000 0002', name: '李秀英', sex: 'F' }],
    ['100000000003', { phone: '0635-8123456', name: '张伟', sex: 'M' }],
  ]);
  await startOutreach(t);
  await runSteps(t);
  const sent = await t.deps.db.selectFrom('messages').select(['provider_sid', 'channel']).where('provider_sid', 'is not', null).execute();
  messageSids = sent.filter((m) => m.channel === 'sms').map((m) => m.provider_sid!);
  callSids = sent.filter((m) => m.channel === 'voice').map((m) => m.provider_sid!);
  conversationIds = (await t.deps.db.selectFrom('conversations').select('id').execute()).map((c) => c.id);
});
afterAll(() => t.cleanup());

// --- arbitraries ----------------------------------------------------------------------------------

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const anyText = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('', ' ', '%', '%zz', '&', '=', '+', '\u0000', '\r\n', "'; DROP TABLE answers; --", '<Hangup/>', '1'.repeat(4097), '好'.repeat(1601)),
);
const names = fc.oneof(
  fc.constantFrom('AccountSid', 'MessageSid', 'CallSid', 'From', 'To', 'Body', 'MessageStatus', 'CallStatus', 'Digits', 'ErrorCode', 'NumMedia', 'SmsSid'),
  fc.constantFrom('_c', '_n', '__proto__', 'constructor', 'toString', 'Body[]', 'X-Header', 'A'.repeat(65), ''),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/),
  fc.string({ maxLength: 10 }),
);
const account = fc.oneof({ weight: 8, arbitrary: fc.constant(DEVELOPMENT_ACCOUNT_SID) }, { weight: 1, arbitrary: hex32.map((h) => `AC${h}`) }, { weight: 1, arbitrary: anyText });
const messageSid = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).chain(() => (messageSids.length ? fc.constantFrom(...messageSids) : hex32.map((h) => `SM${h}`))) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('SM', 'MM'), hex32).map(([p, h]) => p + h) },
  { weight: 1, arbitrary: anyText },
);
const callSid = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).chain(() => (callSids.length ? fc.constantFrom(...callSids) : hex32.map((h) => `CA${h}`))) },
  { weight: 4, arbitrary: hex32.map((h) => `CA${h}`) },
  { weight: 1, arbitrary: anyText },
);
/** Mostly a value Twilio sends, now and then anything. */
const mostly = (arbitrary: fc.Arbitrary<string>) => fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: anyText });
const reply = mostly(fc.constantFrom('1', '2', '3 明天上午', '改期 12月3日', 'TD', '退订', '好的', 'hello', '１', '9'));

/** The fields each webhook acts on, mostly well formed, sometimes not, some left out. */
const BASE: Record<Path, fc.Arbitrary<Record<string, string>>> = {
  '/twilio/sms': fc.record(
    { AccountSid: account, MessageSid: messageSid, From: fc.oneof(fc.constantFrom(...PHONES), anyText), To: fc.constant(TWILIO_NUMBER), Body: reply },
    { requiredKeys: ['AccountSid', 'MessageSid', 'From'] },
  ),
  '/twilio/message-status': fc.record(
    { AccountSid: account, MessageSid: messageSid, MessageStatus: mostly(fc.constantFrom(...TWILIO_MESSAGE_STATUSES)), ErrorCode: mostly(fc.constantFrom('30003', '30008', '')) },
    { requiredKeys: ['AccountSid', 'MessageSid', 'MessageStatus'] },
  ),
  '/twilio/voice': fc.record({ AccountSid: account, CallSid: callSid, From: fc.constant(TWILIO_NUMBER), To: fc.constantFrom(...PHONES) }, { requiredKeys: ['AccountSid', 'CallSid'] }),
  '/twilio/voice/gather': fc.record(
    { AccountSid: account, CallSid: callSid, Digits: mostly(fc.constantFrom('1', '2', '3', '9', '0', '#', '')) },
    { requiredKeys: ['AccountSid', 'CallSid'] },
  ),
  '/twilio/call-status': fc.record(
    { AccountSid: account, CallSid: callSid, CallStatus: mostly(fc.constantFrom(...TWILIO_CALL_STATUSES)), ErrorCode: mostly(fc.constantFrom('13224', '31005', '')) },
    { requiredKeys: ['AccountSid', 'CallSid', 'CallStatus'] },
  ),
};

/** The call's URLs carry our conversation and play number; sometimes garbage, sometimes none. */
const query = (path: Path) =>
  path === '/twilio/voice' || path === '/twilio/voice/gather'
    ? fc.oneof(
        fc.tuple(fc.constant(null).chain(() => fc.constantFrom(...conversationIds)), fc.integer({ min: 0, max: 5 })).map(([c, n]) => `?c=${c}&n=${n}`),
        fc.tuple(anyText, anyText).map(([c, n]) => `?${new URLSearchParams({ c, n }).toString()}`),
        fc.constant(''),
      )
    : fc.constant('');

type Fields = Array<[string, string]>;

/** A webhook request: path (with its query) and form fields in the order sent, repeats allowed. */
const request = fc.constantFrom(...PATHS).chain((path) =>
  fc.record({
    path: query(path).map((q) => path + q),
    fields: fc
      .tuple(
        BASE[path],
        fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(names, anyText), { minLength: 1, maxLength: 5 }) }),
        fc.nat(),
      )
      .map(([base, extra, drop]): Fields => {
        const fields: Fields = [...Object.entries(base), ...extra];
        // Now and then one field goes missing.
        if (drop % 8 === 0 && fields.length > 0) fields.splice(drop % fields.length, 1);
        return fields;
      }),
  }),
);

/** Fields made of anything at all. */
const anyRequest = fc.record({
  path: fc.constantFrom(...PATHS),
  fields: fc.array(fc.tuple(names, anyText), { maxLength: 12 }),
});

// --- sending ----------------------------------------------------------------------------------------

const FORM = 'application/x-www-form-urlencoded';

/** The fields as the server reads them back from the body, and as the SDK signs them (a repeat as a list). */
function signedFields(body: string): Record<string, string | string[]> {
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(body)) {
    const seen = Object.hasOwn(fields, k) ? fields[k]! : undefined;
    fields[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  return fields;
}

function post(path: string, body: string, signature: string | null, contentType = FORM) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  return t.app.request(path, { method: 'POST', headers, body });
}

const bodyOf = (fields: Fields) => new URLSearchParams(fields).toString();
const sign = (path: string, fields: Record<string, string | string[]>, token = TEST_TWILIO_TOKEN) =>
  twilio.getExpectedTwilioSignature(token, PUBLIC_BASE + path, fields);

/** Sends one signed request and checks what it left behind. */
async function sendSigned(path: string, body: string, contentType = FORM): Promise<number> {
  const before = await webhookRows(t);
  const signature = sign(path, contentType.startsWith(FORM) ? signedFields(body) : {});
  const res = await post(path, body, signature, contentType);
  const after = await webhookRows(t);
  expect(res.status, await res.clone().text()).toBeLessThan(500);
  expect([200, 400, 403]).toContain(res.status);
  if (res.status === 200) {
    expect(res.headers.get('content-type')).toContain('text/xml');
    expect(after.events - before.events).toBeGreaterThanOrEqual(0);
    expect(after.events - before.events).toBeLessThanOrEqual(1);
  } else {
    expect(after).toEqual(before);
  }
  return res.status;
}

/** Answers by route and status, to show the generators reach past the checks on every route. */
const statuses = new Map<string, number>();
const tally = (path: string, status: number) => {
  const key = `${path.replace(/\?.*/, '')} ${status}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
};

// 4,500 cases in all, about 6 s on a quiet machine; the timeout only guards against a hang.
describe('fuzzing the Twilio webhooks', { timeout: 120_000 }, () => {
  it('never fails on correctly signed, mostly well-formed requests, and stores nothing it rejects', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ path, fields }) => {
        tally(path, await sendSigned(path, bodyOf(fields)));
      }),
      { numRuns: 2000 },
    );
    // The generator reaches past the checks: on every route some requests are accepted, some refused.
    for (const path of PATHS) {
      expect(statuses.get(`${path} 200`), path).toBeGreaterThan(30);
      expect(statuses.get(`${path} 400`), path).toBeGreaterThan(20);
    }
  });

  it('never fails on correctly signed arbitrary fields, raw bodies or content types', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async ({ path, fields }) => {
        tally(path, await sendSigned(path, bodyOf(fields)));
      }),
      { numRuns: 800 },
    );
    const raw = fc.string({ unit: fc.constantFrom('a', 'B', '=', '&', '%', '2', '0', '+', '_', 'é', '好', ';', ' '), maxLength: 60 });
    const contentType = fc.constantFrom(FORM, `${FORM}; charset=utf-8`, 'application/json', 'text/plain', 'multipart/form-data; boundary=x');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), raw, contentType, async (path, body, type) => {
        tally(path, await sendSigned(path, body, type));
      }),
      { numRuns: 700 },
    );
  });

  it('answers every forged request 403 and stores nothing', async () => {
    const forgery = fc.constantFrom('missing', 'random', 'wrong token', 'other fields', 'other URL', 'other path');
    await fc.assert(
      fc.asyncProperty(request, forgery, fc.base64String({ minLength: 28, maxLength: 28 }), async ({ path, fields }, how, random) => {
        const body = bodyOf(fields);
        const params = signedFields(body);
        const signature = {
          missing: null,
          random,
          'wrong token': sign(path, params, 'not-the-auth-token-0123456789'),
          'other fields': sign(path, { ...params, ZzForgedFieldX: 'x' }),
          'other URL': twilio.getExpectedTwilioSignature(TEST_TWILIO_TOKEN, `http://127.0.0.1:3000${path}`, params),
          'other path': sign(path === '/twilio/sms' ? '/twilio/voice' : '/twilio/sms', params),
        }[how];
        const before = await webhookRows(t);
        const res = await post(path, body, signature);
        expect(res.status).toBe(403);
        expect(await webhookRows(t)).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('still answers an ordinary SMS afterwards', async () => {
    const before = await webhookRows(t);
    const fields: Fields = [
      ['AccountSid', DEVELOPMENT_ACCOUNT_SID],
      ['MessageSid', `SM${'f'.repeat(31)}1`],
      ['From', '+8613900000077'],
      ['To', TWILIO_NUMBER],
      ['Body', '1'],
    ];
    expect(await sendSigned('/twilio/sms', bodyOf(fields))).toBe(200);
    expect((await webhookRows(t)).events).toBe(before.events + 1);
    // Nothing the fuzzing sent failed while being processed.
    const failed = await t.deps.db.selectFrom('webhook_events').select('error').where('error', 'is not', null).where('error', 'not like', 'no message with this sid%').execute();
    expect(failed).toEqual([]);
  });
});
