import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { consoleAgent, FAST_PASSWORDS, signedIn, TEST_PASSWORD, type ConsoleAgent } from '../helpers/console.ts';
import { advance, conversationOf, hours, runSteps, seedDrivers, sms, startOutreach, stepsOf, twilioPost } from '../helpers/outreach.ts';

const WANG = '100000000001';
const LI = '100000000003';
const LI_2 = '100000000004';
const ZHAO = '100000000005';
const WANG_PHONE = '+8613800000001';
const SHARED = '+8613800000003';
const STRANGER = '+8613999999999';

let t: TestApp;
let admin: ConsoleAgent;

beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  await seedDrivers(t, [
    [WANG, { phone: '13800000001', name: '王建国', community: '东关社区' }],
    [LI, { phone: '13800000003', name: '李秀英', community: '西关社区' }],
    [LI_2, { phone: '13800000003', name: '李德明', community: '西关社区' }],
    [ZHAO, { phone: '13800000005', name: '赵一平', community: '东关社区' }],
  ]);
  admin = await signedIn(t, 'admin');
});
afterEach(async () => t.cleanup());

async function api<T>(path: string): Promise<T> {
  const res = await t.request(path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** The number on a tab of the outreach tab bar. */
function tabCount(page: string, tab: 'conversations' | 'calls' | 'inbox' | 'optOuts'): number {
  const m = new RegExp(`data-count="${tab}">([\\d,]+)<`).exec(page);
  if (!m) throw new Error(`no ${tab} tab`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** Wang's conversation: SMS and two calls unanswered, now on the call list. */
async function wangUnreachable(): Promise<string> {
  await startOutreach(t, { community: '东关社区', limit: 1 });
  for (const wait of [0, 48, 24, 24]) {
    advance(t, hours(wait));
    await runSteps(t);
  }
  const conversation = await conversationOf(t, WANG);
  expect(conversation.status).toBe('unreachable');
  // Four days later the morning's session has ended: sign in again.
  admin = consoleAgent(t);
  await admin.page('/sign-in');
  expect((await admin.post('/sign-in', { username: 'web-admin', password: TEST_PASSWORD, next: '/console' })).status).toBe(303);
  return conversation.id;
}

describe('the outreach pages', () => {
  it('open for admins, with the tab bar; dispatchers get the refusal page and can change nothing', async () => {
    for (const [path, title] of [
      ['/console/outreach', '通知与回复'],
      ['/console/outreach/calls', '人工电话'],
      ['/console/outreach/inbox', '待处理回复'],
      ['/console/outreach/opt-outs', '退订'],
    ] as const) {
      const page = await admin.page(path);
      expect(page).toContain(`<h1>${title}</h1>`);
      expect(page).toContain('aria-label="通知与回复"');
      expect(page).toMatch(new RegExp(`href="${path}" aria-current="page"`));
    }
    const dispatcher = await signedIn(t, 'dispatcher');
    for (const path of ['/console/outreach', '/console/outreach/calls', '/console/outreach/inbox', '/console/outreach/opt-outs']) {
      expect((await dispatcher.get(path)).status).toBe(403);
    }
    await dispatcher.page('/console');
    expect((await dispatcher.post('/console/outreach/start', { limit: '10' })).status).toBe(403);
    expect(await t.deps.db.selectFrom('conversations').selectAll().execute()).toHaveLength(0);
    expect((await dispatcher.page('/console')).includes('href="/console/outreach"')).toBe(false);
  });

  it('sends anonymous people to sign in', async () => {
    const res = await t.app.request('/console/outreach/inbox');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?next=%2Fconsole%2Foutreach%2Finbox');
  });
});

describe('starting a campaign and the conversations', () => {
  it('starts from the form with a case filter, says how many, and lists each driver on the ladder', async () => {
    const before = await admin.page('/console/outreach');
    expect(before).toContain('data-confirm=');
    const res = await admin.post('/console/outreach/start', { category: 'downgrade_63', community: '东关社区', limit: '1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/outreach');
    const page = await admin.page('/console/outreach');
    expect(page).toContain('已开始通知 1 位驾驶人');
    expect(page).toContain('还有 1 位符合条件的驾驶人没有开始');
    expect(page).toContain(`href="/console/drivers/${WANG}"`);
    expect(page).not.toContain('李秀英');
    expect(page).toContain('等待发送');

    // The SMS goes out, and Twilio reports it delivered.
    await runSteps(t);
    const message = await t.deps.db.selectFrom('messages').selectAll().where('phone', '=', WANG_PHONE).executeTakeFirstOrThrow();
    expect((await twilioPost(t, '/twilio/message-status', { MessageSid: message.provider_sid!, MessageStatus: 'delivered' })).status).toBe(200);
    const after = await admin.page('/console/outreach');
    expect(after).toContain('短信已送达');
    expect(after).toContain('通知中');
    expect(after).toContain('语音电话'); // the next step

    // The same conversations as the API's list, and the tab counts them.
    const listed = await api<{ items: { fileNumber: string; lastSms: { status: string } | null }[] }>('/api/outreach/conversations');
    expect(listed.items).toMatchObject([{ fileNumber: WANG, lastSms: { status: 'delivered' } }]);
    expect(tabCount(after, 'conversations')).toBe(listed.items.length);
  });

  it('filters by status and file number in the URL', async () => {
    await startOutreach(t);
    await runSteps(t);
    await sms(t, WANG_PHONE, '1');
    const confirmed = await admin.page('/console/outreach?status=confirmed');
    expect(confirmed).toContain('<option value="confirmed" selected="">');
    expect(confirmed).toContain('王建国');
    expect(confirmed).toContain('已确认（短信）');
    expect(confirmed).not.toContain('赵一平');
    const active = await admin.page('/console/outreach?status=active');
    expect(active).toContain('赵一平');
    expect(active).not.toContain('王建国');
    const one = await admin.page(`/console/outreach?fileNumber=${ZHAO}`);
    expect(one).toContain('赵一平');
    expect(one).not.toContain('李德明');
    expect(await admin.page('/console/outreach?fileNumber=12')).toContain('档案编号应为 12 位数字，已忽略。');
  });

  it('answers a bad limit in the form, keeping what was typed, and starts nothing', async () => {
    await admin.page('/console/outreach');
    const res = await admin.post('/console/outreach/start', { community: '东关社区', limit: '0' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('请修改以下内容');
    expect(page).toMatch(/data-field="limit"[^>]*>[\s\S]*?class="error-text"/);
    expect(page).toContain('value="东关社区"');
    expect(await t.deps.db.selectFrom('conversations').selectAll().execute()).toHaveLength(0);
  });

  it('starts nothing without the page token', async () => {
    await admin.page('/console/outreach');
    const res = await admin.post('/console/outreach/start', { limit: '10' }, { csrf: null });
    expect(res.status).toBe(303);
    expect(await t.deps.db.selectFrom('conversations').selectAll().execute()).toHaveLength(0);
  });
});

describe('the call list', () => {
  it('lists the driver no SMS or call reached, with a tel: link and what was tried, as the API does', async () => {
    await wangUnreachable();
    const page = await admin.page('/console/outreach/calls');
    expect(page).toContain('王建国');
    expect(page).toContain(`href="tel:${WANG_PHONE}"`);
    expect(page).toContain('138 0000 0001');
    expect(page).toContain('东关社区');
    expect(page).toContain('语音电话 2 次');
    const list = await api<{ items: unknown[] }>('/api/outreach/call-list');
    expect(tabCount(page, 'calls')).toBe(list.items.length);
    expect(list.items).toHaveLength(1);
  });

  it('records what the driver said: confirmed, audited, and the driver leaves the list', async () => {
    const id = await wangUnreachable();
    await admin.page('/console/outreach/calls');
    const res = await admin.post(`/console/outreach/calls/${id}`, { outcome: 'confirmed', note: '电话确认，上午在家' });
    expect(res.status).toBe(303);
    const page = await admin.page(res.headers.get('location')!);
    expect(page).toContain('已记录电话结果：确认上门体检。');
    expect(page).toContain('现在没有需要人工打电话的驾驶人。');
    const conversation = await conversationOf(t, WANG);
    expect([conversation.status, conversation.answer_channel]).toEqual(['confirmed', 'phone']);
    const answer = await t.deps.db.selectFrom('answers').select(['intent', 'note']).where('channel', '=', 'phone').executeTakeFirstOrThrow();
    expect(answer).toEqual({ intent: 'confirm', note: '电话确认，上午在家' });
    expect(await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'outreach.phone_outcome').execute()).toHaveLength(1);
  });

  it('keeps a driver who did not answer on the list', async () => {
    const id = await wangUnreachable();
    await admin.page('/console/outreach/calls');
    await admin.post(`/console/outreach/calls/${id}`, { outcome: 'no_answer' });
    const page = await admin.page('/console/outreach/calls');
    expect(page).toContain('驾驶人仍在人工电话列表中');
    expect(page).toContain('王建国');
  });

  it('answers a form without an outcome, or with a bad date, on the page with the field named', async () => {
    const id = await wangUnreachable();
    await admin.page('/console/outreach/calls');
    const res = await admin.post(`/console/outreach/calls/${id}`, { outcome: 'reschedule', rescheduleOn: '2026-02-30', note: '下周再约' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(`href="#rescheduleOn-${id}"`);
    expect(page).toContain('下周再约');
    expect(page).toMatch(/value="reschedule" checked=""/);
    const none = await admin.post(`/console/outreach/calls/${id}`, {});
    expect(none.status).toBe(400);
    expect(await none.text()).toContain(`href="#outcome-${id}"`);
    expect((await conversationOf(t, WANG)).status).toBe('unreachable');
  });

  it('records nothing without the page token, and refuses a closed conversation with a message', async () => {
    const id = await wangUnreachable();
    await admin.page('/console/outreach/calls');
    await admin.post(`/console/outreach/calls/${id}`, { outcome: 'confirmed' }, { csrf: null });
    expect((await conversationOf(t, WANG)).status).toBe('unreachable');
    await admin.post(`/console/outreach/calls/${id}`, { outcome: 'wrong_number' });
    expect((await conversationOf(t, WANG)).status).toBe('closed');
    const again = await admin.post(`/console/outreach/calls/${id}`, { outcome: 'confirmed' });
    expect(again.status).toBe(303);
    expect(await admin.page('/console/outreach/calls')).toContain('没有执行：该会话已关闭');
  });
});

describe('the inbox', () => {
  beforeEach(async () => {
    await startOutreach(t);
    await runSteps(t);
  });

  type Item = { id: string; drivers: { caseId: string | null }[] };
  const openItems = async () => (await api<{ items: Item[] }>('/api/outreach/inbox')).items;

  it('shows what was said, from which number, and whose; resolving it moves the case as the parser would, and the item leaves', async () => {
    await sms(t, WANG_PHONE, '嗯嗯，好的吧');
    const page = await admin.page('/console/outreach/inbox');
    expect(page).toContain('嗯嗯，好的吧');
    expect(page).toContain('138 0000 0001');
    expect(page).toContain('王建国（1000****0001）');
    expect(page).toContain('系统没看懂这条回复');
    const [item] = await openItems();
    expect(tabCount(page, 'inbox')).toBe(1);

    const res = await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'confirm' });
    expect(res.status).toBe(303);
    const after = await admin.page('/console/outreach/inbox');
    expect(after).toContain('已按“确认”处理这条回复。');
    expect(after).not.toContain('嗯嗯，好的吧');
    expect(tabCount(after, 'inbox')).toBe(0);
    expect(await openItems()).toEqual([]);
    const resolved = await admin.page('/console/outreach/inbox?status=resolved');
    expect(resolved).toContain('嗯嗯，好的吧');
    expect(resolved).toMatch(/处理结果<\/dt><dd><span class="badge badge-good">确认<\/span>/);

    // As if the parser had understood "1": Zhao's own "1" does the same to his conversation.
    await sms(t, '+8613800000005', '1');
    const [wang, zhao] = [await conversationOf(t, WANG), await conversationOf(t, ZHAO)];
    expect([wang.status, wang.answer_channel]).toEqual([zhao.status, zhao.answer_channel]);
    expect(wang.status).toBe('confirmed');
    for (const c of [wang, zhao]) expect((await stepsOf(t, c.id)).filter((s) => s.status === 'pending')).toEqual([]);
  });

  it('asks which driver a shared number’s reply is from, in words, and applies it to the one chosen', async () => {
    await sms(t, SHARED, '1');
    const page = await admin.page('/console/outreach/inbox');
    expect(page).toContain('多人共用的号码');
    const [item] = await openItems();
    const missing = await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'confirm' });
    expect(missing.status).toBe(400);
    const text = await missing.text();
    expect(text).toContain(`href="#driver-${item!.id}"`);
    expect(text).toContain('请选择或填写是哪位驾驶人');
    expect(text).not.toContain('请给出 caseId');

    const caseId = item!.drivers[1]!.caseId!;
    expect((await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'confirm', caseId })).status).toBe(303);
    expect((await conversationOf(t, LI_2)).status).toBe('confirmed');
    expect((await conversationOf(t, LI)).status).toBe('active');
  });

  it('takes the file number for an unknown number, and refuses one of no licence on the form', async () => {
    await sms(t, STRANGER, '不需要了');
    const [item] = await openItems();
    await admin.page('/console/outreach/inbox');
    const unknown = await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'decline', fileNumber: '999999999999' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('没有这个档案编号的驾驶证');
    expect((await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'decline', fileNumber: ZHAO })).status).toBe(303);
    expect((await conversationOf(t, ZHAO)).status).toBe('declined');
    // Done once: a second decision is refused with a message, nothing changes.
    await admin.page('/console/outreach/inbox');
    await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'confirm', fileNumber: ZHAO });
    expect(await admin.page('/console/outreach/inbox')).toContain('没有执行：这条回复已经处理过');
    expect((await conversationOf(t, ZHAO)).status).toBe('declined');
  });

  it('resolves nothing without the page token', async () => {
    await sms(t, STRANGER, '好');
    const [item] = await openItems();
    await admin.page('/console/outreach/inbox');
    await admin.post(`/console/outreach/inbox/${item!.id}`, { meaning: 'ignore' }, { csrf: null });
    expect(await openItems()).toHaveLength(1);
  });
});

describe('the opt-outs', () => {
  it('lists who opted out, when and by which channel, as the API does', async () => {
    await startOutreach(t);
    await runSteps(t);
    await sms(t, WANG_PHONE, 'TD');
    await sms(t, STRANGER, '别再发了');
    const [stranger] = (await api<{ items: { id: string }[] }>('/api/outreach/inbox')).items;
    await admin.page('/console/outreach/inbox');
    expect((await admin.post(`/console/outreach/inbox/${stranger!.id}`, { meaning: 'opt_out' })).status).toBe(303);

    const page = await admin.page('/console/outreach/opt-outs');
    const api_ = await api<{ items: { phoneDisplay: string; name: string | null }[] }>('/api/outreach/opt-outs');
    expect(api_.items).toHaveLength(2);
    expect(tabCount(page, 'optOuts')).toBe(2);
    expect(page).toContain('138 0000 0001');
    expect(page).toContain(`href="/console/drivers/${WANG}"`);
    expect(page).toContain('没有对应的驾驶人');
    expect(page.match(/<td>短信<\/td>/g)).toHaveLength(2);
    expect(await admin.page('/console/outreach')).toContain('已退订（短信）');
  });
});
