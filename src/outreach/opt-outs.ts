import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { afterCursor, page } from '../http/pagination.ts';
import type { Role } from '../staff/permissions.ts';
import { nameFor, phoneFor } from './people-view.ts';

/** Who opted out (`TD`, 退订, STOP, or told staff), when and by which channel; newest first. */
export async function listOptOuts(db: Kysely<DB>, filter: { limit: number; cursor?: string | undefined }, role: Role) {
  let q = db
    .selectFrom('opt_outs as o')
    .leftJoin('licences as l', 'l.file_number', 'o.file_number')
    .select(['o.phone', 'o.at', 'o.channel', 'o.file_number', 'l.name'])
    .orderBy('o.at', 'desc')
    .orderBy('o.phone', 'desc')
    .limit(filter.limit + 1);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['o.at', 'o.phone'], 'desc'));
  const { items, nextCursor } = page(await q.execute(), filter.limit, (r) => [r.at, r.phone]);
  return {
    items: items.map((r) => ({
      ...phoneFor(r.phone, role),
      at: r.at,
      channel: r.channel,
      fileNumber: r.file_number,
      name: r.name === null ? null : nameFor(r.name, role),
    })),
    nextCursor,
  };
}

/** How many numbers opted out (the console's tab count). */
export async function countOptOuts(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('opt_outs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
