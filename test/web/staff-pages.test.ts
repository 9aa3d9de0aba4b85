import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { addPerson, consoleAgent, FAST_PASSWORDS, signedIn, TEST_PASSWORD, type ConsoleAgent } from '../helpers/console.ts';

let t: TestApp;
let admin: ConsoleAgent;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  admin = await signedIn(t, 'admin');
});
afterEach(async () => t.cleanup());

const NEW_PASSWORD = 'another-synthetic-passphrase';

async function staffRow(username: string) {
  return t.deps.db.selectFrom('staff').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
}

async function auditActions(action: string) {
  return t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).execute();
}

async function adminId(): Promise<string> {
  return (await staffRow('web-admin')).id;
}

/** Signs a person in with a password; the agent, or null when the sign-in is refused. */
async function signInAs(username: string, password: string): Promise<ConsoleAgent | null> {
  const agent = consoleAgent(t);
  await agent.page('/sign-in');
  const res = await agent.post('/sign-in', { username, password, next: '/console' });
  return res.status === 303 ? agent : null;
}

/** The value of the (single) input of that name or id on a page, or null. */
function inputValue(html: string, name: string): string | null {
  const tag = new RegExp(`<input[^>]*(?:name|id)="${name}"[^>]*>`).exec(html)?.[0];
  return tag ? (/value="([^"]*)"/.exec(tag)?.[1] ?? null) : null;
}

