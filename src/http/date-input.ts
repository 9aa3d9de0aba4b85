import { z } from '@hono/zod-openapi';
import type { CivilDate } from '../shared/civil-date.ts';
import { DATE_INPUT_FORMS, isDateInput, resolveDateInput } from '../shared/date-words.ts';
import { todayIn } from '../shared/time.ts';
import type { AppDeps } from './env.ts';

/**
 * A date parameter of the API: a real `YYYY-MM-DD`, or `today`, `tomorrow`, `+N`... (issue 14),
 * checked by the schema and turned into a date by `dateOf` with the service's clock.
 */
export function dateInput(description?: string) {
  return z
    .string()
    .refine(isDateInput, 'must_be_date_input')
    .openapi({ description: description ? `${description}. ${DATE_INPUT_FORMS}` : DATE_INPUT_FORMS, example: '2026-12-07' });
}

/** The calendar date a validated date input names, today being today in Asia/Shanghai. */
export function dateOf(deps: Pick<AppDeps, 'clock'>, value: string): CivilDate;
export function dateOf(deps: Pick<AppDeps, 'clock'>, value: string | undefined): CivilDate | undefined;
export function dateOf(deps: Pick<AppDeps, 'clock'>, value: string | undefined): CivilDate | undefined {
  if (value === undefined) return undefined;
  const date = resolveDateInput(value, todayIn(deps.clock.now()));
  // The schema let only date inputs through; reaching this is a route that skipped `dateInput`.
  if (date === null) throw new TypeError('dateOf: not a date input');
  return date;
}
