import { describe, it, expect } from 'vitest';
import { addDays, addYears, ageOn, fromDayNumber, toDayNumber } from '../../src/shared/civil-date.ts';
import type { LicenceClass, ScreeningLicence } from '../../src/registry/licence.ts';
import type { CaseCategory, ScreenedCase, ScreeningParams } from '../../src/screening/case.ts';
import {
  annualExamCycleEnd,
  cycleEnd,
  DEFAULT_LEAD_DAYS,
  DEFAULT_RENEWAL_MIN_AGE,
  screenLicence,
  targetClassesAfter,
} from '../../src/screening/rules.ts';

// Every expected date below is worked out by hand from RULES.md §1-4 and written literally.

const FILE = '370100000001';

function licence(over: Partial<ScreeningLicence> = {}): ScreeningLicence {
  return {
    fileNumber: FILE,
    birthDate: '1962-05-20',
    classes: ['C1'],
    firstIssuedOn: '1985-06-01',
    validUntil: null,
    extensionUntil: null,
    lastCertSubmittedOn: null,
    status: 'active',
    ...over,
  };
}

function params(asOf: string, over: Partial<ScreeningParams> = {}): ScreeningParams {
  return { asOf, leadDays: 60, renewalMinAge: 60, ...over };
}

function screen(l: ScreeningLicence, asOf: string, over: Partial<ScreeningParams> = {}): ScreenedCase[] {
  return screenLicence(l, params(asOf, over));
}

function categories(l: ScreeningLicence, asOf: string, over: Partial<ScreeningParams> = {}): CaseCategory[] {
  return screen(l, asOf, over).map((c) => c.category);
}

function only(l: ScreeningLicence, asOf: string, category: CaseCategory, over: Partial<ScreeningParams> = {}) {
  const found = screen(l, asOf, over).filter((c) => c.category === category);
  expect(found).toHaveLength(1);
  return found[0] as ScreenedCase;
}

function has(l: ScreeningLicence, asOf: string, category: CaseCategory, over: Partial<ScreeningParams> = {}): boolean {
  return categories(l, asOf, over).includes(category);
}

describe('defaults', () => {
  it('uses a lead time of 60 days and a renewal minimum age of 60', () => {
    expect(DEFAULT_LEAD_DAYS).toBe(60);
    expect(DEFAULT_RENEWAL_MIN_AGE).toBe(60);
  });
});

describe('cycleEnd (Order 163 Art 3)', () => {
  it('ends the first cycle the day before the first anniversary of the first issue', () => {
    expect(cycleEnd('1985-03-15', 1)).toBe('1986-03-14');
    expect(cycleEnd('1985-03-15', 40)).toBe('2025-03-14');
  });

  it('ends a cycle on 31 December for a licence first issued on 1 January', () => {
    expect(cycleEnd('1990-01-01', 1)).toBe('1990-12-31');
    expect(cycleEnd('1990-01-01', 35)).toBe('2024-12-31');
  });

  it('ends every cycle on 28 February for a licence first issued on 29 February', () => {
    expect(cycleEnd('2000-02-29', 1)).toBe('2001-02-28');
    expect(cycleEnd('2000-02-29', 4)).toBe('2004-02-28');
    expect(cycleEnd('2000-02-29', 25)).toBe('2025-02-28');
  });

  it('ends a cycle on 29 February in leap years for a licence first issued on 1 March', () => {
    expect(cycleEnd('2000-03-01', 1)).toBe('2001-02-28');
    expect(cycleEnd('2000-03-01', 4)).toBe('2004-02-29');
    expect(cycleEnd('2000-03-01', 24)).toBe('2024-02-29');
  });
});

