import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { addDays } from '../../src/shared/civil-date.ts';
import { todayIn } from '../../src/shared/time.ts';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { findStaffByToken } from '../../src/staff/repository.ts';
import { HEADER } from '../helpers/registry-csv.ts';

// The command line against a real data folder, with the same settings the server would read.
describe('npm run cli', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-cli-'));
    process.env.DATA_DIR = dir;
    delete process.env.DATABASE_PATH;
    delete process.env.DATA_KEY;
    // These cases read the English lines; test/cli/messages.test.ts covers the Chinese default.
    process.env.LANG = 'en_US.UTF-8';
    delete process.env.LC_ALL;
    delete process.env.LC_MESSAGES;
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    await runCli(argv, (l) => lines.push(l));
    return lines;
  };

  it('creates a staff account and prints its working token as the last line', async () => {
    const lines = await run('staff', 'add', '--name', '李四', '--role', 'dispatcher');
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(/^sdc_[\w-]{40,}$/);
    const database = await openNodeDatabase(join(dir, 'checkup.db'));
    expect(await findStaffByToken(database.db, token)).toMatchObject({ name: '李四', role: 'dispatcher' });
    await database.close();
    expect((await run('staff', 'list')).join('\n')).toContain('dispatcher');
  });

  it('writes synthetic data, imports it twice and screens it', async () => {
    const file = join(dir, 'demo.csv');
    expect(await run('demo-data', '--count', '300', '--out', file, '--seed', '7')).toEqual([expect.stringMatching(/wrote 300 synthetic rows/)]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(301);
    const first = await run('import', file);
    expect(first[0]).toMatch(/300 rows, 300 inserted, 0 updated, 0 unchanged, 0 rejected/);
    const second = await run('import', file);
    expect(second[0]).toMatch(/300 rows, 0 inserted, 0 updated, 300 unchanged, 0 rejected/);
    const screened = await run('screen', '--as-of', '2026-11-26');
    expect(screened[0]).toMatch(/as of 2026-11-26: 300 licences screened/);
    // A date word counts from today in Shanghai (issue 14).
    const yesterday = addDays(todayIn(new Date()), -1);
    expect((await run('screen', '--as-of', 'yesterday'))[0]).toContain(`as of ${yesterday}: 300 licences screened`);
    expect(JSON.parse(screened.slice(1).join('\n'))).toMatchObject({ created: expect.any(Number), flagged: expect.any(Object) });
    expect(readFileSync(join(dir, 'dev-data-key'), 'utf8').length).toBeGreaterThan(40);
  });

  it('reports each rejected row by line and field', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'file_number,id_number,name,phone,address,classes,first_issued_on,valid_until\n12,x,,1,addr,C1,2000-01-01,2030-01-01\n');
    const lines = await run('import', file);
    expect(lines[0]).toMatch(/1 rows, 0 inserted, 0 updated, 0 unchanged, 1 rejected/);
    expect(lines.filter((l) => l.startsWith('line 2: ')).map((l) => l.split(':')[1]!.trim())).toEqual(['file_number', 'id_number', 'name', 'phone']);
  });

  it('rejects a file with a file error, naming the line, and stores nothing', async () => {
    const file = join(dir, 'broken.csv');
    writeFileSync(file, `${HEADER.join(',')}\n"unterminated\n`);
    await expect(run('import', file)).rejects.toThrow(/Line 2/);
    const database = await openNodeDatabase(join(dir, 'checkup.db'));
    const failed = await database.db.selectFrom('imports').select(['status', 'error']).where('filename', '=', file).executeTakeFirstOrThrow();
    await database.close();
    expect(failed.status).toBe('failed');
    expect(JSON.parse(failed.error!)).toMatchObject({ line: 2, code: 'unbalanced_quote' });
  });

  it('explains bad usage', async () => {
    await expect(run('screen', '--as-of', '2026-02-30')).rejects.toThrow(/--as-of must be a date: YYYY-MM-DD, today, tomorrow/);
    await expect(run('plan', 'show', '--date', 'someday')).rejects.toThrow(/--date must be a date/);
    await expect(run('staff', 'add', '--name', 'x', '--role', 'boss')).rejects.toThrow(/--role must be one of/);
    await expect(run('frobnicate')).rejects.toThrow(/unknown command/);
    expect((await run('help')).join('\n')).toContain('usage: npm run cli');
  });
});
