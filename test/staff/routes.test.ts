import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffMember } from '../../src/staff/repository.ts';
import { sessionByToken } from '../../src/staff/sessions.ts';
import { signIn } from '../../src/staff/sign-in.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';

// The admin's staff API (issue 15, "Staff and audit"): accounts with a sign-in, deactivation,
// new API tokens, sign-out everywhere, and the audit log searched by action, who, what and when.
const PASSWORD = 'a long synthetic passphrase';

let t: TestApp;
let n = 0;
beforeAll(async () => {
  t = await createTestApp({ env: { PASSWORD_PBKDF2_ITERATIONS: '1000' }, lang: 'en' });
});
afterAll(async () => t.cleanup());

type Created = { staff: StaffMember; token: string };
type Issues = { error: { code: string; details?: { issues: { field: string; code: string }[] } } };

async function create(body: Record<string, unknown>) {
  const res = await postJson(t, '/api/staff', { name: `测试${++n}`, role: 'dispatcher', ...body });
  return { status: res.status, body: (await res.json()) as Created & Issues };
}

const bearer = (token: string, path = '/api/me') => t.app.request(path, { headers: { authorization: `Bearer ${token}` } });
const post = (path: string) => t.request(path, { method: 'POST' });

describe('POST /api/staff', () => {
  it('creates an account that signs in with its username and password, and keeps its API token', async () => {
    const { status, body } = await create({ username: 'Zhao.Liu', password: PASSWORD, role: 'postal' });
    expect(status).toBe(201);
    expect(body.staff).toMatchObject({ username: 'zhao.liu', hasPassword: true, role: 'postal', active: true, lockedUntil: null, lastSignInAt: null });
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    expect((await bearer(body.token)).status).toBe(200);
    const result = await signIn(t.deps, { username: 'zhao.liu', password: PASSWORD });
    expect(result).toMatchObject({ ok: true, session: { staff: { role: 'postal' } } });
    const row = await t.deps.db.selectFrom('staff').select('password_hash').where('id', '=', body.staff.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^pbkdf2-sha256\$1000\$/);
  });

  it('still creates a token-only account from name and role', async () => {
    const { status, body } = await create({});
    expect(status).toBe(201);
    expect(body.staff).toMatchObject({ username: null, hasPassword: false });
  });

  it('names the field of a bad username or password', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ username: '张伟' }, ['username:username_shape']],
      [{ username: 'wang.er', password: 'short' }, ['password:password_too_short']],
      [{ username: 'wang.er', password: 'wang.er' }, ['password:password_too_short']],
      [{ username: 'wang.er.longer', password: 'Wang.Er.Longer' }, ['password:password_is_username']],
      [{ password: PASSWORD }, ['password:password_needs_username']],
    ];
    for (const [body, expected] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details!.issues.map((i) => `${i.field}:${i.code}`)).toEqual(expected);
    }
  });

  it('refuses a username already taken, in any case, with 409', async () => {
    expect((await create({ username: 'sun.qi' })).status).toBe(201);
    const again = await create({ username: 'SUN.QI', password: PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });
});

describe('GET /api/staff', () => {
  it('lists username, role, active, lock and last sign-in of every account', async () => {
    const { body } = await create({ username: `list${n}`, password: PASSWORD });
    for (let i = 0; i < 5; i++) await signIn(t.deps, { username: body.staff.username!, password: 'wrong' });
    const res = await t.request('/api/staff');
    const { items } = (await res.json()) as { items: StaffMember[] };
    const me = items.find((s) => s.id === body.staff.id)!;
    expect(me).toMatchObject({ username: body.staff.username, role: 'dispatcher', active: true, lockedUntil: '2026-11-26T02:15:00.000Z', lastSignInAt: null });
    expect(items.find((s) => s.role === 'postal')).toBeDefined();
  });
});

describe('deactivate and activate', () => {
  it('ends the sessions and stops the token of a deactivated account; activation lets the token work again', async () => {
    const { body } = await create({ username: `deact${n}`, password: PASSWORD });
    const session = await signIn(t.deps, { username: body.staff.username!, password: PASSWORD });
    if (!session.ok) throw new Error('sign-in failed');
    const res = await post(`/api/staff/${body.staff.id}/deactivate`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: body.staff.id, active: false });
    expect((await bearer(body.token)).status).toBe(401);
    expect(await sessionByToken(t.deps, session.token)).toBeNull();
    expect(await signIn(t.deps, { username: body.staff.username!, password: PASSWORD })).toMatchObject({ ok: false, reason: 'invalid' });

    expect((await post(`/api/staff/${body.staff.id}/activate`)).status).toBe(200);
    expect((await bearer(body.token)).status).toBe(200);
    // Its old sessions stay ended; a new sign-in works.
    expect(await sessionByToken(t.deps, session.token)).toBeNull();
    expect(await signIn(t.deps, { username: body.staff.username!, password: PASSWORD })).toMatchObject({ ok: true });
    const actions = (await (await t.request(`/api/audit?subject=${body.staff.id}`)).json()) as { items: { action: string }[] };
    expect(actions.items.map((i) => i.action)).toEqual(expect.arrayContaining(['staff.add', 'staff.deactivate', 'staff.activate']));
  });

  it('refuses an admin deactivating their own account, and answers 404 for an unknown one', async () => {
    const me = (await (await t.request('/api/me')).json()) as StaffMember;
    expect((await post(`/api/staff/${me.id}/deactivate`)).status).toBe(409);
    for (const action of ['deactivate', 'activate', 'token', 'sign-out-everywhere']) {
      expect((await post(`/api/staff/00000000-0000-4000-8000-000000000000/${action}`)).status, action).toBe(404);
    }
  });
});

