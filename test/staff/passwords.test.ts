import { describe, expect, it } from 'vitest';
import { hashIterations, hashPassword, passwordProblem, verifyPassword } from '../../src/staff/passwords.ts';
import { normalizeUsername, usernameProblem } from '../../src/staff/usernames.ts';

// Password hashes through WebCrypto (src/staff/passwords.ts), at the tests' low iteration count.
describe('password hashes', () => {
  it('are self-describing PBKDF2-SHA256 with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery', 1000);
    const b = await hashPassword('correct horse battery', 1000);
    expect(a).toMatch(/^pbkdf2-sha256\$1000\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(hashIterations(a)).toBe(1000);
  });

  it('verify the password they were made from, and nothing else', async () => {
    const stored = await hashPassword('correct horse battery', 1000);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('verify with the count stored in the hash, whatever the setting is now', async () => {
    const stored = await hashPassword('长城长城长城长城长城', 1500);
    expect(await verifyPassword('长城长城长城长城长城', stored)).toBe(true);
  });

  it('refuse a stored value that is not one of ours, without throwing', async () => {
    const stored = await hashPassword('correct horse battery', 1000);
    const [, , salt, hash] = stored.split('$');
    for (const bad of ['', 'plain', `bcrypt$1000$${salt}$${hash}`, `pbkdf2-sha256$0$${salt}$${hash}`, `pbkdf2-sha256$99999999$${salt}$${hash}`,
      `pbkdf2-sha256$1000$${salt}$${hash!.slice(4)}`, `pbkdf2-sha256$1000$!!$${hash}`, `${stored}$extra`]) {
      expect(await verifyPassword('correct horse battery', bad), bad).toBe(false);
    }
  });
});

describe('passwordProblem', () => {
  it('asks for 10 to 256 characters, counted as characters', () => {
    expect(passwordProblem('123456789')).toBe('password_too_short');
    expect(passwordProblem('1234567890')).toBeNull();
    // Ten Chinese characters are ten characters (thirty UTF-8 bytes).
    expect(passwordProblem('春眠不觉晓处处闻啼鸟')).toBeNull();
    expect(passwordProblem('春眠不觉晓处处闻啼')).toBe('password_too_short');
    expect(passwordProblem('x'.repeat(256))).toBeNull();
    expect(passwordProblem('x'.repeat(257))).toBe('password_too_long');
  });

  it('refuses the username as the password, in any case', () => {
    expect(passwordProblem('zhang.wei01', 'zhang.wei01')).toBe('password_is_username');
    expect(passwordProblem('Zhang.Wei01', 'zhang.wei01')).toBe('password_is_username');
    expect(passwordProblem('zhang.wei01!', 'zhang.wei01')).toBeNull();
  });
});

describe('usernames', () => {
  it('are ASCII handles, compared lower-case', () => {
    expect(normalizeUsername('  Admin ')).toBe('admin');
    for (const ok of ['admin', 'zhang.wei', 'li_4', 'a1', 'x-y']) expect(usernameProblem(ok), ok).toBeNull();
    for (const bad of ['a', '.admin', '张伟', 'has space', 'x'.repeat(41), '']) expect(usernameProblem(bad), bad).toBe('username_shape');
  });
});
