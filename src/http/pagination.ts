import { z } from '@hono/zod-openapi';
import { sql, type RawBuilder } from 'kysely';
import { fieldIssue, validationError } from '../errors.ts';

/** `?limit=&cursor=` answered with `{ items, nextCursor }` (issue 2). */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: 'Items per page (1-500, default 50)' }),
  cursor: z.string().max(500).optional().openapi({ description: 'nextCursor of the previous page' }),
};

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The sort key a cursor carries; a cursor that was not ours is a 400 naming the field. */
export function decodeCursor<T extends readonly (string | number)[]>(cursor: string, arity: number): T {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string' || typeof k === 'number')) {
      return key as unknown as T;
    }
  } catch {
    // fall through
  }
  throw validationError([fieldIssue('cursor', 'invalid_cursor', { key: 'invalid_cursor' })]);
}

/** Given `limit + 1` rows, the page and the cursor of the next one. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => readonly (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** The response of a paged list: `{ items, nextCursor }`. */
export function pageSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * The keyset condition for the page after `cursor`, for a list ordered by `columns` (all in one
 * direction): a row-value comparison, `(due_on, id) > (?, ?)`.
 */
export function afterCursor(cursor: string, columns: readonly string[], direction: 'asc' | 'desc'): RawBuilder<boolean> {
  const key = decodeCursor(cursor, columns.length);
  const refs = sql.join(columns.map((c) => sql.ref(c)));
  return sql<boolean>`(${refs}) ${sql.raw(direction === 'asc' ? '>' : '<')} (${sql.join(key)})`;
}
