import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.ts';

// The CLI speaks the operator's language: zh-CN unless LANG / LC_ALL says English (or C/POSIX).
describe('the CLI in the locale of LANG', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdc-cli-lang-'));
    process.env.DATA_DIR = dir;
    delete process.env.DATABASE_PATH;
    delete process.env.DATA_KEY;
    delete process.env.LC_ALL;
    delete process.env.LC_MESSAGES;
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (lang: string | undefined, ...argv: string[]) => {
    if (lang === undefined) delete process.env.LANG;
    else process.env.LANG = lang;
    const lines: string[] = [];
    await runCli(argv, (l) => lines.push(l));
    return lines;
  };

  it('prints the import summary and the rejected rows in Chinese by default, in English with LANG=en_US.UTF-8, codes alike', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'file_number,id_number,name,phone,address,classes,first_issued_on,valid_until\n12,x,,1,addr,C1,2000-01-01,2030-01-01\n');
    const zh = await run(undefined, 'import', file);
    expect(zh[0]).toMatch(/^导入 \S+：共 1 行，新增 0，更新 0，未变 0，拒收 1（0 \+ 0 \+ 0 \+ 1 = 1）$/);
    expect(zh.filter((l) => l.startsWith('第 2 行：')).length).toBeGreaterThan(0);
    const en = await run('en_US.UTF-8', 'import', file);
    expect(en[0]).toMatch(/^import \S+: 1 rows, 0 inserted, 0 updated, 0 unchanged, 1 rejected \(0 \+ 0 \+ 0 \+ 1 = 1\)$/);
    const codes = (lines: string[]) => lines.map((l) => /[（(](\w+)[）)]$/.exec(l)?.[1]).filter(Boolean);
    expect(codes(zh.slice(1))).toEqual(codes(en.slice(1)));
  });

  it('prints the screening summary in both languages', async () => {
    const zh = await run('zh_CN.UTF-8', 'screen', '--as-of', '2026-11-26');
    expect(zh[0]).toMatch(/^筛查 \S+（截至 2026-11-26）：筛查驾驶证 \d+ 个；标记 \d+ = 新建/);
    const en = await run('C', 'screen', '--as-of', '2026-11-26');
    expect(en[0]).toMatch(/^screening \S+ as of 2026-11-26: \d+ licences screened; flagged \d+ = created/);
  });

  it('prints crews and plans in both languages', async () => {
    const zh = await run(undefined, 'demo-crews', '--date', 'tomorrow', '--count', '1');
    expect(zh[0]).toMatch(/^已添加 1 个班组，班次在 \d{4}-\d{2}-\d{2}，08:00-17:30：$/);
    expect((await run(undefined, 'plan', 'preview', '--date', 'tomorrow'))[0]).toMatch(/^共考虑 \d+ 位驾驶人 = 已安排 \d+ \+ 未安排 \d+ \+ 冲突 \d+ \+ 进行中 \d+（/);
    expect((await run('en_US.UTF-8', 'plan', 'show', '--date', 'tomorrow'))[0]).toMatch(/^latest preview \S+: considered \d+ drivers = planned \d+/);
    expect((await run('zh_CN.UTF-8', 'plan', 'show', '--date', '+9'))[0]).toMatch(/^\d{4}-\d{2}-\d{2} 还没有预览$/);
  });
});
