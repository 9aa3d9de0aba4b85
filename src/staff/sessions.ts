import type { CompiledQuery } from 'kysely';
import type { AppDeps } from '../http/env.ts';
import { AppError } from '../errors.ts';
import { auditEntry } from './audit.ts';
import { endSessionsQuery, getStaffRow, toStaffMember, type StaffMember } from './repository.ts';

/**
 * Console sessions (issue 15): a cookie holds a random token; the database holds only its SHA-256,
 * so a copy of the database opens no session. A session ends when signed out, when unused for
 * SESSION_IDLE_MINUTES, SESSION_MAX_HOURS after its sign-in, or when its account is deactivated.
 * WebCrypto only: the same code runs on Node and Workers.
 */
export const SESSION_COOKIE = 'sdc_session';

export interface SessionInfo {
  staff: StaffMember;
  /** Names the session (lists, audit); not a secret. */
  sessionId: string;
  /** The session's CSRF token, derived from its token (the same on every runtime), never stored. */
  csrfToken: string;
  /** The absolute end (SESSION_MAX_HOURS after the sign-in). */
  expiresAt: string;
  /** The end if unused from now on (last use + SESSION_IDLE_MINUTES), never after expiresAt. */
  idleExpiresAt: string;
  startedAt: string;
}

export type SessionDeps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config'>;

