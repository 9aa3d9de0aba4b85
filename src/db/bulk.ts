import { CompiledQuery } from 'kysely';
import { jsonRowSource, rowsPerStatement, type SqlLimits } from './limits.ts';

/**
 * Multi-row INSERTs for bulk paths (imports, screening runs). Kysely builds a node per value,
 * which costs more than the insert itself for a million rows; here the SQL text is built once
 * per shape and only the parameters change, so the driver's statement cache reuses it.
 * (Measured on sqlite3 against one JSON parameter unpacked by `json_each`, and against inlined
 * literals: bound parameters were faster than JSON and need no escaping. D1 takes 100 bound
 * values a statement, so there the rows go as JSON after all: SqlLimits.bulk.)
 */
const sqlCache = new Map<string, string>();

function insertSql(table: string, columns: readonly string[], rows: number, suffix: string): string {
  const key = `${table}|${columns.join(',')}|${rows}|${suffix}`;
  let text = sqlCache.get(key);
  if (!text) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}${suffix}`;
    sqlCache.set(key, text);
  }
  return text;
}

/** The JSON form (SqlLimits): one parameter, the rows as a JSON array of arrays. `WHERE true`: an upsert's ON CONFLICT after a SELECT needs it. */
function jsonInsertSql(table: string, columns: readonly string[], suffix: string): string {
  return `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) ${jsonRowSource(columns.length)} WHERE true${suffix}`;
}

/**
 * INSERT statements for `rows` (each an array of values in `columns` order), split to fit the
 * database's bound-value limit. `suffix` is appended to each (e.g. an ON CONFLICT clause).
 */
export function bulkInsert(
  limits: SqlLimits,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  suffix = '',
): CompiledQuery[] {
  const size = rowsPerStatement(limits, columns.length);
  const queries: CompiledQuery[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    queries.push(
      limits.bulk.form === 'json'
        ? CompiledQuery.raw(jsonInsertSql(table, columns, suffix), [JSON.stringify(chunk)])
        : CompiledQuery.raw(insertSql(table, columns, chunk.length, suffix), chunk.flat()),
    );
  }
  return queries;
}