describe('POST /api/staff/{id}/token', () => {
  it('issues a new token once; the old one stops working', async () => {
    const { body } = await create({});
    const res = await post(`/api/staff/${body.staff.id}/token`);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as Created;
    expect(token).not.toBe(body.token);
    expect((await bearer(body.token)).status).toBe(401);
    expect(await (await bearer(token)).json()).toMatchObject({ id: body.staff.id });
    const audit = (await (await t.request(`/api/audit?action=staff.token_issue&subject=${body.staff.id}`)).json()) as { items: { details: object }[] };
    expect(audit.items).toHaveLength(1);
    expect(JSON.stringify(audit.items)).not.toContain(token);
  });
});

describe('POST /api/staff/{id}/sign-out-everywhere', () => {
  it('ends every session of the account and says how many', async () => {
    const { body } = await create({ username: `everywhere${n}`, password: PASSWORD });
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await signIn(t.deps, { username: body.staff.username!, password: PASSWORD });
      if (r.ok) tokens.push(r.token);
    }
    const res = await post(`/api/staff/${body.staff.id}/sign-out-everywhere`);
    expect(await res.json()).toEqual({ ended: 2 });
    for (const token of tokens) expect(await sessionByToken(t.deps, token)).toBeNull();
    const me = (await (await t.request('/api/me')).json()) as StaffMember;
    const audit = (await (await t.request(`/api/audit?action=staff.sign_out_everywhere&staffId=${me.id}`)).json()) as { items: { subject: string }[] };
    expect(audit.items.map((i) => i.subject)).toContain(body.staff.id);
  });
});

describe('GET /api/audit', () => {
  type Page = { items: { id: string; at: string; action: string; staffId: string | null; subject: string | null }[]; nextCursor: string | null };
  const audit = async (query: string) => {
    const res = await t.request(`/api/audit?${query}`);
    expect(res.status, query).toBe(200);
    return (await res.json()) as Page;
  };

  it('filters by who, what, action and day (Asia/Shanghai), and pages with a cursor', async () => {
    const { body: a } = await create({});
    const me = (await (await t.request('/api/me')).json()) as StaffMember;
    // Three token issues on 27 November (Shanghai), one on 28 November at 07:30 Shanghai.
    for (const at of ['2026-11-26T16:00:00.000Z', '2026-11-27T03:00:00.000Z', '2026-11-27T15:59:59.000Z', '2026-11-27T23:30:00.000Z']) {
      t.clock.set(at);
      await post(`/api/staff/${a.staff.id}/token`);
    }
    t.clock.set('2026-11-28T04:00:00.000Z');
    const mine = await audit(`subject=${a.staff.id}&action=staff.token_issue`);
    expect(mine.items).toHaveLength(4);
    expect(mine.items.every((i) => i.staffId === me.id)).toBe(true);
    expect((await audit(`subject=${a.staff.id}&from=2026-11-27&to=2026-11-27`)).items.map((i) => i.at)).toEqual([
      '2026-11-27T15:59:59.000Z',
      '2026-11-27T03:00:00.000Z',
      '2026-11-26T16:00:00.000Z',
    ]);
    expect((await audit(`subject=${a.staff.id}&from=today`)).items.map((i) => i.at)).toEqual(['2026-11-27T23:30:00.000Z']);
    expect((await audit(`subject=${a.staff.id}&to=yesterday&action=staff.token_issue`)).items).toHaveLength(3);
    expect((await audit(`staffId=${a.staff.id}`)).items).toHaveLength(0);

    const first = await audit(`subject=${a.staff.id}&limit=2`);
    expect(first.items).toHaveLength(2);
    const second = await audit(`subject=${a.staff.id}&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
    const third = await audit(`subject=${a.staff.id}&limit=2&cursor=${encodeURIComponent(second.nextCursor!)}`);
    // staff.add and four token issues, newest first, none twice.
    const ids = [...first.items, ...second.items, ...third.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(5);
    expect(third.nextCursor).toBeNull();
  });

  it('refuses a date that is not a date', async () => {
    const res = await t.request('/api/audit?from=yesterday-ish');
    expect(res.status).toBe(400);
    expect(((await res.json()) as Issues).error.details!.issues[0]!.field).toBe('from');
  });
});
