/**
 * The screening rules (RULES.md §3-4): every case one licence has on the screening date D.
 *
 * Pure, and on the hot path: a run screens about a million licences. So dates are read once into
 * packed `YYYYMMDD` integers and day numbers (days since 1970-01-01), classes into a bit mask, and
 * strings and arrays are only built for the cases that are actually flagged.
 */
import {
  addYearsPacked,
  addYearsToDays,
  daysFromPacked as dayOf,
  toPacked as packed,
  fromDayNumber,
  type CivilDate,
} from '../shared/civil-date.ts';
import { LICENCE_CLASSES, type LicenceClass, type ScreeningLicence } from '../registry/licence.ts';
import type { ScreenedCase, ScreeningParams } from './case.ts';

/** L: outreach lead time in days (RULES.md §1). */
export const DEFAULT_LEAD_DAYS = 60;
/** R: minimum age for renewal outreach (RULES.md §1; 0 means every driver). */
export const DEFAULT_RENEWAL_MIN_AGE = 60;

// Dates as integers (src/shared/civil-date.ts): a packed `YYYYMMDD` compares like the date and
// makes `addYears` cheap; a day number makes `+ n days` cheap.

/**
 * Day number of `Bday(age)`. Because a person reaches an age on that birthday (§1, with the same
 * 29 February convention as `addYears`), `age(x) >= n` exactly when `x >= Bday(n)`: the rules
 * below compare days instead of computing ages.
 */
function birthdayDay(birth: number, age: number): number {
  return dayOf(addYearsPacked(birth, age));
}

// ---------------------------------------------------------------------------------------------
// Scoring cycles (Order 163 Art 3): cycle k (k >= 1) ends on E_k = addYears(F, k) - 1 day.

function cycleEndDay(firstIssued: number, k: number): number {
  return dayOf(addYearsPacked(firstIssued, k)) - 1;
}

/** E_k for first-issue date F (Order 163 Art 3). */
export function cycleEnd(firstIssuedOn: CivilDate, k: number): CivilDate {
  return fromDayNumber(cycleEndDay(packed(firstIssuedOn), k));
}

/**
 * The smallest k >= 1 with `E_k >= day`. Cycles end about a year apart, so the year difference is
 * within a step or two of the answer: no walk from k = 1.
 */
function firstCycleEndingFrom(firstIssued: number, day: number): number {
  let k = Math.max(1, 1970 + Math.floor(day / 365.2425) - Math.floor(firstIssued / 10_000));
  while (k > 1 && cycleEndDay(firstIssued, k - 1) >= day) k -= 1;
  while (cycleEndDay(firstIssued, k) < day) k += 1;
  return k;
}

/**
 * Day number of E* (RULES.md §3 `annual_exam_70`): the earliest cycle end E_k with
 * age(E_k) >= 70 (Art 74), not lapsed, i.e. D < addYears(E_k, 1) + 1 (Art 79(9)), and not
 * satisfied, i.e. no certificate submitted after E_k (Art 74). Each condition holds from some k on,
 * so E* is at the largest of the three smallest k.
 */
function annualExamCycleEndDay(firstIssued: number, age70: number, cert: number | null, asOf: number): number {
  let k = firstCycleEndingFrom(firstIssued, age70); // age(E_k) >= 70  <=>  E_k >= Bday(70)
  if (cert !== null) k = Math.max(k, firstCycleEndingFrom(firstIssued, cert)); // cert <= E_k
  // Not lapsed: D <= addYears(E_k, 1), which lies within a day of E_{k+1}; so start from the
  // cycle before the first E_{k+1} >= D - 1 (a lower bound) and step forward.
  k = Math.max(k, firstCycleEndingFrom(firstIssued, asOf - 1) - 1);
  let end = cycleEndDay(firstIssued, k);
  while (addYearsToDays(end, 1) < asOf) {
    k += 1;
    end = cycleEndDay(firstIssued, k);
  }
  return end;
}

/**
 * E* for a licence on `asOf`, whether or not it is within the lead time (RULES.md §3; Order 163
 * Art 3, Art 74, Art 79(9)).
 */
