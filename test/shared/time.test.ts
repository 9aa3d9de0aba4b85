import { describe, expect, it } from 'vitest';
import { instantAt, todayIn } from '../../src/shared/time.ts';

describe('Asia/Shanghai dates', () => {
  it('turns 16:00 UTC into the next calendar day in Shanghai', () => {
    expect(todayIn(new Date('2026-11-26T15:59:59Z'))).toBe('2026-11-26');
    expect(todayIn(new Date('2026-11-26T16:00:00Z'))).toBe('2026-11-27');
  });

  it('places a Shanghai wall-clock time at UTC+8', () => {
    expect(instantAt('2026-11-27', '02:00').toISOString()).toBe('2026-11-26T18:00:00.000Z');
  });
});
