/**
 * What one SQL statement may carry on a runtime's database, and so how the bulk paths (registry
 * staging, rejected rows, screening's staged cases) write their rows.
 *
 * - `values`: multi-row INSERTs of bound values, cut to `maxBoundParameters` (sqlite3: measured
 *   the fastest there, bench/README.md);
 * - `json`: the rows as one JSON parameter per statement, unpacked by `json_each` - for D1, where
 *   100 bound values (5 licences) a statement would make a city's import hundreds of thousands
 *   of statements, more than one invocation may send.
 */
export interface SqlLimits {
  /** Bound values per statement. */
  readonly maxBoundParameters: number;
  readonly bulk: { readonly form: 'values' } | { readonly form: 'json'; readonly rowsPerStatement: number };
}

/** A file through sqlite3: half of SQLite's 32,766, the block size measured for imports. */
export const SQLITE_LIMITS: SqlLimits = { maxBoundParameters: 16_000, bulk: { form: 'values' } };

/**
 * D1 allows 100 bound values per statement, 100 KB of SQL and 2 MB a value (Cloudflare's D1
 * limits; local D1 enforces them too). 1,000 sealed licences are about 0.4 MB of JSON.
 */
export const D1_LIMITS: SqlLimits = { maxBoundParameters: 100, bulk: { form: 'json', rowsPerStatement: 1000 } };

/** Rows of `columns` values that one bulk statement takes (at least one). */
export function rowsPerStatement(limits: SqlLimits, columns: number): number {
  if (limits.bulk.form === 'json') return limits.bulk.rowsPerStatement;
  return Math.max(1, Math.floor(limits.maxBoundParameters / columns));
}

/**
 * The row source of a JSON bulk statement: `SELECT <exprs> FROM json_each(?)`, where column k of
 * a row is `value ->> k` (a JSON string gives TEXT, a number INTEGER or REAL, null NULL, as bound
 * values would), wrapped by `wrap` (e.g. nullif for optional columns).
 */
export function jsonRowSource(columns: number, wrap: (expr: string, k: number) => string = (e) => e): string {
  return `SELECT ${Array.from({ length: columns }, (_, k) => wrap(`value ->> ${k}`, k)).join(', ')} FROM json_each(?)`;
}

/** A flat list of values, `columns` a row, as the JSON array of rows of a JSON bulk statement. */
export function jsonRows(flat: readonly unknown[], columns: number): string {
  const rows: unknown[][] = [];
  for (let i = 0; i < flat.length; i += columns) rows.push(flat.slice(i, i + columns));
  return JSON.stringify(rows);
}