export function annualExamCycleEnd(
  licence: Pick<ScreeningLicence, 'birthDate' | 'firstIssuedOn' | 'lastCertSubmittedOn'>,
  asOf: CivilDate,
): CivilDate {
  const cert = licence.lastCertSubmittedOn === null ? null : dayOf(packed(licence.lastCertSubmittedOn));
  const age70 = birthdayDay(packed(licence.birthDate), 70);
  return fromDayNumber(annualExamCycleEndDay(packed(licence.firstIssuedOn), age70, cert, dayOf(packed(asOf))));
}

// ---------------------------------------------------------------------------------------------
// Classes as a bit mask: bit i is LICENCE_CLASSES[i], so ascending bits are the canonical order.

const CLASS_BIT = Object.fromEntries(LICENCE_CLASSES.map((c, i) => [c, 1 << i])) as Record<LicenceClass, number>;

function maskOf(classes: readonly LicenceClass[]): number {
  let mask = 0;
  for (const c of classes) mask |= CLASS_BIT[c];
  return mask;
}

function classesOf(mask: number): LicenceClass[] {
  const classes: LicenceClass[] = [];
  for (let i = 0; i < LICENCE_CLASSES.length; i += 1) {
    const c = LICENCE_CLASSES[i];
    if (c !== undefined && (mask & (1 << i)) !== 0) classes.push(c);
  }
  return classes;
}

const A1_TO_B2 = maskOf(['A1', 'A2', 'A3', 'B1', 'B2']);
const M_N_P = maskOf(['M', 'N', 'P']);
const C3_C4_C6_D_E = maskOf(['C3', 'C4', 'C6', 'D', 'E']);
const D_E = maskOf(['D', 'E']);
const { A2, C1, C6, F } = CLASS_BIT;

/** RULES.md §4 on masks. */
function targetMask(held: number, ageAtTrigger: number): number {
  let mask = held;
  if (ageAtTrigger >= 63) {
    // Art 65 para 1: from 63, A1-B2 may no longer be driven, nor M N P.
    mask &= ~(A1_TO_B2 | M_N_P);
    // [choice] An A1-B2 holder is downgraded to C1; the driver may ask for C2 instead.
    if ((held & A1_TO_B2) !== 0) mask |= C1;
    // Art 65 para 1: a 重型牵引挂车 (A2) holder under 70 may keep 轻型牵引挂车 (C6).
    if ((held & A2) !== 0 && ageAtTrigger < 70) mask |= C6;
  }
  if (ageAtTrigger >= 70) {
    // Art 65 para 2: from 70, C3 C4 C6 D E may no longer be driven; D/E become F, C6 becomes C1.
    const before = mask;
    mask &= ~C3_C4_C6_D_E;
    if ((before & D_E) !== 0) mask |= F;
    if ((before & C6) !== 0) mask |= C1;
  }
  return mask;
}

/**
 * The classes after a downgrade at `ageAtTrigger` (RULES.md §4): the rule from 63 if the age is 63
 * or more, then the rule from 70 if it is 70 or more; other classes are kept. Canonical order.
 */
export function targetClassesAfter(classes: readonly LicenceClass[], ageAtTrigger: number): LicenceClass[] {
  return classesOf(targetMask(maskOf(classes), ageAtTrigger));
}

/** Age band of a date for §4, from day comparisons: only the thresholds 63 and 70 matter. */
function ageBand(day: number, age63: number, age70: number): number {
  if (day >= age70) return 70;
  return day >= age63 ? 63 : 0;
}

// ---------------------------------------------------------------------------------------------
// Screening

/** A downgrade case (Art 65): filed from the trigger day, due within 30 days, no lapse date. */
function downgradeCase(
  fileNumber: string,
  category: 'downgrade_63' | 'downgrade_70',
  trigger: number,
  asOf: number,
  target: number,
): ScreenedCase {
  const day = fromDayNumber(trigger);
  return {
    fileNumber,
    category,
    triggerOn: day,
    opensOn: day,
    dueOn: fromDayNumber(trigger + 30),
    lapsesOn: null,
    overdue: asOf > trigger + 30,
    targetClasses: classesOf(target),
    needsCognitiveTest: false,
    reason: null,
  };
}

