import { describe, expect, it } from 'vitest';
import { PLAIN_EVERY_MS, progressLine, startProgress, type ProgressSink } from '../../src/shared/progress.ts';

function sink(isTTY: boolean): ProgressSink & { text: string } {
  return {
    isTTY,
    columns: 120,
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

describe('the CLI progress line', () => {
  it('says the share, the amount, the rate and the time left, in the reader’s language', () => {
    const half = { label: '筛查', done: 500_000, total: 1_000_000, unit: 'rows' as const, elapsedMs: 10_000, phase: null, locale: 'zh-CN' as const, bar: true };
    expect(progressLine(half)).toBe('筛查: [############------------]  50%  500,000 行 / 1,000,000 行  每秒 50,000  约剩 10 秒');
    expect(progressLine({ ...half, label: 'screening', locale: 'en', bar: false, elapsedMs: 100_000 })).toBe(
      'screening: 50%  500,000 rows / 1,000,000 rows  5,000/s  about 1 min 40 s left',
    );
    const bytes = { ...half, label: '导入 r.csv', unit: 'bytes' as const, done: 3 << 20, total: 300 << 20, elapsedMs: 2000, bar: false };
    expect(progressLine(bytes)).toBe('导入 r.csv: 1.0%  3.0 MB / 300.0 MB  每秒 1.5 MB  约剩 3 分 18 秒');
    expect(progressLine({ ...bytes, done: 300 << 20, phase: '文件已读完，正在写入名册' })).toBe('导入 r.csv: 100%  300.0 MB / 300.0 MB  文件已读完，正在写入名册');
    // A share of a hundred (the planner's search): the percentage and the time left.
    expect(progressLine({ ...half, label: '排 2026-12-09 的计划', unit: 'percent', done: 25, total: 100, elapsedMs: 1000 })).toBe('排 2026-12-09 的计划: [######------------------]  25%  约剩 3 秒');
    // Without a total: counted, no share, no time left.
    expect(progressLine({ ...half, total: null, bar: true })).toBe('筛查: 500,000 行  每秒 50,000');
  });

  it('on a terminal, redraws one line in place at most ten times a second and ends it when done', () => {
    let now = 0;
    const out = sink(true);
    const progress = startProgress(out, { label: 'screening', total: 100, unit: 'rows', locale: 'en', now: () => now });
    progress.update(10);
    progress.update(20); // within 100 ms of the first: not drawn
    now = 150;
    progress.update(30);
    progress.finish();
    const draws = out.text.split('\r').filter(Boolean);
    expect(draws).toHaveLength(3);
    expect(draws[0]).toMatch(/^screening: \[##-{22}\]  10%  10 rows \/ 100 rows\x1b\[K$/);
    expect(draws[1]).toMatch(/  30%  30 rows/);
    expect(draws[2]).toBe('screening: [########################]  100%  100 rows / 100 rows\x1b[K\n');
  });

  it('piped, writes nothing for work shorter than its interval, else a plain line each interval and the last', () => {
    let now = 0;
    const short = sink(false);
    const quick = startProgress(short, { label: 'screening', total: 100, unit: 'rows', locale: 'en', now: () => now });
    quick.update(50);
    now = 1000;
    quick.finish();
    expect(short.text).toBe('');

    now = 0;
    const long = sink(false);
    const slow = startProgress(long, { label: 'screening', total: 1000, unit: 'rows', locale: 'en', now: () => now });
    for (let i = 1; i <= 10; i++) {
      now = i * 1500;
      slow.update(i * 100);
    }
    slow.finish();
    const lines = long.text.trimEnd().split('\n');
    // 15 s of work: lines at 6, 12 s (every PLAIN_EVERY_MS) and the last; no bar, no escapes.
    expect(PLAIN_EVERY_MS).toBe(5000);
    expect(lines).toEqual([
      'screening: 40%  400 rows / 1,000 rows  67/s  about 9 s left',
      'screening: 80%  800 rows / 1,000 rows  67/s  about 3 s left',
      'screening: 100%  1,000 rows / 1,000 rows  67/s',
    ]);
  });

  it('ends a line that failed where it is, so that the error starts on its own line', () => {
    const out = sink(true);
    const progress = startProgress(out, { label: 'screening', total: 100, unit: 'rows', locale: 'en', now: () => 0 });
    progress.update(40);
    progress.stop();
    progress.finish(); // after stop: nothing more
    expect(out.text).toMatch(/40%.*\x1b\[K\n$/);
    expect(out.text.match(/\r/g)).toHaveLength(1);
  });
});
