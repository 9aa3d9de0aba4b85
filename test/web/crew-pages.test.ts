import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examForm } from '../../src/exams/views.ts';
import { myDay } from '../../src/scheduling/my-day.ts';
import { mapLinks } from '../../src/web/crew/words.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, type ConsoleAgent } from '../helpers/console.ts';
import { TINY_PNG, crewDay, signIn, type CrewDay } from './crew-day.ts';

/**
 * The crew's phone pages (issue 16): today's stops, a stop's actions by the life cycle, the
 * 委托书 and the exam form, without a browser. Chromium checks the rest (crew.browser.test.ts).
 */
let t: TestApp;
let day: CrewDay;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  day = await crewDay(t);
}, 60_000);
afterEach(async () => t.cleanup());

const stop = (i: number) => `/console/stops/${day.visits[i]}`;
const statusOf = async (i: number) => (await t.deps.db.selectFrom('visits').select('status').where('id', '=', day.visits[i]!).executeTakeFirstOrThrow()).status;
const examCount = async () => Number((await t.deps.db.selectFrom('exams').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

async function follow(agent: ConsoleAgent, res: Response): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(303);
  return agent.page(res.headers.get('location')!);
}

/** The exam form filled in as a healthy driver's. */
function healthyExam(page: string, extra: Record<string, string> = {}): Record<string, string> {
  const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';
  return {
    idempotencyKey: hidden('idempotencyKey'),
    startedAt: hidden('startedAt'),
    heightCm: '168',
    visionLeft: '5.0',
    visionRight: '4.9',
    colourBlind: 'no',
    hearingLeft: 'yes',
    hearingRight: 'yes',
    upperLimbs: 'yes',
    lowerLimbs: 'yes',
    legDifference: '0',
    trunkNeck: 'yes',
    ...(page.includes('name="cognitiveTest"') ? { cognitiveTest: 'yes' } : {}),
    certificateNumber: 'LC-2026-000777',
    ...extra,
  };
}

describe("today's stops", () => {
  it('lists the postal worker’s and the examiner’s stops in route order, with call and map links, and is their home page', async () => {
    const postal = await signIn(t, 'postal');
    const home = await postal.get('/console');
    expect([home.status, home.headers.get('location')]).toEqual([303, '/console/today']);
    const page = await postal.page('/console/today');
    expect(page).toContain('<h1>今日上门</h1>');
    expect(page).toMatch(/<a href="\/console\/today" aria-current="page">今日上门<\/a>/);
    expect(page).not.toContain('href="/console" aria-current');
    // The same stops, in the same order, as GET /api/me/visits's service.
    const api = await myDay(t.deps, { id: day.staffIds['postal']!, role: 'postal' }, '2026-11-27');
    const visits = api.shifts.flatMap((s) => s.visits);
    expect(visits.map((v) => v.id)).toEqual(day.visits);
    const order = [...page.matchAll(/href="\/console\/stops\/([0-9a-f-]{36})">[^<]+<\/a><\/h3>/g)].map((m) => m[1]);
    expect(order).toEqual(day.visits);
    for (const v of visits) {
      expect(page).toContain(`href="tel:${v.driver.phone}"`);
      expect(page).toContain(`href="geo:${v.stop.lat},${v.stop.lng}"`);
      expect(page).toContain(v.driver.name);
    }
    expect(page).toContain('要办：身体条件检查');
    expect(page).toContain('已预约');
    // No https map unless a setting names one; no table on the phone page.
    expect(page).not.toContain('网页地图');
    expect(page).not.toContain('<table');
    expect(new TextEncoder().encode(page).byteLength).toBeLessThan(100_000);

    const examiner = await signIn(t, 'examiner');
    expect(await examiner.page('/console/today')).toContain(`href="/console/stops/${day.visits[0]}"`);
  });

  it('tells an account linked to no crew member so, and builds the https map link from the setting only', async () => {
    const dispatcher = await signIn(t, 'dispatcher');
    expect(await dispatcher.page('/console/today')).toContain('还没有关联到邮递员或体检医生名单');
    const other = await signIn(t, 'examiner', 'web-examiner2');
    expect(await other.page('/console/today')).toContain('还没有关联');
    expect(mapLinks(36.47, 115.99, undefined)).toEqual({ geo: 'geo:36.47,115.99', web: null });
    expect(mapLinks(36.47, 115.99, 'https://uri.amap.com/marker?position={lng},{lat}').web).toBe('https://uri.amap.com/marker?position=115.99,36.47');
  });
});

describe('a stop', () => {
  it('sets out (with the SMS), arrives, and refuses what the life cycle refuses, in words', async () => {
    const postal = await signIn(t, 'postal');
    const before = await postal.page(stop(0));
    expect(before).toContain('给驾驶人发短信：约15分钟后到');
    expect(before).toContain('>出发<');
    expect(new TextEncoder().encode(before).byteLength).toBeLessThan(100_000);

    const afterSetOut = await follow(postal, await postal.post(`${stop(0)}/en-route`, { tellDriver: '1' }));
    expect(afterSetOut).toContain('已记录出发。已给驾驶人发短信：约15分钟后到。');
    expect(await statusOf(0)).toBe('en_route');
    const sms = await t.deps.db.selectFrom('messages').select(['body', 'file_number']).where('purpose', '=', 'on_the_way').execute();
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toMatch(/^【聊城市车管所】孙(先生|女士)：邮政吴师傅和冯医生已出发，约15分钟后/);
    expect(afterSetOut).not.toContain('>出发<');

    // Without the box ticked, no SMS.
    await postal.page(stop(1));
    await follow(postal, await postal.post(`${stop(1)}/en-route`, {}));
    expect(await t.deps.db.selectFrom('messages').select('id').where('purpose', '=', 'on_the_way').execute()).toHaveLength(1);

    const arrived = await follow(postal, await postal.post(`${stop(0)}/arrived`));
    expect(arrived).toContain('已记录到达。');
    expect(await statusOf(0)).toBe('arrived');
    // A second tap on an old page: refused by the life cycle, said in words, nothing changed.
    const again = await follow(postal, await postal.post(`${stop(0)}/arrived`));
    expect(again).toContain('没有记录：');
    expect(await statusOf(0)).toBe('arrived');
  });

  it('records a no-show with its reason and note, says what follows, and asks for the reason first', async () => {
    const examiner = await signIn(t, 'examiner');
    await examiner.page(stop(2));
    const missing = await examiner.post(`${stop(2)}/no-show`, { reason: '', note: '敲门无人应' });
    expect(missing.status).toBe(400);
    const form = await missing.text();
    expect(form).toContain('请选择没有见到驾驶人的原因');
    expect(form).toContain('敲门无人应');
    expect(await statusOf(2)).toBe('booked');

    const done = await follow(examiner, await examiner.post(`${stop(2)}/no-show`, { reason: 'nobody_home', note: '敲门无人应' }));
    expect(done).toContain('已记录未见到驾驶人');
    expect(done).toContain('这位驾驶人已退回排班池');
    expect(await statusOf(2)).toBe('no_show');
    const audit = await t.deps.db.selectFrom('audit_log').select('details').where('subject', '=', day.visits[2]!).where('action', '=', 'visit.change').execute();
    // The note is kept on the visit, sealed; the audit entry says only that there is one.
    expect(audit.map((a) => JSON.parse(a.details ?? '{}'))).toContainEqual({ noShow: true, reason: 'nobody_home', note: true });
    expect(audit.map((a) => a.details).join('')).not.toContain('敲门');
    const visit = await t.deps.db.selectFrom('visits').select(['no_show_reason', 'no_show_note']).where('id', '=', day.visits[2]!).executeTakeFirstOrThrow();
    expect(visit.no_show_reason).toBe('nobody_home');
    expect(visit.no_show_note).not.toContain('敲门');
    expect(t.deps.cipher.decrypt(visit.no_show_note!)).toBe('敲门无人应');
    // The office reads both on its no-show list (the API and the follow-ups page).
    const list = (await (await t.request('/api/no-shows?from=2026-01-01', { as: 'dispatcher' })).json()) as { items: { visitId: string; reason: string; note: string }[] };
    expect(list.items.find((n) => n.visitId === day.visits[2])).toMatchObject({ reason: 'nobody_home', note: '敲门无人应' });
    const admin = await signIn(t, 'admin');
    expect(await admin.page('/console/follow-ups')).toContain('家中无人：敲门无人应');
  });

  it('does nothing without the CSRF token, and refuses another crew’s stop', async () => {
    const postal = await signIn(t, 'postal');
    await postal.page(stop(0));
    const res = await postal.post(`${stop(0)}/en-route`, { tellDriver: '1' }, { csrf: null });
    expect(res.status).toBe(303);
    expect(await statusOf(0)).toBe('booked');
    const other = await signIn(t, 'examiner', 'web-examiner2');
    await other.page('/console/today');
    expect((await other.get(stop(0))).status).toBe(403);
    expect((await other.post(`${stop(0)}/arrived`, {})).status).toBe(403);
    expect(await statusOf(0)).toBe('booked');
    // A dispatcher follows every route.
    expect((await (await signIn(t, 'dispatcher')).get(stop(0))).status).toBe(200);
  });
});

describe('the 委托书', () => {
  it('is recorded by the postal worker at the door with a photo, then says 已登记; never shown to the examiner', async () => {
    const postal = await signIn(t, 'postal');
    expect(await postal.page(stop(0))).toContain('到达驾驶人家后，请驾驶人');
    await postal.post(`${stop(0)}/arrived`);
    const page = await postal.page(stop(0));
    expect(page).toContain('capture="environment"');
    expect(page).toContain('accept="image/*"');

    const bad = new FormData();
    bad.set('signerName', '孙测一');
    bad.set('relation', 'self');
    bad.set('photo', new File([new TextEncoder().encode('not an image')], 'form.png', { type: 'image/png' }));
    const refused = await postal.upload(`${stop(0)}/authorisation`, bad);
    expect(refused.status).toBe(400);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain('照片内容不是所声明的 image/png 图片');
    expect(refusedPage).toContain('value="孙测一"');

    const good = new FormData();
    good.set('signerName', '孙测一');
    good.set('relation', 'spouse');
    good.set('photo', new File([TINY_PNG], 'form.png', { type: 'image/png' }));
    const recorded = await follow(postal, await postal.upload(`${stop(0)}/authorisation`, good));
    expect(recorded).toContain('委托书已登记。');
    expect(recorded).toMatch(/<strong>已登记<\/strong>：签字人 孙测一（配偶）/);
    expect(recorded).not.toContain('capture="environment"');

    const examiner = await signIn(t, 'examiner');
    const examinerPage = await examiner.page(stop(0));
    expect(examinerPage).not.toContain('委托书');
    expect((await examiner.upload(`${stop(0)}/authorisation`, good)).status).toBe(403);
  });
});

describe('the exam form', () => {
  it('is for the examiner and admins only', async () => {
    for (const role of ['dispatcher', 'postal'] as const) expect((await (await signIn(t, role)).get(`${stop(0)}/exam`)).status).toBe(403);
    expect((await (await signIn(t, 'admin')).get(`${stop(0)}/exam`)).status).toBe(200);
  });

  it('shows this driver’s thresholds and the 三力测试 only when needed, and records one exam for a double tap', async () => {
    const examiner = await signIn(t, 'examiner');
    const staff = { id: day.staffIds['examiner']!, role: 'examiner' };
    const form = await examForm(t.deps, day.visits[0]!, staff);
    const page = await examiner.page(`${stop(0)}/exam`);
    expect(page).toContain(`需达到 ${form.thresholds.vision.toFixed(1)}`);
    expect(page.includes('name="cognitiveTest"')).toBe(form.needsCognitiveTest);
    expect(page).toMatch(/name="idempotencyKey" value="[0-9a-f-]{36}"/);
    expect(page).toContain('data-exam-draft=');
    expect(new TextEncoder().encode(page).byteLength).toBeLessThan(100_000);

    // Something left out: the form again with the error at its field, what was typed kept, nothing recorded.
    const missing = await examiner.post(`${stop(0)}/exam`, healthyExam(page, { visionLeft: '', certificateNumber: 'LC-2026-000777' }));
    expect(missing.status).toBe(400);
    const again = await missing.text();
    expect(again).toContain('请选择左眼视力');
    expect(again).toContain('value="LC-2026-000777"');
    expect(await examCount()).toBe(0);

    const fields = healthyExam(page);
    const done = await follow(examiner, await examiner.post(`${stop(0)}/exam`, fields));
    expect(done).toContain('体检已记录：合格');
    expect(done).toContain('<h2>体检已记录</h2>');
    expect(await examCount()).toBe(1);
    // Under the form's key, as the API's Idempotency-Key would be.
    const keys = await t.deps.db.selectFrom('idempotency_keys').select(['key', 'route']).execute();
    expect(keys).toEqual([{ key: fields['idempotencyKey'], route: `POST /api/visits/${day.visits[0]}/exam` }]);
    // The second tap of a double tap, and the script's resend: still one exam, and the page says done.
    expect((await examiner.post(`${stop(0)}/exam`, fields)).headers.get('location')).toBe(stop(0));
    const script = await examiner.post(`${stop(0)}/exam`, fields, { headers: { 'x-console-fetch': '1' } });
    expect(await script.json()).toEqual({ location: stop(0) });
    expect(await examCount()).toBe(1);
    expect(await examiner.page(`${stop(0)}/exam`)).toContain('这一站的体检已经记录');
  });
});

describe('the API under the pages', () => {
  it('lets the crew of the shift (not another) record a no-show with its reason, and the en-route SMS be asked for', async () => {
    // The test app's own examiner account is on no shift of this day.
    expect((await postJson(t, `/api/visits/${day.visits[0]}/no-show`, { reason: 'nobody_home' }, 'examiner')).status).toBe(403);
    expect((await postJson(t, `/api/visits/${day.visits[0]}/no-show`, { reason: 'asleep' }, 'dispatcher')).status).toBe(400);
    const set = await postJson(t, `/api/visits/${day.visits[1]}/en-route`, { tellDriver: true }, 'dispatcher');
    expect(set.status).toBe(200);
    expect(((await set.json()) as { onTheWaySms?: string }).onTheWaySms).toBe('sent');
    const res = await postJson(t, `/api/visits/${day.visits[0]}/no-show`, { reason: 'nobody_home', note: '门口无人' }, 'dispatcher');
    expect(res.status).toBe(200);
    expect(await statusOf(0)).toBe('no_show');
  });
});
