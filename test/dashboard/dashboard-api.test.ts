import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardFigures } from '../../src/dashboard/figures.ts';
import { aMonthOfWork } from '../helpers/month-of-work.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { driver } from '../helpers/exams.ts';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.cleanup());

async function dashboard(query = ''): Promise<DashboardFigures> {
  const res = await t.request(`/api/dashboard${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as DashboardFigures;
}

describe('GET /api/dashboard', () => {
  it('counts every step of a month of work, each number checked by hand', async () => {
    await aMonthOfWork(t);
    const d = await dashboard();
    // Default: the last 30 days to today (2026-11-30 in Shanghai).
    expect([d.from, d.to]).toEqual(['2026-11-01', '2026-11-30']);
    expect(d.funnel.map((s) => [s.step, s.count, s.rateFromPrevious, s.rateFromDue])).toEqual([
      ['screened', 6, null, null],
      ['due', 6, 1, 1],
      // 3 confirmed + 1 delivered + 1 opted out (an answer); the silent driver's SMS never reported.
      ['notified', 5, 0.8333, 0.8333],
      ['confirmed', 3, 0.6, 0.5],
      ['booked', 3, 1, 0.5],
      // the no-show was booked but not examined
      ['visited', 2, 0.6667, 0.3333],
      ['passed', 1, 0.5, 0.1667],
      ['filed', 1, 1, 0.1667],
      ['accepted', 1, 1, 0.1667],
    ]);
    expect(d.funnel[2]!.label).toBe('已通知');
    expect(d.optOuts).toBe(1);
    expect(d.noShows).toBe(1);
    expect(d.unreachable).toBe(2);
    // one crew on 2026-11-27: two exams recorded (the no-show was a door gone to, not a visit)
    expect(d.visitsPerCrewDay).toEqual({ visits: 2, crewDays: 1, perCrewDay: 2 });
    expect(d.examToAcceptance).toEqual({
      promiseMinutes: 10, accepted: 1, measured: 1, waitedForOpening: 0, medianMinutes: 7, p90Minutes: 7, withinPromise: 1, withinPromiseShare: 1,
    });
    // Still open and overdue: the failed and the no-show driver (水城花园), the three of 光岳小区;
    // the passed driver's case was completed by 12123's acceptance.
    expect(d.overdueByCommunity).toEqual({ total: 5, top: [{ community: '光岳小区', cases: 3 }, { community: '水城花园', cases: 2 }], others: 0 });
    const top1 = await dashboard('?top=1');
    expect(top1.overdueByCommunity).toEqual({ total: 5, top: [{ community: '光岳小区', cases: 3 }], others: 2 });
  });

  it('counts nothing in a period before the work, and keeps what stands now', async () => {
    await aMonthOfWork(t);
    const d = await dashboard('?from=2026-10-01&to=2026-10-31');
    expect(d.funnel.map((s) => s.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(d.funnel.every((s) => s.rateFromPrevious === null && s.rateFromDue === null)).toBe(true);
    expect([d.optOuts, d.noShows, d.unreachable]).toEqual([0, 0, 0]);
    expect(d.visitsPerCrewDay).toEqual({ visits: 0, crewDays: 0, perCrewDay: null });
    expect(d.examToAcceptance).toMatchObject({ accepted: 0, medianMinutes: null, p90Minutes: null, withinPromiseShare: null });
    // overdue cases are "now", whatever the period
    expect(d.overdueByCommunity.total).toBe(5);
  });

  it('takes date words, refuses a period backwards or over 366 days, and is for admins only', async () => {
    expect((await dashboard('?from=today&to=today')).from).toBe('2026-11-26');
    for (const q of ['?from=2026-11-27&to=2026-11-26', '?from=2025-01-01&to=2026-11-26']) {
      const res = await t.request(`/api/dashboard${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { details: { issues: { field: string; code: string }[] } } }).error.details.issues[0]).toMatchObject({ field: 'from', code: 'bad_range' });
    }
    expect((await t.request('/api/dashboard?from=yesterday-ish')).status).toBe(400);
    expect((await t.request('/api/dashboard?top=0')).status).toBe(400);
    for (const as of ['dispatcher', 'examiner', 'postal'] as const) expect((await t.request('/api/dashboard', { as })).status).toBe(403);
    expect((await t.request('/api/dashboard', { as: null })).status).toBe(401);
  });
});
