import { DeleteQueryNode, InsertQueryNode, SelectQueryNode, UpdateQueryNode, type RootOperationNode } from 'kysely';

/** What the SQLite drivers of both runtimes (sqlite3 on Node, D1 on Workers) share. */

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
