/** The planning pages' small shared pieces: words, paths, the week arithmetic, form text. Pure but for formText. */
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { addDays, isCivilDate, toDayNumber, type CivilDate } from '../../shared/civil-date.ts';
import { withQuery } from '../components/table.tsx';

export const FIELD_KIND_LABELS: Record<'postal' | 'examiner', string> = { postal: '邮政投递员', examiner: '体检医生' };

export const SHIFTS_PATH = '/console/shifts';

export const shiftsPath = (query: { week?: string | undefined; person?: string | undefined }) => withQuery(SHIFTS_PATH, query);
export const shiftPath = (id: string) => `${SHIFTS_PATH}/${encodeURIComponent(id)}`;

/** The Monday of a date's week (weeks start on Monday in China); 1970-01-01 was a Thursday. */
export function mondayOf(date: CivilDate): CivilDate {
  const weekday = (((toDayNumber(date) + 3) % 7) + 7) % 7; // 0 = Monday
  return addDays(date, -weekday);
}

/** The week a `?week=` names (any day of it), or this week when it names none. */
export function weekOf(value: string | undefined, today: CivilDate): CivilDate {
  return mondayOf(value && isCivilDate(value) ? value : today);
}

export const weekDays = (monday: CivilDate): CivilDate[] => Array.from({ length: 7 }, (_, i) => addDays(monday, i));

export type FormText = (name: string) => string;

/** A posted form's text fields (a missing one is empty). */
export async function formText(c: Context<AppEnv>): Promise<FormText> {
  const form = await c.req.parseBody();
  return (name) => (typeof form[name] === 'string' ? (form[name] as string).slice(0, 2000) : '');
}
