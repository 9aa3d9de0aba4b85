/**
 * Classifies drivers' answers to a notice (RULES.md §7): SMS replies and voice keypresses.
 *
 * Pure: no I/O and no clock. Relative dates (明天, 周三, 12月3日) are resolved against the `today`
 * the caller passes, a China Standard Time calendar date (RULES.md §1).
 *
 * The whole normalised message must be one keyword (plus, for a reschedule, a date part): drivers
 * answer in free text, and a keyword found inside a longer sentence ('我不确定', '12') is too often
 * the opposite of what they meant. Such messages are 'unknown' and get one short help reply.
 * `CANCEL` is deliberately nothing special: Twilio treats it as a global opt-out, so it must never
 * double as a decline keyword here.
 */

import { daysInMonth, formatYmd, fromDayNumber, isCivilDate, toDayNumber } from '../shared/civil-date.ts';

export type ReplyIntent = 'confirm' | 'decline' | 'reschedule' | 'opt_out' | 'help' | 'unknown';
export type PartOfDay = 'am' | 'pm';

export interface ParsedReply {
  intent: ReplyIntent;
  /** Reschedule only: the date the driver asked for, when they named one and it is a real date. */
  rescheduleOn?: string;
  /** Reschedule only: 上午/早上 → am, 下午 → pm. 中午 and 晚上 are accepted but carry no part of day. */
  partOfDay?: PartOfDay;
}

export type KeypressIntent = 'confirm' | 'decline' | 'reschedule' | 'repeat' | 'invalid';

// Keywords as they read after normalisation (letters upper-cased). Besides RULES.md §7's own
// keywords, we tolerate a few everyday variants that cannot mean anything else:
// 是的, 好的, 确定, 可以 (confirm) and 不用, 不要 (decline).
const CONFIRM = new Set(['1', '是', '确认', '好', '是的', '好的', '确定', '可以']);
const DECLINE = new Set(['2', '否', '不需要', '不用', '不要']);
const OPT_OUT = new Set(['TD', '退订', 'STOP']);
const HELP = new Set(['0', '帮助', 'HELP']);

const RESCHEDULE_KEYWORDS = ['改期', '3'];
// Words between the keyword and the date: 改期到12月3日, 3改为周三.
const CONNECTORS = ['改到', '改为', '改成', '到', '为'];
// Accepted on their own before a date (改到明天): the date makes the intent unambiguous.
const STANDALONE_CONNECTORS = ['改到', '改为', '改成'];

/** Voice keypress (<Gather> Digits): 1 confirm, 2 decline, 3 reschedule, 9 repeat, else invalid. */
export function parseKeypress(digits: string | undefined): KeypressIntent {
  switch (digits) {
    case '1':
      return 'confirm';
    case '2':
      return 'decline';
    case '3':
      return 'reschedule';
    case '9':
      return 'repeat';
    default:
      return 'invalid';
  }
}

/**
 * NFKC (full-width digits, letters and ？ become ASCII; U+3000 becomes a space), then drops white
 * space, invisible format characters (zero-width space/joiners, BOM) and punctuation or symbols,
 * ASCII and Chinese alike, and upper-cases letters. A `.`, `/` or `-` between two digits is kept:
 * it separates a date (12.3, 12/3, 12-3), and dropping it would turn '3 12.3' into '3123'.
 */
export function normaliseReply(text: string): string {
  const squeezed = stripInvisible(text.normalize('NFKC'));
  return squeezed.replace(/[\p{P}\p{S}]/gu, (ch, offset: number, whole: string) =>
    isDateSeparator(ch, whole[offset - 1], whole[offset + 1]) ? ch : '',
  ).toUpperCase();
}

/** Classifies a driver's SMS reply (RULES.md §7). `today` is `YYYY-MM-DD`, China time. */
export function parseReply(text: string, today: string): ParsedReply {
  if (!isCivilDate(today)) throw new RangeError(`today must be a YYYY-MM-DD date, got ${today}`);
  const normalised = normaliseReply(text);
  if (normalised === '') return { intent: isOnlyQuestionMarks(text) ? 'help' : 'unknown' };
  if (CONFIRM.has(normalised)) return { intent: 'confirm' };
  if (DECLINE.has(normalised)) return { intent: 'decline' };
  // [choice] 退订 anywhere in the message opts out ("我要退订"): an opt-out is honoured rather
  // than answered with help, since sending more to someone who asked to stop is the worse error.
  if (OPT_OUT.has(normalised) || normalised.includes('退订')) return { intent: 'opt_out' };
  if (HELP.has(normalised)) return { intent: 'help' };
  return parseReschedule(normalised, today) ?? { intent: 'unknown' };
}

function stripInvisible(text: string): string {
  // \s covers U+3000 and U+FEFF; \p{Cf} the zero-width characters; FE0F and 20E3 are the
  // presentation selector and keycap of emoji such as 1️⃣, which should read as a plain 1.
  return text.replace(/[\s\p{Cf}\p{Cc}\uFE0F\u20E3]/gu, '');
}

