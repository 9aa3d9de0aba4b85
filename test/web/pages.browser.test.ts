import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { axeViolations, launchChromium, newAxeContext, serve, signInInBrowser, type Served } from '../helpers/browser.ts';
import { FAST_PASSWORDS, TEST_PASSWORD, addPerson } from '../helpers/console.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';
import { sms } from '../helpers/outreach.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * Every console page an administrator can open, found from the app's own routes, in Chromium at
 * the desk (1280x800) and on a phone (390x844), over data that fills each of them: no WCAG 2.1
 * A/AA violation axe-core can find, and nothing wider than the screen. With CONSOLE_SHOTS=DIR a
 * screenshot of each page is written there, to look at.
 */
let t: TestApp;
let served: Served;
let browser: Browser;
const sample: Record<string, string> = {};

/** GET pages with a permission (pagePermission keeps it on the middleware), files left out. */
function pagePaths(): string[] {
  const paths = new Set<string>();
  for (const r of t.app.routes) {
    let h = r.handler as { __COMPOSED_HANDLER?: unknown; permission?: string };
    while (h.__COMPOSED_HANDLER) h = h.__COMPOSED_HANDLER as typeof h;
    if (r.method === 'GET' && h.permission && !/\.(csv|ics)$/.test(r.path)) paths.add(r.path);
  }
  return [...paths];
}

/** A page's path with real ids: which id a `:id` is, by the folder it is in. */
function concrete(path: string): string {
  return path.replace(/\/([\w-]+)\/:(\w+)/g, (_, folder: string, name: string) => {
    const value = sample[`${folder}/${name}`];
    if (!value) throw new Error(`no sample ${folder}/:${name} for ${path}: add one to the seed above`);
    return `/${folder}/${value}`;
  });
}

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  const admin = await addPerson(t, 'admin');
  sample['staff/id'] = admin.id;
  // A crew's day that reached 12123: three exams, one refused by the gateway.
  const drivers = [driver(1), driver(2), driver(3)];
  const visits = await bookedVisits(t, drivers);
  t.clock.set('2026-11-27T01:59:00Z');
  for (const [file] of drivers) await recordExam(t, visits.get(file)!);
  const submissions = await t.deps.db.selectFrom('submissions').select(['id', 'idempotency_key']).orderBy('file_number').execute();
  const sim = createGatewaySimulator({ rejectKeys: [submissions[0]!.idempotency_key] });
  const state = new WorkerState(workerSettings(t.deps.config), () => 0.5);
  for (let i = 0; i < 5; i++) await runRound(t.deps, sim.gateway, state);
  sample['submissions/id'] = submissions[0]!.id;
  sample['drivers/fileNumber'] = drivers[0]![0];
  // A stop whose exam is recorded: its page, and the exam form saying so.
  sample['stops/visitId'] = visits.get(drivers[0]![0])!;
  sample['shifts/id'] = (await t.deps.db.selectFrom('shifts').select('id').executeTakeFirstOrThrow()).id;
  // An import with a rejected row, and a reply from a number nobody has.
  const form = new FormData();
  form.set('file', new File([csv([row('371500000001'), row('371500000002', { phone: '1' })])], 'registry.csv'));
  sample['imports/id'] = ((await (await t.request('/api/registry/imports', { method: 'POST', body: form })).json()) as { id: string }).id;
  await sms(t, '+8613999999999', '请问是什么事');
  sample['screenings/id'] = (await t.deps.db.selectFrom('screening_runs').select('id').executeTakeFirstOrThrow()).id;
  served = await serve(t);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await t?.cleanup();
});

describe.each([
  { name: 'desk', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
])('the console on a $name screen', ({ name, viewport }) => {
  it('has no accessibility violation and fits the screen on every page', async () => {
    const shots = process.env.CONSOLE_SHOTS;
    if (shots) mkdirSync(shots, { recursive: true });
    const context = await newAxeContext(browser, { viewport });
    const page = await context.newPage();
    const findings: Record<string, unknown> = {};
    await page.goto(`${served.url}/sign-in`);
    findings['/sign-in'] = await axeViolations(page);
    await signInInBrowser(page, served.url, 'web-admin', TEST_PASSWORD);
    const paths = pagePaths();
    expect(paths.length).toBeGreaterThan(15);
    for (const template of paths) {
      const path = concrete(template);
      const res = await page.goto(`${served.url}${path}`);
      const violations = await axeViolations(page);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      if (res?.status() !== 200 || violations.length > 0 || overflow > 0) findings[template] = { status: res?.status(), violations, overflow };
      if (shots) await page.screenshot({ path: join(shots, `${name}${template.replace(/[/:]+/g, '_')}.png`), fullPage: true });
    }
    await context.close();
    expect(Object.fromEntries(Object.entries(findings).filter(([, v]) => !Array.isArray(v) || v.length > 0))).toEqual({});
  }, 120_000);
});
