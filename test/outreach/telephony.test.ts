import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createRecordingTelephony } from '../../src/outreach/recording-telephony.ts';
import { createTwilioTelephony, redirectTwilioUri, type TwilioSettings } from '../../src/outreach/twilio-telephony.ts';
import { fixedClock, ProviderError } from '../../src/ports.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../helpers/fake-twilio-api.ts';

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
const SERVICE_SID = 'MG' + 'fedcba9876543210'.repeat(2);
const FROM = '+15005550006';
const DRIVER = '+8613812345678';
const TEXT = '王师傅您好，体检定在周四上午。';
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const CALLS_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;

/** A Logger that keeps every line as the JSON it would have written. */
function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

function expectNoPersonalData(lines: string[]) {
  const all = lines.join('\n');
  expect(all).not.toContain('13812345678');
  expect(all).not.toContain('12345678');
  expect(all).not.toContain('王师傅');
}

async function providerErrorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('Twilio telephony through the SDK', () => {
  let api: FakeTwilioApi;
  const settings = (extra: Partial<TwilioSettings> = {}): TwilioSettings => ({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    from: FROM,
    apiBaseUrl: api.url,
    ...extra,
  });

  beforeAll(async () => {
    api = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });
  afterAll(async () => {
    await api.close();
  });

  it('sends an SMS from the configured number to the fake instead of api.twilio.com', async () => {
    const logger = collectingLogger();
    const telephony = createTwilioTelephony(settings(), logger);
    const before = api.requests.length;

    const receipt = await telephony.sendSms({ to: DRIVER, body: TEXT, statusCallback: 'https://checkup.example/hooks/sms' });

    expect(telephony.provider).toBe('twilio');
    expect(receipt.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(receipt.status).toBe('queued');
    const request = api.requests[before];
    expect(api.requests).toHaveLength(before + 1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(MESSAGES_PATH);
    expect(request?.auth).toEqual({ username: ACCOUNT_SID, password: AUTH_TOKEN });
    expect(request?.params).toEqual({ To: DRIVER, From: FROM, Body: TEXT, StatusCallback: 'https://checkup.example/hooks/sms' });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain(receipt.sid);
    expect(logger.lines[0]).toContain('138****5678');
    expectNoPersonalData(logger.lines);
  });

  it('sends an SMS through a Messaging Service without a From number', async () => {
    const telephony = createTwilioTelephony(settings({ messagingServiceSid: SERVICE_SID }), collectingLogger());

    const receipt = await telephony.sendSms({ to: DRIVER, body: TEXT });

    expect(receipt.status).toBe('accepted');
    const request = api.requests.at(-1);
    expect(request?.params).toEqual({ To: DRIVER, MessagingServiceSid: SERVICE_SID, Body: TEXT });
  });

  it('places a call whose TwiML and status callbacks are fetched with POST', async () => {
    const logger = collectingLogger();
    const telephony = createTwilioTelephony(settings({ messagingServiceSid: SERVICE_SID }), logger);

    const receipt = await telephony.placeCall({
      to: DRIVER,
      twimlUrl: 'https://checkup.example/twiml/reminder?case=7',
      statusCallback: 'https://checkup.example/hooks/call',
    });

    expect(receipt.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(receipt.status).toBe('queued');
    const request = api.requests.at(-1);
    expect(request?.path).toBe(CALLS_PATH);
    expect(request?.params).toMatchObject({
      To: DRIVER,
      From: FROM,
      Url: 'https://checkup.example/twiml/reminder?case=7',
      Method: 'POST',
      StatusCallback: 'https://checkup.example/hooks/call',
      StatusCallbackMethod: 'POST',
    });
    // The SDK repeats the field once per event, as Twilio's API expects.
    expect(request?.paramLists.StatusCallbackEvent).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expectNoPersonalData(logger.lines);
  });

  it('asks for no status events on a call without a status callback', async () => {
    const telephony = createTwilioTelephony(settings(), collectingLogger());

    await telephony.placeCall({ to: DRIVER, twimlUrl: 'https://checkup.example/twiml' });

    expect(Object.keys(api.requests.at(-1)?.params ?? {}).sort()).toEqual(['From', 'Method', 'To', 'Url']);
  });

  it('cannot place a call with only a Messaging Service configured', async () => {
    const settingsWithoutFrom: TwilioSettings = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, messagingServiceSid: SERVICE_SID, apiBaseUrl: api.url };
    const telephony = createTwilioTelephony(settingsWithoutFrom, collectingLogger());
    const before = api.requests.length;

    const error = await providerErrorOf(telephony.placeCall({ to: DRIVER, twimlUrl: 'https://checkup.example/twiml' }));

    expect(error).toMatchObject({ retryable: false, code: 'config' });
    expect(api.requests).toHaveLength(before);
  });

  it('refuses a wrong auth token as a non-retryable error with Twilio code', async () => {
    const telephony = createTwilioTelephony(settings({ authToken: 'wrong-token' }), collectingLogger());

    const error = await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));

    expect(error.retryable).toBe(false);
    expect(error.code).toBe('20003');
  });

  it('treats 500 and 429 as retryable: Twilio did not take the message', async () => {
    const telephony = createTwilioTelephony(settings(), collectingLogger());

    api.failNext(500, { message: 'Internal Server Error' });
    const serverError = await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));
    api.failNext(429, { code: 20429, message: 'Too Many Requests' });
    const tooMany = await providerErrorOf(telephony.placeCall({ to: DRIVER, twimlUrl: 'https://checkup.example/twiml' }));

    expect(serverError).toMatchObject({ retryable: true, code: 'http-500' });
    expect(tooMany).toMatchObject({ retryable: true, code: '20429' });
  });

  it('does not retry on its own after a 429 (a retried POST could send twice)', async () => {
    const telephony = createTwilioTelephony(settings(), collectingLogger());
    const before = api.requests.length;

    // Only the first attempt fails: a retry inside the SDK would have succeeded.
    api.failNext(429, { code: 20429 });
    await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));

    expect(api.requests).toHaveLength(before + 1);
  });

  it('reports an invalid number (400, code 21211) as non-retryable without quoting the number', async () => {
    const logger = collectingLogger();
    const telephony = createTwilioTelephony(settings(), logger);

    api.failNext(400, { code: 21211, message: `The 'To' number ${DRIVER} is not a valid phone number.` });
    const error = await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));

    expect(error).toMatchObject({ retryable: false, code: '21211' });
    expect(error.message).not.toContain('13812345678');
    expect(logger.lines.some((line) => line.includes('21211'))).toBe(true);
    expectNoPersonalData(logger.lines);
  });

  it('gives up on a request Twilio never answers, as possibly sent', async () => {
    const telephony = createTwilioTelephony(settings({ timeoutMs: 300 }), collectingLogger());

    api.hangNext();
    const started = Date.now();
    const error = await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));

    expect(error).toMatchObject({ retryable: false, code: 'network' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('calls an unreachable gateway a network failure', async () => {
    const closed = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    await closed.close();
    const telephony = createTwilioTelephony(settings({ apiBaseUrl: closed.url }), collectingLogger());

    const error = await providerErrorOf(telephony.sendSms({ to: DRIVER, body: TEXT }));

    expect(error).toMatchObject({ retryable: false, code: 'network' });
  });
});