describe('targetClassesAfter (RULES.md §4)', () => {
  const cases: [string, LicenceClass[], number, LicenceClass[]][] = [
    ['keeps every class under 63', ['A1', 'B2', 'M'], 62, ['A1', 'B2', 'M']],
    ['turns B2 into C1 at 63', ['B2'], 63, ['C1']],
    ['turns A1 into C1 at 63', ['A1'], 63, ['C1']],
    ['turns A3 and B1 into a single C1 at 63', ['A3', 'B1'], 63, ['C1']],
    ['turns A2 into C1 and C6 at 63', ['A2'], 63, ['C1', 'C6']],
    ['turns A2 into C1 and C6 at 69', ['A2'], 69, ['C1', 'C6']],
    ['turns A2 into C1 only when the driver is 70 at the trigger', ['A2'], 70, ['C1']],
    ['keeps an existing C6 beside A2 at 63', ['A2', 'C6'], 63, ['C1', 'C6']],
    ['keeps D beside A1 and A2 at 63', ['A1', 'A2', 'D'], 63, ['C1', 'C6', 'D']],
    ['applies both rules to A1 A2 D at 70', ['A1', 'A2', 'D'], 70, ['C1', 'F']],
    ['drops M beside B1 at 63', ['B1', 'M'], 63, ['C1']],
    ['drops M beside C1 at 63 without adding anything', ['C1', 'M'], 63, ['C1']],
    ['leaves nothing of M N P at 63', ['M', 'N', 'P'], 63, []],
    ['keeps C3 at 69', ['C3'], 69, ['C3']],
    ['turns D into F at 70', ['D'], 70, ['F']],
    ['turns E into F at 70', ['E'], 70, ['F']],
    ['turns D and E into a single F at 70', ['D', 'E'], 70, ['F']],
    ['turns C6 into C1 at 70', ['C6'], 70, ['C1']],
    ['turns C1 C6 into C1 at 70', ['C1', 'C6'], 70, ['C1']],
    ['leaves nothing of C3 C4 at 70', ['C3', 'C4'], 70, []],
    ['keeps C2 and C5 while dropping C3 at 70', ['C2', 'C3', 'C5'], 70, ['C2', 'C5']],
    ['turns C3 C4 C6 D E into C1 F at 70', ['C3', 'C4', 'C6', 'D', 'E'], 70, ['C1', 'F']],
    ['turns C6 E into C1 F at 70', ['C6', 'E'], 70, ['C1', 'F']],
    ['turns A3 C3 F into C1 F at 70', ['A3', 'C3', 'F'], 70, ['C1', 'F']],
    ['turns A2 F M into C1 F at 75', ['A2', 'F', 'M'], 75, ['C1', 'F']],
    ['keeps C2 F at 75', ['C2', 'F'], 75, ['C2', 'F']],
    ['keeps an already downgraded C1 at 80', ['C1'], 80, ['C1']],
    ['lists the result in canonical order whatever the input order', ['D', 'A2'], 63, ['C1', 'C6', 'D']],
    ['drops every class that needs dropping from a full licence at 63', [
      'A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'D', 'E', 'F', 'M', 'N', 'P',
    ], 63, ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'D', 'E', 'F']],
    ['drops every class that needs dropping from a full licence at 70', [
      'A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'D', 'E', 'F', 'M', 'N', 'P',
    ], 70, ['C1', 'C2', 'C5', 'F']],
  ];
  for (const [name, classes, age, expected] of cases) {
    it(name, () => {
      expect(targetClassesAfter(classes, age)).toEqual(expected);
    });
  }

  it('does not modify its input', () => {
    const classes: LicenceClass[] = ['A2', 'D'];
    targetClassesAfter(classes, 70);
    expect(classes).toEqual(['A2', 'D']);
  });
});

describe('not screened', () => {
  // Would have a downgrade_63 and an expiry_renewal case if active.
  const due = licence({ classes: ['B2'], validUntil: '2025-06-30' });

  it('screens an active licence', () => {
    expect(categories(due, '2025-06-01')).toEqual(['downgrade_63', 'expiry_renewal']);
  });

  it('skips a cancelled licence', () => {
    expect(screen({ ...due, status: 'cancelled' }, '2025-06-01')).toEqual([]);
  });

  it('skips a revoked licence', () => {
    expect(screen({ ...due, status: 'revoked' }, '2025-06-01')).toEqual([]);
  });

  it('still screens a licence on the first anniversary of valid_until (Art 79(8))', () => {
    expect(categories(due, '2026-06-30')).toEqual(['downgrade_63', 'expiry_renewal']);
  });

  it('skips every category from the day after the first anniversary of valid_until (Art 79(8))', () => {
    expect(screen(due, '2026-07-01')).toEqual([]);
    expect(screen(due, '2026-07-02')).toEqual([]);
  });

  it('counts a licence valid until 29 February as cancelled from 2 March a year later', () => {
    const leap = licence({ classes: ['B2'], validUntil: '2024-02-29' });
    expect(categories(leap, '2025-03-01')).toEqual(['expiry_renewal']);
    expect(screen(leap, '2025-03-02')).toEqual([]);
  });

  it('never counts a long-term licence as expired', () => {
    expect(categories(licence({ classes: ['B2'] }), '2060-01-01')).toEqual(['annual_exam_70', 'downgrade_63']);
  });
});

