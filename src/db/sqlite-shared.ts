import {
  DeleteQueryNode,
  InsertQueryNode,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  UpdateQueryNode,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type RootOperationNode,
} from 'kysely';

/** What the SQLite dialects of both runtimes (sqlite3 on Node, D1 on Workers) share. */

/** Kysely's SQLite compiler, adapter and introspector; each dialect brings only its driver. */
export abstract class SqliteFamilyDialect implements Dialect {
  abstract createDriver(): Driver;

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** `streamQuery` for drivers that fetch all rows at once: the rows of `result` in chunks. */
export async function* inChunks<R>(result: Promise<QueryResult<R>>, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
  const { rows } = await result;
  for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
}

/** Whether a query hands back rows: decided from the query node, not by guessing from the SQL. */
export function returnsRows(query: RootOperationNode, sql: string): boolean {
  if (SelectQueryNode.is(query)) return true;
  if (InsertQueryNode.is(query) || UpdateQueryNode.is(query) || DeleteQueryNode.is(query)) {
    return query.returning !== undefined;
  }
  // Raw SQL: only the text is left to go by.
  return /^\s*(select|with|pragma|values|explain)\b/i.test(sql) || /\breturning\b/i.test(sql);
}

/**
 * What a driver binds: sqlite3 binds Date objects as numbers and D1 refuses them - we store ISO
 * strings (DESIGN.md); booleans as 1/0.
 */
export function toSqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
