/**
 * Twilio's request signature (`X-Twilio-Signature`), computed through WebCrypto so that the
 * Worker (issue 17) checks webhooks exactly as Node does: the base64 HMAC-SHA1, keyed with the
 * auth token, of the URL followed by each parameter's name and value, the names sorted, and a
 * repeated parameter's distinct values sorted (what the twilio SDK's getExpectedTwilioSignature
 * computes; test/outreach/twilio-signature.test.ts holds the two to the same bytes).
 */
const encoder = new TextEncoder();
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

function hmacKey(authToken: string): Promise<HmacKey> {
  let key = keys.get(authToken);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(authToken), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    // One token per deployment (two during a rotation): the map stays tiny.
    if (keys.size > 8) keys.clear();
    keys.set(authToken, key);
  }
  return key;
}

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
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(authToken), encoder.encode(signedData(url, params))));
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares two signatures in time that does not depend on where they differ. */
export function sameSignature(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
