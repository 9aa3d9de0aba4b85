import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextDailyRun, startDailyScreening } from '../../src/screening/daily.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

describe('the daily screening', () => {
  it('is next due at the configured Shanghai time, today or tomorrow', () => {
    // 2026-11-26 01:00 in Shanghai is 2026-11-25T17:00Z.
    expect(nextDailyRun(new Date('2026-11-25T17:00:00Z'), '02:00').toISOString()).toBe('2026-11-25T18:00:00.000Z');
    expect(nextDailyRun(new Date('2026-11-25T18:00:00Z'), '02:00').toISOString()).toBe('2026-11-26T18:00:00.000Z');
    expect(nextDailyRun(new Date('2026-11-26T02:00:00Z'), '23:30').toISOString()).toBe('2026-11-26T15:30:00.000Z');
  });

  describe('in the server', () => {
    let t: TestApp;
    beforeEach(async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      t = await createTestApp({ now: '2026-11-26T02:00:00.000Z' }); // 10:00 in Shanghai
    });
    afterEach(async () => {
      vi.useRealTimers();
      await t.cleanup();
    });

    const runs = async () => t.deps.db.selectFrom('screening_runs').select(['as_of', 'trigger', 'status']).execute();

    it('catches up at start when today\'s time has passed without a run, then waits for tomorrow', async () => {
      const daily = startDailyScreening(t.deps);
      await daily.ready;
      expect(await runs()).toEqual([{ as_of: '2026-11-26', trigger: 'schedule', status: 'completed' }]);
      t.clock.set('2026-11-26T18:00:00.000Z'); // 02:00 on 11-27 in Shanghai
      await vi.advanceTimersByTimeAsync(16 * 3600 * 1000);
      await vi.waitFor(async () => expect((await runs()).map((r) => [r.as_of, r.status])).toEqual([['2026-11-26', 'completed'], ['2026-11-27', 'completed']]));
      daily.stop();
    });

    it('does not run at start when today was already screened', async () => {
      await t.request('/api/screenings', { method: 'POST' });
      const daily = startDailyScreening(t.deps);
      await daily.ready;
      expect((await runs()).map((r) => r.trigger)).toEqual(['api']);
      daily.stop();
    });

    it('can be switched off', async () => {
      const off = await createTestApp({ env: { SCREENING_DAILY_AT: 'off' } });
      const daily = startDailyScreening(off.deps);
      await daily.ready;
      expect(await off.deps.db.selectFrom('screening_runs').selectAll().execute()).toEqual([]);
      daily.stop();
      await off.cleanup();
    });
  });
});
