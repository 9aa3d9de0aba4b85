import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { StaffRow } from '../db/schema/staff.ts';
import type { Role } from './permissions.ts';
import { hashToken, newToken, tokenMatchesHash } from './tokens.ts';
import { auditEntry } from './audit.ts';
import type { Atomic, Clock, Ids } from '../ports.ts';

export interface StaffMember {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: string;
}

export function toStaffMember(row: StaffRow): StaffMember {
  return { id: row.id, name: row.name, role: row.role, active: row.active === 1, createdAt: row.created_at };
}

export async function findStaffByToken(db: Kysely<DB>, token: string): Promise<StaffMember | null> {
  const row = await db
    .selectFrom('staff')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('active', '=', 1)
    .executeTakeFirst();
  return row && tokenMatchesHash(token, row.token_hash) ? toStaffMember(row) : null;
}

export async function listStaff(db: Kysely<DB>): Promise<StaffMember[]> {
  const rows = await db.selectFrom('staff').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toStaffMember);
}

/** Creates an account with its token, audited in the same batch. The token is returned once. */
export async function addStaff(
  deps: { db: Kysely<DB>; atomic: Atomic; clock: Clock; ids: Ids },
  input: { name: string; role: Role; createdBy: string | null },
): Promise<{ staff: StaffMember; token: string }> {
  const token = newToken();
  const at = deps.clock.now().toISOString();
  const id = deps.ids.next();
  await deps.atomic([
    deps.db
      .insertInto('staff')
      .values({ id, name: input.name, role: input.role, token_hash: hashToken(token), active: 1, created_at: at })
      .compile(),
    auditEntry(deps, { staffId: input.createdBy, action: 'staff.add', subject: id, details: { role: input.role } }),
  ]);
  return { staff: { id, name: input.name, role: input.role, active: true, createdAt: at }, token };
}
