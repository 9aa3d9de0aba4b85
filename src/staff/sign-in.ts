import { sql, type CompiledQuery } from 'kysely';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import { auditEntry } from './audit.ts';
import { hashIterations, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { endSessionsQuery, findStaffRowByUsername, getStaffRow, toStaffMember } from './repository.ts';
import { describeSession, newSessionQueries, type SessionDeps, type SessionInfo } from './sessions.ts';
import { normalizeUsername } from './usernames.ts';

/**
 * Signing in with a username and password (issue 15). An unknown username and a wrong password
 * get the same answer after the same work (one PBKDF2 derivation either way). After
 * SIGN_IN_LOCK_AFTER failures in a row an account is locked for SIGN_IN_LOCK_MINUTES; a success
 * resets the count. Per-client throttling is the edge's (src/http/auth-throttle.ts).
 */
export type SignInResult =
  | { ok: true; token: string; session: SessionInfo }
  | { ok: false; reason: 'invalid' | 'locked'; retryAfterSeconds?: number };

/** Longer input is no username or password of ours (passwords have at most 256 characters): not looked up. */
const MAX_INPUT_CHARS = 1024;

function secondsUntil(iso: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));
}

export async function signIn(
  deps: SessionDeps,
  input: { username: string; password: string; userAgent?: string | null },
): Promise<SignInResult> {
  const now = deps.clock.now();
  const tooLong = input.username.length > MAX_INPUT_CHARS || input.password.length > MAX_INPUT_CHARS;
  const row = tooLong ? null : await findStaffRowByUsername(deps.db, input.username);
  if (row?.locked_until && row.locked_until > now.toISOString()) {
    return { ok: false, reason: 'locked', retryAfterSeconds: secondsUntil(row.locked_until, now) };
  }
  const stored = row?.password_hash ?? null;
  // No account (or one without a password): the same derivation against nothing, so that the
  // time taken does not tell which usernames exist.
  const matches = stored !== null ? await verifyPassword(input.password, stored) : (await hashPassword(input.password.slice(0, MAX_INPUT_CHARS), deps.config.PASSWORD_PBKDF2_ITERATIONS), false);
  if (!row || stored === null || row.active !== 1) {
    await deps.atomic([auditEntry(deps, { staffId: null, action: 'staff.sign_in_failed', subject: row?.id ?? null, details: { reason: failureReason(row) } })]);
    return { ok: false, reason: 'invalid' };
  }
  if (!matches) return failedAttempt(deps, row.id);
  return succeeded(deps, { id: row.id, password: input.password, stored, userAgent: input.userAgent ?? null });
}

function failureReason(row: { password_hash: string | null; active: number } | null): string {
  if (!row) return 'unknown_username';
  if (row.password_hash === null) return 'no_password';
  return 'inactive';
}

/**
 * One more failure in a row, and the lock when it is the SIGN_IN_LOCK_AFTER-th, in one batch:
 * the count is kept in SQL, so concurrent attempts each count. A lock starts the count again.
 */
async function failedAttempt(deps: SessionDeps, staffId: string): Promise<SignInResult> {
  if (await countFailure(deps, staffId, 'wrong_password')) {
    return { ok: false, reason: 'locked', retryAfterSeconds: deps.config.SIGN_IN_LOCK_MINUTES * 60 };
  }
  return { ok: false, reason: 'invalid' };
}

/**
 * Counts a wrong password; true if it locked the account. A wrong current password on the change
 * form counts too, or a stolen session could try passwords at leisure; a lock it causes also ends
 * the account's sessions (the one trying among them).
 */
async function countFailure(deps: SessionDeps, staffId: string, reason: 'wrong_password' | 'wrong_current_password'): Promise<boolean> {
  const now = deps.clock.now();
  const lockedUntil = new Date(now.getTime() + deps.config.SIGN_IN_LOCK_MINUTES * 60_000).toISOString();
  const results = await deps.atomic([
    deps.db
      .updateTable('staff')
      .set({ failed_sign_ins: sql`failed_sign_ins + 1` })
      .where('id', '=', staffId)
      .compile(),
    deps.db
      .updateTable('staff')
      .set({ failed_sign_ins: 0, locked_until: lockedUntil })
      .where('id', '=', staffId)
      .where('failed_sign_ins', '>=', deps.config.SIGN_IN_LOCK_AFTER)
      .compile(),
    auditEntry(deps, { staffId: null, action: 'staff.sign_in_failed', subject: staffId, details: { reason } }),
    lockAuditIfLocked(deps, staffId, lockedUntil),
    ...(reason === 'wrong_current_password'
      ? [
          deps.db
            .updateTable('staff_sessions')
            .set({ ended_at: now.toISOString() })
            .where('staff_id', '=', staffId)
            .where('ended_at', 'is', null)
            // only if this batch's lock took, as the lock's audit entry
            .where((eb) =>
              eb.exists(
                eb.selectFrom('staff').select('id').where('id', '=', staffId).where('locked_until', '=', lockedUntil).where('failed_sign_ins', '=', 0),
              ),
            )
            .compile(),
        ]
      : []),
  ]);
  return Number(results[1]?.numAffectedRows ?? 0) === 1;
}

