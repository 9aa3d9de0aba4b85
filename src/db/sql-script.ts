import type { CompiledQuery } from 'kysely';

/**
 * Compiled queries as one SQL script with their values written in, for `wrangler d1 execute
 * --file` (a Worker's database has no CLI of its own; README "On Cloudflare Workers"). Values are
 * strings, numbers or null, as every query of this project binds (DESIGN.md: no Date objects).
 */
export function sqlScript(queries: readonly CompiledQuery[]): string {
  return queries.map((q) => `${inline(q.sql, q.parameters)};\n`).join('');
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  throw new Error(`cannot write a ${typeof value} into SQL`);
}

/** Each `?` outside quotes, in order, replaced by its value. */
function inline(sql: string, parameters: readonly unknown[]): string {
  let out = '';
  let next = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      if (next >= parameters.length) throw new Error('more placeholders than values');
      out += literal(parameters[next++]);
    } else {
      out += ch;
    }
  }
  if (next !== parameters.length) throw new Error('more values than placeholders');
  return out;
}
