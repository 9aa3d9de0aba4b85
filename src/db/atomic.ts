import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Atomic } from '../ports.ts';

/**
 * The Node implementation of the `atomic` port (DESIGN.md "Atomic writes as batches"): the
 * compiled queries run in one SQLite transaction, all or nothing. On D1 the same list becomes
 * one `batch()`. This is the only place outside src/db that may open a transaction.
 */
export function kyselyAtomic(db: Kysely<any>): Atomic {
  return async (queries) => {
    if (queries.length === 0) return [];
    return db.transaction().execute(async (trx) => {
      const results: QueryResult<unknown>[] = [];
      for (const q of queries) results.push(await trx.executeQuery(q as CompiledQuery<unknown>));
      return results;
    });
  };
}
