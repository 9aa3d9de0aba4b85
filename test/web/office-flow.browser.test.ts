import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRegistryCsv } from '../../src/demo/demo-data.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, serve, signInInBrowser, type Served } from '../helpers/browser.ts';
import { FAST_PASSWORDS, TEST_PASSWORD, addPerson } from '../helpers/console.ts';
import { runSteps, sms } from '../helpers/outreach.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * The office's day in a real browser (issue 15 "How it is checked"): sign in, import the demo
 * registry, screen, start outreach; simulated drivers reply (through the signed Twilio webhook);
 * the reply shows, an unclear one is resolved from the inbox, and the dashboard counts each step.
 * Then the main forms once more with JavaScript switched off.
 */
let t: TestApp;
let served: Served;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  await addPerson(t, 'admin');
  dir = mkdtempSync(join(tmpdir(), 'sdc-flow-'));
  await writeRegistryCsv({ count: 400, seed: 15, today: '2026-11-26', out: join(dir, 'demo.csv') });
  writeFileSync(join(dir, 'small.csv'), csv([row('381500000001'), row('381500000002', { phone: '12' })]));
  served = await serve(t);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function submit(page: Page, selector: string, url: RegExp | string): Promise<void> {
  await Promise.all([page.waitForURL(url), page.click(selector)]);
}

const flash = (page: Page) => page.locator('.flash').innerText();

/** The funnel row of a step on the dashboard, as shown. */
async function funnelCount(page: Page, step: string): Promise<number> {
  return Number((await page.locator(`tr[data-step="${step}"] [data-figure="count"]`).innerText()).replace(/,/g, ''));
}

async function phoneOf(fileNumber: string): Promise<string> {
  return (await t.deps.db.selectFrom('licences').select('phone').where('file_number', '=', fileNumber).executeTakeFirstOrThrow()).phone;
}

describe('the office in a browser', () => {
  it('imports, screens, notifies, hears the replies, settles the unclear one and counts it all', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signInInBrowser(page, served.url, 'web-admin', TEST_PASSWORD);

    // Import (the script's upload with its progress bar).
    await page.goto(`${served.url}/console/imports`);
    await page.setInputFiles('#file', join(dir, 'demo.csv'));
    await submit(page, 'form[data-upload] button[type=submit]', /\/console\/imports\/[0-9a-f-]{36}$/);
    expect(await flash(page)).toMatch(/^导入完成：共 400 行/);

    // Screening as of today.
    await page.goto(`${served.url}/console/screenings`);
    await submit(page, 'form[action="/console/screenings"] button[type=submit]', /\/console\/screenings\/[0-9a-f-]{36}$/);
    expect(await flash(page)).toBe('筛查完成：检查了 400 名驾驶人。');

    // Outreach to three drivers; the background loop sends their SMS.
    await page.goto(`${served.url}/console/outreach`);
    await page.fill('#limit', '3');
    await submit(page, 'form[action="/console/outreach/start"] button[type=submit]', /\/console\/outreach/);
    expect(await flash(page)).toContain('3');
    expect((await runSteps(t)).sent).toBeGreaterThanOrEqual(3);
    const notified = await t.deps.db.selectFrom('conversations').select('file_number').orderBy('file_number').execute();
    expect(notified).toHaveLength(3);
    const [first, second] = notified.map((c) => c.file_number) as [string, string];

    // One driver answers 1 (confirm); another writes something the parser cannot read.
    expect((await sms(t, await phoneOf(first), '1')).status).toBe(200);
    expect((await sms(t, await phoneOf(second), '我女儿周末回来再说')).status).toBe(200);

    // The reply shows on the driver's page.
    await page.goto(`${served.url}/console/drivers/${first}`);
    expect(await page.locator('main').innerText()).toContain('驾驶人答复（短信）：确认上门');

    // The unclear one waits in the inbox; staff read it as a confirmation.
    await page.goto(`${served.url}/console/outreach/inbox`);
    const item = page.locator('form.outcome-form').filter({ has: page.locator('input[value="confirm"]') }).first();
    expect(await page.locator('main').innerText()).toContain('我女儿周末回来再说');
    await item.locator('input[value="confirm"]').check();
    await Promise.all([page.waitForLoadState('load'), item.locator('button[type=submit]').click()]);
    expect(await page.locator('main').innerText()).not.toContain('我女儿周末回来再说');

    // The dashboard counts each step, as the API does.
    await page.goto(`${served.url}/console`);
    const api = (await (await t.request('/api/dashboard')).json()) as { funnel: { step: string; count: number }[] };
    for (const step of api.funnel) expect(await funnelCount(page, step.step), step.step).toBe(step.count);
    expect(await funnelCount(page, 'screened')).toBe(400);
    expect(await funnelCount(page, 'notified')).toBeGreaterThanOrEqual(2);
    expect(await funnelCount(page, 'confirmed')).toBe(2);
    await context.close();
  }, 120_000);

  it('works with JavaScript switched off: sign-in, upload, screening, sign-out', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await signInInBrowser(page, served.url, 'web-admin', TEST_PASSWORD);
    await page.goto(`${served.url}/console/imports`);
    await page.setInputFiles('#file', join(dir, 'small.csv'));
    await submit(page, 'form[data-upload] button[type=submit]', /\/console\/imports\/[0-9a-f-]{36}$/);
    expect(await flash(page)).toBe('导入完成：共 2 行，新增 1，更新 0，未变 0，拒绝 1。');
    expect(await page.locator('main').innerText()).toContain('联系电话（phone）');

    await page.goto(`${served.url}/console/screenings`);
    await submit(page, 'form[action="/console/screenings"] button[type=submit]', /\/console\/screenings\/[0-9a-f-]{36}$/);
    expect(await flash(page)).toMatch(/^筛查完成/);

    await submit(page, 'form[action="/sign-out"] button', /\/sign-in\?done=signed-out/);
    await page.goto(`${served.url}/console/cases`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await context.close();
  }, 60_000);
});
