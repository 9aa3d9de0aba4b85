import type { CompiledQuery } from 'kysely';
import type { Config } from '../config.ts';
import { openNodeDatabase } from '../db/open-node.ts';
import { sqlScript } from '../db/sql-script.ts';
import { randomIds, systemClock, type Atomic } from '../ports.ts';
import { addStaff } from './repository.ts';

type StaffInput = Parameters<typeof addStaff>[1];

/**
 * An account as the SQL that creates it, for a Worker's D1 database, which no CLI can open
 * (`staff add --d1-sql FILE`, then `wrangler d1 execute ... --file FILE`). Made by the same
 * addStaff, with its checks, hashing and audit entry, over a throwaway migrated database; a
 * username the Worker's database already has is refused there, by its unique index.
 */
export async function staffAsSql(config: Pick<Config, 'PASSWORD_PBKDF2_ITERATIONS'>, input: StaffInput): Promise<Awaited<ReturnType<typeof addStaff>> & { script: string }> {
  const database = await openNodeDatabase(':memory:');
  try {
    const written: CompiledQuery[] = [];
    const atomic: Atomic = (queries) => {
      written.push(...queries);
      return database.atomic(queries);
    };
    const created = await addStaff({ db: database.db, atomic, clock: systemClock, ids: randomIds, config }, input);
    return { ...created, script: sqlScript(written) };
  } finally {
    await database.close();
  }
}