/** A licence as the rules read it: dates as packed YYYYMMDD (0 for none), classes as a bit mask. */
export interface PackedLicence {
  fileNumber: string;
  birth: number;
  /** Bit i is LICENCE_CLASSES[i]. */
  classes: number;
  firstIssued: number;
  validUntil: number;
  extensionUntil: number;
  lastCert: number;
  active: boolean;
}

/** The screening date and settings, read once for a whole run. */
export interface ScreeningDay {
  /** Day number of D. */
  asOf: number;
  /** D + L. */
  horizon: number;
  renewalMinAge: number;
}

export function screeningDay(params: ScreeningParams): ScreeningDay {
  const asOf = dayOf(packed(params.asOf));
  return { asOf, horizon: asOf + params.leadDays, renewalMinAge: params.renewalMinAge };
}

const packedOrZero = (date: CivilDate | null): number => (date === null ? 0 : packed(date));

export function packLicence(licence: ScreeningLicence): PackedLicence {
  return {
    fileNumber: licence.fileNumber,
    birth: packed(licence.birthDate),
    classes: maskOf(licence.classes),
    firstIssued: packed(licence.firstIssuedOn),
    validUntil: packedOrZero(licence.validUntil),
    extensionUntil: packedOrZero(licence.extensionUntil),
    lastCert: packedOrZero(licence.lastCertSubmittedOn),
    active: licence.status === 'active',
  };
}

/** The class mask of a class code (`A1`, `C6`, `M`, ...) at `from` in `text`, spaces between classes; unknown codes count for nothing. */
export function classMaskAt(text: string, from: number, to: number): number {
  let mask = 0;
  let i = from;
  while (i < to) {
    const first = text.charCodeAt(i);
    const second = i + 1 < to ? text.charCodeAt(i + 1) : 32;
    const digit = second >= 48 && second <= 57;
    mask |= CLASS_CODE_BIT.get(digit ? first * 256 + second : first) ?? 0;
    i += digit ? 3 : 2;
  }
  return mask;
}

const CLASS_CODE_BIT = new Map(LICENCE_CLASSES.map((c, i) => [c.length === 2 ? c.charCodeAt(0) * 256 + c.charCodeAt(1) : c.charCodeAt(0), 1 << i]));

/**
 * Every flagged case of one licence on `params.asOf` (RULES.md §3), in the order of
 * CASE_CATEGORIES. A case is flagged once its trigger (for renewals: its opening) is within the
 * lead time L.
 */
export function screenLicence(licence: ScreeningLicence, params: ScreeningParams): ScreenedCase[] {
  const cases: ScreenedCase[] = [];
  screenPacked(packLicence(licence), screeningDay(params), cases);
  return cases;
}