describe('redirecting Twilio URIs to another base URL', () => {
  it('keeps path and query, and a path prefix of the base', () => {
    expect(redirectTwilioUri('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1', 'http://127.0.0.1:4010')).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?x=1',
    );
    expect(redirectTwilioUri('https://api.sydney.au1.twilio.com/2010-04-01/Calls.json', 'https://gw.example/twilio/')).toBe(
      'https://gw.example/twilio/2010-04-01/Calls.json',
    );
  });

  it('leaves URIs outside twilio.com alone', () => {
    expect(redirectTwilioUri('https://eviltwilio.com/x', 'http://127.0.0.1:4010')).toBe('https://eviltwilio.com/x');
  });
});

describe('recording telephony', () => {
  it('records sends, answers with Twilio-shaped sids, and logs no number or text', async () => {
    const logger = collectingLogger();
    const telephony = createRecordingTelephony(logger, fixedClock('2026-11-26T02:00:00.000Z'));

    const sms = await telephony.sendSms({ to: DRIVER, body: TEXT });
    const call = await telephony.placeCall({ to: DRIVER, twimlUrl: 'https://checkup.example/twiml/reminder' });

    expect(telephony.provider).toBe('recording');
    expect(sms).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued' });
    expect(call).toEqual({ sid: expect.stringMatching(/^CA[0-9a-f]{32}$/), status: 'queued' });
    expect(telephony.sent).toEqual([
      { kind: 'sms', to: DRIVER, body: TEXT, sid: sms.sid, at: new Date('2026-11-26T02:00:00.000Z') },
      { kind: 'call', to: DRIVER, twimlUrl: 'https://checkup.example/twiml/reminder', sid: call.sid, at: new Date('2026-11-26T02:00:00.000Z') },
    ]);
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[0]).toContain(`"bodyLength":${TEXT.length}`);
    expectNoPersonalData(logger.lines);
  });

  it('makes a different sid every time', async () => {
    const telephony = createRecordingTelephony(collectingLogger());
    const sids = new Set<string>();
    for (let i = 0; i < 50; i++) sids.add((await telephony.sendSms({ to: DRIVER, body: 'x' })).sid);
    expect(sids.size).toBe(50);
  });
});
