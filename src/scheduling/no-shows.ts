/**
 * Visits where nobody was at the door (issue 16 "Follow-ups"): each driver went back to the
 * planner's pool when it was recorded (src/scheduling/visits.ts); this list lets the office see
 * who, and whether a new visit is planned yet.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { ACTIVE_VISIT_STATUSES } from '../db/schema/scheduling.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { fieldIssue, validationError } from '../errors.ts';
import { dateOf } from '../http/date-input.ts';
import { addDays, daysBetween, type CivilDate } from '../shared/civil-date.ts';
import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { todayIn } from '../shared/time.ts';
import type { NoShowReason } from './visits.ts';

/** The no-shows of a period, with the crew's reason and note (unsealed for who may read the list). */
export async function listNoShows(deps: { db: Kysely<DB>; cipher: PersonalDataCipher }, q: { from: CivilDate; to: CivilDate; limit: number; cursor?: string | undefined }) {
  let query = deps.db
    .selectFrom('visits as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .innerJoin('shifts as s', 's.id', 'v.shift_id')
    .innerJoin('field_staff as p', 'p.id', 's.postal_id')
    .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
    .select((eb) => [
      'v.id',
      'v.date',
      'v.window_start',
      'v.window_end',
      'v.closed_at',
      'v.file_number',
      'v.no_show_reason',
      'v.no_show_note',
      'l.name',
      'l.community',
      'p.name as postal_name',
      'e.name as examiner_name',
      // The driver's next visit, if one is planned or booked again since.
      eb
        .selectFrom('visits as n')
        .select('n.date')
        .whereRef('n.file_number', '=', 'v.file_number')
        .where('n.status', 'in', ACTIVE_VISIT_STATUSES)
        .orderBy('n.date')
        .limit(1)
        .as('next_date'),
    ])
    .where('v.status', '=', 'no_show')
    .where('v.date', '>=', q.from)
    .where('v.date', '<=', q.to)
    .orderBy('v.date', 'desc')
    .orderBy('v.id', 'desc')
    .limit(q.limit + 1);
  if (q.cursor) query = query.where(afterCursor(q.cursor, ['v.date', 'v.id'], 'desc'));
  const { items, nextCursor } = page(await query.execute(), q.limit, (r) => [r.date, r.id]);
  return {
    items: items.map((r) => ({
      visitId: r.id,
      date: r.date,
      window: `${r.window_start}-${r.window_end}`,
      recordedAt: r.closed_at,
      reason: r.no_show_reason as NoShowReason | null,
      note: r.no_show_note === null ? null : deps.cipher.decrypt(r.no_show_note),
      fileNumber: r.file_number,
      name: r.name,
      community: r.community,
      crew: { postal: r.postal_name, examiner: r.examiner_name },
      nextVisitOn: r.next_date,
    })),
    nextCursor,
  };
}
export type NoShowView = Awaited<ReturnType<typeof listNoShows>>['items'][number];

/** The period of a no-show list: the last two weeks unless given; at most a year. */
export function noShowPeriod(deps: Parameters<typeof dateOf>[0], q: { from?: string | undefined; to?: string | undefined }) {
  const to = dateOf(deps, q.to) ?? todayIn(deps.clock.now());
  const from = dateOf(deps, q.from) ?? addDays(to, -13);
  if (from > to || daysBetween(from, to) > 366) throw validationError([fieldIssue('from', 'bad_range', { key: 'bad_range' })]);
  return { from, to };
}

