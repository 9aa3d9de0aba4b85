import { describe, expect, it } from 'vitest';
import { dashboardFigures, examToAcceptance, funnel, rate, type DashboardRows } from '../../src/dashboard/figures.ts';

const EMPTY: DashboardRows = {
  screened: 0, furthest: [], optOuts: 0, noShows: 0, unreachable: 0, crewDays: [], accepted: [], overdueTop: [], overdueTotal: 0,
};

/** An exam started at `start` (UTC, 2026-12-01) and accepted `minutes` later; its case open since May. */
const accepted = (start: string, minutes: number, notBefore = '2026-05-20') => ({
  examStartedAt: `2026-12-01T${start}:00.000Z`,
  acceptedAt: new Date(Date.parse(`2026-12-01T${start}:00.000Z`) + minutes * 60_000).toISOString(),
  notBefore,
});

describe('the dashboard figures', () => {
  it('counts a driver at every step up to the furthest one, with rates from the previous step and from due', () => {
    // 1000 screened; 40 due: 10 stopped at due, 8 notified, 2 confirmed, 5 booked, 3 visited, 4 passed, 0 filed, 8 accepted.
    const steps = funnel(1000, [
      { step: 'due', drivers: 10 }, { step: 'notified', drivers: 8 }, { step: 'confirmed', drivers: 2 }, { step: 'booked', drivers: 5 },
      { step: 'visited', drivers: 3 }, { step: 'passed', drivers: 4 }, { step: 'accepted', drivers: 8 },
    ]);
    // Reached: due 40, notified 30, confirmed 22, booked 20, visited 15, passed 12, filed 8, accepted 8.
    expect(steps.map((s) => [s.step, s.count, s.rateFromPrevious, s.rateFromDue])).toEqual([
      ['screened', 1000, null, null],
      ['due', 40, 0.04, 1],
      ['notified', 30, 0.75, 0.75],
      ['confirmed', 22, 0.7333, 0.55],
      ['booked', 20, 0.9091, 0.5],
      ['visited', 15, 0.75, 0.375],
      ['passed', 12, 0.8, 0.3],
      ['filed', 8, 0.6667, 0.2],
      ['accepted', 8, 1, 0.2],
    ]);
    expect(steps.map((s) => s.label)).toEqual(['已筛查', '应办理', '已通知', '已确认', '已预约', '已上门体检', '体检合格', '已报送 12123', '12123 已受理']);
  });

  it('has no rate where there is nothing to divide by', () => {
    expect(rate(3, 0)).toBeNull();
    expect(funnel(0, []).every((s) => s.count === 0 && s.rateFromPrevious === null && s.rateFromDue === null)).toBe(true);
  });

  it('measures exam start to acceptance by nearest rank, the promise strictly under 10 minutes', () => {
    // 10 measured: 3 4 5 6 7 8 9 10 12 30 minutes; one more waited months for its case to open.
    const rows = [30, 3, 9, 4, 12, 5, 10, 6, 8, 7].map((m, i) => accepted(`0${i}:00`, m));
    const figures = examToAcceptance([...rows, accepted('01:30', 5, '2027-03-01')]);
    expect(figures).toEqual({
      promiseMinutes: 10,
      accepted: 11,
      measured: 10,
      waitedForOpening: 1,
      // nearest rank: ceil(0.5 * 10) = 5th = 7; ceil(0.9 * 10) = 9th = 12
      medianMinutes: 7,
      p90Minutes: 12,
      // 3..9: seven; exactly 10 minutes is not under the promise
      withinPromise: 7,
      withinPromiseShare: 0.7,
    });
  });

  it('divides exams recorded by crew-days, and cuts the overdue communities to the top ones', () => {
    const figures = dashboardFigures('2026-11-01', '2026-11-30', {
      ...EMPTY,
      crewDays: [{ examsRecorded: 5 }, { examsRecorded: 0 }, { examsRecorded: 3 }],
      overdueTop: [{ community: '光岳小区', cases: 7 }, { community: null, cases: 4 }],
      overdueTotal: 15,
    });
    // 8 exams over 3 crew-days (the one with only no-shows counts: the crew went out)
    expect(figures.visitsPerCrewDay).toEqual({ visits: 8, crewDays: 3, perCrewDay: 2.67 });
    expect(figures.overdueByCommunity).toEqual({ total: 15, top: [{ community: '光岳小区', cases: 7 }, { community: null, cases: 4 }], others: 4 });
    expect([figures.from, figures.to]).toEqual(['2026-11-01', '2026-11-30']);
  });
});
