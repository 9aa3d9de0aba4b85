import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { afterCursor } from '../http/pagination.ts';
import type { CasesFilter } from './routes.ts';

/** One page (+1 row, to tell whether another follows) of cases with their driver, by (due_on, id). */
export async function listCases(db: Kysely<DB>, filter: CasesFilter) {
  let q = db
    .selectFrom('cases')
    .innerJoin('licences', 'licences.file_number', 'cases.file_number')
    .selectAll('cases')
    .select([
      'licences.name', 'licences.phone', 'licences.address', 'licences.community', 'licences.id_masked',
      'licences.birth_date', 'licences.sex', 'licences.classes',
    ])
    .orderBy('cases.due_on')
    .orderBy('cases.id')
    .limit(filter.limit + 1);
  if (filter.status !== 'all') q = q.where('cases.status', '=', filter.status);
  if (filter.category) q = q.where('cases.category', '=', filter.category);
  if (filter.overdue !== undefined) q = q.where('cases.overdue', '=', filter.overdue ? 1 : 0);
  if (filter.community) q = q.where('licences.community', '=', filter.community);
  if (filter.dueBefore) q = q.where('cases.due_on', '<', filter.dueBefore);
  if (filter.dueAfter) q = q.where('cases.due_on', '>', filter.dueAfter);
  if (filter.fileNumber) q = q.where('cases.file_number', '=', filter.fileNumber);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['cases.due_on', 'cases.id'], 'asc'));
  return q.execute();
}
