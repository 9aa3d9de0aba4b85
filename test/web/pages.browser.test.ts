import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { axeViolations, launchChromium, serve, signInInBrowser, type Served } from '../helpers/browser.ts';
import { FAST_PASSWORDS, TEST_PASSWORD, addPerson } from '../helpers/console.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * Every console page in Chromium, at the desk (1280x800) and on a phone (390x844): no WCAG 2.1
 * A/AA violation axe-core can find, and nothing wider than the screen.
 */
let t: TestApp;
let served: Served;
let browser: Browser;
let importPath: string;

const PAGES = ['/sign-in', '/console', '/console/account', '/console/imports', '/console/submissions'];

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  await addPerson(t, 'admin');
  const form = new FormData();
  form.set('file', new File([csv([row('371500000001'), row('371500000002', { phone: '1' })])], 'registry.csv'));
  const imported = (await (await t.request('/api/registry/imports', { method: 'POST', body: form })).json()) as { id: string };
  importPath = `/console/imports/${imported.id}`;
  served = await serve(t);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await t?.cleanup();
});

describe.each([
  { name: 'desk', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
])('the console on a $name screen', ({ viewport }) => {
  it('has no accessibility violation and fits the screen on every page', async () => {
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();
    const findings: Record<string, unknown> = {};
    for (const path of PAGES.concat(importPath)) {
      if (path === '/console') await signInInBrowser(page, served.url, 'web-admin', TEST_PASSWORD);
      await page.goto(`${served.url}${path}`);
      const violations = await axeViolations(page);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      if (violations.length > 0 || overflow > 0) findings[path] = { violations, overflow };
    }
    await context.close();
    expect(findings).toEqual({});
  }, 60_000);
});
