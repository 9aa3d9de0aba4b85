/**
 * What one SQL statement may carry on a runtime's database. The bulk paths (registry staging,
 * rejected rows, screening's staged cases) cut their multi-row INSERTs to fit.
 */
export interface SqlLimits {
  /** Bound values per bulk statement. */
  readonly maxBoundParameters: number;
}

/** A file through sqlite3: half of SQLite's 32,766, the block size measured for imports. */
export const SQLITE_LIMITS: SqlLimits = { maxBoundParameters: 16_000 };

/** D1 allows 100 bound values per statement (Cloudflare's D1 limits; local D1 enforces them too). */
export const D1_LIMITS: SqlLimits = { maxBoundParameters: 100 };

/** Rows of `columns` values that fit one statement (at least one). */
export function rowsPerStatement(limits: SqlLimits, columns: number): number {
  return Math.max(1, Math.floor(limits.maxBoundParameters / columns));
}
