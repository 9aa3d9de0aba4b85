import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import type { CivilDate } from './civil-date.ts';

/** Every calendar date of the service is a date in China Standard Time (RULES.md §1). */
export const ZONE = 'Asia/Shanghai';

/** The calendar date in Asia/Shanghai at the instant `now`. */
export function todayIn(now: Date): CivilDate {
  return format(new TZDate(now, ZONE), 'yyyy-MM-dd');
}

/** The instant of a wall-clock time `HH:MM` on `date` in Asia/Shanghai. */
export function instantAt(date: CivilDate, hhmm: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  return new Date(new TZDate(y, m - 1, d, hh, mm, 0, ZONE).getTime());
}
