import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCipher, DataKeyError, keyCheckOf, keyIdOf, loadDataKeys, loadMasterKey, parseMasterKey } from '../../src/shared/personal-data.ts';

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
    expect(sealed[0]).toMatch(new RegExp(`^v2\\.${keyIdOf(KEY)}\\.[A-Za-z0-9+/]+={0,2}$`));
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
    // Buffer's decoder would skip the stray characters and find 32 bytes: the text is checked.
    expect(() => parseMasterKey(KEY.toString('base64').slice(0, 40) + '!!!!' + KEY.toString('base64').slice(40))).toThrow(DataKeyError);
    expect(() => parseMasterKey('zz', 'DATA_KEY_PREVIOUS')).toThrow(/^DATA_KEY_PREVIOUS must be 32 bytes/);
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

  it('names the key that sealed a value, and opens each value with its own key during a rotation', () => {
    const OLD = Buffer.alloc(32, 1);
    const NEW = Buffer.alloc(32, 2);
    const before = createCipher(OLD).encrypt('11010519491231002X');
    const rotating = createCipher(NEW, OLD);
    const after = rotating.encrypt('11010519491231002X');
    expect(before.startsWith(`v2.${keyIdOf(OLD)}.`)).toBe(true);
    expect(after.startsWith(`v2.${keyIdOf(NEW)}.`)).toBe(true);
    expect(rotating.keyId).toBe(keyIdOf(NEW));
    expect(rotating.decrypt(before)).toBe('11010519491231002X');
    expect(rotating.decrypt(after)).toBe('11010519491231002X');
    expect(rotating.sealedWithCurrentKey(after)).toBe(true);
    expect(rotating.sealedWithCurrentKey(before)).toBe(false);
    expect(rotating.encryptMany(['a', 'b']).every((s) => rotating.sealedWithCurrentKey(s))).toBe(true);
    expect(rotating.hashes('x')).toEqual([createCipher(NEW).hash('x'), createCipher(OLD).hash('x')]);
    expect(createCipher(NEW).hashes('x')).toEqual([createCipher(NEW).hash('x')]);
    expect(() => createCipher(NEW).decrypt(before)).toThrow(/neither DATA_KEY nor DATA_KEY_PREVIOUS/);
  });

  it('still opens values written before key ids (v1), with the current or the previous key', () => {
    const OLD = Buffer.alloc(32, 3);
    const legacy = (key: Buffer, plain: string) => {
      const encKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'personal-data/aes-256-gcm', 32));
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`;
    };
    expect(createCipher(OLD).decrypt(legacy(OLD, '张三'))).toBe('张三');
    expect(createCipher(KEY, OLD).decrypt(legacy(OLD, '张三'))).toBe('张三');
    expect(createCipher(KEY, OLD).decrypt(legacy(KEY, '李四'))).toBe('李四');
    expect(() => createCipher(KEY).decrypt(legacy(OLD, '张三'))).toThrow();
  });

  it('records a key check value that tells keys apart and is not the key', () => {
    expect(keyCheckOf(KEY)).toMatch(/^[0-9a-f]{32}$/);
    expect(keyCheckOf(KEY)).toBe(keyCheckOf(Buffer.from(KEY)));
    expect(keyCheckOf(KEY)).not.toBe(keyCheckOf(Buffer.alloc(32, 8)));
    expect(keyCheckOf(KEY)).not.toContain(KEY.toString('hex').slice(0, 8));
    expect(keyCheckOf(KEY).slice(0, 8)).not.toBe(keyIdOf(KEY));
  });

  it('refuses to start in production without a real key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdc-key-'));
    const path = join(dir, 'dev-data-key');
    const noWarn = () => {};
    expect(() => loadMasterKey(undefined, path, noWarn, { production: true })).toThrow(/^DATA_KEY is not set: NODE_ENV=production/);
    expect(() => loadMasterKey('5e'.repeat(32), path, noWarn, { production: true })).toThrow(/not a random key/);
    const real = randomBytes(32);
    expect(loadMasterKey(real.toString('base64'), path, noWarn, { production: true })).toEqual(real);
    expect(() => loadDataKeys({ dataKey: real.toString('hex'), previousKey: real.toString('base64'), production: false }, path, noWarn)).toThrow(/DATA_KEY_PREVIOUS is the same key/);
    expect(loadDataKeys({ dataKey: real.toString('hex'), previousKey: KEY.toString('base64'), production: false }, path, noWarn)).toEqual({ current: real, previous: KEY });
    rmSync(dir, { recursive: true, force: true });
  });
});
