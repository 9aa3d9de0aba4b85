import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { decideAnswer } from '../../src/outreach/answers.ts';
import { DEFAULT_LADDER, ladderFor, ladderProblem, nextSendingTime, parseLadder, parseWindow } from '../../src/outreach/ladder.ts';
import { normaliseNumber } from '../../src/outreach/phone.ts';
import { parseReply } from '../../src/outreach/reply.ts';
import { isFinal, statusRank } from '../../src/outreach/status.ts';

describe('the ladder setting', () => {
  it('reads the default: SMS, a call after 48 h, a call after 24 h, the call list after 24 h', () => {
    expect(parseLadder(DEFAULT_LADDER)).toEqual([
      { channel: 'sms', afterHours: 0 },
      { channel: 'voice', afterHours: 48 },
      { channel: 'voice', afterHours: 24 },
      { channel: 'call_list', afterHours: 24 },
    ]);
  });

  it('drops the SMS for a landline and calls at once instead (RULES.md §2)', () => {
    expect(ladderFor(parseLadder(DEFAULT_LADDER), 'landline')).toEqual([
      { channel: 'voice', afterHours: 0 },
      { channel: 'voice', afterHours: 24 },
      { channel: 'call_list', afterHours: 24 },
    ]);
  });

  it.each([
    ['sms, voice+48h', 'must end with call_list'],
    ['sms, call_list+1h, voice, call_list', 'call_list may only be the last step'],
    ['sms, call_list+24h', 'needs a voice step'],
    ['sms, fax+1h, call_list', '"fax+1h" is not a step'],
  ])('refuses %s', (text, message) => {
    expect(ladderProblem(text)).toContain(message);
  });

  it('stops the server at start with the setting named when the ladder or window is wrong', () => {
    expect(() => loadConfig({ OUTREACH_LADDER: 'sms' })).toThrow(/OUTREACH_LADDER: must end with call_list/);
    expect(() => loadConfig({ OUTREACH_WINDOW: '20:00-08:00' })).toThrow(/OUTREACH_WINDOW: the window must start before it ends/);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32) })).toThrow(/TWILIO_AUTH_TOKEN: required/);
  });
});

describe('the sending window (08:00-20:00 Asia/Shanghai)', () => {
  const window = parseWindow('08:00-20:00');
  it.each([
    ['2026-11-26T02:00:00.000Z', '2026-11-26T02:00:00.000Z'], // 10:00: now
    ['2026-11-25T23:59:00.000Z', '2026-11-26T00:00:00.000Z'], // 07:59: at 08:00
    ['2026-11-26T12:00:00.000Z', '2026-11-27T00:00:00.000Z'], // 20:00 sharp: closed, next morning
    ['2026-11-26T11:59:59.000Z', '2026-11-26T11:59:59.000Z'], // 19:59:59: still open
  ])('at %s a step may go at %s', (now, at) => {
    expect(nextSendingTime(new Date(now), window).toISOString()).toBe(at);
  });
});

describe('what an answer does', () => {
  const base = { channel: 'sms' as const, matched: ['active' as const], optedOut: false, autoReplyRecentlySent: false };
  it.each([
    ['confirm', 'confirmed', 'confirm'],
    ['decline', 'declined', 'decline'],
    ['reschedule', 'reschedule', 'reschedule'],
    ['opt_out', 'opted_out', 'opt_out'],
  ] as const)('%s sets the conversation %s and acknowledges it', (intent, status, reply) => {
    expect(decideAnswer({ ...base, intent })).toMatchObject({ outcome: 'applied', status, reply });
  });

  it('honours TD from a number no driver has, and does not acknowledge a second TD', () => {
    expect(decideAnswer({ ...base, intent: 'opt_out', matched: [] })).toMatchObject({ optOut: true, reply: 'opt_out' });
    expect(decideAnswer({ ...base, intent: 'opt_out', optedOut: true })).toMatchObject({ optOut: true, reply: null });
  });

  it('sends nothing more to an opted-out number whatever it says', () => {
    expect(decideAnswer({ ...base, intent: 'confirm', optedOut: true })).toEqual({ outcome: 'after_opt_out', status: null, reply: null, optOut: false });
  });

  it('does not acknowledge a keypress or a staff call by SMS', () => {
    expect(decideAnswer({ ...base, intent: 'confirm', channel: 'voice' }).reply).toBeNull();
    expect(decideAnswer({ ...base, intent: 'confirm', channel: 'phone' }).reply).toBeNull();
  });
});

describe('numbers and statuses', () => {
  it.each([
    ['+8613800000001', '+8613800000001'],
    ['+866358123456', '+866358123456'],
    ['008613800000001', '+8613800000001'],
    ['+15005550006', '+15005550006'],
  ])('normalises %s to %s', (raw, e164) => {
    expect(normaliseNumber(raw)).toBe(e164);
  });

  it('never lets a status move back from a final one', () => {
    expect(isFinal('delivered')).toBe(true);
    expect(statusRank('sent')).toBeLessThan(statusRank('delivered'));
    expect(statusRank('queued')).toBeLessThan(statusRank('sent'));
    expect(isFinal('some-new-status')).toBe(true);
  });

  it('takes 我要退订 as an opt-out rather than answering it with help', () => {
    expect(parseReply('我要退订', '2026-11-26').intent).toBe('opt_out');
  });
});