/** screenLicence on a packed licence, its cases pushed to `cases` (a run screens a million licences without an allocation for most). */
export function screenPacked(licence: PackedLicence, params: ScreeningDay, cases: ScreenedCase[]): void {
  // RULES.md §3: cancelled and revoked licences are not screened.
  if (!licence.active) return;
  const asOf = params.asOf;
  const validUntilYmd = licence.validUntil === 0 ? null : licence.validUntil;
  // Art 79(8): a year after valid_until (from addYears(V, 1) + 1) the licence counts as cancelled.
  const expiryLapse = validUntilYmd === null ? null : dayOf(addYearsPacked(validUntilYmd, 1)) + 1;
  if (expiryLapse !== null && asOf >= expiryLapse) return;

  const horizon = params.horizon;
  const birth = licence.birth;
  const age63 = birthdayDay(birth, 63);
  const age70 = birthdayDay(birth, 70);
  const held = licence.classes;
  const fileNumber = licence.fileNumber;

  // Art 74, 79(9): from 70, a certificate within 30 days after each scoring cycle ends.
  // E* >= Bday(70), so nobody under 70 at the horizon needs the cycle search. No class matters.
  if (age70 <= horizon) {
    const cert = licence.lastCert === 0 ? null : dayOf(licence.lastCert);
    const end = annualExamCycleEndDay(licence.firstIssued, age70, cert, asOf);
    if (end <= horizon) {
      cases.push({
        fileNumber,
        category: 'annual_exam_70',
        triggerOn: fromDayNumber(end),
        opensOn: fromDayNumber(end + 1), // filed only after the cycle has ended (Art 74)
        dueOn: fromDayNumber(end + 30), // Art 74: within 30 days after the cycle ends
        lapsesOn: fromDayNumber(addYearsToDays(end, 1) + 1), // Art 79(9): a year without it
        overdue: asOf > end + 30,
        targetClasses: null,
        needsCognitiveTest: false,
        reason: null,
      });
    }
  }

  // Art 65 para 1: the trigger at 63, or the day after an approved extension ends.
  const trigger63 = licence.extensionUntil === 0 ? age63 : dayOf(licence.extensionUntil) + 1;

  // Art 65 para 1: from 63, an A1-B2 holder exchanges the licence within 30 days.
  if ((held & A1_TO_B2) !== 0 && trigger63 <= horizon) {
    cases.push(downgradeCase(fileNumber, 'downgrade_63', trigger63, asOf, targetMask(held, ageBand(trigger63, age63, age70))));
  }

  // Art 65 para 2: from 70, a C3 C4 C6 D E holder exchanges the licence within 30 days, unless
  // nothing would be left (then Art 79(10) below). age(Bday(70)) is exactly 70.
  const holdsC3ToE = (held & C3_C4_C6_D_E) !== 0;
  const target70 = holdsC3ToE ? targetMask(held, 70) : 0;
  if (holdsC3ToE && target70 !== 0 && age70 <= horizon) {
    cases.push(downgradeCase(fileNumber, 'downgrade_70', age70, asOf, target70));
  }

  // Art 79(10): nothing left to drive, so the licence is cancelled: a notice only, due at once.
  // Only M N P (at the downgrade_63 trigger), or nothing left after the rules at 70. The two are
  // exclusive (the second needs one of C3 C4 C6 D E). M N P beside other classes but no A1-B2
  // (e.g. C1 M) give no case at 63: Art 65 para 1 demands no exchange for them. [choice] A licence with no class at all is
  // not "only M N P": it gets no notice (the import rejects it anyway).
  const onlyMnp = held !== 0 && (held & ~M_N_P) === 0;
  const noticeOn = onlyMnp ? trigger63 : holdsC3ToE && target70 === 0 ? age70 : null;
  if (noticeOn !== null && noticeOn <= horizon) {
    const day = fromDayNumber(noticeOn);
    cases.push({
      fileNumber,
      category: 'cancellation_notice',
      triggerOn: day,
      opensOn: day,
      dueOn: day,
      lapsesOn: null,
      overdue: asOf > noticeOn,
      targetClasses: [],
      needsCognitiveTest: false,
      reason: onlyMnp ? 'only_mnp_at_63' : 'only_c3c4_at_70',
    });
  }

  // Art 63: renewal within the 90 days before valid_until; a long-term licence (null) never
  // expires. Outreach only from age R (RULES.md §1, configurable; 0 = every driver).
  if (validUntilYmd !== null && expiryLapse !== null) {
    const validUntil = dayOf(validUntilYmd);
    const oldEnough = params.renewalMinAge <= 0 || asOf >= birthdayDay(birth, params.renewalMinAge);
    if (oldEnough && validUntil - 90 <= horizon) {
      const day = fromDayNumber(validUntil);
      cases.push({
        fileNumber,
        category: 'expiry_renewal',
        triggerOn: day,
        opensOn: fromDayNumber(validUntil - 90), // Art 63: 有效期满前九十日内
        dueOn: day,
        lapsesOn: fromDayNumber(expiryLapse), // Art 79(8)
        overdue: asOf > validUntil,
        targetClasses: null,
        // Art 72 para 2, Art 73 para 3: a renewal is a review; from 70 it includes the 三力测试.
        needsCognitiveTest: validUntil >= age70,
        reason: null,
      });
    }
  }
}