describe('downgrade_63 (Art 65 para 1)', () => {
  const b2 = licence({ birthDate: '1962-05-20', classes: ['B2'] });
  const expected: ScreenedCase = {
    fileNumber: FILE,
    category: 'downgrade_63',
    triggerOn: '2025-05-20',
    opensOn: '2025-05-20',
    dueOn: '2025-06-19',
    lapsesOn: null,
    overdue: false,
    targetClasses: ['C1'],
    needsCognitiveTest: false,
    reason: null,
  };

  it('does not flag a B2 holder 61 days before 63', () => {
    expect(screen(b2, '2025-03-20')).toEqual([]);
  });

  it('flags a B2 holder 60 days before 63', () => {
    expect(screen(b2, '2025-03-21')).toEqual([expected]);
  });

  it('flags a B2 holder 59 days before 63', () => {
    expect(screen(b2, '2025-03-22')).toEqual([expected]);
  });

  it('is not overdue on due_on, 30 days after the 63rd birthday', () => {
    expect(only(b2, '2025-06-19', 'downgrade_63').overdue).toBe(false);
  });

  it('is overdue the day after due_on', () => {
    expect(screen(b2, '2025-06-20')).toEqual([{ ...expected, overdue: true }]);
  });

  it('stays flagged years later while the licence still holds B2', () => {
    expect(screen(b2, '2031-01-01')).toEqual([{ ...expected, overdue: true }]);
  });

  it('flags only on the trigger day with a lead time of 0', () => {
    expect(screen(b2, '2025-05-19', { leadDays: 0 })).toEqual([]);
    expect(screen(b2, '2025-05-20', { leadDays: 0 })).toEqual([expected]);
  });

  it('honours a lead time of 30 days', () => {
    expect(screen(b2, '2025-04-19', { leadDays: 30 })).toEqual([]);
    expect(screen(b2, '2025-04-20', { leadDays: 30 })).toEqual([expected]);
  });

  it('moves the trigger to the day after extension_until', () => {
    const extended = { ...b2, extensionUntil: '2026-05-19' };
    expect(screen(extended, '2025-06-01')).toEqual([]);
    expect(screen(extended, '2026-03-20')).toEqual([]);
    expect(screen(extended, '2026-03-21')).toEqual([
      { ...expected, triggerOn: '2026-05-20', opensOn: '2026-05-20', dueOn: '2026-06-19' },
    ]);
    expect(only(extended, '2026-06-19', 'downgrade_63').overdue).toBe(false);
    expect(only(extended, '2026-06-20', 'downgrade_63').overdue).toBe(true);
  });

  it('targets C1 and C6 for an A2 holder', () => {
    expect(only(licence({ classes: ['A2'] }), '2025-05-20', 'downgrade_63').targetClasses).toEqual(['C1', 'C6']);
  });

  it('keeps D for an A2 D holder and flags nothing at 70 yet', () => {
    const a2d = licence({ classes: ['A2', 'D'] });
    expect(categories(a2d, '2025-05-20')).toEqual(['downgrade_63']);
    expect(only(a2d, '2025-05-20', 'downgrade_63').targetClasses).toEqual(['C1', 'C6', 'D']);
  });

  it('drops M for a B1 M holder without a cancellation notice', () => {
    const b1m = licence({ classes: ['B1', 'M'] });
    expect(categories(b1m, '2025-05-20')).toEqual(['downgrade_63']);
    expect(only(b1m, '2025-05-20', 'downgrade_63').targetClasses).toEqual(['C1']);
  });

  it('flags nothing at 63 for a C1 M holder', () => {
    expect(screen(licence({ classes: ['C1', 'M'] }), '2025-06-01')).toEqual([]);
    expect(screen(licence({ classes: ['C1', 'M'] }), '2027-01-01')).toEqual([]);
  });

  it('flags nothing at 63 for a C1 holder', () => {
    expect(screen(licence({ classes: ['C1'] }), '2025-06-01')).toEqual([]);
  });

  it('reaches 63 on 1 March for a driver born on 29 February', () => {
    const leapling = licence({ birthDate: '1960-02-29', classes: ['B2'] });
    expect(screen(leapling, '2022-12-30')).toEqual([]);
    expect(screen(leapling, '2022-12-31')).toEqual([
      { ...expected, triggerOn: '2023-03-01', opensOn: '2023-03-01', dueOn: '2023-03-31' },
    ]);
  });

  it('counts the 30 days to due_on across 29 February in a leap year', () => {
    const leapYear = licence({ birthDate: '1961-02-28', classes: ['B2'] });
    expect(screen(leapYear, '2024-01-01')).toEqual([
      { ...expected, triggerOn: '2024-02-28', opensOn: '2024-02-28', dueOn: '2024-03-29' },
    ]);
  });
});

