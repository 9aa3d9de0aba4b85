/**
 * A browser's part in console tests without a browser: a cookie jar, the CSRF field of the last
 * page, redirects left for the test to follow. Chromium tests (test/web/*.browser.test.ts) check
 * what only a browser can.
 */
import type { Role } from '../../src/staff/permissions.ts';
import { addStaff } from '../../src/staff/repository.ts';
import type { TestApp } from './app.ts';

export const TEST_PASSWORD = 'a-long-synthetic-passphrase';

/** Test apps of console tests hash passwords with few iterations (the setting's floor is 1,000). */
export const FAST_PASSWORDS = { PASSWORD_PBKDF2_ITERATIONS: '1000' };

export interface ConsoleAgent {
  get(path: string): Promise<Response>;
  /** Posts a form; `_csrf` from the last page read unless given. */
  post(path: string, fields?: Record<string, string>, init?: { csrf?: string | null; headers?: Record<string, string> }): Promise<Response>;
  /** Posts a body as the upload form does (token in the query): multipart, or the file itself as the script sends it. */
  upload(path: string, form: FormData | string, headers?: Record<string, string>): Promise<Response>;
  /** Reads a page and remembers its CSRF field; the body text. */
  page(path: string): Promise<string>;
  csrf: string | null;
  cookies: Map<string, string>;
}

export function consoleAgent(t: TestApp): ConsoleAgent {
  const cookies = new Map<string, string>();
  const agent: ConsoleAgent = {
    cookies,
    csrf: null,
    async get(path) {
      return remember(await t.app.request(path, { headers: headers() }));
    },
    async post(path, fields = {}, init = {}) {
      const body = new URLSearchParams(fields);
      const csrf = init.csrf === undefined ? agent.csrf : init.csrf;
      if (csrf !== null && !body.has('_csrf')) body.set('_csrf', csrf);
      const h = headers({ 'content-type': 'application/x-www-form-urlencoded', ...init.headers });
      return remember(await t.app.request(path, { method: 'POST', body: body.toString(), headers: h }));
    },
    async upload(path, form, extra = {}) {
      const sep = path.includes('?') ? '&' : '?';
      return remember(await t.app.request(`${path}${sep}_csrf=${encodeURIComponent(agent.csrf ?? '')}`, { method: 'POST', body: form, headers: headers(extra) }));
    },
    async page(path) {
      const res = await agent.get(path);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.headers.get('location') ?? ''}`);
      agent.csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? agent.csrf;
      return text;
    },
  };
  function headers(extra: Record<string, string> = {}): Headers {
    const h = new Headers(extra);
    if (cookies.size > 0) h.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    return h;
  }
  function remember(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  }
  return agent;
}

/** An account that can sign in; its username is `web-<role>` unless given. */
export async function addPerson(t: TestApp, role: Role, username = `web-${role}`, password = TEST_PASSWORD) {
  return (await addStaff(t.deps, { name: `网页${role}`, role, createdBy: null, username, password })).staff;
}

/** Signs an existing account in through the form; throws unless the sign-in redirects. */
export async function signInAgent(t: TestApp, username: string, next = '/console'): Promise<ConsoleAgent> {
  const agent = consoleAgent(t);
  await agent.page(`/sign-in?next=${encodeURIComponent(next)}`);
  const res = await agent.post('/sign-in', { username, password: TEST_PASSWORD, next });
  if (res.status !== 303) throw new Error(`sign-in as ${username}: ${res.status}`);
  return agent;
}

/** An account of `role` (username `web-<role>`), signed in through the form. */
export async function signedIn(t: TestApp, role: Role, next = '/console'): Promise<ConsoleAgent> {
  await addPerson(t, role, `web-${role}`);
  return signInAgent(t, `web-${role}`, next);
}
