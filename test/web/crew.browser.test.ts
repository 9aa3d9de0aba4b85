import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { axeViolations, launchChromium, newAxeContext, serve, signInInBrowser, type Served } from '../helpers/browser.ts';
import { FAST_PASSWORDS, TEST_PASSWORD } from '../helpers/console.ts';
import { crewDay, type CrewDay } from './crew-day.ts';

/**
 * The crew's day on a phone (issue 16), in Chromium at 390x844: the postal worker and the
 * examiner land on 今日上门, walk a stop (出发, 已到达), and the examiner records an exam with
 * the network cut in the middle - kept on the phone, sent when the network is back, recorded
 * once. Every page: no WCAG 2.1 A/AA violation axe-core finds, nothing wider than the screen;
 * with CONSOLE_SHOTS=DIR a screenshot of each is written there.
 */
let t: TestApp;
let served: Served;
let browser: Browser;
let day: CrewDay;
const PHONE = { width: 390, height: 844 };

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  day = await crewDay(t);
  served = await serve(t);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await t?.cleanup();
});

async function phone(username: string): Promise<{ context: BrowserContext; page: Page }> {
  // bypassCSP only so that axe-core's script can be injected; the pages themselves run none inline.
  const context = await newAxeContext(browser, { viewport: PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await signInInBrowser(page, served.url, username, TEST_PASSWORD);
  return { context, page };
}

let shots = 0;
async function checked(page: Page): Promise<unknown> {
  const dir = process.env.CONSOLE_SHOTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `crew-${++shots}${new URL(page.url()).pathname.replace(/[/:]+/g, '_')}.png`), fullPage: true });
  }
  const violations = await axeViolations(page);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  return { violations, overflow };
}

const examCount = async () => Number((await t.deps.db.selectFrom('exams').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

async function fillHealthy(page: Page, certificate: string): Promise<void> {
  await page.fill('#heightCm', '168');
  await page.selectOption('#visionLeft', '5.0');
  await page.selectOption('#visionRight', '5.0');
  for (const name of ['hearingLeft', 'hearingRight', 'upperLimbs', 'lowerLimbs', 'trunkNeck']) await page.check(`input[name=${name}][value=yes]`);
  await page.check('input[name=colourBlind][value=no]');
  if ((await page.locator('input[name=cognitiveTest]').count()) > 0) await page.check('input[name=cognitiveTest][value=yes]');
  await page.fill('#certificateNumber', certificate);
}

describe('the crew on a phone', () => {
  it('lets the postal worker walk to a stop, arrive, and see the 委托书 form, every page accessible', async () => {
    const { context, page } = await phone('web-postal');
    expect(new URL(page.url()).pathname).toBe('/console/today');
    expect(await checked(page)).toEqual({ violations: [], overflow: 0 });
    await page.click(`a.stop-open[href="/console/stops/${day.visits[0]}"]`);
    expect(await checked(page)).toEqual({ violations: [], overflow: 0 });
    await Promise.all([page.waitForURL(`**/console/stops/${day.visits[0]}`), page.click('button:has-text("出发")')]);
    await page.getByText('已记录出发。').waitFor();
    await Promise.all([page.waitForURL(`**/console/stops/${day.visits[0]}`), page.click('button:has-text("已到达")')]);
    await page.getByText('已记录到达。').waitFor();
    expect(await page.locator('input[type=file][capture=environment]').count()).toBe(1);
    expect(await checked(page)).toEqual({ violations: [], overflow: 0 });
    await context.close();
  }, 60_000);

  it('keeps an exam submitted offline on the phone and records it once when the network is back', async () => {
    const { context, page } = await phone('web-examiner');
    await page.goto(`${served.url}/console/stops/${day.visits[1]}/exam`);
    expect(await checked(page)).toEqual({ violations: [], overflow: 0 });
    await fillHealthy(page, 'LC-2026-000901');
    // The draft is on the phone as it is typed.
    const draft = await page.evaluate<string | null>(`localStorage.getItem('exam-draft:${day.visits[1]}')`);
    expect(JSON.parse(draft ?? '{}')).toMatchObject({ heightCm: '168', certificateNumber: 'LC-2026-000901' });

    await context.setOffline(true);
    await page.click('button:has-text("提交体检结果")');
    await page.getByText('已保存在手机上，联网后自动提交').waitFor();
    // A second tap while offline changes nothing.
    await page.click('button:has-text("提交体检结果")');
    expect(await examCount()).toBe(0);

    await Promise.all([page.waitForURL(`**/console/stops/${day.visits[1]}`), context.setOffline(false)]);
    await page.getByText('体检已记录：合格').waitFor();
    expect(await examCount()).toBe(1);
    expect(await page.evaluate<string | null>(`localStorage.getItem('exam-pending:${day.visits[1]}')`)).toBeNull();
    expect(await checked(page)).toEqual({ violations: [], overflow: 0 });
    await context.close();
  }, 60_000);

  it('sends an exam kept offline from the next page opened with a signal, when its own page was closed', async () => {
    const { context, page } = await phone('web-examiner');
    await page.goto(`${served.url}/console/stops/${day.visits[2]}/exam`);
    await fillHealthy(page, 'LC-2026-000902');
    const before = await examCount();
    await context.setOffline(true);
    await page.click('button:has-text("提交体检结果")');
    await page.getByText('已保存在手机上，联网后自动提交').waitFor();
    await page.close();
    await context.setOffline(false);
    expect(await examCount()).toBe(before);

    const next = await context.newPage();
    await next.goto(`${served.url}/console/today`);
    await next.getByText('保存在手机上的体检结果已提交。').waitFor();
    expect(await examCount()).toBe(before + 1);
    expect(await next.evaluate<string | null>(`localStorage.getItem('exam-pending:${day.visits[2]}')`)).toBeNull();
    expect(await checked(next)).toEqual({ violations: [], overflow: 0 });
    await context.close();
  }, 60_000);
});
