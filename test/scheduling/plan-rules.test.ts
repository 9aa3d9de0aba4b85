import { describe, expect, it } from 'vitest';
import { haversineKm, haversineTable } from '../../src/scheduling/geo.ts';
import {
  DEFAULT_PLAN_SETTINGS,
  caseServedOn,
  layoutPlan,
  toProblem,
  toldWindow,
  urgency,
  type PlanCase,
  type PlanDriver,
  type PlanShift,
} from '../../src/scheduling/plan-rules.ts';
import { appointmentSms, dateWithWeekday, optionsSms } from '../../src/scheduling/templates.ts';
import { foldLine } from '../../src/scheduling/route-sheet.ts';

const annual = (over: Partial<PlanCase> = {}): PlanCase => ({
  id: 'c1',
  category: 'annual_exam_70',
  opensOn: '2027-01-01',
  dueOn: '2027-01-30',
  lapsesOn: '2028-01-01',
  needsCognitiveTest: false,
  ...over,
});

describe('which cases a visit on a date serves (RULES.md §5)', () => {
  it('serves a case from the day a certificate issued then is still valid when the case opens', () => {
    // Valid for 6 months (Art 85): issued 2026-07-01 it no longer covers 2027-01-01.
    expect(caseServedOn(annual(), '2026-07-01')).toBe('too_early');
    expect(caseServedOn(annual(), '2026-07-02')).toBe('yes');
  });

  it('clamps six months back from 31 August to the end of February', () => {
    expect(caseServedOn(annual({ opensOn: '2027-08-31' }), '2027-02-28')).toBe('too_early');
    expect(caseServedOn(annual({ opensOn: '2027-08-31' }), '2027-03-01')).toBe('yes');
  });

  it('serves an overdue case until the day before it lapses', () => {
    expect(caseServedOn(annual(), '2027-12-31')).toBe('yes');
    expect(caseServedOn(annual(), '2028-01-01')).toBe('lapsed');
    expect(caseServedOn(annual({ category: 'downgrade_63', lapsesOn: null }), '2035-01-01')).toBe('yes');
  });
});

describe('urgency', () => {
  it('puts soon-to-lapse above overdue above due-soon above the rest', () => {
    const date = '2027-06-01';
    const plain = urgency([annual({ dueOn: '2027-08-01', lapsesOn: '2028-01-01' })], date);
    const dueSoon = urgency([annual({ dueOn: '2027-06-10', lapsesOn: '2028-01-01' })], date);
    const overdue = urgency([annual({ dueOn: '2027-05-01', lapsesOn: '2028-01-01' })], date);
    const lapsing = urgency([annual({ dueOn: '2027-08-01', lapsesOn: '2027-06-20' })], date);
    expect([plain, dueSoon, overdue, lapsing]).toEqual([1, 3, 9, 17]);
  });
});

describe('the window told to the driver', () => {
  it('starts at the half hour before the planned start and lasts an hour', () => {
    expect(toldWindow(9 * 60 + 13, DEFAULT_PLAN_SETTINGS)).toEqual({ start: '09:00', end: '10:00' });
    expect(toldWindow(9 * 60 + 30, DEFAULT_PLAN_SETTINGS)).toEqual({ start: '09:30', end: '10:30' });
  });
});

const shift = (over: Partial<PlanShift> = {}): PlanShift => ({
  id: 's1',
  startsAt: '08:00',
  endsAt: '12:00',
  start: { lat: 36.45, lng: 115.98 },
  end: { lat: 36.45, lng: 115.98 },
  areaCommunities: null,
  area: null,
  capacity: 20,
  ...over,
});

const driver = (n: number, over: Partial<PlanDriver> = {}): PlanDriver => ({
  fileNumber: `f${n}`,
  conversationId: null,
  community: '水城花园',
  address: `测试路${n}号`,
  point: { lat: 36.47 + n / 1000, lng: 115.99 },
  partOfDay: null,
  rescheduleOn: null,
  cases: [annual({ id: `c${n}`, opensOn: '2026-12-01', dueOn: '2026-12-30' })],
  ...over,
});

