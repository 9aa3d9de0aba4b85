import { formatYmd, isCivilDate, type CivilDate } from '../shared/civil-date.ts';
import type { Sex } from './licence.ts';

// GB 11643-1999 (RULES.md §6): weights of the first 17 digits and the check characters.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;

/** The check character for the first 17 digits of an ID number. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export type IdNumberProblem = 'format' | 'checksum' | 'birth_date';

export interface IdNumberInfo {
  /** Upper-case X. */
  idNumber: string;
  birthDate: CivilDate;
  /** Sequence digit 17: odd = male, even = female. */
  sex: Sex;
}

/**
 * Validates an 18-character resident ID number (GB 11643-1999, RULES.md §6).
 * A lower-case x is accepted; full-width digits, spaces and 15-digit numbers are not.
 * `today` bounds the embedded birth date: not in the future, not over 120 years back (§2).
 */
export function parseIdNumber(raw: string, today: CivilDate): IdNumberInfo | IdNumberProblem {
  const idNumber = idNumberOfShape(raw);
  if (idNumber === null) return 'format';
  if (idCheckCharacter(idNumber) !== idNumber[17]) return 'checksum';
  const birthDate = formatYmd(Number(idNumber.slice(6, 10)), Number(idNumber.slice(10, 12)), Number(idNumber.slice(12, 14)));
  if (!isCivilDate(birthDate) || birthDate > today) return 'birth_date';
  if (birthDate < oldestBirthDate(today)) return 'birth_date';
  return { idNumber, birthDate, sex: Number(idNumber[16]) % 2 === 1 ? 'M' : 'F' };
}

/** The ID number in its stored form (a final lower-case x made X) when it has the shape of one (17 digits and a digit or X), else null. */
export function idNumberOfShape(raw: string): string | null {
  const idNumber = raw.length === 18 && raw[17] === 'x' ? raw.slice(0, 17) + 'X' : raw;
  return SHAPE.test(idNumber) ? idNumber : null;
}

/** The earliest birth date an ID number may carry on `today`: 120 years back (RULES.md §2). */
export function oldestBirthDate(today: CivilDate): CivilDate {
  return `${String(Number(today.slice(0, 4)) - 120).padStart(4, '0')}${today.slice(4)}`;
}
