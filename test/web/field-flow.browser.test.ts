import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { TINY_PNG } from '../helpers/authorisation.ts';
import { launchChromium, serve, signInInBrowser, type Served } from '../helpers/browser.ts';
import { FAST_PASSWORDS, TEST_PASSWORD, addPerson as addAccount } from '../helpers/console.ts';
import { driver } from '../helpers/exams.ts';
import { advance, hours } from '../helpers/outreach.ts';
import { GUANGYUE, TOMORROW, addPerson, addShift, confirmedDrivers } from '../helpers/scheduling.ts';

/**
 * The field's day end to end in Chromium (issue 16 "How it is checked"): a dispatcher plans and
 * commits a day for two crews on the planning board; on the day the postal worker and the
 * examiner of a crew, each on a 390x844 phone, walk their first stop - set out, arrive, the
 * driver's 委托书 with a photo, the exam with the network cut in the middle - and the
 * submission reaches the 12123 simulator, once.
 */
let t: TestApp;
let served: Served;
let browser: Browser;
let dir: string;
const DRIVERS = [driver(1), driver(2), driver(3, GUANGYUE), driver(4, GUANGYUE)];

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  await confirmedDrivers(t, DRIVERS);
  await addAccount(t, 'dispatcher');
  for (const n of [1, 2]) {
    const postal = await addAccount(t, 'postal', `web-postal${n}`);
    const examiner = await addAccount(t, 'examiner', `web-examiner${n}`);
    const postalId = await addPerson(t, 'postal', `邮递员${n}`);
    const examinerId = await addPerson(t, 'examiner', `医生${n}`);
    await t.deps.db.updateTable('field_staff').set({ staff_id: postal.id }).where('id', '=', postalId).execute();
    await t.deps.db.updateTable('field_staff').set({ staff_id: examiner.id }).where('id', '=', examinerId).execute();
    // Two stops each: the day needs both crews.
    await addShift(t, { postalId, examinerId, capacity: 2 });
  }
  dir = mkdtempSync(join(tmpdir(), 'sdc-field-'));
  writeFileSync(join(dir, 'signed-form.png'), TINY_PNG);
  served = await serve(t);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await t?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signedInPage(username: string, viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, ...(viewport.width < 500 ? { hasTouch: true, isMobile: true } : {}) });
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await signInInBrowser(page, served.url, username, TEST_PASSWORD);
  return { context, page };
}

const PHONE = { width: 390, height: 844 };
const visitsOf = (status: 'booked') => t.deps.db.selectFrom('visits').select(['id', 'shift_id', 'seq']).where('status', '=', status).orderBy('shift_id').orderBy('seq').execute();

describe('the field in a browser', () => {
  it('plans two crews, walks a stop on the phones and files the exam to 12123 once', async () => {
    // The dispatcher plans tomorrow on the board and commits it.
    const desk = await signedInPage('web-dispatcher', { width: 1280, height: 800 });
    await desk.page.goto(`${served.url}/console/plans?date=${TOMORROW}`);
    await Promise.all([desk.page.waitForLoadState('load'), desk.page.click(`form[action="/console/plans/preview"] button[type=submit]`)]);
    await desk.page.check('#confirm');
    await Promise.all([desk.page.waitForLoadState('load'), desk.page.click('button:has-text("确认并发送")')]);
    await desk.page.locator('.flash').waitFor();
    const booked = await visitsOf('booked');
    expect(booked).toHaveLength(4);
    expect(new Set(booked.map((v) => v.shift_id)).size).toBe(2);
    await desk.context.close();

    // The day of the visits, 10:00 in Shanghai.
    advance(t, hours(24));
    // The first stop of a crew; its accounts: shifts were made crew 1 then 2 (ids sort by time).
    const stop = booked.find((v) => v.seq === 1)!;
    const crew = (await t.deps.db.selectFrom('shifts').select('id').orderBy('id').execute()).findIndex((s) => s.id === stop.shift_id) + 1;
    const postalName = `web-postal${crew}`;
    const examinerName = `web-examiner${crew}`;

    // The postal worker: today's stops, set out, arrive, the 委托书 with its photo.
    const postal = await signedInPage(postalName, PHONE);
    expect(new URL(postal.page.url()).pathname).toBe('/console/today');
    expect(await postal.page.locator('a.stop-open').count()).toBe(2);
    await postal.page.click(`a.stop-open[href="/console/stops/${stop.id}"]`);
    await Promise.all([postal.page.waitForURL(`**/console/stops/${stop.id}`), postal.page.click('button:has-text("出发")')]);
    await postal.page.getByText('已记录出发。').waitFor();
    await Promise.all([postal.page.waitForURL(`**/console/stops/${stop.id}`), postal.page.click('button:has-text("已到达")')]);
    await postal.page.getByText('已记录到达。').waitFor();
    await postal.page.fill('#signerName', '孙测签');
    await postal.page.selectOption('#relation', 'self');
    await postal.page.setInputFiles('#photo', join(dir, 'signed-form.png'));
    await Promise.all([postal.page.waitForLoadState('load'), postal.page.locator('form:has(#photo) button[type=submit]').click()]);
    await postal.page.getByText('已登记').first().waitFor();
    await postal.context.close();

    // The examiner: the exam form, submitted while the network is cut, sent when it is back.
    const examiner = await signedInPage(examinerName, PHONE);
    await examiner.page.goto(`${served.url}/console/stops/${stop.id}/exam`);
    const p = examiner.page;
    await p.fill('#heightCm', '168');
    await p.selectOption('#visionLeft', '5.0');
    await p.selectOption('#visionRight', '5.0');
    for (const name of ['hearingLeft', 'hearingRight', 'upperLimbs', 'lowerLimbs', 'trunkNeck']) await p.check(`input[name=${name}][value=yes]`);
    await p.check('input[name=colourBlind][value=no]');
    if ((await p.locator('input[name=cognitiveTest]').count()) > 0) await p.check('input[name=cognitiveTest][value=yes]');
    await p.fill('#certificateNumber', 'LC-2026-001001');
    await examiner.context.setOffline(true);
    await p.click('button:has-text("提交体检结果")');
    await p.getByText('已保存在手机上，联网后自动提交').waitFor();
    await Promise.all([p.waitForURL(`**/console/stops/${stop.id}`), examiner.context.setOffline(false)]);
    await p.getByText('体检已记录：合格').waitFor();
    await examiner.context.close();

    // The worker files it: the simulator takes it once, and the case is completed.
    const exams = await t.deps.db.selectFrom('exams').select('visit_id').execute();
    expect(exams.map((e) => e.visit_id)).toEqual([stop.id]);
    const sim = createGatewaySimulator();
    const state = new WorkerState(workerSettings(t.deps.config), () => 0.5);
    for (let i = 0; i < 3; i++) await runRound(t.deps, sim.gateway, state);
    expect(sim.stats().filed).toBe(1);
    const submissions = await t.deps.db.selectFrom('submissions').select(['status', 'held_for']).execute();
    expect(submissions).toEqual([{ status: 'accepted', held_for: null }]);
  }, 180_000);
});
