import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { fixedClock, randomIds } from '../../src/ports.ts';
import { firstLine, PasswordInputError, readNewPassword } from '../../src/staff/password-input.ts';
import { signIn } from '../../src/staff/sign-in.ts';
import { CLI } from '../helpers/program.ts';

// `staff add --password` and `staff password` as the README runs them: the built program, the
// password piped on standard input (never an argument), English lines (LANG).
describe('cli staff with a password', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-staff-cli-'));
    env = { PATH: process.env.PATH, DATA_DIR: dir, LANG: 'en_US.UTF-8', PASSWORD_PBKDF2_ITERATIONS: '1000' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (args: string[], input: string) => spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8', timeout: 20_000 });

  async function trySignIn(username: string, password: string) {
    const database = await openNodeDatabase(join(dir, 'checkup.db'));
    try {
      const config = loadConfig(env);
      return await signIn({ ...database, config, clock: fixedClock(new Date().toISOString()), ids: randomIds }, { username, password });
    } finally {
      await database.close();
    }
  }

  it('creates the first admin from a piped password, prints the token last, and the admin signs in', async () => {
    const res = cli(['staff', 'add', '--name', '管理员', '--role', 'admin', '--username', 'admin', '--password'], 'first synthetic passphrase\n');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).not.toContain('passphrase');
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^created admin /);
    expect(lines.at(-1)).toMatch(/^sdc_[\w-]{40,}$/);
    expect(res.stdout).not.toContain('first synthetic passphrase');
    expect(await trySignIn('admin', 'first synthetic passphrase')).toMatchObject({ ok: true, session: { staff: { role: 'admin', username: 'admin' } } });
    expect(cli(['staff', 'list'], '').stdout).toMatch(/admin\s+active\s+admin\s+管理员/);
  });

  it('refuses a weak password, a taken username and a missing one, in one line, exit 1', async () => {
    const weak = cli(['staff', 'add', '--name', '测试', '--role', 'postal', '--username', 'postal1', '--password'], 'short\n');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 10 characters/);
    const taken = cli(['staff', 'add', '--name', '测试', '--role', 'postal', '--username', 'ADMIN', '--password'], 'another synthetic one\n');
    expect(taken.status).toBe(1);
    expect(taken.stderr).toMatch(/username is taken/);
    const none = cli(['staff', 'add', '--name', '测试', '--role', 'postal', '--username', 'postal1', '--password'], '');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/first line of standard input/);
    const noName = cli(['staff', 'add', '--name', '测试', '--role', 'postal', '--password'], 'another synthetic one\n');
    expect(noName.status).toBe(2);
    expect(noName.stderr).toMatch(/--password needs --username/);
  });

  it('resets a password with `staff password`: the old one stops, the new one signs in', async () => {
    const res = cli(['staff', 'password', '--username', 'Admin'], 'second synthetic passphrase\r\n');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toMatch(/^set a new password for admin; ended \d+ sessions$/);
    expect(await trySignIn('admin', 'first synthetic passphrase')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await trySignIn('admin', 'second synthetic passphrase')).toMatchObject({ ok: true });
    const unknown = cli(['staff', 'password', '--username', 'nobody'], 'second synthetic passphrase\n');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no account has this username/);
  });

  it('writes an account as SQL for a Worker (--d1-sql) without opening a database here, and it signs in once run', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'sdc-d1-sql-'));
    try {
      const file = join(elsewhere, 'admin.sql');
      const res = spawnSync(process.execPath, [CLI, 'staff', 'add', '--name', '分局管理员', '--role', 'admin', '--username', 'd1admin', '--password', '--d1-sql', file], {
        env: { ...env, DATA_DIR: join(elsewhere, 'data') },
        input: 'worker synthetic passphrase\n',
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/^wrote admin \S+ to .*admin\.sql \(run it on the Worker's database: npx wrangler d1 execute senior-driver-checkup --remote --file /);
      expect(res.stdout.trim().split('\n').at(-1)).toMatch(/^sdc_[\w-]{40,}$/);
      expect(existsSync(join(elsewhere, 'data'))).toBe(false);
      const script = readFileSync(file, 'utf8');
      expect(script).not.toContain('worker synthetic passphrase');
      expect(script).toMatch(/insert into "audit_log"/);
      // Run where a Worker's database would: a migrated database that has never seen the account.
      const target = join(elsewhere, 'd1.db');
      await (await openNodeDatabase(target)).close();
      const raw = new sqlite3.Database(target);
      await new Promise<void>((resolve, reject) => raw.exec(script, (err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve) => raw.close(() => resolve()));
      const database = await openNodeDatabase(target);
      try {
        const signedIn = await signIn({ ...database, config: loadConfig(env), clock: fixedClock(new Date().toISOString()), ids: randomIds }, { username: 'd1admin', password: 'worker synthetic passphrase' });
        expect(signedIn).toMatchObject({ ok: true, session: { staff: { role: 'admin', username: 'd1admin' } } });
      } finally {
        await database.close();
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('reading the password', () => {
  it('takes the first line of piped input, without its line ending', async () => {
    const input = new PassThrough();
    input.end('line one\r\nline two\n');
    expect(await firstLine(input)).toBe('line one');
    const empty = new PassThrough();
    empty.end('');
    await expect(readNewPassword({ first: 'P: ', again: 'A: ' }, empty)).rejects.toBeInstanceOf(PasswordInputError);
  });

  it('asks twice on a terminal, without echo, and refuses two different answers', async () => {
    const typed = async (...keys: string[]) => {
      const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
      const output = new PassThrough();
      let shown = '';
      output.on('data', (d: Buffer) => (shown += d.toString()));
      const answer = readNewPassword({ first: 'P: ', again: 'A: ' }, input, output);
      for (const k of keys) {
        // The second question is asked once the first is answered: wait for its prompt.
        if (k.startsWith('\u0000')) await waitFor(() => shown.includes('A: '));
        input.write(k.replace('\u0000', ''));
      }
      return { answer: await answer.catch((e: unknown) => e), shown };
    };
    const same = await typed('secret pass\r', '\u0000secret pass\r');
    expect(same.answer).toBe('secret pass');
    expect(same.shown).not.toContain('secret');
    const differ = await typed('secret pass\r', '\u0000secret past\r');
    expect(differ.answer).toBeInstanceOf(PasswordInputError);
    // Backspace takes back the last character.
    expect((await typed('secret passx\u007f\r', '\u0000secret pass\r')).answer).toBe('secret pass');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}
