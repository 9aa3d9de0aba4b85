import type { CompiledQuery, Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { DB } from '../db/schema/index.ts';
import type { StaffRow } from '../db/schema/staff.ts';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import type { Role } from './permissions.ts';
import { DEFAULT_PBKDF2_ITERATIONS, hashPassword, passwordProblem } from './passwords.ts';
import { hashToken, newToken, tokenMatchesHash } from './tokens.ts';
import { auditEntry } from './audit.ts';
import { normalizeUsername, usernameProblem } from './usernames.ts';
import type { Atomic, Clock, Ids } from '../ports.ts';

export interface StaffMember {
  id: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: string;
  /** The sign-in name (lower-case); null for an account with an API token only. */
  username: string | null;
  /** Whether the account can sign in with a password. */
  hasPassword: boolean;
  /** Until when sign-in is refused after repeated failures; null when not locked. */
  lockedUntil: string | null;
  lastSignInAt: string | null;
  passwordChangedAt: string | null;
}

type WriteDeps = { db: Kysely<DB>; atomic: Atomic; clock: Clock; ids: Ids };

/** `now` given: a lock already over reads as none. */
export function toStaffMember(row: StaffRow, now?: Date): StaffMember {
  const locked = row.locked_until !== null && (now === undefined || row.locked_until > now.toISOString());
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    active: row.active === 1,
    createdAt: row.created_at,
    username: row.username,
    hasPassword: row.password_hash !== null,
    lockedUntil: locked ? row.locked_until : null,
    lastSignInAt: row.last_sign_in_at,
    passwordChangedAt: row.password_changed_at,
  };
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

export async function getStaffRow(db: Kysely<DB>, id: string): Promise<StaffRow | null> {
  return (await db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The account of a username, any case; null when none. */
export async function findStaffRowByUsername(db: Kysely<DB>, username: string): Promise<StaffRow | null> {
  const row = await db.selectFrom('staff').selectAll().where('username', '=', normalizeUsername(username)).executeTakeFirst();
  return row ?? null;
}

export async function listStaff(db: Kysely<DB>, now?: Date): Promise<StaffMember[]> {
  const rows = await db.selectFrom('staff').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => toStaffMember(r, now));
}

/** Ends every open session of an account (sign out everywhere, deactivation, a new password). */
export function endSessionsQuery(deps: { db: Kysely<DB>; clock: Clock }, staffId: string): CompiledQuery {
  return deps.db
    .updateTable('staff_sessions')
    .set({ ended_at: deps.clock.now().toISOString() })
    .where('staff_id', '=', staffId)
    .where('ended_at', 'is', null)
    .compile();
}

/** The username and password of a new account, checked (400 naming the field, 409 if taken). */
async function checkLogin(
  db: Kysely<DB>,
  input: { username?: string | undefined; password?: string | undefined },
): Promise<{ username: string | null; password: string | null }> {
  const issues: FieldIssue[] = [];
  const username = input.username === undefined ? null : normalizeUsername(input.username);
  const badName = username === null ? null : usernameProblem(username);
  if (badName) issues.push(fieldIssue('username', badName, { key: badName }));
  if (input.password !== undefined) {
    const badPassword = username === null ? 'password_needs_username' : passwordProblem(input.password, username);
    if (badPassword) issues.push(fieldIssue('password', badPassword, { key: badPassword }));
  }
  if (issues.length > 0) throw validationError(issues);
  // Before any hashing: a taken name costs no PBKDF2 work.
  if (username !== null && (await findStaffRowByUsername(db, username))) throw AppError.keyed('conflict', { key: 'username_taken' });
  return { username, password: input.password ?? null };
}

function usernameTaken(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed: staff\.username/.test(err.message);
}

/**
 * Creates an account with its API token, audited in the same batch. The token is returned once.
 * A username (and a password) lets a person sign in to the console too (issue 15).
 */
export async function addStaff(
  deps: WriteDeps & { config?: Pick<Config, 'PASSWORD_PBKDF2_ITERATIONS'> },
  input: { name: string; role: Role; createdBy: string | null; username?: string | undefined; password?: string | undefined },
): Promise<{ staff: StaffMember; token: string }> {
  const checked = await checkLogin(deps.db, input);
  const iterations = deps.config?.PASSWORD_PBKDF2_ITERATIONS ?? DEFAULT_PBKDF2_ITERATIONS;
  const login = { username: checked.username, passwordHash: checked.password === null ? null : await hashPassword(checked.password, iterations) };
  const token = newToken();
  const at = deps.clock.now().toISOString();
  const id = deps.ids.next();
  const row: StaffRow = {
    id,
    name: input.name,
    role: input.role,
    token_hash: hashToken(token),
    active: 1,
    created_at: at,
    username: login.username,
    password_hash: login.passwordHash,
    failed_sign_ins: 0,
    locked_until: null,
    password_changed_at: login.passwordHash === null ? null : at,
    last_sign_in_at: null,
  };
  try {
    await deps.atomic([
      deps.db.insertInto('staff').values(row).compile(),
      auditEntry(deps, {
        staffId: input.createdBy,
        action: 'staff.add',
        subject: id,
        details: { role: input.role, username: login.username !== null, password: login.passwordHash !== null },
      }),
    ]);
  } catch (err) {
    // Two requests for one username at once: the second meets the UNIQUE key.
    if (usernameTaken(err)) throw AppError.keyed('conflict', { key: 'username_taken' });
    throw err;
  }
  return { staff: toStaffMember(row), token };
}

async function existingStaff(db: Kysely<DB>, id: string): Promise<StaffRow> {
  const row = await getStaffRow(db, id);
  if (!row) throw AppError.keyed('not_found', { key: 'unknown_staff' });
  return row;
}

/**
 * Deactivates an account: its sessions end and its API token stops working (findStaffByToken and
 * sessionByToken read `active`). An admin cannot deactivate their own account (no lock-out by a slip).
 */
export async function deactivateStaff(deps: WriteDeps, input: { id: string; by: string | null }): Promise<StaffMember> {
  if (input.id === input.by) throw AppError.keyed('conflict', { key: 'cannot_deactivate_self' });
  await existingStaff(deps.db, input.id);
  await deps.atomic([
    deps.db.updateTable('staff').set({ active: 0 }).where('id', '=', input.id).compile(),
    endSessionsQuery(deps, input.id),
    auditEntry(deps, { staffId: input.by, action: 'staff.deactivate', subject: input.id }),
  ]);
  return toStaffMember(await existingStaff(deps.db, input.id), deps.clock.now());
}

export async function activateStaff(deps: WriteDeps, input: { id: string; by: string | null }): Promise<StaffMember> {
  await existingStaff(deps.db, input.id);
  await deps.atomic([
    deps.db.updateTable('staff').set({ active: 1 }).where('id', '=', input.id).compile(),
    auditEntry(deps, { staffId: input.by, action: 'staff.activate', subject: input.id }),
  ]);
  return toStaffMember(await existingStaff(deps.db, input.id), deps.clock.now());
}

/** A new API token for an account, returned once; the previous one stops working at once. */
export async function issueToken(deps: WriteDeps, input: { id: string; by: string | null }): Promise<{ staff: StaffMember; token: string }> {
  await existingStaff(deps.db, input.id);
  const token = newToken();
  await deps.atomic([
    deps.db.updateTable('staff').set({ token_hash: hashToken(token) }).where('id', '=', input.id).compile(),
    auditEntry(deps, { staffId: input.by, action: 'staff.token_issue', subject: input.id }),
  ]);
  return { staff: toStaffMember(await existingStaff(deps.db, input.id), deps.clock.now()), token };
}
