import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, addPerson as addAccount, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import { addPerson } from '../helpers/scheduling.ts';

let t: TestApp;
let dispatcher: ConsoleAgent;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  dispatcher = await signedIn(t, 'dispatcher');
});
afterEach(async () => t.cleanup());

const person = (extra: Record<string, string> = {}) => ({ kind: 'postal', name: '孙投递', phone: '13900000011', organisation: '聊城市邮政分公司', ...extra });

describe('the crews page', () => {
  it('lists the postal workers and examiners with organisation, phone and account, as the API does', async () => {
    const examiner = await addAccount(t, 'examiner', 'web-doctor');
    const postalId = await addPerson(t, 'postal', '吴投递');
    const examinerId = await addPerson(t, 'examiner', '冯医生', { staffId: examiner.id });
    const page = await dispatcher.page('/console/crews');
    const api = (await (await t.request('/api/field-staff', { as: 'dispatcher' })).json()) as { items: { name: string; phoneDisplay: string; organisation: string }[] };
    expect(api.items).toHaveLength(2);
    for (const p of api.items) {
      expect(page).toContain(p.name);
      expect(page).toContain(p.phoneDisplay);
      expect(page).toContain(p.organisation);
    }
    expect(page).toContain('共 2 人：邮政投递员 1 人，体检医生 1 人');
    expect(page).toContain('已关联');
    expect(page).toContain('未关联');
    expect(page).toContain(`href="/console/shifts?person=${postalId}"`);
    expect(page).toContain(`href="/console/shifts?person=${examinerId}"`);
    expect(page).toContain('href="tel:+8613900000001"');
  });

  it('filters by kind in the URL', async () => {
    await addPerson(t, 'postal', '吴投递');
    await addPerson(t, 'examiner', '冯医生');
    const page = await dispatcher.page('/console/crews?kind=examiner');
    expect(page).toContain('冯医生');
    expect(page).not.toContain('吴投递');
    expect(page).toContain('<option value="examiner" selected="">');
  });

  it('is refused to examiners and postal workers', async () => {
    for (const role of ['examiner', 'postal'] as const) {
      const agent = await signedIn(t, role);
      expect((await agent.get('/console/crews')).status).toBe(403);
    }
  });
});

describe('adding a person', () => {
  it('adds one from the form, with a message', async () => {
    await dispatcher.page('/console/crews');
    const res = await dispatcher.post('/console/crews', person());
    expect(res.status).toBe(303);
    expect(await dispatcher.page(res.headers.get('location')!)).toContain('已添加邮政投递员“孙投递”。');
    const row = await t.deps.db.selectFrom('field_staff').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'postal', name: '孙投递', phone: '+8613900000011', staff_id: null });
  });

  it('says at each field what is wrong, keeps what was typed, and stores nothing', async () => {
    await dispatcher.page('/console/crews');
    const empty = await dispatcher.post('/console/crews', person({ name: '', organisation: '' }));
    expect(empty.status).toBe(400);
    const text = await empty.text();
    expect(text).toContain('请填写姓名');
    expect(text).toContain('请填写所在单位');
    expect(text).toContain('value="13900000011"');
    const badPhone = await dispatcher.post('/console/crews', person({ phone: '12345' }));
    expect(badPhone.status).toBe(400);
    expect(await badPhone.text()).toContain('必须是手机号或固定电话号码');
    expect(await t.deps.db.selectFrom('field_staff').select('id').execute()).toEqual([]);
  });

  it('lets an administrator link a sign-in account, once', async () => {
    const admin = await signedIn(t, 'admin');
    const account = await addAccount(t, 'postal', 'web-mail');
    const page = await admin.page('/console/crews');
    expect(page).toContain(`<option value="${account.id}">`);
    expect(await dispatcher.page('/console/crews')).not.toContain(`<option value="${account.id}">`);
    expect((await admin.post('/console/crews', person({ staffId: account.id }))).status).toBe(303);
    expect((await t.deps.db.selectFrom('field_staff').select('staff_id').executeTakeFirstOrThrow()).staff_id).toBe(account.id);
    await admin.page('/console/crews');
    const again = await admin.post('/console/crews', person({ name: '另一人', staffId: account.id }));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('这个登录账户已经关联到另一个人');
  });

  it('does nothing without the form’s token', async () => {
    await dispatcher.page('/console/crews');
    expect((await dispatcher.post('/console/crews', person(), { csrf: null })).status).toBe(303);
    expect(await t.deps.db.selectFrom('field_staff').select('id').execute()).toEqual([]);
  });
});
