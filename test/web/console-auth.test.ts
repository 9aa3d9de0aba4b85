import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, TEST_PASSWORD, addPerson, consoleAgent, signedIn } from '../helpers/console.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ env: { ...FAST_PASSWORDS, SIGN_IN_LOCK_AFTER: '3' } });
});
afterEach(async () => t.cleanup());

describe('signing in to the console', () => {
  it('sends anonymous people to sign-in, and back to where they were going after', async () => {
    const agent = consoleAgent(t);
    const res = await agent.get('/console/imports?cursor=x');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?next=%2Fconsole%2Fimports%3Fcursor%3Dx');
    const root = await agent.get('/');
    expect(root.headers.get('location')).toBe('/console');

    await addPerson(t, 'admin');
    const form = await agent.page('/sign-in?next=%2Fconsole%2Fimports');
    expect(form).toContain('用户名');
    expect(form).toContain('lang="zh-CN"');
    const ok = await agent.post('/sign-in', { username: 'WEB-ADMIN', password: TEST_PASSWORD, next: '/console/imports' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console/imports');
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('__Host-sdc_session='));
    // PUBLIC_BASE_URL of the test app is https: the __Host- cookie, Secure, HttpOnly, SameSite=Lax.
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(await agent.page('/console/imports')).toContain('上传驾驶人信息文件');
  });

  it('answers a wrong password and an unknown name alike, and never sends the browser to another site', async () => {
    await addPerson(t, 'admin');
    const agent = consoleAgent(t);
    await agent.page('/sign-in');
    const wrong = await agent.post('/sign-in', { username: 'web-admin', password: 'not-the-password' });
    const unknown = await agent.post('/sign-in', { username: 'nobody-here', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.text()).toContain('用户名或密码不正确');
    expect(await unknown.text()).toContain('用户名或密码不正确');
    expect(agent.cookies.has('__Host-sdc_session')).toBe(false);

    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      const res = await agent.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD, next });
      expect(res.headers.get('location')).toBe('/console');
    }
  });

  it('refuses a sign-in form that did not come from the sign-in page', async () => {
    await addPerson(t, 'admin');
    const agent = consoleAgent(t);
    const res = await agent.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD }, { csrf: 'forged-token-forged-token-forged1' });
    expect(res.status).toBe(403);
    expect(agent.cookies.has('__Host-sdc_session')).toBe(false);
  });

  it('locks the account after repeated failures, even for the right password, and says for how long', async () => {
    await addPerson(t, 'admin');
    const agent = consoleAgent(t);
    await agent.page('/sign-in');
    for (let i = 0; i < 3; i++) await agent.post('/sign-in', { username: 'web-admin', password: 'wrong-password-here' });
    const locked = await agent.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/账户已临时锁定，请 \d+ 分钟后再试/);
    t.clock.set(new Date(t.clock.now().getTime() + 16 * 60_000).toISOString());
    const later = await agent.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD });
    expect(later.status).toBe(303);
  });

  it('signs out only with the page token, and a signed-out cookie opens nothing', async () => {
    const agent = await signedIn(t, 'admin');
    await agent.page('/console');
    const stolen = new Map(agent.cookies);
    const forged = await agent.post('/sign-out', {}, { csrf: null });
    expect(forged.status).toBe(303);
    expect(await agent.page('/console')).toContain('工作台');

    const out = await agent.post('/sign-out');
    expect(out.headers.get('location')).toBe('/sign-in?done=signed-out');
    const replay = consoleAgent(t);
    for (const [k, v] of stolen) replay.cookies.set(k, v);
    expect((await replay.get('/console')).status).toBe(303);
  });

  it('takes a form post whose browser says Origin: null (no-referrer pages), and refuses one from another site', async () => {
    const agent = await signedIn(t, 'admin');
    await agent.page('/console/account');
    const foreign = await agent.post('/console/account/sign-out-everywhere', {}, { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('location')).toBe('/console');
    expect(await agent.page('/console')).toContain('页面已过期或来源不明');
    const ours = await agent.post('/console/account/sign-out-everywhere', {}, { headers: { origin: 'null' } });
    expect(ours.headers.get('location')).toBe('/sign-in?done=signed-out');
  });

  it('ends a session that was idle too long', async () => {
    const agent = await signedIn(t, 'admin');
    await agent.page('/console');
    t.clock.set(new Date(t.clock.now().getTime() + 31 * 60_000).toISOString());
    const res = await agent.get('/console');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/sign-in/);
  });

  it('changes the password: checks the repeat and the rules, ends every session, the old password stops working', async () => {
    const agent = await signedIn(t, 'admin');
    const other = consoleAgent(t);
    await other.page('/sign-in');
    expect((await other.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD })).status).toBe(303);

    await agent.page('/console/account');
    const mismatch = await agent.post('/console/account/password', { current: TEST_PASSWORD, next: 'another-long-passphrase', repeat: 'different' });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toContain('两次输入的新密码不一致');
    const short = await agent.post('/console/account/password', { current: TEST_PASSWORD, next: 'short', repeat: 'short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('href="#next"');
    const ok = await agent.post('/console/account/password', { current: TEST_PASSWORD, next: 'another-long-passphrase', repeat: 'another-long-passphrase' });
    expect(ok.headers.get('location')).toBe('/sign-in?done=password');
    expect((await other.get('/console')).status).toBe(303);

    const again = consoleAgent(t);
    await again.page('/sign-in');
    expect((await again.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD })).status).toBe(401);
    expect((await again.post('/sign-in', { username: 'web-admin', password: 'another-long-passphrase' })).status).toBe(303);
  });

  it('shows each role only the navigation it may open, and a refusal page for the rest', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    const home = await dispatcher.page('/console');
    expect(home).not.toContain('href="/console/imports"');
    expect(home).toContain('href="/console/cases"');
    const refused = await dispatcher.get('/console/imports');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('没有权限');
    const missing = await dispatcher.get('/console/no-such-page');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('页面不存在');
  });

  it('serves its stylesheet and script itself, named by content and kept a year', async () => {
    const page = await (await signedIn(t, 'admin')).page('/console');
    const css = /href="(\/assets\/console\.[0-9a-f]{8}\.css)"/.exec(page)?.[1];
    const js = /src="(\/assets\/console\.[0-9a-f]{8}\.js)"/.exec(page)?.[1];
    for (const [path, type] of [[css, 'text/css'], [js, 'text/javascript']] as const) {
      const res = await t.app.request(path!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });
});
