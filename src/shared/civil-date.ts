/**
 * Calendar dates as `YYYY-MM-DD` strings (RULES.md §1), with the arithmetic the rules need.
 *
 * Dates compare correctly as strings. Arithmetic goes through a day number (days since
 * 1970-01-01) so that screening a million licences stays cheap. date-fns' `addYears` maps
 * 29 February to 28 February; RULES.md §1 fixes 1 March instead, hence our own `addYears`.
 */

export type CivilDate = string;

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True for a real calendar date written `YYYY-MM-DD` (years 0001-9999). */
export function isCivilDate(value: string): boolean {
  const m = YMD.exec(value);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export function formatYmd(year: number, month: number, day: number): CivilDate {
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

function parts(date: CivilDate): [number, number, number] {
  // Fixed positions: the callers hold validated dates, and this is on the screening hot path.
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

/** Days since 1970-01-01 of a year, month and day (proleptic Gregorian; H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** The date of a day number as the integer YYYYMMDD (civil_from_days); cheap to compare and split. */
export function packedFromDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (month <= 2 ? 1 : 0)) * 10000 + month * 100 + day;
}

/** A validated `YYYY-MM-DD` as the integer YYYYMMDD, read without allocating. */
export function toPacked(date: CivilDate): number {
  return toPackedAt(date, 0);
}

/** toPacked of the date at `at` in a longer text (a page of records). */
export function toPackedAt(text: string, at: number): number {
  return (
    (text.charCodeAt(at) - 48) * 10_000_000 +
    (text.charCodeAt(at + 1) - 48) * 1_000_000 +
    (text.charCodeAt(at + 2) - 48) * 100_000 +
    (text.charCodeAt(at + 3) - 48) * 10_000 +
    (text.charCodeAt(at + 5) - 48) * 1_000 +
    (text.charCodeAt(at + 6) - 48) * 100 +
    (text.charCodeAt(at + 8) - 48) * 10 +
    (text.charCodeAt(at + 9) - 48)
  );
}

/** Day number of a packed date YYYYMMDD. */
export function daysFromPacked(ymd: number): number {
  return daysFromCivil(Math.floor(ymd / 10000), Math.floor(ymd / 100) % 100, ymd % 100);
}

/** Days since 1970-01-01. */
export function toDayNumber(date: CivilDate): number {
  const [year, month, day] = parts(date);
  return daysFromCivil(year, month, day);
}

export function fromDayNumber(days: number): CivilDate {
  const ymd = packedFromDays(days);
  if (ymd < 10_000_000) return formatYmd(Math.floor(ymd / 10000), Math.floor(ymd / 100) % 100, ymd % 100);
  // Years 1000-9999: eight digits, sliced (formatting is the hot spot of screening and demo data).
  const p = String(ymd);
  return `${p.slice(0, 4)}-${p.slice(4, 6)}-${p.slice(6)}`;
}

/** `addYears` on a packed date YYYYMMDD (same 29 February convention). */
export function addYearsPacked(ymd: number, years: number): number {
  const year = Math.floor(ymd / 10000) + years;
  const monthDay = ymd % 10000;
  return monthDay === 229 && !isLeapYear(year) ? year * 10000 + 301 : year * 10000 + monthDay;
}

/** `addYears` on a day number. */
export function addYearsToDays(days: number, years: number): number {
  return daysFromPacked(addYearsPacked(packedFromDays(days), years));
}

export function addDays(date: CivilDate, days: number): CivilDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  return toDayNumber(b) - toDayNumber(a);
}

/**
 * Same month and day `years` later; 29 February becomes 1 March in a common year
 * (RULES.md §1 [choice], the same convention as `ageOn`).
 */
export function addYears(date: CivilDate, years: number): CivilDate {
  const [y, m, d] = parts(date);
  const year = y + years;
  if (m === 2 && d === 29 && !isLeapYear(year)) return formatYmd(year, 3, 1);
  return formatYmd(year, m, d);
}

/** Completed years on `date` of someone born on `birth` (RULES.md §1; birthday counts). */
export function ageOn(birth: CivilDate, date: CivilDate): number {
  const [by] = parts(birth);
  const [y] = parts(date);
  const years = y - by;
  return addYears(birth, years) <= date ? years : years - 1;
}

/** Same day `months` later, clamped to the month's last day (31 August - 6 months = 28/29 February). */
export function addMonths(date: CivilDate, months: number): CivilDate {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return formatYmd(year, month, Math.min(d, daysInMonth(year, month)));
}
