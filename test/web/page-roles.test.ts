import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, can, type Permission, type Role } from '../../src/staff/permissions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, consoleAgent, signedIn, type ConsoleAgent } from '../helpers/console.ts';

/**
 * The console's page x role matrix, beside the API's (test/http/permissions.test.ts): every page
 * route declares its permission (pagePermission keeps it on the middleware), every such
 * permission is one the API declares too, each role gets exactly the pages its permissions allow,
 * and anonymous visitors go to sign-in.
 */
let t: TestApp;
const agents = {} as Record<Role, ConsoleAgent>;

interface PageRoute {
  method: string;
  path: string;
  permission: Permission;
}

/** Hono wraps the handlers of a sub-app with its own error handler; the original is kept under this name. */
function unwrap(handler: unknown): { permission?: Permission } {
  let h = handler as { __COMPOSED_HANDLER?: unknown; permission?: Permission };
  while (h.__COMPOSED_HANDLER) h = h.__COMPOSED_HANDLER as typeof h;
  return h;
}

const SAMPLE: Record<string, string> = { id: '00000000-0000-4000-8000-000000000000', fileNumber: '371500000001', date: '2026-11-27' };
const concrete = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => SAMPLE[name] ?? 'x');
const isPage = (path: string) => path === '/console' || path.startsWith('/console/');

function pageRoutes(): { declared: PageRoute[]; undeclared: string[] } {
  const seen = new Map<string, PageRoute>();
  const handlersByRoute = new Map<string, boolean>();
  for (const r of t.app.routes) {
    if (!isPage(r.path) || r.method === 'ALL') continue;
    const key = `${r.method} ${r.path}`;
    const permission = unwrap(r.handler).permission;
    if (permission) seen.set(key, { method: r.method, path: r.path, permission });
    else if (!handlersByRoute.has(key)) handlersByRoute.set(key, false);
  }
  return { declared: [...seen.values()], undeclared: [...handlersByRoute.keys()].filter((k) => !seen.has(k)) };
}

/**
 * Who may open or post each page, written out (DESIGN.md "Staff roles"): a page added, or a
 * permission changed, must be changed here too, on purpose.
 */
