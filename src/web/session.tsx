/**
 * Sessions for people (DESIGN.md "Sessions for people, tokens for programs"): the session cookie
 * (HttpOnly, SameSite=Lax, Secure and `__Host-` on https; only its hash is stored,
 * src/staff/sessions.ts), the CSRF check of every state-changing form, and the page permission
 * check: the same table as the API's (src/staff/permissions.ts).
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/env.ts';
import { todayIn } from '../shared/time.ts';
import { can, type Permission } from '../staff/permissions.ts';
import { SESSION_COOKIE, sessionByToken } from '../staff/sessions.ts';
import type { PageContext } from './components/layout.tsx';
import type { FlashMessage } from './components/ui.tsx';
import { ForbiddenPage } from './components/error-pages.tsx';

const FLASH_COOKIE = 'sdc_flash';
const MAX_FLASH_CHARS = 300;

function secure(c: Context<AppEnv>): boolean {
  return c.get('deps').config.PUBLIC_BASE_URL.startsWith('https://');
}

/** `__Host-` binds the cookie to this host and path `/` (a sibling site cannot set or read it); browsers allow it on https only. */
export function sessionCookieName(c: Context<AppEnv>): string {
  return secure(c) ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  // No Max-Age: the cookie ends with the browser; the server's idle and absolute timeouts decide.
  setCookie(c, sessionCookieName(c), token, { path: '/', httpOnly: true, sameSite: 'Lax', secure: secure(c) });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, sessionCookieName(c), { path: '/', secure: secure(c) });
}

export function sessionToken(c: Context<AppEnv>): string | undefined {
  return getCookie(c, sessionCookieName(c));
}

/** Puts the signed-in person on the context when the cookie names a live session; never refuses. */
export function readSession(): MiddlewareHandler<AppEnv> {
  return async function readSessionMiddleware(c, next) {
    const token = sessionToken(c);
    const session = token ? await sessionByToken(c.get('deps'), token) : null;
    if (session) {
      c.set('session', session);
      c.set('staff', session.staff);
    }
    await next();
  };
}

/** Where a sign-in may send the browser back to: a path of this site, never another host. */
export function safeNext(value: string | undefined | null): string {
  return value && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/console';
}

/**
 * A page's permission: anonymous people go to sign-in (and come back after), a role without the
 * permission gets the refusal page. Mounted on every page route; the permission is kept on the
 * middleware, where the page x role test (test/web/page-roles.test.ts) reads it.
 */
export function pagePermission(permission: Permission): MiddlewareHandler<AppEnv> & { permission: Permission } {
  return Object.assign(async function pagePermissionMiddleware(c: Context<AppEnv>, next: Next) {
    const session = c.get('session');
    if (!session) {
      const here = c.req.method === 'GET' ? `${c.req.path}${new URL(c.req.url).search}` : c.req.path;
      return c.redirect(`/sign-in?next=${encodeURIComponent(here)}`, 303);
    }
    if (!can(session.staff.role, permission)) {
      c.status(403);
      return c.html(<ForbiddenPage ctx={pageContext(c)} />);
    }
    await next();
  }, { permission });
}

/** Constant-time comparison of two short strings. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Every state-changing console request proves it comes from our own form: the session's CSRF
 * token in the `_csrf` field (or the `X-CSRF-Token` header of the script), and, where the browser
 * says where it comes from, an Origin of this site. A failure is a 403 page that loses nothing
 * but the one post.
 */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async function csrfProtectionMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const session = c.get('session');
    const origin = c.req.header('origin');
    const ownOrigin = new URL(c.get('deps').config.PUBLIC_BASE_URL).origin;
    const requestOrigin = new URL(c.req.url).origin;
    // `null`: the browser does not say (Referrer-Policy no-referrer makes Chromium send it on
    // every form post); the token alone decides then.
    const originOk = !origin || origin === 'null' || origin === ownOrigin || origin === requestOrigin;
    const sent = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'));
    if (session && originOk && sent && sameToken(sent, session.csrfToken)) return next();
    if (!session) return c.redirect(`/sign-in?next=${encodeURIComponent(c.req.path)}`, 303);
    setFlash(c, { tone: 'bad', text: '页面已过期或来源不明，操作没有执行。请在本页重新操作一次。' });
    return c.redirect(c.req.header('referer')?.startsWith(ownOrigin) ? c.req.header('referer')! : '/console', 303);
  };
}

/** One field of an urlencoded or multipart form, read through Hono's body cache (the handler can read the body again). */
async function formField(c: Context<AppEnv>, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  // A file upload streams its body to the import (src/registry/upload.ts): its form carries the
  // token in its action URL instead (no Referer leaves this site: Referrer-Policy no-referrer).
  if (type.startsWith('multipart/form-data')) return c.req.query(name);
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined;
  const body = await c.req.parseBody();
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

export function setFlash(c: Context<AppEnv>, flash: FlashMessage): void {
  const value = encodeURIComponent(JSON.stringify({ tone: flash.tone, text: flash.text.slice(0, MAX_FLASH_CHARS) }));
  setCookie(c, FLASH_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'Lax', secure: secure(c) });
}

/** The flash message of the last action, shown once. */
function takeFlash(c: Context<AppEnv>): FlashMessage | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return null;
  deleteCookie(c, FLASH_COOKIE, { path: '/', secure: secure(c) });
  try {
    const parsed = JSON.parse(decodeURIComponent(raw)) as Partial<FlashMessage>;
    const tone = parsed.tone === 'good' || parsed.tone === 'bad' || parsed.tone === 'info' ? parsed.tone : 'info';
    return typeof parsed.text === 'string' ? { tone, text: parsed.text.slice(0, MAX_FLASH_CHARS) } : null;
  } catch {
    return null;
  }
}

/** What the layout needs about this request. Only on pages behind pagePermission. */
export function pageContext(c: Context<AppEnv>): PageContext {
  const session = c.get('session');
  if (!session) throw new Error('pageContext outside a signed-in page');
  return {
    staff: session.staff,
    csrfToken: session.csrfToken,
    path: c.req.path,
    today: todayIn(c.get('deps').clock.now()),
    flash: takeFlash(c),
  };
}
