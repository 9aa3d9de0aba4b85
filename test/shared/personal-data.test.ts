import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCipher, loadMasterKey, parseMasterKey } from '../../src/shared/personal-data.ts';

const KEY = Buffer.alloc(32, 7);

describe('personal data cipher', () => {
  it('round-trips a value and never writes the plain text', () => {
    const cipher = createCipher(KEY);
    const sealed = cipher.encrypt('11010519491231002X');
    expect(sealed).not.toContain('11010519491231002X');
    expect(cipher.decrypt(sealed)).toBe('11010519491231002X');
  });

  it('encrypts the same value differently each time but hashes it the same', () => {
    const cipher = createCipher(KEY);
    expect(cipher.encrypt('x')).not.toBe(cipher.encrypt('x'));
    expect(cipher.hash('x')).toBe(cipher.hash('x'));
    expect(cipher.hash('x')).not.toBe(createCipher(Buffer.alloc(32, 8)).hash('x'));
    expect(Number.isSafeInteger(cipher.hash('x'))).toBe(true);
  });

  it('hashes as the first 53 bits of HMAC-SHA256 under the derived key', () => {
    const macKey = Buffer.from(hkdfSync('sha256', KEY, Buffer.alloc(0), 'personal-data/hmac-sha256', 32));
    const expected = Number(createHmac('sha256', macKey).update('11010519491231002X').digest().readBigUInt64BE(0) >> 11n);
    expect(createCipher(KEY).hash('11010519491231002X')).toBe(expected);
  });

  it('hashes a value longer than a hash block the same as HMAC-SHA256 too', () => {
    const macKey = Buffer.from(hkdfSync('sha256', KEY, Buffer.alloc(0), 'personal-data/hmac-sha256', 32));
    const long = '聊城'.repeat(40);
    const expected = Number(createHmac('sha256', macKey).update(long).digest().readBigUInt64BE(0) >> 11n);
    const cipher = createCipher(KEY);
    expect(cipher.hash(long)).toBe(expected);
    expect(cipher.hash('11010519491231002X')).toBe(cipher.hash('11010519491231002X'));
  });

  it('encrypts many values at once in the same format, each with its own IV', () => {
    const cipher = createCipher(KEY);
    const plains = ['11010519491231002X', '440524188001010014', '', '张三 ☃'.repeat(20), '11010519491231002X'];
    const sealed = cipher.encryptMany(plains);
    expect(sealed.map((s) => cipher.decrypt(s))).toEqual(plains);
    expect(new Set(sealed.map((s) => s.slice(0, 19))).size).toBe(plains.length);
    expect(sealed[0]).toMatch(/^v1\.[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed.join()).not.toContain('11010519491231002X');
    expect(cipher.encryptMany([])).toEqual([]);
  });

  it('refuses a tampered ciphertext or one made with another key', () => {
    const sealed = createCipher(KEY).encrypt('secret');
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => createCipher(KEY).decrypt(tampered)).toThrow();
    expect(() => createCipher(Buffer.alloc(32, 9)).decrypt(sealed)).toThrow();
  });

  it('accepts a key as 64 hex digits or base64 and rejects any other length', () => {
    expect(parseMasterKey('07'.repeat(32))).toEqual(KEY);
    expect(parseMasterKey(KEY.toString('base64'))).toEqual(KEY);
    expect(() => parseMasterKey('abc')).toThrow(/32 bytes/);
  });

  it('creates a development key once, readable by the owner only, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdc-key-'));
    const path = join(dir, 'nested', 'dev-data-key');
    const warnings: string[] = [];
    const first = loadMasterKey(undefined, path, (w) => warnings.push(w));
    const second = loadMasterKey(undefined, path, (w) => warnings.push(w));
    expect(first).toEqual(second);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warnings[0]).toMatch(/DATA_KEY is not set/);
    expect(readFileSync(path, 'utf8')).not.toBe('');
    rmSync(dir, { recursive: true, force: true });
  });
});