/** The lock's audit entry, written only if this batch's lock took (known only inside the batch). */
function lockAuditIfLocked(deps: SessionDeps, staffId: string, lockedUntil: string): CompiledQuery {
  const details = JSON.stringify({ lockedUntil, after: deps.config.SIGN_IN_LOCK_AFTER });
  const id = deps.ids.next();
  const at = deps.clock.now().toISOString();
  return deps.db
    .insertInto('audit_log')
    .columns(['id', 'at', 'staff_id', 'action', 'subject', 'details'])
    .expression((eb) =>
      eb
        .selectFrom('staff')
        .select((s) => [
          s.val(id).as('id'),
          s.val(at).as('at'),
          sql<string | null>`NULL`.as('staff_id'),
          s.val('staff.lock').as('action'),
          s.val(staffId).as('subject'),
          s.val(details).as('details'),
        ])
        .where('id', '=', staffId)
        .where('locked_until', '=', lockedUntil)
        .where('failed_sign_ins', '=', 0),
    )
    .compile();
}

async function succeeded(
  deps: SessionDeps,
  input: { id: string; password: string; stored: string; userAgent: string | null },
): Promise<SignInResult> {
  const at = deps.clock.now().toISOString();
  // A hash made with fewer iterations than configured now is made again while the password is at hand.
  const rehash = (hashIterations(input.stored) ?? 0) < deps.config.PASSWORD_PBKDF2_ITERATIONS;
  const passwordHash = rehash ? await hashPassword(input.password, deps.config.PASSWORD_PBKDF2_ITERATIONS) : input.stored;
  const s = await newSessionQueries(deps, input.id, { userAgent: input.userAgent });
  await deps.atomic([
    deps.db
      .updateTable('staff')
      .set({ failed_sign_ins: 0, locked_until: null, last_sign_in_at: at, password_hash: passwordHash })
      .where('id', '=', input.id)
      .compile(),
    ...s.queries,
    auditEntry(deps, { staffId: input.id, action: 'staff.sign_in', subject: input.id, details: { sessionId: s.sessionId, rehashed: rehash } }),
  ]);
  const row = await getStaffRow(deps.db, input.id);
  if (!row || row.active !== 1) return { ok: false, reason: 'invalid' };
  const session = await describeSession(deps, toStaffMember(row, deps.clock.now()), { ...s, lastSeenAt: s.startedAt });
  return { ok: true, token: s.token, session };
}

/**
 * A person changes their own password: the current one must be right, the new one acceptable
 * (passwordProblem) and different. Every session of the account ends, this one too: the caller
 * starts a new one (startSession) or sends the person to sign in again.
 */
export async function changePassword(deps: SessionDeps, input: { staffId: string; current: string; next: string }): Promise<void> {
  const row = await getStaffRow(deps.db, input.staffId);
  if (!row || row.active !== 1) throw AppError.keyed('not_found', { key: 'unknown_staff' });
  const issues: FieldIssue[] = [];
  if (row.password_hash === null || row.username === null) {
    issues.push(fieldIssue('current', 'password_not_set', { key: 'password_not_set' }));
  } else if (row.locked_until && row.locked_until > deps.clock.now().toISOString()) {
    issues.push(fieldIssue('current', 'account_locked', { key: 'account_locked' }));
  } else if (input.current.length > MAX_INPUT_CHARS || !(await verifyPassword(input.current, row.password_hash))) {
    const locked = await countFailure(deps, row.id, 'wrong_current_password');
    issues.push(locked ? fieldIssue('current', 'account_locked', { key: 'account_locked' }) : fieldIssue('current', 'password_wrong', { key: 'password_wrong' }));
  }
  const problem = passwordProblem(input.next, row.username ?? undefined);
  if (problem) issues.push(fieldIssue('next', problem, { key: problem }));
  else if (input.next === input.current) issues.push(fieldIssue('next', 'password_unchanged', { key: 'password_unchanged' }));
  if (issues.length > 0) throw validationError(issues);
  await setPassword(deps, { staffId: row.id, password: input.next, by: row.id, action: 'staff.password_change' });
}

/**
 * An administrator (or the CLI, `staff password`) sets a new password for an account with a
 * username: the lock and failure count are cleared and every session ends. Returns how many.
 */
export async function resetPassword(deps: SessionDeps, input: { username: string; password: string; by: string | null }): Promise<{ staffId: string; endedSessions: number }> {
  const row = await findStaffRowByUsername(deps.db, input.username);
  if (!row) throw validationError([fieldIssue('username', 'unknown_username', { key: 'unknown_username' })]);
  const problem = passwordProblem(input.password, row.username ?? normalizeUsername(input.username));
  if (problem) throw validationError([fieldIssue('password', problem, { key: problem })]);
  const endedSessions = await setPassword(deps, { staffId: row.id, password: input.password, by: input.by, action: 'staff.password_reset' });
  return { staffId: row.id, endedSessions };
}

async function setPassword(
  deps: SessionDeps,
  input: { staffId: string; password: string; by: string | null; action: 'staff.password_change' | 'staff.password_reset' },
): Promise<number> {
  const at = deps.clock.now().toISOString();
  const hash = await hashPassword(input.password, deps.config.PASSWORD_PBKDF2_ITERATIONS);
  const results = await deps.atomic([
    deps.db
      .updateTable('staff')
      .set({ password_hash: hash, password_changed_at: at, failed_sign_ins: 0, locked_until: null })
      .where('id', '=', input.staffId)
      .compile(),
    endSessionsQuery(deps, input.staffId),
    auditEntry(deps, { staffId: input.by, action: input.action, subject: input.staffId }),
  ]);
  return Number(results[1]?.numAffectedRows ?? 0);
}
