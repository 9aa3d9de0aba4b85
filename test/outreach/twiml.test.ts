import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { ackTwiml, goodbyeTwiml, MAX_PLAYS, messagingTwiml, redirectTwiml, scriptTwiml } from '../../src/outreach/voice.ts';
import { VOICE_GOODBYE, VOICE_NO_INPUT, voiceAck } from '../../src/outreach/templates.ts';

/**
 * Our TwiML (src/outreach/twiml.ts, the builder the Worker will use too) against the same
 * documents built with the twilio SDK, the reference: the same bytes for any words and URLs,
 * markup characters included.
 */
const VOICE = { language: 'cmn-CN', voice: 'Polly.Zhiyu' } as const;
type Node = { say(attributes: typeof VOICE, message: string): { prosody(attributes: { rate: string }, words: string): unknown } };
const say = (node: Node, text: string) => node.say(VOICE, '').prosody({ rate: 'slow' }, text);

function referenceScript(script: readonly string[], play: number, urls: { gather: string; again: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: 8, action: urls.gather, method: 'POST', actionOnEmptyResult: false });
  for (const sentence of script) say(gather, sentence);
  if (play + 1 < MAX_PLAYS) {
    say(response, VOICE_NO_INPUT);
    response.redirect({ method: 'POST' }, urls.again);
  } else {
    say(response, VOICE_GOODBYE);
    response.hangup();
  }
  return response.toString();
}

// Words as our templates make them: any text a surname or a date could bring, markup included
// (characters XML cannot hold at all are not in them).
const words = fc.string({ unit: fc.oneof(fc.constantFrom('<', '>', '&', '"', "'", ' ', '\n'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), fc.constantFrom('您', '好', '王', '月', '日')), minLength: 1, maxLength: 30 });
const url = fc.webUrl({ withQueryParameters: true, withFragments: true });

describe('TwiML without the SDK', () => {
  it('is the SDK’s document, byte for byte, for the call script at every play', () => {
    fc.assert(
      fc.property(fc.array(words, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: MAX_PLAYS - 1 }), url, url, (script, play, gather, again) => {
        expect(scriptTwiml(script, play, { gather, again })).toBe(referenceScript(script, play, { gather, again }));
      }),
      { numRuns: 1000 },
    );
  });

  it('is the SDK’s for the acknowledgements, the redirect, the goodbye and the SMS reply', () => {
    for (const kind of ['confirm', 'decline', 'reschedule'] as const) {
      const r = new twilio.twiml.VoiceResponse();
      say(r, voiceAck(kind));
      say(r, VOICE_GOODBYE);
      r.hangup();
      expect(ackTwiml(kind)).toBe(r.toString());
    }
    const bye = new twilio.twiml.VoiceResponse();
    say(bye, VOICE_GOODBYE);
    bye.hangup();
    expect(goodbyeTwiml()).toBe(bye.toString());
    fc.assert(
      fc.property(url, fc.option(words), (to, prompt) => {
        const r = new twilio.twiml.VoiceResponse();
        if (prompt) say(r, prompt);
        r.redirect({ method: 'POST' }, to);
        expect(redirectTwiml(to, prompt)).toBe(r.toString());
        const m = new twilio.twiml.MessagingResponse();
        if (prompt) m.message(prompt);
        expect(messagingTwiml(prompt)).toBe(m.toString());
      }),
      { numRuns: 500 },
    );
  });

  it('escapes what it is given: a reply cannot add a verb', () => {
    expect(messagingTwiml('</Message><Redirect>https://evil.example</Redirect>')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>&lt;/Message&gt;&lt;Redirect&gt;https://evil.example&lt;/Redirect&gt;</Message></Response>',
    );
  });
});
