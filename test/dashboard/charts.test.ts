import { describe, expect, it } from 'vitest';
import { BarChart, FunnelChart, PercentileStrip } from '../../src/web/components/charts.tsx';

const html = (node: unknown) => String(node);
/** The text of the visually hidden table's cells, row by row. */
function tableRows(markup: string): string[][] {
  const table = /<table class="visually-hidden">([\s\S]*?)<\/table>/.exec(markup)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!));
}
const widths = (markup: string) => [...markup.matchAll(/<rect x="0" y="\d+" width="(\d+)" height="12" rx="2" fill="#0b5cad"/g)].map((m) => Number(m[1]));

const STEPS = [
  { label: '已筛查', count: 1000, rate: null },
  { label: '应办理', count: 40, rate: 0.04 },
  { label: '已通知', count: 30, rate: 0.75 },
  { label: '12123 已受理', count: 0, rate: 0 },
];

describe('the dashboard charts', () => {
  it('draws the funnel as an image with a name, a description and the same numbers in a hidden table', () => {
    const markup = html(FunnelChart({ steps: STEPS, id: 'funnel' }));
    expect(markup).toContain('<svg class="chart" role="img" aria-labelledby="funnel-title" aria-describedby="funnel-desc" viewBox="0 0 360 160" width="100%"');
    expect(markup).toContain('<title id="funnel-title">办理漏斗</title>');
    expect(markup).toContain('<desc id="funnel-desc">已筛查 1,000 人；应办理 40 人，为上一步的 4.0%；已通知 30 人，为上一步的 75.0%；12123 已受理 0 人，为上一步的 0.0%。</desc>');
    // Bars against the largest step: 360, 40/1000 of 360 = 14.4 -> 14, 30/1000 -> 10.8 -> 11; none for 0.
    expect(widths(markup)).toEqual([360, 14, 11]);
    expect(markup).toContain('40 人（4.0%）');
    expect(tableRows(markup)).toEqual([
      ['步骤', '人数', '较上一步'],
      ['已筛查', '1,000', '—'],
      ['应办理', '40', '4.0%'],
      ['已通知', '30', '75.0%'],
      ['12123 已受理', '0', '0.0%'],
    ]);
  });

  it('scales the funnel from a later step on request, the longer bars cut and marked', () => {
    const markup = html(FunnelChart({ steps: STEPS, id: 'f', scaleFrom: 1 }));
    // Against due (40): screened cut at 360, due 360, notified 30/40 of 360 = 270.
    expect(widths(markup)).toEqual([360, 360, 270]);
    expect(markup.match(/stroke="#ffffff"/g)).toHaveLength(1);
  });

  it('draws bars with their unit, and says so when there is nothing', () => {
    const markup = html(BarChart({ title: '逾期业务（按社区）', unit: '件', bars: [{ label: '光岳小区', value: 3 }, { label: '水城花园', value: 2 }] }));
    expect(markup).toMatch(/role="img" aria-labelledby="(chart-\w+)-title" aria-describedby="\1-desc"/);
    expect(markup).toContain('>逾期业务（按社区）</title>');
    expect(markup).toContain('>光岳小区 3 件；水城花园 2 件。</desc>');
    expect(widths(markup)).toEqual([360, 240]);
    expect(tableRows(markup)).toEqual([['项目', '数量（件）'], ['光岳小区', '3'], ['水城花园', '2']]);
    const empty = html(BarChart({ title: '逾期业务（按社区）', bars: [], empty: '没有逾期业务' }));
    expect(empty).toContain('>没有逾期业务。</desc>');
    expect(widths(empty)).toEqual([]);
  });

  it('escapes labels', () => {
    const markup = html(BarChart({ title: 'x', bars: [{ label: '<b>&', value: 1 }] }));
    expect(markup).not.toContain('<b>&');
    expect(markup).toContain('&lt;b&gt;&amp;');
  });

  it('marks the median, the 90th percentile and the 10-minute promise on a minutes axis', () => {
    const markup = html(PercentileStrip({ medianMinutes: 7, p90Minutes: 12, promiseMinutes: 10, measured: 10, withinPromiseShare: 0.7, id: 'minutes' }));
    expect(markup).toContain('<title id="minutes-title">体检开始至 12123 受理用时</title>');
    expect(markup).toContain('<desc id="minutes-desc">共 10 件：中位数 7 分钟，90% 分位 12 分钟；承诺 10 分钟内，达标 70.0%。</desc>');
    // Axis 0-15 minutes (12 * 1.1 rounded up to 5) over x 8..352: 10 minutes at 8 + 344 * 10/15 = 237.3.
    expect(markup).toMatch(/<line x1="237.3" y1="58" x2="237.3" y2="84" stroke="#b42318"/);
    expect(markup).toContain('承诺 10 分钟');
    expect([...markup.matchAll(/font-size="11">(\d+)</g)].map((m) => m[1])).toEqual(['0', '5', '10', '15']);
    expect(tableRows(markup)).toEqual([['计时件数', '10'], ['中位数', '7 分钟'], ['90% 分位', '12 分钟'], ['10 分钟内达标', '70.0%']]);
    const none = html(PercentileStrip({ medianMinutes: null, p90Minutes: null, promiseMinutes: 10, measured: 0, withinPromiseShare: null, id: 'none' }));
    expect(none).toContain('<desc id="none-desc">本期没有可计时的受理。承诺 10 分钟内。</desc>');
    expect(none).toContain('本期无数据');
  });
});
