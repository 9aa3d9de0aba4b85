import type { CompiledQuery } from 'kysely';

/**
 * Compiled queries with their values written in: as one SQL script for `wrangler d1 execute
 * --file` (a Worker's database has no CLI of its own; README "On Cloudflare Workers"), and, by
 * `inline`, for the scripts of atomic's group commits (src/db/atomic.ts). Values are strings,
 * numbers or null, as every query of this project binds (DESIGN.md: no Date objects).
 */
export function sqlScript(queries: readonly CompiledQuery[]): string {
  return queries.map((q) => `${inline(q.sql, q.parameters)};\n`).join('');
}

/**
 * Thrown for a value that has no safe literal: a text with a NUL character (a script is a C
 * string: it would end there), a non-finite number, a Date (bound as ISO text by the drivers, see
 * toSqliteValue), bytes or an object. The caller binds the values instead.
 */
export class NoLiteral extends Error {
  override readonly name = 'NoLiteral';
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string' && !value.includes('\0')) return `'${value.replaceAll("'", "''")}'`;
  throw new NoLiteral(`cannot write a ${typeof value} into SQL`);
}

/** Each `?` outside quotes, in order, replaced by its value. */
export function inline(sql: string, parameters: readonly unknown[]): string {
  let out = '';
  let next = 0;
  let quote: string | null = null;
  let previous = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if ((previous === '-' && ch === '-') || (previous === '/' && ch === '*')) {
      // A comment could hide a quote or a placeholder from this scan.
      throw new NoLiteral('a comment in the SQL');
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      if (next >= parameters.length) throw new NoLiteral('more placeholders than values');
      out += literal(parameters[next++]);
    } else {
      out += ch;
    }
    previous = quote ? '' : ch;
  }
  if (next !== parameters.length) throw new NoLiteral('more values than placeholders');
  return out;
}