describe('downgrade_70 (Art 65 para 2)', () => {
  // Cycle ends 03-14: the first one at 70 is 2026-03-14, flagged from 2026-01-13.
  const c6 = licence({ birthDate: '1955-08-10', classes: ['C1', 'C6'], firstIssuedOn: '1985-03-15' });
  const expected: ScreenedCase = {
    fileNumber: FILE,
    category: 'downgrade_70',
    triggerOn: '2025-08-10',
    opensOn: '2025-08-10',
    dueOn: '2025-09-09',
    lapsesOn: null,
    overdue: false,
    targetClasses: ['C1'],
    needsCognitiveTest: false,
    reason: null,
  };

  it('does not flag a C6 holder 61 days before 70', () => {
    expect(screen(c6, '2025-06-10')).toEqual([]);
  });

  it('flags a C6 holder 60 days before 70', () => {
    expect(screen(c6, '2025-06-11')).toEqual([expected]);
  });

  it('flags a C6 holder 59 days before 70', () => {
    expect(screen(c6, '2025-06-12')).toEqual([expected]);
  });

  it('is not overdue on due_on and overdue the day after', () => {
    expect(screen(c6, '2025-09-09')).toEqual([expected]);
    expect(screen(c6, '2025-09-10')).toEqual([{ ...expected, overdue: true }]);
  });

  it('targets F for a D holder', () => {
    expect(only(licence({ birthDate: '1955-08-10', classes: ['D'] }), '2025-08-10', 'downgrade_70').targetClasses)
      .toEqual(['F']);
  });

  it('targets F for an E holder', () => {
    expect(only(licence({ birthDate: '1955-08-10', classes: ['E'] }), '2025-08-10', 'downgrade_70').targetClasses)
      .toEqual(['F']);
  });

  it('targets C1 F for a C3 C4 C6 D E holder', () => {
    const all = licence({ birthDate: '1955-08-10', classes: ['C3', 'C4', 'C6', 'D', 'E'] });
    expect(categories(all, '2025-08-10')).toEqual(['downgrade_70']);
    expect(only(all, '2025-08-10', 'downgrade_70').targetClasses).toEqual(['C1', 'F']);
  });

  it('drops the C6 an A2 holder would keep at 63 and keeps the overdue downgrade_63', () => {
    const a2d = licence({ birthDate: '1955-08-10', classes: ['A2', 'D'] });
    expect(screen(a2d, '2025-08-10')).toEqual([
      {
        ...expected,
        category: 'downgrade_63',
        triggerOn: '2018-08-10',
        opensOn: '2018-08-10',
        dueOn: '2018-09-09',
        overdue: true,
        targetClasses: ['C1', 'C6', 'D'],
      },
      { ...expected, targetClasses: ['C1', 'F'] },
    ]);
  });

  it('targets C1 for a B2 C3 holder, whose C3 survives 63 but not 70', () => {
    const b2c3 = licence({ birthDate: '1955-08-10', classes: ['B2', 'C3'] });
    expect(only(b2c3, '2025-08-10', 'downgrade_63').targetClasses).toEqual(['C1', 'C3']);
    expect(only(b2c3, '2025-08-10', 'downgrade_70').targetClasses).toEqual(['C1']);
  });

  it('flags nothing at 70 for a C1 C2 C5 F holder except the annual exam', () => {
    const kept = licence({ birthDate: '1955-08-10', classes: ['C1', 'C2', 'C5', 'F'], firstIssuedOn: '1985-03-15' });
    expect(screen(kept, '2025-08-10')).toEqual([]);
    expect(categories(kept, '2026-01-13')).toEqual(['annual_exam_70']);
  });

  it('reaches 70 on 1 March for a driver born on 29 February', () => {
    const leapling = licence({ birthDate: '1956-02-29', classes: ['C6'], firstIssuedOn: '1990-06-01' });
    expect(screen(leapling, '2025-12-30')).toEqual([]);
    expect(screen(leapling, '2025-12-31')).toEqual([
      { ...expected, triggerOn: '2026-03-01', opensOn: '2026-03-01', dueOn: '2026-03-31' },
    ]);
  });
});

