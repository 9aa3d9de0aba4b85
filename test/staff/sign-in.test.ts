import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { csrfTokenOf, endAllSessions, endSession, sessionByToken, sessionTokenHash, startSession, userAgentSummary } from '../../src/staff/sessions.ts';
import { changePassword, resetPassword, signIn, type SignInResult } from '../../src/staff/sign-in.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// Sign-in, sessions, locks and passwords (issue 15) over the real app's database, with the fixed
// clock moved by hand. PBKDF2 at 1000 iterations: the cost is the setting's, not the code's.
const ENV = { PASSWORD_PBKDF2_ITERATIONS: '1000' };
const PASSWORD = 'a long synthetic passphrase';

let t: TestApp;
let n = 0;
const START = '2026-11-26T02:00:00.000Z';

beforeAll(async () => {
  t = await createTestApp({ env: ENV });
});
afterAll(async () => t.cleanup());

/** A fresh person with a password, so that tests do not share counts or locks. */
async function person(role: 'admin' | 'dispatcher' | 'examiner' | 'postal' = 'dispatcher') {
  const username = `user${++n}`;
  const { staff } = await addStaff(t.deps, { name: `测试${n}`, role, createdBy: null, username, password: PASSWORD });
  return { ...staff, username };
}

const minutes = (m: number) => t.clock.set(new Date(t.clock.now().getTime() + m * 60_000).toISOString());

function ok(result: SignInResult) {
  if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
  return result;
}

async function auditOf(subject: string) {
  return t.deps.db.selectFrom('audit_log').selectAll().where('subject', '=', subject).orderBy('at').orderBy('id').execute();
}

