import { describe, expect, it } from 'vitest';
import { dateTime, longDate, percent } from '../../src/web/format.ts';
import { gatewayReason, statusLabel } from '../../src/web/labels.ts';

describe('how the console writes things', () => {
  it('writes dates the Chinese way with the weekday, in China time', () => {
    expect(longDate('2026-12-07')).toBe('2026年12月7日 星期一');
    expect(longDate('2027-01-03')).toBe('2027年1月3日 星期日');
    // 16:30 UTC is half past midnight the next day in Shanghai.
    expect(dateTime('2026-12-07T16:30:00.000Z')).toBe('2026年12月8日 00:30');
    expect(percent(1, 3)).toBe('33.3%');
    expect(percent(1, 0)).toBe('—');
  });

  it('names a finished import 已完成 and a finished case 已办结', () => {
    expect(statusLabel('completed', 'run').label).toBe('已完成');
    expect(statusLabel('completed').label).toBe('已办结');
    expect(statusLabel('something_new').label).toBe('something_new');
  });

  it("explains the gateway's reasons in Chinese and keeps the platform's own words", () => {
    expect(gatewayReason('gateway answered HTTP 422 (invalid_payload): bad class')).toBe('12123 退回（HTTP 422，invalid_payload）：bad class');
    expect(gatewayReason('gateway answered HTTP 503')).toBe('12123 暂时不可用（HTTP 503）');
    expect(gatewayReason('gateway timeout after 10000 ms')).toBe('12123 在 10 秒内没有回应');
    expect(gatewayReason('gateway unreachable (ECONNREFUSED)')).toBe('连不上 12123（ECONNREFUSED）');
    expect(gatewayReason('no outcome after 8 tries (the worker stopped each time)')).toBe('试了 8 次都没有结果（每次都在提交中被中断）');
    expect(gatewayReason('something else')).toBe('something else');
  });
});