describe('laying out a plan', () => {
  it('puts drivers of one community at one stop (its gate) and others at their door', () => {
    const layout = layoutPlan('2026-11-27', [shift()], [driver(1), driver(2), driver(3, { community: null })], [], DEFAULT_PLAN_SETTINGS);
    const [a, b, c] = layout.candidates;
    expect(a!.location).toBe(b!.location);
    expect(a!.stopKey).toBe('c:水城花园');
    expect(a!.point).toEqual({ lat: (36.471 + 36.472) / 2, lng: 115.99 });
    expect(c!.stopKey).toBe('p:36.47300,115.99000');
    expect(c!.stopLabel).toBe('测试路3号');
    expect(layout.points).toHaveLength(2 + 2);
  });

  it('gives five more minutes when a 三力测试 is due (Art 73 para 3)', () => {
    const layout = layoutPlan('2026-11-27', [shift()], [driver(1, { cases: [annual({ opensOn: '2026-12-01', needsCognitiveTest: true })] })], [], DEFAULT_PLAN_SETTINGS);
    expect(layout.candidates[0]!.serviceMinutes).toBe(15);
  });

  it('leaves out drivers it cannot place, with the reason', () => {
    const layout = layoutPlan(
      '2026-11-27',
      [shift()],
      [
        driver(1, { point: null, community: '无坐标小区' }),
        driver(2, { rescheduleOn: '2026-12-03' }),
        driver(3, { cases: [annual({ opensOn: '2027-09-01' })] }),
        driver(4, { cases: [{ ...annual(), category: 'cancellation_notice' }] }),
      ],
      [],
      DEFAULT_PLAN_SETTINGS,
    );
    expect(layout.unplanned).toEqual([
      { fileNumber: 'f1', reason: 'no_location' },
      { fileNumber: 'f2', reason: 'asked_for_later_date' },
      { fileNumber: 'f3', reason: 'too_early' },
      { fileNumber: 'f4', reason: 'no_visit_needed' },
    ]);
  });

  it('limits a shift to its communities or its circle, and a 上午 driver to the morning', () => {
    const shifts = [shift({ id: 'list', areaCommunities: ['光岳小区'] }), shift({ id: 'circle', area: { lat: 36.47, lng: 115.99, radiusKm: 1 } }), shift({ id: 'all' })];
    const layout = layoutPlan('2026-11-27', shifts, [driver(1, { partOfDay: 'am' }), driver(2, { community: '光岳小区', point: { lat: 36.6, lng: 116.2 } })], [], DEFAULT_PLAN_SETTINGS);
    expect(layout.candidates.map((c) => c.allowedShifts)).toEqual([
      [1, 2],
      [0, 2],
    ]);
    const problem = toProblem(layout, haversineTable(layout.points, { detourFactor: 1.3, speedKmh: 25 }), DEFAULT_PLAN_SETTINGS);
    expect(problem.jobs[0]).toMatchObject({ earliest: 0, latest: 12 * 60 - 10, service: 10, pinned: false });
    expect(problem.vehicles[0]).toMatchObject({ earliest: 480, latest: 720, capacity: 20 });
  });
});

describe('travel', () => {
  it('measures great-circle distance and turns it into minutes with the detour and speed', () => {
    // One degree of latitude is about 111.2 km.
    expect(haversineKm({ lat: 36, lng: 116 }, { lat: 37, lng: 116 })).toBeCloseTo(111.19, 1);
    const t = haversineTable([{ lat: 36, lng: 116 }, { lat: 36.1, lng: 116 }], { detourFactor: 1.5, speedKmh: 30 });
    expect(t.km[1]).toBeCloseTo(11.119 * 1.5, 2);
    expect(t.minutes[2]).toBeCloseTo(((11.119 * 1.5) / 30) * 60, 2);
    expect(t.km[0]).toBe(0);
  });
});

describe('visit SMS', () => {
  it('writes the date with its weekday, the window, the crew by surname, and how to answer', () => {
    expect(dateWithWeekday('2026-11-27', '2026-11-26')).toBe('11月27日（周五）');
    expect(dateWithWeekday('2027-01-04', '2026-11-26')).toBe('2027年1月4日（周一）');
    const text = appointmentSms({
      signature: '聊城市车管所',
      addressee: { name: '欧阳修文', sex: 'M' },
      date: '2026-11-30',
      windowStart: '09:00',
      windowEnd: '10:00',
      atGate: false,
      crew: { postalName: '张伟', examinerName: '李娜' },
      needsCognitiveTest: true,
      today: '2026-11-26',
    });
    expect(text).toBe('【聊城市车管所】欧阳先生：邮政张师傅和李医生将于11月30日（周一）9:00-10:00到您家为您上门体检，约10分钟。请备好身份证、驾驶证、眼镜或助听器，体检含三力测试。回复1确认，3改期。');
  });

  it('offers the next days with an example of the answer, or says staff will call', () => {
    const a = { name: '王芳', sex: 'F' as const };
    expect(optionsSms('聊城市车管所', a, [{ date: '2026-12-01', part: 'am' }, { date: '2026-12-02', part: 'pm' }], '2026-11-26')).toBe(
      '【聊城市车管所】王女士：可改到：12月1日上午、12月2日下午。回复3加日期即可，如“3 12月1日上午”。原预约暂时保留。',
    );
    expect(optionsSms('聊城市车管所', a, [], '2026-11-26')).toContain('工作人员会电话联系您');
  });
});

describe('iCalendar line folding', () => {
  it('folds at 75 octets without splitting a character', () => {
    const line = 'SUMMARY:' + '上门体检'.repeat(10);
    const folded = foldLine(line).split('\r\n');
    expect(folded.every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
    expect(folded.map((l, i) => (i === 0 ? l : l.slice(1))).join('')).toBe(line);
  });
});
