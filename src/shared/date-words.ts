import { addDays, isCivilDate, type CivilDate } from './civil-date.ts';

/**
 * Dates as people say them (issue 14): wherever a command or the API takes a date, it also takes
 * `today`, `tomorrow`, `yesterday` (or 今天, 明天, 昨天) and `+N` / `-N` days from today, so that a
 * walkthrough written once stays true on any day. "Today" is the calendar date in Asia/Shanghai
 * (RULES.md §1) of the service's clock, resolved when the request or command runs.
 */

/** What a date field accepts, in words for help texts and error messages. */
export const DATE_INPUT_FORMS = 'YYYY-MM-DD, today, tomorrow, yesterday or +N/-N days';

/** An offset of more than ten years is a typo, not a plan. */
const MAX_OFFSET_DAYS = 3660;

const WORDS: Readonly<Record<string, number>> = {
  today: 0,
  tomorrow: 1,
  yesterday: -1,
  今天: 0,
  明天: 1,
  昨天: -1,
};

const OFFSET = /^([+-])(\d{1,4})$/;

/** Days from today that a word or offset names; null for anything else (a plain date included). */
function offsetOf(value: string): number | null {
  const word = WORDS[value.trim().toLowerCase()];
  if (word !== undefined) return word;
  const m = OFFSET.exec(value.trim());
  if (!m) return null;
  const days = Number(m[2]);
  if (days > MAX_OFFSET_DAYS) return null;
  return m[1] === '-' ? -days : days;
}

/** True for a real date written YYYY-MM-DD, a date word, or an offset of at most ten years. */
export function isDateInput(value: string): boolean {
  return isCivilDate(value) || offsetOf(value) !== null;
}

/** The calendar date a date input names, counted from `today`; null when it names none. */
export function resolveDateInput(value: string, today: CivilDate): CivilDate | null {
  if (isCivilDate(value)) return value;
  const offset = offsetOf(value);
  return offset === null ? null : addDays(today, offset);
}