describe('the accounts page', () => {
  it('lists every account with username, role, state and last sign-in, as GET /api/staff', async () => {
    const locked = await addPerson(t, 'postal', 'web-locked');
    await t.deps.db.updateTable('staff').set({ locked_until: '2026-11-26T03:00:00.000Z' }).where('id', '=', locked.id).execute();
    const page = await admin.page('/console/staff');
    const api = (await (await t.request('/api/staff')).json()) as { items: { id: string; name: string }[] };
    expect(api.items).toHaveLength(6);
    for (const s of api.items) expect(page).toContain(`href="/console/staff/${s.id}">${s.name}</a>`);
    expect(page).toContain('共 6 个账户，其中 6 个启用');
    expect(page).toContain('<td>web-admin</td><td>车管所管理员</td>');
    expect(page).toContain('仅接口令牌');
    expect(page).toContain('已锁定');
    // The admin's own sign-in, in China time.
    expect(page).toContain('2026年11月26日 10:00');
  });

  it('refuses the pages and the posts to a dispatcher, and sends anonymous people to sign in', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    const target = await addPerson(t, 'postal', 'web-target');
    expect((await dispatcher.get('/console/staff')).status).toBe(403);
    const page = await dispatcher.get(`/console/staff/${target.id}`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('没有权限');
    await dispatcher.page('/console');
    expect((await dispatcher.post(`/console/staff/${target.id}/deactivate`)).status).toBe(403);
    expect((await dispatcher.post(`/console/staff/${target.id}/token`)).status).toBe(403);
    expect((await staffRow('web-target')).active).toBe(1);
    expect(await auditActions('staff.token_issue')).toHaveLength(0);
    const anonymous = await consoleAgent(t).get('/console/staff');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/sign-in?next=%2Fconsole%2Fstaff');
  });

  it('adds a person who can then sign in, audited as the admin, and says so on the account page', async () => {
    await admin.page('/console/staff');
    const res = await admin.post('/console/staff', { name: '测试乙', username: 'Web-New', role: 'dispatcher', password: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(res.status).toBe(303);
    const row = await staffRow('web-new');
    expect(res.headers.get('location')).toBe(`/console/staff/${row.id}`);
    const page = await admin.page(res.headers.get('location')!);
    expect(page).toContain('已添加账户“测试乙”（用户名 web-new），可以用初始密码登录。');
    expect(page).toContain('邮政调度员');
    expect(await signInAs('web-new', NEW_PASSWORD)).not.toBeNull();
    const [audit] = await auditActions('staff.add').then((rows) => rows.filter((r) => r.subject === row.id));
    expect(audit?.staff_id).toBe(await adminId());
  });

  it('keeps what was typed but never the password when the form is refused, each error at its field', async () => {
    await admin.page('/console/staff');
    const mismatch = await admin.post('/console/staff', { name: '测试丙', username: 'web-c', role: 'examiner', password: NEW_PASSWORD, repeat: 'something-else-entirely' });
    expect(mismatch.status).toBe(400);
    const html = await mismatch.text();
    expect(html).toContain('两次输入的密码不一致。');
    expect(inputValue(html, 'name')).toBe('测试丙');
    expect(inputValue(html, 'username')).toBe('web-c');
    expect(html).toContain('<option value="examiner" selected="">');
    expect(html).not.toContain(NEW_PASSWORD);
    expect(inputValue(html, 'password')).toBeNull();

    const taken = await admin.post('/console/staff', { name: '测试丁', username: 'WEB-ADMIN', role: 'admin', password: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain('<p class="error-text" id="username-error">该用户名已被使用</p>');

    const short = await admin.post('/console/staff', { name: '', username: 'web-e', role: 'nobody', password: 'short', repeat: 'short' });
    expect(short.status).toBe(400);
    const text = await short.text();
    expect(text).toContain('请填写姓名。');
    expect(text).toContain('请选择角色。');
    const shortPassword = await admin.post('/console/staff', { name: '测试戊', username: 'web-e', role: 'postal', password: 'short', repeat: 'short' });
    expect(await shortPassword.text()).toContain('密码至少需要 10 个字符');
    const noPassword = await admin.post('/console/staff', { name: '测试戊', username: 'web-e', role: 'postal', password: '', repeat: '' });
    expect(await noPassword.text()).toContain('请设置初始密码');
    expect(await t.deps.db.selectFrom('staff').select('id').where('username', 'in', ['web-c', 'web-e']).execute()).toHaveLength(0);
  });

  it("shows a program account's token once, in the post's own answer, and the token works", async () => {
    await admin.page('/console/staff');
    const res = await admin.post('/console/staff', { name: '对账程序', username: '', role: 'dispatcher', password: '', repeat: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('它只显示这一次');
    const token = inputValue(html, 'token')!;
    expect(token).toMatch(/^sdc_/);
    for (const cookie of res.headers.getSetCookie()) expect(decodeURIComponent(cookie)).not.toContain(token);
    const me = await t.app.request('/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { name: string }).name).toBe('对账程序');
    expect(await admin.page('/console/staff')).not.toContain(token);
  });
});

describe("an account's page", () => {
  it('issues a new API token shown once with a warning (200, no-store); the old one stops working; audited', async () => {
    const page = await admin.page('/console/staff');
    const program = /href="\/console\/staff\/([^"]+)">测试postal<\/a>/.exec(page)![1]!;
    await admin.page(`/console/staff/${program}`);
    const res = await admin.post(`/console/staff/${program}/token`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('请现在复制这个令牌，它只显示这一次');
    const token = inputValue(html, 'token')!;
    for (const cookie of res.headers.getSetCookie()) expect(decodeURIComponent(cookie)).not.toContain(token);
    expect((await t.request('/api/me', { as: 'postal' })).status).toBe(401);
    expect((await t.app.request('/api/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const audit = await auditActions('staff.token_issue');
    expect(audit.map((a) => [a.subject, a.staff_id])).toEqual([[program, await adminId()]]);
    expect(await admin.page(`/console/staff/${program}`)).not.toContain(token);
  });

  it("deactivates an account (its sessions end), activates it again, and never one's own", async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    const id = (await staffRow('web-dispatcher')).id;
    await admin.page(`/console/staff/${id}`);
    const res = await admin.post(`/console/staff/${id}/deactivate`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/console/staff/${id}`);
    const after = await admin.page(`/console/staff/${id}`);
    expect(after).toContain('已停用“网页dispatcher”的账户');
    expect(after).toContain('已停用</span>');
    expect((await dispatcher.get('/console')).status).toBe(303);
    expect(await signInAs('web-dispatcher', TEST_PASSWORD)).toBeNull();

    await admin.post(`/console/staff/${id}/activate`);
    expect(await admin.page(`/console/staff/${id}`)).toContain('已启用“网页dispatcher”的账户。');
    expect(await signInAs('web-dispatcher', TEST_PASSWORD)).not.toBeNull();
    expect((await auditActions('staff.deactivate')).map((a) => a.staff_id)).toEqual([await adminId()]);

    const self = await adminId();
    const own = await admin.page(`/console/staff/${self}`);
    expect(own).toContain('不能停用自己的账户。');
    expect(own).not.toContain(`/console/staff/${self}/deactivate`);
    await admin.post(`/console/staff/${self}/deactivate`);
    expect(await admin.page(`/console/staff/${self}`)).toContain('没有执行：不能停用自己的账户');
    expect((await staffRow('web-admin')).active).toBe(1);
  });

  it("resets a password: the form's errors keep no password; the new one works, the old one and the sessions end", async () => {
    const examiner = await signedIn(t, 'examiner');
    const id = (await staffRow('web-examiner')).id;
    await t.deps.db.updateTable('staff').set({ locked_until: '2026-11-26T03:00:00.000Z' }).where('id', '=', id).execute();
    await admin.page(`/console/staff/${id}`);
    const mismatch = await admin.post(`/console/staff/${id}/password`, { password: NEW_PASSWORD, repeat: 'not-the-same-passphrase' });
    expect(mismatch.status).toBe(400);
    const html = await mismatch.text();
    expect(html).toContain('两次输入的新密码不一致。');
    expect(html).not.toContain(NEW_PASSWORD);
    const short = await admin.post(`/console/staff/${id}/password`, { password: 'web-examiner', repeat: 'web-examiner' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('密码');

    const res = await admin.post(`/console/staff/${id}/password`, { password: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(await admin.page(`/console/staff/${id}`)).toContain('已为“网页examiner”设置新密码，并结束了该账户的 1 个登录。');
    expect((await examiner.get('/console')).status).toBe(303);
    expect(await signInAs('web-examiner', TEST_PASSWORD)).toBeNull();
    expect(await signInAs('web-examiner', NEW_PASSWORD)).not.toBeNull();
    expect((await auditActions('staff.password_reset')).map((a) => [a.subject, a.staff_id])).toEqual([[id, await adminId()]]);
  });

  it('signs an account out everywhere, and says how many sessions ended', async () => {
    const postal = await signedIn(t, 'postal');
    const id = (await staffRow('web-postal')).id;
    await admin.page(`/console/staff/${id}`);
    expect((await admin.post(`/console/staff/${id}/sign-out-everywhere`)).status).toBe(303);
    expect(await admin.page(`/console/staff/${id}`)).toContain('已结束“网页postal”在所有设备上的 1 个登录。');
    expect((await postal.get('/console')).status).toBe(303);
    expect((await auditActions('staff.sign_out_everywhere')).map((a) => a.staff_id)).toEqual([await adminId()]);
  });

  it("sends an admin who signs their own account out everywhere to sign in again, and offers no reset of one's own password", async () => {
    const self = await adminId();
    const own = await admin.page(`/console/staff/${self}`);
    expect(own).not.toContain(`/console/staff/${self}/password`);
    expect(own).toContain('这是您自己的账户');
    const res = await admin.post(`/console/staff/${self}/sign-out-everywhere`);
    expect(res.headers.get('location')).toBe('/sign-in?done=signed-out');
    expect((await admin.get('/console/staff')).status).toBe(303);
  });

  it('does nothing for a post without the page token', async () => {
    await signedIn(t, 'dispatcher');
    const id = (await staffRow('web-dispatcher')).id;
    await admin.page(`/console/staff/${id}`);
    for (const action of ['deactivate', 'token', 'sign-out-everywhere']) {
      const res = await admin.post(`/console/staff/${id}/${action}`, {}, { csrf: null });
      expect(res.status).toBe(303);
    }
    const reset = await admin.post(`/console/staff/${id}/password`, { password: NEW_PASSWORD, repeat: NEW_PASSWORD }, { csrf: null });
    expect(reset.status).toBe(303);
    const add = await admin.post('/console/staff', { name: '测试己', username: 'web-x', role: 'postal', password: NEW_PASSWORD, repeat: NEW_PASSWORD }, { csrf: null });
    expect(add.status).toBe(303);
    expect(await admin.page(`/console/staff/${id}`)).toContain('操作没有执行');
    expect((await staffRow('web-dispatcher')).active).toBe(1);
    expect(await signInAs('web-dispatcher', TEST_PASSWORD)).not.toBeNull();
    const written = await t.deps.db.selectFrom('audit_log').select('action').where('staff_id', '=', await adminId()).execute();
    expect(written.map((a) => a.action).filter((a) => a !== 'staff.sign_in')).toEqual([]);
  });

  it('answers an unknown account with the not-found page', async () => {
    const res = await admin.get('/console/staff/no-such-account');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('页面不存在');
  });
});
