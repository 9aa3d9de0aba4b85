import { describe, expect, inject, it } from 'vitest';
import { createTwilioTelephony } from '../../src/outreach/twilio-telephony.ts';
import { ProviderError } from '../../src/ports.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { WORKER_TWILIO } from './twilio-account.ts';

describe('the twilio SDK inside workerd (nodejs_compat)', () => {
  it('sends an SMS and places a call through the REST API, and finds them again', async () => {
    const telephony = createTwilioTelephony({ ...WORKER_TWILIO, from: '+15005550006', apiBaseUrl: inject('twilioApiUrl'), timeoutMs: 5000, transport: 'fetch' }, silentLogger);
    const since = new Date(Date.now() - 60_000);
    const sms = await telephony.sendSms({ to: '+8613900000001', body: '测试短信' });
    expect(sms).toMatchObject({ sid: expect.stringMatching(/^SM/), status: 'queued' });
    const call = await telephony.placeCall({ to: '+8663500000001', twimlUrl: 'https://checkup.example.test/twilio/voice/x' });
    expect(call.sid).toMatch(/^CA/);
    expect(await telephony.findSent({ channel: 'sms', to: '+8613900000001', body: '测试短信', since })).toEqual([sms]);
  });

  it('takes no answer as possibly sent (never retried blindly), as on Node', async () => {
    const telephony = createTwilioTelephony({ ...WORKER_TWILIO, from: '+15005550006', apiBaseUrl: 'http://127.0.0.1:9', timeoutMs: 2000, transport: 'fetch' }, silentLogger);
    const failure = await telephony.sendSms({ to: '+8613900000001', body: '测试短信' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ retryable: false, code: 'network' });
  });
});
