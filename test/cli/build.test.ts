import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` and `npm run cli` run the build in dist/ through scripts/launch.mjs (issue 14: a
 * start in under a second; bench/startup.ts measures it). This runs the launcher as the README's
 * commands do, through a registry import, whose parser runs on a worker thread: the built worker
 * must load without tsx.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdc-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function launch(...args: string[]) {
  return launchIn('en_US.UTF-8', ...args);
}

function launchIn(lang: string | undefined, ...args: string[]) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, DATA_DIR: dir, DATA_KEY: '6b'.repeat(32), LOG_LEVEL: 'warn', ...(lang ? { LANG: lang } : {}) };
  return spawnSync(process.execPath, ['scripts/launch.mjs', 'cli', ...args], { cwd: ROOT, env, encoding: 'utf8' });
}

describe('the built program (scripts/launch.mjs)', () => {
  it('runs the CLI from dist/, building it first when the sources are newer', () => {
    const help = launch('help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('usage: npm run cli');
  }, 120_000);

  it('imports a registry with the parser on its worker thread, loaded from dist/', () => {
    const file = join(dir, 'demo.csv');
    expect(launch('demo-data', '--count', '40', '--out', file).status).toBe(0);
    const imported = launch('import', file);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/40 rows, 40 inserted, 0 updated, 0 unchanged, 0 rejected/);
  }, 120_000);

  it('answers an unknown option or a bad date with what is wrong and the usage, no stack (exit 2)', () => {
    for (const args of [['plan', 'show', '--dat', 'today'], ['plan', 'show', '--date', 'someday']]) {
      const run = launch(...args);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(/Unknown option '--dat'|--date must be a date: YYYY-MM-DD, today, tomorrow/);
      expect(run.stderr).toContain('usage: npm run cli');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('says a usage mistake in Chinese when no LANG says otherwise, the commands as they are typed', () => {
    const unknown = launchIn(undefined, 'bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('没有这个命令：bogus');
    expect(unknown.stderr).toContain('用法：npm run cli -- 命令 [选项]');
    expect(unknown.stderr).toContain('plan preview|commit|show --date DATE');
    const date = launchIn('zh_CN.UTF-8', 'plan', 'show', '--date', 'someday');
    expect(date.stderr.split('\n')[0]).toBe('--date 应为日期：YYYY-MM-DD，或 today、tomorrow、yesterday、+N、-N（天）');
    const option = launchIn(undefined, 'plan', 'show', '--dat', 'today');
    expect(option.stderr.split('\n')[0]).toBe("选项有误：Unknown option '--dat'");
  }, 120_000);
});
