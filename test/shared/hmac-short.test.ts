import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ShortHmacSha256 } from '../../src/shared/hmac-short.ts';

describe('HMAC-SHA256 of short ASCII messages', () => {
  it("matches Node's createHmac for every length from 0 to 55 and several keys", () => {
    let x = 7;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (const keyLength of [0, 1, 32, 63, 64]) {
      const key = Buffer.from(Array.from({ length: keyLength }, () => next() >>> 24));
      const hmac = new ShortHmacSha256(key);
      for (let n = 0; n <= 55; n++) {
        for (let round = 0; round < 5; round++) {
          const message = String.fromCharCode(...Array.from({ length: n }, () => (next() >>> 25) & 0x7f));
          const expected = createHmac('sha256', key).update(message, 'latin1').digest();
          expect(hmac.digest(message), `key ${keyLength}, length ${n}`).toEqual([expected.readUInt32BE(0), expected.readUInt32BE(4)]);
        }
      }
    }
  });

  it('leaves messages longer than 55 bytes or not ASCII to the native path', () => {
    const hmac = new ShortHmacSha256(Buffer.alloc(32, 1));
    expect(hmac.digest('x'.repeat(56))).toBeNull();
    expect(hmac.digest('聊城')).toBeNull();
    expect(hmac.digest('é')).toBeNull();
    expect(hmac.digest('11010519491231002X')).not.toBeNull();
  });
});
