/**
 * How the console writes dates and times (DESIGN.md "Chinese first"): `2026年12月7日 星期一`,
 * `14:05`, always in Asia/Shanghai. Pure.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { toDayNumber, type CivilDate } from '../shared/civil-date.ts';
import { ZONE, todayIn } from '../shared/time.ts';

/** 1970-01-01 was a Thursday. */
const WEEKDAYS = ['星期四', '星期五', '星期六', '星期日', '星期一', '星期二', '星期三'];

/** `2026年12月7日 星期一`. */
export function longDate(date: CivilDate): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = WEEKDAYS[((toDayNumber(date) % 7) + 7) % 7]!;
  return `${y}年${m}月${d}日 ${weekday}`;
}

/** `2026年12月7日`: in tables, where the weekday would only widen a column. */
export function shortDate(date: CivilDate): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return `${y}年${m}月${d}日`;
}

/** `2026年12月7日 14:05` for an instant (UTC ISO string), in China Standard Time. */
export function dateTime(iso: string): string {
  const at = new Date(iso);
  return `${shortDate(todayIn(at))} ${format(new TZDate(at, ZONE), 'HH:mm')}`;
}

/** `1,234`: counts as staff read them. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `42.5%`, or `—` when there is nothing to divide by. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '—';
}