describe('signing in', () => {
  it('opens a session for the right username and password, any case of the username', async () => {
    t.clock.set(START);
    const p = await person();
    const result = ok(await signIn(t.deps, { username: p.username.toUpperCase(), password: PASSWORD, userAgent: 'Chrome on Windows' }));
    expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.session.staff).toMatchObject({ id: p.id, role: 'dispatcher', username: p.username, lastSignInAt: START });
    expect(result.session.startedAt).toBe(START);
    expect(result.session.expiresAt).toBe('2026-11-26T14:00:00.000Z');
    expect(result.session.csrfToken).toBe(await csrfTokenOf(result.token));
    const again = await sessionByToken(t.deps, result.token);
    expect(again).toMatchObject({ sessionId: result.session.sessionId, csrfToken: result.session.csrfToken, staff: { id: p.id } });
  });

  it('stores only the hash of the session token, and derives the CSRF token (never stored)', async () => {
    t.clock.set(START);
    const p = await person();
    const { token, session } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    const rows = await t.deps.db.selectFrom('staff_sessions').selectAll().where('staff_id', '=', p.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(await sessionTokenHash(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(session.csrfToken);
  });

  it('answers an unknown username and a wrong password alike', async () => {
    t.clock.set(START);
    const p = await person();
    expect(await signIn(t.deps, { username: 'nobody-here', password: PASSWORD })).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(t.deps, { username: p.username, password: 'not the passphrase' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(t.deps, { username: '', password: '' })).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(t.deps, { username: p.username, password: 'x'.repeat(100_000) })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses an account with an API token only', async () => {
    const { staff } = await addStaff(t.deps, { name: '程序账户', role: 'admin', createdBy: null, username: `tokenonly${++n}` });
    expect(staff.hasPassword).toBe(false);
    expect(await signIn(t.deps, { username: staff.username!, password: '' })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('locks the account after SIGN_IN_LOCK_AFTER failures in a row, for SIGN_IN_LOCK_MINUTES, even to the right password', async () => {
    t.clock.set(START);
    const p = await person();
    for (let i = 1; i < 5; i++) expect(await signIn(t.deps, { username: p.username, password: `wrong ${i}` })).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(t.deps, { username: p.username, password: 'wrong 5' })).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 900 });
    minutes(5);
    expect(await signIn(t.deps, { username: p.username, password: PASSWORD })).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 600 });
    const row = await t.deps.db.selectFrom('staff').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(row.locked_until).toBe('2026-11-26T02:15:00.000Z');
    minutes(10);
    ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    const actions = (await auditOf(p.id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'staff.sign_in_failed')).toHaveLength(5);
    expect(actions.filter((a) => a === 'staff.lock')).toHaveLength(1);
    expect(actions.at(-1)).toBe('staff.sign_in');
  });

  it('starts the count again after a success and after a lock', async () => {
    t.clock.set(START);
    const p = await person();
    for (let i = 0; i < 4; i++) await signIn(t.deps, { username: p.username, password: 'wrong' });
    ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    for (let i = 0; i < 4; i++) expect(await signIn(t.deps, { username: p.username, password: 'wrong' })).toMatchObject({ reason: 'invalid' });
    expect(await signIn(t.deps, { username: p.username, password: 'wrong' })).toMatchObject({ reason: 'locked' });
    minutes(16);
    // The lock is over and the count was reset with it: four more failures do not lock again.
    for (let i = 0; i < 4; i++) expect(await signIn(t.deps, { username: p.username, password: 'wrong' })).toMatchObject({ reason: 'invalid' });
  });

  it('counts concurrent failures each (the count is kept in SQL)', async () => {
    t.clock.set(START);
    const p = await person();
    const results = await Promise.all(Array.from({ length: 5 }, () => signIn(t.deps, { username: p.username, password: 'wrong' })));
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(1);
    expect(await signIn(t.deps, { username: p.username, password: PASSWORD })).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('refuses a deactivated account, and its sessions stop working', async () => {
    t.clock.set(START);
    const p = await person();
    const { token } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    await t.deps.db.updateTable('staff').set({ active: 0 }).where('id', '=', p.id).execute();
    expect(await sessionByToken(t.deps, token)).toBeNull();
    expect(await signIn(t.deps, { username: p.username, password: PASSWORD })).toEqual({ ok: false, reason: 'invalid' });
    await expect(startSession(t.deps, p.id)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('writes no password and no token into the audit log', async () => {
    t.clock.set(START);
    const p = await person();
    const { token, session } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    await signIn(t.deps, { username: p.username, password: 'a wrong synthetic one' });
    const all = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of [PASSWORD, 'a wrong synthetic one', token, session.csrfToken]) expect(all).not.toContain(secret);
  });

  it('hashes the password again at the next sign-in when the setting asks for more iterations', async () => {
    t.clock.set(START);
    const p = await person();
    const more = { ...t.deps, config: { ...t.deps.config, PASSWORD_PBKDF2_ITERATIONS: 2000 } };
    ok(await signIn(more, { username: p.username, password: PASSWORD }));
    const row = await t.deps.db.selectFrom('staff').select('password_hash').where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^pbkdf2-sha256\$2000\$/);
    ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
  });
});

describe('sessions', () => {
  it('end when unused for SESSION_IDLE_MINUTES; use keeps them going (refreshed at most once a minute)', async () => {
    t.clock.set(START);
    const p = await person();
    const { token } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    minutes(20);
    expect(await sessionByToken(t.deps, token)).not.toBeNull();
    minutes(20);
    // 40 minutes after the sign-in, 20 after the last use.
    const s = await sessionByToken(t.deps, token);
    expect(s?.idleExpiresAt).toBe('2026-11-26T03:10:00.000Z');
    const seen = await t.deps.db.selectFrom('staff_sessions').select('last_seen_at').where('staff_id', '=', p.id).executeTakeFirstOrThrow();
    expect(seen.last_seen_at).toBe('2026-11-26T02:40:00.000Z');
    t.clock.set('2026-11-26T02:40:30.000Z');
    await sessionByToken(t.deps, token);
    const notYet = await t.deps.db.selectFrom('staff_sessions').select('last_seen_at').where('staff_id', '=', p.id).executeTakeFirstOrThrow();
    expect(notYet.last_seen_at).toBe('2026-11-26T02:40:00.000Z');
    t.clock.set('2026-11-26T03:10:00.000Z');
    expect(await sessionByToken(t.deps, token)).toBeNull();
  });

  it('end SESSION_MAX_HOURS after the sign-in however busy', async () => {
    t.clock.set(START);
    const p = await person();
    const { token } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    for (let i = 0; i < 35; i++) {
      minutes(20);
      expect(await sessionByToken(t.deps, token), `after ${(i + 1) * 20} min`).not.toBeNull();
    }
    minutes(20);
    expect(t.clock.now().toISOString()).toBe('2026-11-26T14:00:00.000Z');
    expect(await sessionByToken(t.deps, token)).toBeNull();
  });

  it('refuse unknown, malformed and signed-out tokens', async () => {
    t.clock.set(START);
    const p = await person();
    const a = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    const b = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    expect(await sessionByToken(t.deps, 'x'.repeat(43))).toBeNull();
    expect(await sessionByToken(t.deps, '')).toBeNull();
    expect(await sessionByToken(t.deps, `${a.token}=`)).toBeNull();
    await endSession(t.deps, a.token);
    expect(await sessionByToken(t.deps, a.token)).toBeNull();
    expect(await sessionByToken(t.deps, b.token)).not.toBeNull();
    await endSession(t.deps, 'not a token');
  });

  it('all end at once with "sign out everywhere", audited', async () => {
    t.clock.set(START);
    const p = await person();
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(ok(await signIn(t.deps, { username: p.username, password: PASSWORD })).token);
    expect(await endAllSessions(t.deps, p.id)).toBe(3);
    for (const token of tokens) expect(await sessionByToken(t.deps, token)).toBeNull();
    expect(await endAllSessions(t.deps, p.id)).toBe(0);
    const entry = (await auditOf(p.id)).find((a) => a.action === 'staff.sign_out_everywhere');
    expect(entry).toMatchObject({ staff_id: p.id });
  });

  it('start for an account after a password change (the caller starts the new one)', async () => {
    t.clock.set(START);
    const p = await person();
    const { token, session } = await startSession(t.deps, p.id, { userAgent: userAgentSummary('Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36') });
    expect(session).toMatchObject({ staff: { id: p.id }, startedAt: START, csrfToken: await csrfTokenOf(token) });
    const row = await t.deps.db.selectFrom('staff_sessions').select('user_agent').where('id', '=', session.sessionId).executeTakeFirstOrThrow();
    expect(row.user_agent).toBe('Chrome on Windows');
  });

  it('summarise the user agent without keeping the header', () => {
    expect(userAgentSummary(undefined)).toBeNull();
    expect(userAgentSummary('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(userAgentSummary('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0')).toBe('WeChat on Android');
    expect(userAgentSummary('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0')).toBe('Edge on Windows');
    expect(userAgentSummary('curl/8.5.0')).toBe('other');
  });
});

describe('changing a password', () => {
  const issues = async (p: Promise<unknown>) => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    return ((err as AppError).details as { issues: { field: string; code: string }[] }).issues.map((i) => `${i.field}:${i.code}`);
  };

  it('needs the current password, and a new one that is acceptable and different', async () => {
    const p = await person();
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: 'wrong one!', next: 'another long passphrase' }))).toEqual(['current:password_wrong']);
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: PASSWORD, next: 'short' }))).toEqual(['next:password_too_short']);
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: PASSWORD, next: p.username }))).toEqual(['next:password_too_short']);
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: PASSWORD, next: PASSWORD }))).toEqual(['next:password_unchanged']);
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: 'nope', next: 'x' }))).toEqual(['current:password_wrong', 'next:password_too_short']);
  });

  it('counts a wrong current password toward the lock; the lock it causes ends the sessions', async () => {
    t.clock.set(START);
    const p = await person();
    const { token } = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    const change = () => issues(changePassword(t.deps, { staffId: p.id, current: 'a guess at it', next: 'another long passphrase' }));
    for (let i = 0; i < 4; i++) expect(await change()).toEqual(['current:password_wrong']);
    expect(await sessionByToken(t.deps, token)).not.toBeNull();
    expect(await change()).toEqual(['current:account_locked']);
    expect(await sessionByToken(t.deps, token)).toBeNull();
    expect(await signIn(t.deps, { username: p.username, password: PASSWORD })).toMatchObject({ ok: false, reason: 'locked' });
    // Locked, even the right current password is not tried.
    expect(await issues(changePassword(t.deps, { staffId: p.id, current: PASSWORD, next: 'another long passphrase' }))).toEqual(['current:account_locked']);
    const reasons = (await auditOf(p.id)).filter((e) => e.action === 'staff.sign_in_failed').map((e) => JSON.parse(e.details).reason);
    expect(reasons).toEqual(Array(5).fill('wrong_current_password'));
  });

  it('refuses the username as the new password', async () => {
    const username = `longusername${++n}`;
    const { staff } = await addStaff(t.deps, { name: '测试', role: 'examiner', createdBy: null, username, password: PASSWORD });
    expect(await issues(changePassword(t.deps, { staffId: staff.id, current: PASSWORD, next: username.toUpperCase() }))).toEqual(['next:password_is_username']);
  });

  it('ends every session of the account; the new password signs in, the old one no longer', async () => {
    t.clock.set(START);
    const p = await person();
    const a = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    const b = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    minutes(1);
    await changePassword(t.deps, { staffId: p.id, current: PASSWORD, next: 'the new synthetic passphrase' });
    expect(await sessionByToken(t.deps, a.token)).toBeNull();
    expect(await sessionByToken(t.deps, b.token)).toBeNull();
    expect(await signIn(t.deps, { username: p.username, password: PASSWORD })).toMatchObject({ ok: false, reason: 'invalid' });
    const c = ok(await signIn(t.deps, { username: p.username, password: 'the new synthetic passphrase' }));
    expect(c.session.staff.passwordChangedAt).toBe('2026-11-26T02:01:00.000Z');
    expect((await auditOf(p.id)).some((e) => e.action === 'staff.password_change' && e.staff_id === p.id)).toBe(true);
  });

  it('is reset by an administrator: lock cleared, sessions ended', async () => {
    t.clock.set(START);
    const p = await person();
    const a = ok(await signIn(t.deps, { username: p.username, password: PASSWORD }));
    for (let i = 0; i < 5; i++) await signIn(t.deps, { username: p.username, password: 'wrong' });
    expect(await resetPassword(t.deps, { username: p.username.toUpperCase(), password: 'reset synthetic passphrase', by: null })).toEqual({ staffId: p.id, endedSessions: 1 });
    expect(await sessionByToken(t.deps, a.token)).toBeNull();
    ok(await signIn(t.deps, { username: p.username, password: 'reset synthetic passphrase' }));
    await expect(resetPassword(t.deps, { username: 'nobody-here', password: 'reset synthetic passphrase', by: null })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(resetPassword(t.deps, { username: p.username, password: 'short', by: null })).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
