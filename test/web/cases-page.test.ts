import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn } from '../helpers/console.ts';
import { csv, row } from '../helpers/registry-csv.ts';

let t: TestApp;

/** As of 2026-11-26: an overdue annual exam + renewal (东昌小区), a downgrade at 63, and 55 more annual exams (水城花园). */
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  const rows = [
    row('371500000001', { birth: '1964-01-10', classes: 'B2', valid_until: '2032-01-10', name: '甲测试', community: '光岳小区', address: '山东省聊城市茌平区测试路2号' }),
    row('371500000002', { birth: '1956-03-01', classes: 'C1', first_issued_on: '1980-06-15', valid_until: '2027-01-05', community: '东昌小区', name: '乙测试' }),
    ...Array.from({ length: 55 }, (_, i) => row(`3716${String(i).padStart(8, '0')}`, { birth: '1955-02-01', classes: 'C1', first_issued_on: '1980-08-20', valid_until: '2031-01-05' })),
  ];
  await postCsv(t, csv(rows));
  expect((await postJson(t, '/api/screenings', { asOf: '2026-11-26' })).status).toBe(201);
});
afterEach(async () => t.cleanup());

describe('the case list', () => {
  it('lists cases by due date, pages through them keeping the filters, and shows the article of each', async () => {
    const admin = await signedIn(t, 'admin');
    const first = await admin.page('/console/cases?category=annual_exam_70');
    const api = (await (await t.request('/api/cases?category=annual_exam_70&limit=50')).json()) as { items: { fileNumber: string }[]; nextCursor: string };
    const shown = [...first.matchAll(/<td>(\d{12})<\/td>/g)].map((m) => m[1]);
    expect(shown).toEqual(api.items.map((i) => i.fileNumber));
    expect(first).toContain('第74条、第79条第9项');
    const next = /href="([^"]+)" rel="next"/.exec(first)![1]!.replaceAll('&amp;', '&');
    expect(next).toContain('category=annual_exam_70');
    const second = await admin.page(next);
    expect([...second.matchAll(/<td>(\d{12})<\/td>/g)]).toHaveLength(56 - 50);
    expect(second).toContain('已是最后一页');
  });

  it('filters by overdue, community and district, and names a filter it could not read', async () => {
    const admin = await signedIn(t, 'admin');
    const overdue = await admin.page('/console/cases?overdue=true&community=%E4%B8%9C%E6%98%8C%E5%B0%8F%E5%8C%BA');
    expect(overdue).toContain('乙测试');
    expect(overdue).not.toContain('甲测试');
    const district = await admin.page('/console/cases?district=%E8%8C%8C%E5%B9%B3%E5%8C%BA');
    expect(district).toContain('甲测试');
    expect(district).not.toContain('乙测试');
    const bad = await admin.page('/console/cases?dueBefore=someday&category=downgrade_63');
    expect(bad).toContain('以下条件的写法不对，已忽略：到期早于');
    expect(bad).toContain('甲测试');
  });

  it('exports the filtered list as CSV with its BOM and the ID masked', async () => {
    const admin = await signedIn(t, 'admin');
    const page = await admin.page('/console/cases?category=downgrade_63');
    const href = /href="(\/console\/cases\.csv[^"]*)"/.exec(page)![1]!.replaceAll('&amp;', '&');
    expect(href).toBe('/console/cases.csv?category=downgrade_63');
    const res = await admin.get(href);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('371500000001');
    expect(lines[1]).not.toMatch(/\d{17}[\dX]/);
  });
});

describe('the driver page', () => {
  it('shows the licence with the ID masked, every case with its dates and article, and the full ID only after an audited post', async () => {
    const admin = await signedIn(t, 'admin');
    const page = await admin.page('/console/drivers/371500000002');
    expect(page).toContain('驾驶人：乙测试');
    expect(page).toContain('依据《机动车驾驶证申领和使用规定》');
    expect(page).toContain('第74条、第79条第9项');
    expect(page).toContain('期满换证');
    expect(page).toContain('显示完整号码（将记入审计）');
    expect(page).not.toMatch(/\d{17}[\dX]/);
    const shown = await admin.post('/console/drivers/371500000002/full-id');
    expect(shown.status).toBe(200);
    expect(await shown.text()).toMatch(/<span class="masked">371502\d{11}[\dX]<\/span>/);
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'licence.view_full_id').execute();
    expect(audit.map((a) => a.subject)).toEqual(['371500000002']);
  });

  it('shows a dispatcher contact and place, no full-ID button, no exams and no 12123 section', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    const page = await dispatcher.page('/console/drivers/371500000002');
    expect(page).toContain('乙测试');
    expect(page).not.toContain('显示完整号码');
    expect(page).not.toContain('体检结果');
    expect(page).not.toContain('12123 提交</h2>');
    expect(page).not.toContain('出生日期');
    expect((await dispatcher.post('/console/drivers/371500000002/full-id')).status).toBe(403);
    expect(await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'licence.view_full_id').execute()).toHaveLength(0);
  });

  it('answers an unknown driver with the not-found page', async () => {
    const admin = await signedIn(t, 'admin');
    expect((await admin.get('/console/drivers/999999999999')).status).toBe(404);
    expect((await admin.get('/console/drivers/not-a-number')).status).toBe(404);
  });
});