const EVERYONE = 'admin dispatcher examiner postal';
const OFFICE = 'admin';
const PLANNING = 'admin dispatcher';
const EXPECTED: Record<string, string> = {
  'GET /console': EVERYONE,
  'GET /console/account': EVERYONE,
  'POST /console/account/password': EVERYONE,
  'POST /console/account/sign-out-everywhere': EVERYONE,
  'GET /console/imports': OFFICE,
  'POST /console/imports': OFFICE,
  'GET /console/imports/:id': OFFICE,
  'GET /console/imports/:id/rejected.csv': OFFICE,
  'GET /console/cases': PLANNING,
  'GET /console/cases.csv': PLANNING,
  'GET /console/drivers/:fileNumber': PLANNING,
  'POST /console/drivers/:fileNumber/full-id': OFFICE,
  'GET /console/screenings': OFFICE,
  'POST /console/screenings': OFFICE,
  'GET /console/screenings/:id': OFFICE,
  'GET /console/outreach': OFFICE,
  'POST /console/outreach/start': OFFICE,
  'GET /console/outreach/calls': OFFICE,
  'POST /console/outreach/calls/:id': OFFICE,
  'GET /console/outreach/inbox': OFFICE,
  'POST /console/outreach/inbox/:id': OFFICE,
  'GET /console/outreach/opt-outs': OFFICE,
  'GET /console/submissions': OFFICE,
  'POST /console/submissions/pause': OFFICE,
  'POST /console/submissions/resume': OFFICE,
  'POST /console/submissions/retry': OFFICE,
  'GET /console/submissions/:id': OFFICE,
  'GET /console/staff': OFFICE,
  'POST /console/staff': OFFICE,
  'GET /console/staff/:id': OFFICE,
  'POST /console/staff/:id/deactivate': OFFICE,
  'POST /console/staff/:id/activate': OFFICE,
  'POST /console/staff/:id/password': OFFICE,
  'POST /console/staff/:id/sign-out-everywhere': OFFICE,
  'POST /console/staff/:id/token': OFFICE,
  'GET /console/audit': OFFICE,
  // The crew's phone pages (src/web/crew/): every stop's own-crew check is the service's (crewStop).
  'GET /console/today': EVERYONE,
  'GET /console/stops/:visitId': EVERYONE,
  'POST /console/stops/:visitId/en-route': EVERYONE,
  'POST /console/stops/:visitId/arrived': EVERYONE,
  'POST /console/stops/:visitId/no-show': EVERYONE,
  'POST /console/stops/:visitId/authorisation': 'admin postal',
  'GET /console/stops/:visitId/exam': 'admin examiner',
  'POST /console/stops/:visitId/exam': 'admin examiner',
  'GET /console/crews': PLANNING,
  'POST /console/crews': PLANNING,
  'GET /console/shifts': PLANNING,
  'POST /console/shifts': PLANNING,
  'GET /console/shifts/:id': PLANNING,
  'POST /console/shifts/:id': PLANNING,
  'POST /console/shifts/:id/cancel': PLANNING,
  // The crew's own sheet too (the own-shift check is the API's, src/scheduling/shifts.ts routeSheetFor).
  'GET /console/shifts/:id/route-sheet': EVERYONE,
  'GET /console/shifts/:id/route-sheet.ics': EVERYONE,
  'GET /console/plans': PLANNING,
  'POST /console/plans/preview': PLANNING,
  'POST /console/plans/commit': PLANNING,
  'POST /console/plans/visits/:id': PLANNING,
  'POST /console/plans/visits/:id/remove': PLANNING,
  'GET /console/follow-ups': OFFICE,
  'POST /console/follow-ups/:caseId': OFFICE,
};

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  for (const role of ROLES) agents[role] = await signedIn(t, role);
  for (const role of ROLES) await agents[role].page('/console/account');
});
afterAll(async () => t.cleanup());

describe('the console page x role matrix', () => {
  it('has a permission on every page route, each one the API declares too', async () => {
    const { declared, undeclared } = pageRoutes();
    expect(undeclared).toEqual([]);
    expect(declared.length).toBeGreaterThan(15);
    const doc = (await (await t.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { 'x-permission'?: string }>> };
    const api = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op['x-permission'])));
    expect(declared.filter((p) => !api.has(p.permission))).toEqual([]);
  });

  it('matches the matrix written out above, page by page', () => {
    const actual = Object.fromEntries(pageRoutes().declared.map((p) => [`${p.method} ${p.path}`, ROLES.filter((r) => can(r, p.permission)).join(' ')]));
    expect(actual).toEqual(EXPECTED);
  });

  it('gives each role exactly the pages its permissions allow', async () => {
    const wrong: string[] = [];
    for (const page of pageRoutes().declared) {
      for (const role of ROLES) {
        const allowed = can(role, page.permission);
        // Posting is acting: only the refusals are tried.
        if (page.method !== 'GET' && allowed) continue;
        const path = concrete(page.path);
        const res = page.method === 'GET' ? await agents[role].get(path) : await agents[role].post(path, {});
        const refused = res.status === 403;
        const toSignIn = (res.headers.get('location') ?? '').startsWith('/sign-in');
        if (refused === allowed || toSignIn) wrong.push(`${role} ${page.method} ${page.path}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('sends anonymous visitors of every page to sign-in, and back after', async () => {
    const anonymous = consoleAgent(t);
    const wrong: string[] = [];
    for (const page of pageRoutes().declared) {
      const path = concrete(page.path);
      const res = page.method === 'GET' ? await anonymous.get(path) : await anonymous.post(path, {}, { csrf: null });
      const location = res.headers.get('location') ?? '';
      if (res.status !== 303 || !location.startsWith(`/sign-in?next=${encodeURIComponent(path)}`)) wrong.push(`${page.method} ${page.path}: ${res.status} ${location}`);
    }
    expect(wrong).toEqual([]);
  });
});
