import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { GUANGYUE, SHUICHENG, addCrewShift, allVisits, commit, confirmedDrivers, preview } from '../helpers/scheduling.ts';

/**
 * The route sheet in a real browser (Debian's Chromium, installed by .ci/run): what the crew
 * prints. Served over HTTP by the real app with a dispatcher's token.
 */
let t: TestApp;
let server: Server;
let browser: Browser;
let url: string;
let order: string[];

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `6000000000${String(n).padStart(2, '0')}`,
  { phone: `1310000${String(n).padStart(4, '0')}`, name: `周测${n}`, ...SHUICHENG, ...extra },
];

beforeAll(async () => {
  t = await createTestApp();
  await confirmedDrivers(t, [driver(1), driver(2), driver(3, GUANGYUE), driver(4, { community: '', lat: '36.4600', lng: '116.0200', address: '聊城市东昌府区很长很长的测试地址路一百二十三号院五号楼三单元六楼东户' })]);
  const shiftId = await addCrewShift(t, 1);
  order = allVisits(await preview(t)).map((v) => v.fileNumber);
  await commit(t);
  server = createServer(getRequestListener(t.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/shifts/${shiftId}/route-sheet`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.cleanup();
});

describe('the route sheet in a browser', () => {
  it('shows the crew, the stops and the drivers in route order', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: { authorization: `Bearer ${t.tokens.dispatcher}` } });
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toContain('路线单 2026-11-27');
    expect(await page.locator('h1').innerText()).toContain('上门体检路线单');
    expect(await page.locator('tr.stop').count()).toBe(3);
    const names = await page.locator('tbody tr:not(.stop) td:nth-child(3)').allInnerTexts();
    expect(names.map((n) => n.split('\n')[0])).toEqual(order.map((f) => `周测${Number(f.slice(-2))}`));
    await page.close();
  });

  it('prints on A4 without the table running off the page', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: { authorization: `Bearer ${t.tokens.dispatcher}` } });
    await page.goto(url);
    await page.emulateMedia({ media: 'print' });
    // A4 at 96 dpi minus Chromium's default print margins: about 718 CSS pixels of width.
    await page.setViewportSize({ width: 718, height: 1000 });
    const overflow = await page.locator('html').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  });

  it('asks for a token in the browser too', async () => {
    const page = await browser.newPage();
    const res = await page.goto(url);
    expect(res?.status()).toBe(401);
    await page.close();
  });
});