describe('cancellation_notice (Art 79(10))', () => {
  const mn = licence({ birthDate: '1962-05-20', classes: ['M', 'N'] });
  const mnp: ScreenedCase = {
    fileNumber: FILE,
    category: 'cancellation_notice',
    triggerOn: '2025-05-20',
    opensOn: '2025-05-20',
    dueOn: '2025-05-20',
    lapsesOn: null,
    overdue: false,
    targetClasses: [],
    needsCognitiveTest: false,
    reason: 'only_mnp_at_63',
  };

  it('does not flag an M N holder 61 days before 63', () => {
    expect(screen(mn, '2025-03-20')).toEqual([]);
  });

  it('flags an M N holder 60 days before 63', () => {
    expect(screen(mn, '2025-03-21')).toEqual([mnp]);
    expect(screen(mn, '2025-03-22')).toEqual([mnp]);
  });

  it('is due on the trigger day and overdue the day after', () => {
    expect(screen(mn, '2025-05-20')).toEqual([mnp]);
    expect(screen(mn, '2025-05-21')).toEqual([{ ...mnp, overdue: true }]);
  });

  it('never gives an M N P holder a downgrade_63', () => {
    expect(categories(licence({ classes: ['M', 'N', 'P'] }), '2026-01-01')).toEqual(['cancellation_notice']);
  });

  it('moves the only_mnp_at_63 trigger to the day after extension_until', () => {
    const extended = licence({ classes: ['P'], extensionUntil: '2026-05-19' });
    expect(screen(extended, '2025-06-01')).toEqual([]);
    expect(screen(extended, '2026-03-20')).toEqual([]);
    expect(screen(extended, '2026-03-21')).toEqual([
      { ...mnp, triggerOn: '2026-05-20', opensOn: '2026-05-20', dueOn: '2026-05-20' },
    ]);
  });

  const c3c4 = licence({ birthDate: '1955-08-10', classes: ['C3', 'C4'], firstIssuedOn: '1985-03-15' });
  const c3c4Notice: ScreenedCase = {
    ...mnp,
    triggerOn: '2025-08-10',
    opensOn: '2025-08-10',
    dueOn: '2025-08-10',
    reason: 'only_c3c4_at_70',
  };

  it('does not flag a C3 C4 holder 61 days before 70', () => {
    expect(screen(c3c4, '2025-06-10')).toEqual([]);
  });

  it('flags a C3 C4 holder 60 days before 70 with no target classes', () => {
    expect(screen(c3c4, '2025-06-11')).toEqual([c3c4Notice]);
  });

  it('gives a C3 C4 holder a notice and no downgrade_70', () => {
    expect(screen(c3c4, '2025-08-11')).toEqual([{ ...c3c4Notice, overdue: true }]);
  });

  it('flags a C3-only holder and a C4-only holder the same way', () => {
    expect(screen({ ...c3c4, classes: ['C3'] }, '2025-06-11')).toEqual([c3c4Notice]);
    expect(screen({ ...c3c4, classes: ['C4'] }, '2025-06-11')).toEqual([c3c4Notice]);
  });

  it('gives a C3 M holder nothing at 63 and an only_c3c4_at_70 notice at 70', () => {
    const c3m = { ...c3c4, classes: ['C3', 'M'] as LicenceClass[] };
    expect(screen(c3m, '2018-08-10')).toEqual([]);
    expect(screen(c3m, '2025-06-11')).toEqual([c3c4Notice]);
  });
});

describe('expiry_renewal (Art 63, 72, 73, 79(8))', () => {
  const renewing = licence({ birthDate: '1960-01-15', classes: ['C1'], validUntil: '2025-12-01' });
  const expected: ScreenedCase = {
    fileNumber: FILE,
    category: 'expiry_renewal',
    triggerOn: '2025-12-01',
    opensOn: '2025-09-02',
    dueOn: '2025-12-01',
    lapsesOn: '2026-12-02',
    overdue: false,
    targetClasses: null,
    needsCognitiveTest: false,
    reason: null,
  };

  it('does not flag a renewal 61 days before it opens', () => {
    expect(screen(renewing, '2025-07-03')).toEqual([]);
  });

  it('flags a renewal 60 days before it opens, 90 days before valid_until', () => {
    expect(screen(renewing, '2025-07-04')).toEqual([expected]);
    expect(screen(renewing, '2025-07-05')).toEqual([expected]);
  });

  it('honours a lead time of 30 days', () => {
    expect(screen(renewing, '2025-08-02', { leadDays: 30 })).toEqual([]);
    expect(screen(renewing, '2025-08-03', { leadDays: 30 })).toEqual([expected]);
  });

  it('is not overdue on valid_until and overdue the day after', () => {
    expect(screen(renewing, '2025-12-01')).toEqual([expected]);
    expect(screen(renewing, '2025-12-02')).toEqual([{ ...expected, overdue: true }]);
  });

  it('stays flagged until the day before lapses_on', () => {
    expect(screen(renewing, '2026-12-01')).toEqual([{ ...expected, overdue: true }]);
    expect(screen(renewing, '2026-12-02')).toEqual([]);
  });

  it('needs the cognitive test when the driver is exactly 70 on valid_until', () => {
    const seventy = licence({ birthDate: '1955-12-01', validUntil: '2025-12-01' });
    expect(screen(seventy, '2025-09-02')).toEqual([{ ...expected, needsCognitiveTest: true }]);
  });

  it('does not need the cognitive test when the driver is 69 on valid_until', () => {
    const sixtyNine = licence({ birthDate: '1955-12-02', validUntil: '2025-12-01' });
    expect(screen(sixtyNine, '2025-09-02')).toEqual([expected]);
  });

  it('waits until the driver is 60 with the default minimum age', () => {
    const young = licence({ birthDate: '1965-08-01', validUntil: '2025-12-01' });
    expect(screen(young, '2025-07-31')).toEqual([]);
    expect(screen(young, '2025-08-01')).toEqual([expected]);
  });

  it('flags every driver with a minimum age of 0', () => {
    const young = licence({ birthDate: '1990-01-01', validUntil: '2025-12-01' });
    expect(screen(young, '2025-08-01')).toEqual([]);
    expect(screen(young, '2025-08-01', { renewalMinAge: 0 })).toEqual([expected]);
  });

  it('reaches the minimum age on 1 March for a driver born on 29 February', () => {
    const leapling = licence({ birthDate: '1964-02-29', validUntil: '2025-05-31' });
    const leapCase = { ...expected, triggerOn: '2025-05-31', opensOn: '2025-03-02', dueOn: '2025-05-31', lapsesOn: '2026-06-01' };
    expect(screen(leapling, '2025-02-28', { renewalMinAge: 61 })).toEqual([]);
    expect(screen(leapling, '2025-03-01', { renewalMinAge: 61 })).toEqual([leapCase]);
  });

  it('opens 90 days before a valid_until of 29 February and lapses on 2 March a year later', () => {
    const leap = licence({ birthDate: '1960-01-15', validUntil: '2024-02-29' });
    expect(screen(leap, '2025-03-01')).toEqual([
      { ...expected, triggerOn: '2024-02-29', opensOn: '2023-12-01', dueOn: '2024-02-29', lapsesOn: '2025-03-02', overdue: true },
    ]);
  });

  it('never flags a long-term licence', () => {
    const longTerm = licence({ birthDate: '1940-01-01', classes: ['C1'], validUntil: null });
    for (const asOf of ['2000-01-01', '2025-06-01', '2050-12-31']) {
      expect(has(longTerm, asOf, 'expiry_renewal')).toBe(false);
    }
  });
});