/** last_seen_at is written at most this often: a page with ten requests is one write, not ten. */
const TOUCH_EVERY_MS = 60_000;
/** 32 random bytes in base64url are 43 characters; anything else is not a session token. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** What is stored of a session token: its SHA-256 in hex (as API tokens, src/staff/tokens.ts). */
export async function sessionTokenHash(token: string): Promise<string> {
  return Array.from(await sha256(token), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The CSRF token of a session: SHA-256 of 'csrf:' + its token, base64url. */
export async function csrfTokenOf(token: string): Promise<string> {
  return base64url(await sha256(`csrf:${token}`));
}

/** 'Chrome on Windows': enough to tell one's own sessions apart, without storing the raw header. */
export function userAgentSummary(header: string | undefined): string | null {
  if (!header) return null;
  const browser = [
    ['Edge', /Edg\//],
    ['WeChat', /MicroMessenger/],
    ['Firefox', /Firefox\//],
    ['Chrome', /Chrome\//],
    ['Safari', /Safari\//],
  ].find(([, re]) => (re as RegExp).test(header))?.[0] as string | undefined;
  const os = [
    ['Android', /Android/],
    ['iOS', /iPhone|iPad|iPod/],
    ['Windows', /Windows/],
    ['macOS', /Mac OS X|Macintosh/],
    ['Linux', /Linux/],
  ].find(([, re]) => (re as RegExp).test(header))?.[0] as string | undefined;
  if (!browser && !os) return 'other';
  return [browser ?? 'browser', os].filter(Boolean).join(' on ');
}

function minutesAfter(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

function earlier(a: string, b: string): string {
  return a < b ? a : b;
}

/**
 * A new session's row and token, as queries for the caller's batch (the sign-in writes it with
 * its audit entry and the reset of the failure count). Old sessions of the account past their
 * absolute end are removed in the same batch, so rows do not pile up.
 */
export async function newSessionQueries(
  deps: SessionDeps,
  staffId: string,
  options: { userAgent?: string | null } = {},
): Promise<{ token: string; sessionId: string; startedAt: string; expiresAt: string; queries: CompiledQuery[] }> {
  const token = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const startedAt = deps.clock.now().toISOString();
  const expiresAt = minutesAfter(startedAt, deps.config.SESSION_MAX_HOURS * 60);
  const sessionId = deps.ids.next();
  const queries = [
    deps.db.deleteFrom('staff_sessions').where('staff_id', '=', staffId).where('expires_at', '<=', startedAt).compile(),
    deps.db
      .insertInto('staff_sessions')
      .values({
        token_hash: await sessionTokenHash(token),
        id: sessionId,
        staff_id: staffId,
        created_at: startedAt,
        last_seen_at: startedAt,
        expires_at: expiresAt,
        ended_at: null,
        user_agent: options.userAgent ?? null,
      })
      .compile(),
  ];
  return { token, sessionId, startedAt, expiresAt, queries };
}

/** The SessionInfo of a session whose token is at hand. */
export async function describeSession(
  deps: Pick<SessionDeps, 'config'>,
  staff: StaffMember,
  s: { token: string; sessionId: string; startedAt: string; expiresAt: string; lastSeenAt: string },
): Promise<SessionInfo> {
  return {
    staff,
    sessionId: s.sessionId,
    csrfToken: await csrfTokenOf(s.token),
    expiresAt: s.expiresAt,
    idleExpiresAt: earlier(minutesAfter(s.lastSeenAt, deps.config.SESSION_IDLE_MINUTES), s.expiresAt),
    startedAt: s.startedAt,
  };
}

/**
 * Starts a session for an active account (after a sign-in, or after a password change ended the
 * previous ones). The token goes into the cookie; it is returned once and stored only hashed.
 */
export async function startSession(
  deps: SessionDeps,
  staffId: string,
  options: { userAgent?: string | null } = {},
): Promise<{ token: string; session: SessionInfo }> {
  const row = await getStaffRow(deps.db, staffId);
  if (!row) throw AppError.keyed('not_found', { key: 'unknown_staff' });
  if (row.active !== 1) throw AppError.keyed('forbidden', { key: 'staff_inactive' });
  const s = await newSessionQueries(deps, staffId, options);
  await deps.atomic(s.queries);
  const staff = toStaffMember(row, deps.clock.now());
  return { token: s.token, session: await describeSession(deps, staff, { ...s, lastSeenAt: s.startedAt }) };
}

/**
 * The session of a cookie's token, or null: unknown, signed out, unused for SESSION_IDLE_MINUTES,
 * past SESSION_MAX_HOURS, or its account deactivated. Using it counts as activity (written at most
 * once a minute).
 */
export async function sessionByToken(deps: SessionDeps, token: string): Promise<SessionInfo | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = await sessionTokenHash(token);
  const found = await deps.db
    .selectFrom('staff_sessions as s')
    .innerJoin('staff', 'staff.id', 's.staff_id')
    .selectAll('staff')
    .select(['s.id as session_id', 's.created_at as session_created_at', 's.last_seen_at', 's.expires_at', 's.ended_at'])
    .where('s.token_hash', '=', hash)
    .executeTakeFirst();
  if (!found || found.ended_at !== null || found.active !== 1) return null;
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const idleEnd = minutesAfter(found.last_seen_at, deps.config.SESSION_IDLE_MINUTES);
  if (nowIso >= found.expires_at || nowIso >= idleEnd) return null;
  let lastSeenAt = found.last_seen_at;
  if (now.getTime() - Date.parse(found.last_seen_at) >= TOUCH_EVERY_MS) {
    await deps.atomic([
      deps.db.updateTable('staff_sessions').set({ last_seen_at: nowIso }).where('token_hash', '=', hash).where('ended_at', 'is', null).compile(),
    ]);
    lastSeenAt = nowIso;
  }
  const { session_id, session_created_at, last_seen_at: _seen, expires_at, ended_at: _ended, ...staffRow } = found;
  return describeSession(deps, toStaffMember(staffRow, now), {
    token,
    sessionId: session_id,
    startedAt: session_created_at,
    expiresAt: expires_at,
    lastSeenAt,
  });
}

/** Signs one session out (the cookie's). Unknown or already ended: nothing to do. */
export async function endSession(deps: SessionDeps, token: string): Promise<void> {
  if (!TOKEN_SHAPE.test(token)) return;
  const hash = await sessionTokenHash(token);
  await deps.atomic([
    deps.db
      .updateTable('staff_sessions')
      .set({ ended_at: deps.clock.now().toISOString() })
      .where('token_hash', '=', hash)
      .where('ended_at', 'is', null)
      .compile(),
  ]);
}

/**
 * "Sign out everywhere": ends every open session of the account, audited; `by` is who asked
 * (the account itself unless an admin did). Returns how many sessions it ended.
 */
export async function endAllSessions(deps: SessionDeps, staffId: string, options: { by?: string | null } = {}): Promise<number> {
  const [ended] = await deps.atomic([
    endSessionsQuery(deps, staffId),
    auditEntry(deps, { staffId: options.by === undefined ? staffId : options.by, action: 'staff.sign_out_everywhere', subject: staffId }),
  ]);
  return Number(ended?.numAffectedRows ?? 0);
}

/**
 * An administrator signs an account out everywhere (POST /api/staff/{id}/sign-out-everywhere and
 * the console's account page): 404 for an unknown account, else endAllSessions, audited as `by`.
 */
export async function signOutStaffEverywhere(deps: SessionDeps, input: { id: string; by: string | null }): Promise<number> {
  if (!(await getStaffRow(deps.db, input.id))) throw AppError.keyed('not_found', { key: 'unknown_staff' });
  return endAllSessions(deps, input.id, { by: input.by });
}