function isDateSeparator(ch: string, before: string | undefined, after: string | undefined): boolean {
  return (ch === '.' || ch === '/' || ch === '-') && isDigit(before) && isDigit(after);
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

// '?' and '？' are punctuation, so normalisation erases them; a message of nothing else asks for help.
function isOnlyQuestionMarks(text: string): boolean {
  return /^\?+$/.test(stripInvisible(text.normalize('NFKC')));
}

// ---------------------------------------------------------------------------------------------
// Reschedule: a keyword with an optional date part after it, or a date part before it.

/** What a date part said; `on` is null when the driver named an impossible date (2月30日). */
interface When {
  on?: string | null;
  partOfDay?: PartOfDay;
}

function parseReschedule(message: string, today: string): ParsedReply | undefined {
  for (const keyword of RESCHEDULE_KEYWORDS) {
    const after = message.startsWith(keyword) ? parseAfterKeyword(message.slice(keyword.length), today) : undefined;
    if (after) return rescheduleReply(after);
    const before = message.endsWith(keyword) ? parseWhenPart(message.slice(0, -keyword.length), today) : undefined;
    if (before) return rescheduleReply(before);
  }
  for (const connector of STANDALONE_CONNECTORS) {
    const when = message.startsWith(connector) ? parseWhenPart(message.slice(connector.length), today) : undefined;
    if (when) return rescheduleReply(when);
  }
  return undefined;
}

function parseAfterKeyword(rest: string, today: string): When | undefined {
  if (rest === '') return {};
  const connector = CONNECTORS.find((c) => rest.startsWith(c));
  return parseWhenPart(connector ? rest.slice(connector.length) : rest, today);
}

function rescheduleReply(when: When): ParsedReply {
  const reply: ParsedReply = { intent: 'reschedule' };
  if (when.on) reply.rescheduleOn = when.on;
  if (when.partOfDay) reply.partOfDay = when.partOfDay;
  return reply;
}

/** A non-empty date part: a date, a part of day, or a date followed by a part of day. Nothing else. */
function parseWhenPart(text: string, today: string): When | undefined {
  if (text === '') return undefined;
  const date = matchDate(text, today);
  const rest = date ? text.slice(date.length) : text;
  if (rest === '') return date ? { on: date.on } : undefined;
  const part = PARTS_OF_DAY.get(rest);
  if (part === undefined) return undefined;
  const when: When = date ? { on: date.on } : {};
  if (part !== 'ignored') when.partOfDay = part;
  return when;
}

// Visits are made in working hours, so 中午 and 晚上 are understood but not passed on: the
// office still gets the date, and agrees a time with the driver.
const PARTS_OF_DAY = new Map<string, PartOfDay | 'ignored'>([
  ['上午', 'am'],
  ['早上', 'am'],
  ['下午', 'pm'],
  ['中午', 'ignored'],
  ['晚上', 'ignored'],
]);

// ---------------------------------------------------------------------------------------------
// Dates

interface DateMatch {
  /** Characters of the text the date used. */
  length: number;
  /** The date, or null for a date-shaped text that is no real date. */
  on: string | null;
}

type DateReader = (m: RegExpExecArray, today: string) => string | null;

// Tried in order; each is anchored at the start of the text. 下周X comes before 周X, and dates
// with a year before those without, so that the longest reading wins.
const DATE_FORMS: ReadonlyArray<[RegExp, DateReader]> = [
  [/^(今天|明天|后天)/, (m, today) => fromDayNumber(toDayNumber(today) + (RELATIVE_DAYS[m[1] ?? ''] ?? 0))],
  [/^下(?:周|星期|礼拜)([一二三四五六日天七1-7])/, (m, today) => weekdayNextWeek(today, weekdayOf(m[1]))],
  [/^(?:周|星期|礼拜)([一二三四五六日天七1-7])/, (m, today) => weekdayAfter(today, weekdayOf(m[1]))],
  [/^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?/, (m) => realDate(num(m[1]), num(m[2]), num(m[3]))],
  [/^(\d{4})([./-])(\d{1,2})\2(\d{1,2})/, (m) => realDate(num(m[1]), num(m[3]), num(m[4]))],
  [/^(\d{1,2})月(\d{1,2})[日号]?/, (m, today) => dateWithoutYear(num(m[1]), num(m[2]), today)],
  [/^(\d{1,2})[./-](\d{1,2})/, (m, today) => dateWithoutYear(num(m[1]), num(m[2]), today)],
];

const RELATIVE_DAYS: Record<string, number> = { 今天: 0, 明天: 1, 后天: 2 };

// ISO weekday numbers, Monday = 1; 日, 天 and 七 all name Sunday.
const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7, 七: 7 };

function matchDate(text: string, today: string): DateMatch | undefined {
  for (const [pattern, read] of DATE_FORMS) {
    const m = pattern.exec(text);
    if (m) return { length: m[0].length, on: read(m, today) };
  }
  return undefined;
}

function num(digits: string | undefined): number {
  return Number(digits);
}

function weekdayOf(word: string | undefined): number {
  return WEEKDAYS[word ?? ''] ?? num(word);
}

/** ISO weekday (Monday = 1) of a day number; day 0, 1970-01-01, was a Thursday. */
function isoWeekday(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

/** The next such weekday strictly after today: on a Wednesday, 周三 is a week later. */
function weekdayAfter(today: string, weekday: number): string {
  const day = toDayNumber(today);
  const ahead = (weekday - isoWeekday(day) + 7) % 7;
  return fromDayNumber(day + (ahead === 0 ? 7 : ahead));
}

/** That weekday in the next calendar week (weeks start on Monday). */
function weekdayNextWeek(today: string, weekday: number): string {
  const day = toDayNumber(today);
  const nextMonday = day - isoWeekday(day) + 8;
  return fromDayNumber(nextMonday + weekday - 1);
}

/** This year, or next year when the month and day have already passed (the year turns over). */
function dateWithoutYear(month: number, day: number, today: string): string | null {
  const year = num(today.slice(0, 4));
  const todayMonth = num(today.slice(5, 7));
  const todayDay = num(today.slice(8, 10));
  const passed = month < todayMonth || (month === todayMonth && day < todayDay);
  return realDate(passed ? year + 1 : year, month, day);
}

function realDate(year: number, month: number, day: number): string | null {
  const real = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  return real ? formatYmd(year, month, day) : null;
}