describe('annual_exam_70 (Order 163 Art 3, Art 74, 79(9))', () => {
  // Cycles end on 03-14; the driver is 70 on 2025-08-10, so E* is 2026-03-14.
  const senior = licence({ birthDate: '1955-08-10', classes: ['C1'], firstIssuedOn: '1985-03-15' });
  const expected: ScreenedCase = {
    fileNumber: FILE,
    category: 'annual_exam_70',
    triggerOn: '2026-03-14',
    opensOn: '2026-03-15',
    dueOn: '2026-04-13',
    lapsesOn: '2027-03-15',
    overdue: false,
    targetClasses: null,
    needsCognitiveTest: false,
    reason: null,
  };
  const next = { ...expected, triggerOn: '2027-03-14', opensOn: '2027-03-15', dueOn: '2027-04-13', lapsesOn: '2028-03-15' };

  it('skips the cycle ending before the 70th birthday', () => {
    expect(annualExamCycleEnd(senior, '2025-03-01')).toBe('2026-03-14');
  });

  it('does not flag the first cycle at 70 61 days before it ends', () => {
    expect(screen(senior, '2026-01-12')).toEqual([]);
  });

  it('flags the first cycle at 70 60 days before it ends', () => {
    expect(screen(senior, '2026-01-13')).toEqual([expected]);
    expect(screen(senior, '2026-01-14')).toEqual([expected]);
  });

  it('is not overdue 30 days after the cycle end and overdue the day after', () => {
    expect(screen(senior, '2026-04-13')).toEqual([expected]);
    expect(screen(senior, '2026-04-14')).toEqual([{ ...expected, overdue: true }]);
  });

  it('keeps the unsatisfied cycle until the day before it lapses', () => {
    expect(screen(senior, '2027-03-14')).toEqual([{ ...expected, overdue: true }]);
  });

  it('moves to the next cycle on the day the previous one lapses', () => {
    expect(screen(senior, '2027-03-15')).toEqual([next]);
  });

  it('is not satisfied by a certificate submitted on the cycle end itself', () => {
    const onEnd = { ...senior, lastCertSubmittedOn: '2026-03-14' };
    expect(screen(onEnd, '2026-03-20')).toEqual([expected]);
  });

  it('is satisfied by a certificate submitted the day after the cycle end', () => {
    const after = { ...senior, lastCertSubmittedOn: '2026-03-15' };
    expect(screen(after, '2026-03-20')).toEqual([]);
    expect(screen(after, '2027-01-12')).toEqual([]);
    expect(screen(after, '2027-01-13')).toEqual([next]);
  });

  it('flags an 80-year-old with no certificate for the oldest cycle that has not lapsed', () => {
    const old = licence({ birthDate: '1945-08-10', firstIssuedOn: '1985-03-15' });
    expect(screen(old, '2025-02-01')).toEqual([
      { ...expected, triggerOn: '2024-03-14', opensOn: '2024-03-15', dueOn: '2024-04-13', lapsesOn: '2025-03-15', overdue: true },
    ]);
  });

  it('flags the next cycle once the last one was satisfied', () => {
    const old = licence({ birthDate: '1945-08-10', firstIssuedOn: '1985-03-15', lastCertSubmittedOn: '2024-03-20' });
    const coming = { ...expected, triggerOn: '2025-03-14', opensOn: '2025-03-15', dueOn: '2025-04-13', lapsesOn: '2026-03-15' };
    expect(screen(old, '2025-02-01')).toEqual([coming]);
    expect(screen(old, '2025-03-10')).toEqual([coming]);
  });

  it('flags a driver who reaches 70 exactly on a cycle end for that cycle', () => {
    const onEnd = licence({ birthDate: '1955-03-14', firstIssuedOn: '1985-03-15' });
    expect(screen(onEnd, '2025-01-13')).toEqual([
      { ...expected, triggerOn: '2025-03-14', opensOn: '2025-03-15', dueOn: '2025-04-13', lapsesOn: '2026-03-15' },
    ]);
  });

  it('flags a driver who reaches 70 the day before a cycle end for that cycle', () => {
    const before = licence({ birthDate: '1955-03-13', firstIssuedOn: '1985-03-15' });
    expect(annualExamCycleEnd(before, '2025-01-13')).toBe('2025-03-14');
  });

  it('waits a cycle for a driver who reaches 70 the day after a cycle end', () => {
    const after = licence({ birthDate: '1955-03-15', firstIssuedOn: '1985-03-15' });
    expect(screen(after, '2025-01-13')).toEqual([]);
    expect(annualExamCycleEnd(after, '2025-01-13')).toBe('2026-03-14');
  });

  it('ignores the licence classes', () => {
    expect(screen({ ...senior, classes: ['F'] }, '2026-01-13')).toEqual([expected]);
  });

  describe('first issued on 1 March (cycles end on 29 February in leap years)', () => {
    const march = licence({ birthDate: '1950-06-01', firstIssuedOn: '2000-03-01' });
    const leapEnd = { ...expected, triggerOn: '2024-02-29', opensOn: '2024-03-01', dueOn: '2024-03-30', lapsesOn: '2025-03-02' };
    const commonEnd = { ...expected, triggerOn: '2025-02-28', opensOn: '2025-03-01', dueOn: '2025-03-30', lapsesOn: '2026-03-01' };

    it('flags the cycle ending on 29 February with lapses_on on 2 March a year later', () => {
      expect(screen(march, '2024-03-10')).toEqual([leapEnd]);
    });

    it('keeps that cycle on 1 March a year later although the next cycle ended the day before', () => {
      expect(screen(march, '2025-03-01')).toEqual([{ ...leapEnd, overdue: true }]);
    });

    it('moves to the next cycle on 2 March', () => {
      expect(screen(march, '2025-03-02')).toEqual([commonEnd]);
    });

    it('treats a certificate of 28 February as satisfying the leap cycle only', () => {
      expect(screen({ ...march, lastCertSubmittedOn: '2025-02-28' }, '2025-03-01')).toEqual([commonEnd]);
    });

    it('treats a later certificate as satisfying every earlier cycle', () => {
      const certified = { ...march, lastCertSubmittedOn: '2025-03-01' };
      expect(screen(certified, '2025-03-01')).toEqual([]);
      expect(annualExamCycleEnd(certified, '2025-03-01')).toBe('2026-02-28');
    });
  });

  describe('first issued on 29 February (cycles end on 28 February)', () => {
    const leapIssued = licence({ birthDate: '1950-06-01', firstIssuedOn: '2000-02-29' });

    it('flags the cycle ending on 28 February of a leap year', () => {
      expect(screen(leapIssued, '2025-01-01')).toEqual([
        { ...expected, triggerOn: '2024-02-28', opensOn: '2024-02-29', dueOn: '2024-03-29', lapsesOn: '2025-03-01', overdue: true },
      ]);
    });

    it('keeps it on the anniversary of its end', () => {
      expect(only(leapIssued, '2025-02-28', 'annual_exam_70').triggerOn).toBe('2024-02-28');
    });

    it('moves to the next cycle on 1 March', () => {
      expect(screen(leapIssued, '2025-03-01')).toEqual([
        { ...expected, triggerOn: '2025-02-28', opensOn: '2025-03-01', dueOn: '2025-03-30', lapsesOn: '2026-03-01' },
      ]);
    });
  });

  describe('born on 29 February (70 on 1 March in a common year)', () => {
    it('skips a cycle ending on 28 February, the day before the 70th birthday', () => {
      const leapling = licence({ birthDate: '1956-02-29', firstIssuedOn: '1990-03-01' });
      expect(screen(leapling, '2025-12-31')).toEqual([]);
      expect(annualExamCycleEnd(leapling, '2025-12-31')).toBe('2027-02-28');
    });

    it('flags a cycle ending on 1 March, the 70th birthday', () => {
      const leapling = licence({ birthDate: '1956-02-29', firstIssuedOn: '1990-03-02' });
      expect(screen(leapling, '2025-12-30')).toEqual([]);
      expect(screen(leapling, '2025-12-31')).toEqual([
        { ...expected, triggerOn: '2026-03-01', opensOn: '2026-03-02', dueOn: '2026-03-31', lapsesOn: '2027-03-02' },
      ]);
    });
  });

  it('finds the same cycle end as a cycle-by-cycle reference for many licences and dates', () => {
    // Straight from RULES.md §3, walking k = 1, 2, ... with the civil-date helpers.
    const reference = (birth: string, first: string, cert: string | null, asOf: string): string => {
      for (let k = 1; ; k += 1) {
        const end = addDays(addYears(first, k), -1);
        const lapsed = asOf >= addDays(addYears(end, 1), 1);
        const satisfied = cert !== null && cert > end;
        if (ageOn(birth, end) >= 70 && !lapsed && !satisfied) return end;
      }
    };
    const firsts = ['1980-01-01', '1984-02-29', '1985-03-01', '1987-12-31', '1990-07-15'];
    const births = ['1940-02-29', '1945-03-01', '1950-12-31', '1955-06-15'];
    const certs = [null, '2020-02-28', '2023-03-01', '2024-02-29', '2024-12-31'];
    // Every 30th day, plus each day around the cycle ends and anniversaries of the grid.
    const dates = new Set<string>();
    for (let day = toDayNumber('2023-01-01'); day <= toDayNumber('2026-12-31'); day += 30) dates.add(fromDayNumber(day));
    for (const year of [2023, 2024, 2025, 2026]) {
      for (const around of [`${year}-03-01`, `${year}-01-01`, `${year}-07-15`]) {
        for (let offset = -3; offset <= 2; offset += 1) dates.add(addDays(around, offset));
      }
    }
    const mismatches: string[] = [];
    let checked = 0;
    for (const asOf of dates) {
      for (const firstIssuedOn of firsts) {
        for (const birthDate of births) {
          for (const lastCertSubmittedOn of certs) {
            const actual = annualExamCycleEnd({ birthDate, firstIssuedOn, lastCertSubmittedOn }, asOf);
            const wanted = reference(birthDate, firstIssuedOn, lastCertSubmittedOn, asOf);
            if (actual !== wanted) mismatches.push(`${birthDate} ${firstIssuedOn} ${lastCertSubmittedOn} ${asOf}: ${actual} != ${wanted}`);
            checked += 1;
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(dates.size * 100);
  });
});

describe('several cases at once', () => {
  // 70 on 2025-08-10; cycles end on 08-31; valid until 2025-10-31; D + 60 = 2025-09-13.
  const busy = licence({
    birthDate: '1955-08-10',
    classes: ['B2', 'C6'],
    firstIssuedOn: '1985-09-01',
    validUntil: '2025-10-31',
  });
  const base = { fileNumber: FILE, lapsesOn: null, overdue: false, needsCognitiveTest: false, reason: null };
  const annual: ScreenedCase = {
    ...base,
    category: 'annual_exam_70',
    triggerOn: '2025-08-31',
    opensOn: '2025-09-01',
    dueOn: '2025-09-30',
    lapsesOn: '2026-09-01',
    targetClasses: null,
  };
  const renewal: ScreenedCase = {
    ...base,
    category: 'expiry_renewal',
    triggerOn: '2025-10-31',
    opensOn: '2025-08-02',
    dueOn: '2025-10-31',
    lapsesOn: '2026-11-01',
    targetClasses: null,
    needsCognitiveTest: true,
  };

  it('flags the annual exam, both downgrades and the renewal in category order', () => {
    expect(screen(busy, '2025-07-15')).toEqual([
      annual,
      {
        ...base,
        category: 'downgrade_63',
        triggerOn: '2018-08-10',
        opensOn: '2018-08-10',
        dueOn: '2018-09-09',
        overdue: true,
        targetClasses: ['C1', 'C6'],
      },
      {
        ...base,
        category: 'downgrade_70',
        triggerOn: '2025-08-10',
        opensOn: '2025-08-10',
        dueOn: '2025-09-09',
        targetClasses: ['C1'],
      },
      renewal,
    ]);
  });

  it('puts a cancellation notice between the annual exam and the renewal', () => {
    const c3m = { ...busy, classes: ['C3', 'M'] as LicenceClass[] };
    expect(screen(c3m, '2025-07-15')).toEqual([
      annual,
      {
        ...base,
        category: 'cancellation_notice',
        triggerOn: '2025-08-10',
        opensOn: '2025-08-10',
        dueOn: '2025-08-10',
        targetClasses: [],
        reason: 'only_c3c4_at_70',
      },
      renewal,
    ]);
  });

  it('carries the file number on every case', () => {
    const other = { ...busy, fileNumber: '441900123456' };
    const cases = screen(other, '2025-07-15');
    expect(cases).toHaveLength(4);
    expect(cases.every((c) => c.fileNumber === '441900123456')).toBe(true);
  });

  it('flags nothing for the same licence once cancelled or revoked', () => {
    expect(screen({ ...busy, status: 'cancelled' }, '2025-07-15')).toEqual([]);
    expect(screen({ ...busy, status: 'revoked' }, '2025-07-15')).toEqual([]);
  });
});
