import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GcmBatchEncryptor } from '../../src/shared/gcm-batch.ts';

/** Deterministic bytes, so a failure can be replayed. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function nativeSeal(key: Buffer, iv: Buffer, plain: Buffer): { body: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { body, tag: cipher.getAuthTag() };
}

describe('batched AES-256-GCM', () => {
  it("matches Node's aes-256-gcm byte for byte for every length from 0 to 100 bytes", () => {
    for (let seed = 1; seed <= 4; seed++) {
      const key = bytes(32, seed);
      const plains = Array.from({ length: 101 }, (_, n) => bytes(n, seed * 1000 + n));
      const ivs = bytes(12 * plains.length, seed + 77);
      const { body, tags } = new GcmBatchEncryptor(key).seal(plains, ivs);
      let at = 0;
      plains.forEach((plain, i) => {
        const expected = nativeSeal(key, ivs.subarray(12 * i, 12 * i + 12), plain);
        expect(body.subarray(at, at + plain.length).equals(expected.body), `body of length ${plain.length}`).toBe(true);
        expect(tags.subarray(16 * i, 16 * i + 16).equals(expected.tag), `tag of length ${plain.length}`).toBe(true);
        at += plain.length;
      });
      expect(at).toBe(body.length);
    }
  });

  it('seals what Node decrypts and authenticates, and a flipped bit fails the tag', () => {
    const key = bytes(32, 9);
    const plain = Buffer.from('11010519491231002X');
    const iv = bytes(12, 10);
    const { body, tags } = new GcmBatchEncryptor(key).seal([plain], iv);
    const open = (b: Buffer) => {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tags);
      return Buffer.concat([decipher.update(b), decipher.final()]);
    };
    expect(open(body).toString()).toBe('11010519491231002X');
    const flipped = Buffer.from(body);
    flipped[3]! ^= 1;
    expect(() => open(flipped)).toThrow();
  });

  it('matches the NIST test vector for a 256-bit key with an empty message', () => {
    // SP 800-38D test case 13 (McGrew & Viega): K = 0^256, IV = 0^96, P empty.
    const { tags } = new GcmBatchEncryptor(Buffer.alloc(32)).seal([Buffer.alloc(0)], Buffer.alloc(12));
    expect(tags.toString('hex')).toBe('530f8afbc74536b9a963b4f1c4cb738b');
  });

  it('matches the NIST test vector for a 256-bit key with one zero block', () => {
    // Test case 14: K = 0^256, IV = 0^96, P = 0^128.
    const { body, tags } = new GcmBatchEncryptor(Buffer.alloc(32)).seal([Buffer.alloc(16)], Buffer.alloc(12));
    expect(body.toString('hex')).toBe('cea7403d4d606b6e074ec5d3baf39d18');
    expect(tags.toString('hex')).toBe('d0d1c8a799996bf0265b98b5d48ab919');
  });
});
