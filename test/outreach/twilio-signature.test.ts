import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { sameSignature, twilioSignature } from '../../src/outreach/twilio-signature.ts';
import { SIGNATURE_VECTORS } from '../helpers/crypto-vectors.ts';

/**
 * The webhook signature through WebCrypto (issue 17: the Worker checks webhooks with it) against
 * the twilio SDK's own computation, which is the reference: the same bytes for any token, URL
 * and parameters, repeated ones included; and the kept vectors (the SDK's answers) that the
 * Worker's run of the same checks will hold it to.
 */

const params = fc.dictionary(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { minLength: 2, maxLength: 4 })),
  { maxKeys: 8 },
);

describe('the Twilio request signature through WebCrypto', () => {
  it('is the SDK’s, byte for byte, for any token, URL and parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.webUrl({ withQueryParameters: true }), params, async (token, url, p) => {
        expect(await twilioSignature(token, url, p)).toBe(twilio.getExpectedTwilioSignature(token, url, p));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the kept vectors, as the SDK does', async () => {
    for (const v of SIGNATURE_VECTORS) {
      expect(twilio.getExpectedTwilioSignature(v.token, v.url, v.params as Record<string, string | string[]>)).toBe(v.signature);
      expect(await twilioSignature(v.token, v.url, v.params)).toBe(v.signature);
    }
  });

  it('compares signatures whole: another, a prefix, a longer one or an empty one is not the same', () => {
    const s = SIGNATURE_VECTORS[0].signature;
    expect(sameSignature(s, s)).toBe(true);
    for (const other of [SIGNATURE_VECTORS[1].signature, s.slice(0, -1), `${s}=`, '', s.toLowerCase()]) expect(sameSignature(other, s)).toBe(false);
  });
});
