import { createHmac } from 'node:crypto';

/**
 * Twilio's request signature (`X-Twilio-Signature`): the base64 HMAC-SHA1, keyed with the auth
 * token, of the URL followed by each parameter's name and value, the names sorted, and a repeated
 * parameter's distinct values sorted (what the twilio SDK's getExpectedTwilioSignature computes;
 * test/outreach/twilio-signature.test.ts holds the two to the same bytes). Through node:crypto,
 * on Node and on the Worker (nodejs_compat, README choice 94; the cross-runtime vectors hold both
 * to the same bytes): WebCrypto's asynchronous `sign` cost the webhook 6-7% of the server's main
 * thread in promise and job plumbing (issue 18).
 */
const encoder = new TextEncoder();

/** The string Twilio signs: the URL, then name + value of each parameter in order. */
export function signedData(url: string, params: Readonly<Record<string, string | readonly string[]>>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    if (typeof value === 'string') data += name + value;
    else for (const v of [...new Set(value)].sort()) data += name + v;
  }
  return data;
}

export async function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string | readonly string[]>>): Promise<string> {
  return createHmac('sha1', authToken).update(signedData(url, params), 'utf8').digest('base64');
}

/** Compares two signatures in time that does not depend on where they differ. */
export function sameSignature(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
