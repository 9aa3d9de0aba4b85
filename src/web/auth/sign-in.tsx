/**
 * Sign-in, sign-out and the account page (issue 15 "Sign-in for people"). The sign-in form has
 * its own CSRF token before any session exists (a cookie and the same value in the form), so that
 * no other site can sign a browser in to an account of its choosing.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../http/env.ts';
import { authThrottleOf } from '../../http/auth-throttle.ts';
import { clientAddress } from '../../http/client-address.ts';
import { AppError } from '../../errors.ts';
import { endAllSessions, endSession, startSession } from '../../staff/sessions.ts';
import { changePassword, signIn } from '../../staff/sign-in.ts';
import { Document, Layout, PRODUCT_NAME } from '../components/layout.tsx';
import { fieldErrors } from '../form.ts';
import { CsrfField, ErrorSummary, Field, Flash, type FlashMessage } from '../components/ui.tsx';
import { clearSessionCookie, pageContext, pagePermission, safeNext, sameToken, sessionToken, setFlash, setSessionCookie } from '../session.tsx';

const SIGN_IN_CSRF_COOKIE = 'sdc_signin';

function SignInPage(props: { next: string; csrf: string; username?: string; error?: string; flash?: FlashMessage | null }) {
  return (
    <Document title="登录" bodyClass="signin-body">
      <main class="signin" id="main">
        <h1>{PRODUCT_NAME}</h1>
        <p class="brand-line">车管所 · 邮政 · 医院 工作人员登录</p>
        <Flash flash={props.flash ?? null} />
        {props.error ? (
          <div class="error-summary" role="alert">
            <p>{props.error}</p>
          </div>
        ) : null}
        <form method="post" action="/sign-in" class="stack">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="next" value={props.next} />
          <Field label="用户名" name="username">
            <input id="username" name="username" autocomplete="username" required value={props.username ?? ''} autofocus={!props.username} />
          </Field>
          <Field label="密码" name="password">
            <input id="password" name="password" type="password" autocomplete="current-password" required autofocus={Boolean(props.username)} />
          </Field>
          <button type="submit">登录</button>
        </form>
        <p class="muted">忘记密码请联系车管所管理员重置。</p>
      </main>
    </Document>
  );
}

function newCsrf(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function signInCsrf(c: Context<AppEnv>): string {
  const existing = getCookie(c, SIGN_IN_CSRF_COOKIE);
  if (existing && /^[\w-]{32}$/.test(existing)) return existing;
  const token = newCsrf();
  const secure = c.get('deps').config.PUBLIC_BASE_URL.startsWith('https://');
  setCookie(c, SIGN_IN_CSRF_COOKIE, token, { path: '/sign-in', httpOnly: true, sameSite: 'Strict', secure });
  return token;
}

function flashFromQuery(c: Context<AppEnv>): FlashMessage | null {
  switch (c.req.query('done')) {
    case 'signed-out':
      return { tone: 'good', text: '您已安全退出。' };
    case 'expired':
      return { tone: 'info', text: '登录已超时，请重新登录。' };
    case 'password':
      return { tone: 'good', text: '密码已修改，请用新密码登录。' };
    default:
      return null;
  }
}

function minutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

async function postSignIn(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const form = await c.req.parseBody();
  const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
  const next = safeNext(text('next'));
  const csrf = signInCsrf(c);
  const again = (error: string, status: 400 | 401 | 403 | 429) => {
    c.status(status);
    return c.html(<SignInPage next={next} csrf={csrf} username={text('username').slice(0, 64)} error={error} />);
  };
  if (!sameToken(text('_csrf'), csrf)) return again('页面已过期，请重新输入用户名和密码。', 403);
  // The same budget of failures per client as the API's tokens (src/http/auth-throttle.ts).
  const throttle = authThrottleOf(deps);
  const client = clientAddress(c, deps.config.TRUST_PROXY === 'on');
  const wait = throttle.blockedFor(client);
  if (wait > 0) return again(`尝试次数过多，请 ${minutes(wait)} 分钟后再试。`, 429);
  if (!text('username') || !text('password')) return again('请输入用户名和密码。', 400);
  const result = await signIn(deps, { username: text('username'), password: text('password') });
  if (!result.ok) {
    throttle.fail(client);
    if (result.reason === 'locked') {
      return again(`连续输错次数过多，账户已临时锁定，请 ${minutes(result.retryAfterSeconds ?? 60)} 分钟后再试，或联系管理员。`, 429);
    }
    return again('用户名或密码不正确。', 401);
  }
  setSessionCookie(c, result.token);
  return c.redirect(next, 303);
}

function AccountPage(props: { ctx: ReturnType<typeof pageContext>; errors?: Record<string, string> }) {
  const errors = props.errors ?? {};
  return (
    <Layout ctx={props.ctx} title="我的账户" crumbs={[{ label: '工作台', href: '/console' }, { label: '我的账户' }]}>
      <section class="card">
        <h2>修改密码</h2>
        <ErrorSummary errors={errors} />
        <form method="post" action="/console/account/password" class="stack">
          <CsrfField token={props.ctx.csrfToken} />
          <Field label="当前密码" name="current" error={errors.current}>
            <input id="current" name="current" type="password" autocomplete="current-password" required />
          </Field>
          <Field label="新密码" name="next" error={errors.next} hint="至少 10 个字符，不能与用户名相同。">
            <input id="next" name="next" type="password" autocomplete="new-password" required minlength={10} />
          </Field>
          <Field label="再次输入新密码" name="repeat" error={errors.repeat}>
            <input id="repeat" name="repeat" type="password" autocomplete="new-password" required />
          </Field>
          <button type="submit">修改密码</button>
        </form>
        <p class="muted">修改后，所有设备上的登录都会失效，需要用新密码重新登录。</p>
      </section>
      <section class="card">
        <h2>在所有设备上退出</h2>
        <p>如果您在别处（例如公用电脑）登录后忘记退出，可以在这里让所有登录立即失效。</p>
        <form method="post" action="/console/account/sign-out-everywhere" data-confirm="确定要在所有设备上退出吗？">
          <CsrfField token={props.ctx.csrfToken} />
          <button type="submit" class="secondary">在所有设备上退出</button>
        </form>
      </section>
    </Layout>
  );
}

async function postPassword(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const form = await c.req.parseBody();
  const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
  const ctx = pageContext(c);
  if (text('next') !== text('repeat')) {
    c.status(400);
    return c.html(<AccountPage ctx={ctx} errors={{ repeat: '两次输入的新密码不一致。' }} />);
  }
  try {
    await changePassword(deps, { staffId: ctx.staff.id, current: text('current'), next: text('next') });
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') {
      c.status(400);
      return c.html(<AccountPage ctx={ctx} errors={fieldErrors(err)} />);
    }
    throw err;
  }
  clearSessionCookie(c);
  return c.redirect('/sign-in?done=password', 303);
}

export function authPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/sign-in', (c) => {
    const next = safeNext(c.req.query('next'));
    if (c.get('session')) return c.redirect(next, 303);
    return c.html(<SignInPage next={next} csrf={signInCsrf(c)} flash={flashFromQuery(c)} />);
  });
  app.post('/sign-in', postSignIn);
  // Sign-out needs the session's CSRF token (csrfProtection, mounted before): no other site can sign anyone out.
  app.post('/sign-out', async (c) => {
    const token = sessionToken(c);
    if (token) await endSession(c.get('deps'), token);
    clearSessionCookie(c);
    return c.redirect('/sign-in?done=signed-out', 303);
  });
  app.get('/console/account', pagePermission('self:read'), (c) => c.html(<AccountPage ctx={pageContext(c)} />));
  app.post('/console/account/password', pagePermission('self:read'), postPassword);
  app.post('/console/account/sign-out-everywhere', pagePermission('self:read'), async (c) => {
    await endAllSessions(c.get('deps'), c.get('session').staff.id);
    clearSessionCookie(c);
    return c.redirect('/sign-in?done=signed-out', 303);
  });
  return app;
}

