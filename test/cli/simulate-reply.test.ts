import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { maskPhone } from '../../src/shared/mask.ts';
import { CLI } from '../helpers/program.ts';

// `simulate-reply` as the README uses it (issue 14): by file number or case as well as by phone,
// and a masked or unknown number is refused, never silently sent to the inbox.
describe('npm run cli -- simulate-reply', () => {
  let dir: string;
  const saved = { ...process.env };
  let drivers: { file_number: string; phone: string; id: string }[] = [];

  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    await runCli(argv, (l) => lines.push(l));
    return lines;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-simulate-'));
    process.env.DATA_DIR = dir;
    process.env.OUTREACH_WINDOW = '00:00-23:59';
    // The CLI's lines in English (its default is Chinese, issue 14).
    process.env.LANG = 'en_US.UTF-8';
    delete process.env.LC_ALL;
    delete process.env.LC_MESSAGES;
    delete process.env.DATABASE_PATH;
    delete process.env.DATA_KEY;
    const file = join(dir, 'demo.csv');
    await run('demo-data', '--count', '400', '--out', file, '--seed', '11');
    await run('import', file);
    await run('screen', '--as-of', 'today');
    await run('outreach', 'start', '--limit', '6');
    await run('outreach', 'run');
    const database = await openNodeDatabase(join(dir, 'checkup.db'));
    drivers = await database.db
      .selectFrom('conversations as v')
      .innerJoin('cases as c', 'c.file_number', 'v.file_number')
      .select(['v.file_number', 'v.phone', 'c.id'])
      .where('v.phone', 'like', '+861%')
      .groupBy('v.file_number')
      .execute();
    await database.close();
    expect(drivers.length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers for the driver of a file number, of a case, or of a full number', async () => {
    const [a, b, c] = drivers as [(typeof drivers)[number], (typeof drivers)[number], (typeof drivers)[number]];
    expect(await run('simulate-reply', '--file-number', a.file_number, '--text', '1')).toContain('conversation: confirmed');
    expect(await run('simulate-reply', '--case', b.id, '--text', '2')).toContain('conversation: declined');
    expect(await run('simulate-reply', '--phone', c.phone, '--text', 'TD')).toContain('conversation: opted_out');
  });

  it('refuses a masked number, an unknown number, file number or case, naming what is wrong', async () => {
    const masked = maskPhone(drivers[0]!.phone);
    await expect(run('simulate-reply', '--phone', masked, '--text', '1')).rejects.toThrow(/phone: a masked number cannot answer/);
    await expect(run('simulate-reply', '--phone', '+8613000000000', '--text', '1')).rejects.toThrow(/phone: no licence and no conversation has this number/);
    await expect(run('simulate-reply', '--file-number', '999999999999', '--text', '1')).rejects.toThrow(/fileNumber: no licence with this file number/);
    await expect(run('simulate-reply', '--case', 'no-such-case', '--text', '1')).rejects.toThrow(/case: no case with this id/);
    await expect(run('simulate-reply', '--file-number', drivers[0]!.file_number, '--phone', drivers[0]!.phone, '--text', '1')).rejects.toThrow(/one of --phone, --file-number or --case/);
  });

  it('as the built program: a masked number is one line on stderr, no stack, exit 1', () => {
    const res = spawnSync(process.execPath, [CLI, 'simulate-reply', '--phone', maskPhone(drivers[0]!.phone), '--text', '1'], { env: { ...process.env }, encoding: 'utf8', timeout: 20_000 });
    expect(res.status).toBe(1);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/^\s+at /);
  });
});
