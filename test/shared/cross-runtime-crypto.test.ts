import { describe, expect, it } from 'vitest';
import { GcmBatchEncryptor } from '../../src/shared/gcm-batch.ts';
import { createCipher, parseMasterKey } from '../../src/shared/personal-data.ts';
import { twilioSignature } from '../../src/outreach/twilio-signature.ts';
import { GCM_VECTORS, SEALING_VECTORS, SIGNATURE_VECTORS } from '../helpers/crypto-vectors.ts';

/**
 * The same bytes on both runtimes (issue 17): this file runs on Node and in workerd
 * (test/workers/suite.ts), against vectors computed once on Node. A value sealed by one runtime
 * opens on the other, and a look-up hash finds the same rows.
 */
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('cross-runtime crypto vectors', () => {
  it("seals with the batch encryptor to the vectors' AES-256-GCM bytes, which WebCrypto gives too", async () => {
    const key = Buffer.from(GCM_VECTORS.key, 'hex');
    const iv = Buffer.from(GCM_VECTORS.iv, 'hex');
    const webKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
    for (const c of GCM_VECTORS.cases) {
      const { body, tags } = new GcmBatchEncryptor(key).seal([Buffer.from(c.plain, 'utf8')], iv);
      expect({ body: hex(body), tag: hex(tags) }).toEqual({ body: c.body, tag: c.tag });
      const web = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, webKey, new TextEncoder().encode(c.plain)));
      expect(hex(web)).toBe(c.body + c.tag);
    }
  });

  it('opens values sealed on Node, seals values that open again, and hashes to the same numbers', () => {
    const cipher = createCipher(parseMasterKey(SEALING_VECTORS.masterKey));
    expect(cipher.keyId).toBe(SEALING_VECTORS.keyId);
    for (const c of SEALING_VECTORS.cases) {
      if (c.sealed) expect(cipher.decrypt(c.sealed)).toBe(c.plain);
      expect(cipher.decrypt(cipher.encrypt(c.plain))).toBe(c.plain);
      expect(cipher.encryptMany([c.plain]).map((s) => cipher.decrypt(s))).toEqual([c.plain]);
      expect(cipher.hash(c.plain)).toBe(c.hash);
    }
  });

  it("signs webhooks as the twilio SDK did for the vectors", async () => {
    for (const v of SIGNATURE_VECTORS) expect(await twilioSignature(v.token, v.url, v.params)).toBe(v.signature);
  });
});
