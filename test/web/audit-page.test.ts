import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditDetailsText } from '../../src/web/office/audit-words.ts';
import { createTestApp, postCsv, type TestApp } from '../helpers/app.ts';
import { consoleAgent, FAST_PASSWORDS, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import { csv, row } from '../helpers/registry-csv.ts';

let t: TestApp;
let admin: ConsoleAgent;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  admin = await signedIn(t, 'admin');
  expect((await postCsv(t, csv([row('371500000001'), row('371500000002')]))).status).toBe(201);
});
afterEach(async () => t.cleanup());

const NOW = '2026-11-26T02:00:00.000Z';

/** An admin program (the test app's 测试admin token) reads a driver's full ID number at `at`. */
async function viewFullId(fileNumber: string, at: string) {
  t.clock.set(at);
  expect((await t.request(`/api/licences/${fileNumber}`)).status).toBe(200);
  t.clock.set(NOW);
}

type ApiPage = { items: { id: string; action: string; subject: string | null }[]; nextCursor: string | null };
async function api(query: string): Promise<ApiPage> {
  return (await (await t.request(`/api/audit?${query}`)).json()) as ApiPage;
}

/** The table's rows: each `<tr>` of the body as its cells' text. */
function rows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')));
}

describe('the audit log page', () => {
  it('answers who saw which full ID number, when: the person, the file number and the time, as GET /api/audit', async () => {
    await viewFullId('371500000001', '2026-11-26T03:15:00.000Z');
    const page = await admin.page('/console/audit?action=licence.view_full_id');
    expect(rows(page)).toEqual([['2026年11月26日 11:15', '测试admin', '查看完整身份证号', '档案编号 371500000001', '—']]);
    expect(page).toContain('href="/console/drivers/371500000001"');
    expect(page).toContain('<option value="licence.view_full_id" selected="">查看完整身份证号</option>');
    expect((await api('action=licence.view_full_id')).items).toHaveLength(1);
  });

  it('filters by person, subject and days (China time) in the URL, with the same entries as the API', async () => {
    await viewFullId('371500000001', '2026-11-24T10:00:00.000Z');
    // 00:30 on the 25th in Shanghai, still the 24th in UTC.
    await viewFullId('371500000002', '2026-11-24T16:30:00.000Z');
    await viewFullId('371500000001', '2026-11-25T12:00:00.000Z');

    const day = await admin.page('/console/audit?action=licence.view_full_id&from=2026-11-25&to=2026-11-25');
    expect(rows(day).map((r) => r[3])).toEqual(['档案编号 371500000001', '档案编号 371500000002']);
    expect(rows(day).map((r) => r[0])).toEqual(['2026年11月25日 20:00', '2026年11月25日 00:30']);
    expect((await api('action=licence.view_full_id&from=2026-11-25&to=2026-11-25')).items).toHaveLength(2);

    const subject = await admin.page('/console/audit?subject=371500000002');
    expect(rows(subject)).toHaveLength(1);
    expect(subject).toContain('value="371500000002"');

    const me = await t.deps.db.selectFrom('staff').select('id').where('username', '=', 'web-admin').executeTakeFirstOrThrow();
    const mine = await admin.page(`/console/audit?staffId=${me.id}`);
    const expected = (await api(`staffId=${me.id}`)).items;
    expect(expected.map((e) => e.action)).toEqual(['staff.sign_in']);
    expect(rows(mine).map((r) => [r[1], r[2]])).toEqual([['网页admin', '登录']]);
    expect(mine).toContain(`<option value="${me.id}" selected="">网页admin（车管所管理员）</option>`);
  });

  it('pages with a keyset cursor that keeps the filters, as the API pages', async () => {
    for (let i = 0; i < 53; i++) await viewFullId('371500000001', new Date(Date.parse('2026-11-20T00:00:00.000Z') + i * 60_000).toISOString());
    const first = await admin.page('/console/audit?action=licence.view_full_id');
    expect(rows(first)).toHaveLength(50);
    const next = /href="([^"]+)" rel="next"/.exec(first)![1]!.replaceAll('&amp;', '&');
    const apiFirst = await api('action=licence.view_full_id&limit=50');
    expect(next).toBe(`/console/audit?action=licence.view_full_id&cursor=${apiFirst.nextCursor}`);
    const second = await admin.page(next);
    expect(rows(second)).toHaveLength(3);
    expect(second).toContain('已是最后一页');
    expect(rows(second).at(-1)![0]).toBe('2026年11月20日 08:00');
  });

  it('says what each entry means in Chinese: a failed sign-in, an account added, an import', async () => {
    const stranger = consoleAgent(t);
    await stranger.page('/sign-in');
    await stranger.post('/sign-in', { username: 'web-admin', password: 'not-the-right-passphrase', next: '/console' });
    const failed = rows(await admin.page('/console/audit?action=staff.sign_in_failed'));
    expect(failed).toEqual([['2026年11月26日 10:00', '未登录的访问者', '登录失败', '账户：网页admin', '密码错误']]);

    const added = rows(await admin.page('/console/audit?action=staff.add'));
    expect(added).toHaveLength(5);
    expect(added[0]!.slice(1)).toEqual(['命令行或系统', '添加账户', '账户：网页admin', '角色：车管所管理员；可用用户名和密码登录网页']);
    expect(added.at(-1)![4]).toBe('角色：车管所管理员；仅供程序使用（接口令牌）');

    const imported = rows(await admin.page('/console/audit?action=registry.import'));
    expect(imported.map((r) => [r[3], r[4]])).toEqual([['导入记录', '共 2 行，拒绝 0 行']]);
  });

  it('shows details it has no words for as stored, and a bad date as the form error (400)', async () => {
    expect(auditDetailsText('some.future_action', { count: 2 })).toBe('{"count":2}');
    expect(auditDetailsText('registry.import', { unexpected: true })).toBe('{"unexpected":true}');
    const res = await admin.get('/console/audit?from=2026-13-40');
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('开始日期不是有效的日期');
    expect(html).toContain('value="2026-13-40"');
  });

  it('refuses the page to a dispatcher and sends anonymous people to sign in', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    const res = await dispatcher.get('/console/audit');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('没有权限');
    expect((await t.request('/api/audit', { as: 'dispatcher' })).status).toBe(403);
    const anonymous = await consoleAgent(t).get('/console/audit?action=licence.view_full_id');
    expect(anonymous.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent('/console/audit?action=licence.view_full_id')}`);
  });
});
