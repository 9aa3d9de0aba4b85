import { describe, expect, it } from 'vitest';
import { backoffMs, RateLimiter } from '../../src/submissions/backoff.ts';

const s = { baseMs: 1000, capMs: 60_000 };

describe('backoffMs', () => {
  it('doubles from the base and jitters between half and all of it', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, s, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, s, () => 1))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('never waits longer than the cap, however many failures', () => {
    for (const n of [7, 8, 20, 1000]) {
      expect(backoffMs(n, s, () => 0.999999)).toBeLessThanOrEqual(60_000);
      expect(backoffMs(n, s, () => 0)).toBe(30_000);
    }
  });

  it('spreads the retries of one outage over the jitter range', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const waits = Array.from({ length: 200 }, () => backoffMs(5, s, random));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(8000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(16000);
    expect(new Set(waits).size).toBeGreaterThan(150);
  });
});

describe('RateLimiter', () => {
  it('lets at most the rate through in any window of one second', () => {
    const limiter = new RateLimiter(3);
    expect(limiter.allowance(0)).toBe(3);
    limiter.take(0, 2);
    limiter.take(400);
    expect(limiter.allowance(999)).toBe(0);
    expect(limiter.waitMs(999)).toBe(1);
    expect(limiter.allowance(1000)).toBe(2);
    expect(limiter.allowance(1400)).toBe(3);
  });

  it('takes back sends reserved but not made', () => {
    const limiter = new RateLimiter(3);
    limiter.take(0, 3);
    limiter.giveBack(2);
    expect(limiter.allowance(10)).toBe(2);
  });
});
