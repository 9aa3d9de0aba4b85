import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn } from '../helpers/console.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';

let t: TestApp;
let failedCase: string;

/** Three drivers visited on 2026-11-27: one fails the left-eye test, one is not at home, one passes. */
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  const drivers = [driver(1, { name: '周测一' }), driver(2, { name: '吴测二' }), driver(3)];
  const visits = await bookedVisits(t, drivers);
  t.clock.set('2026-11-27T01:59:00Z');
  await recordExam(t, visits.get(drivers[0]![0])!, { vision: { left: 4.5, right: 5.0, corrected: false } });
  expect((await postJson(t, `/api/visits/${visits.get(drivers[1]![0])!}/no-show`, {}, 'dispatcher')).status).toBe(200);
  await recordExam(t, visits.get(drivers[2]![0])!);
  failedCase = (await t.deps.db.selectFrom('exam_cases').select('case_id').where('outcome', '=', 'follow_up').executeTakeFirstOrThrow()).case_id;
});
afterEach(async () => t.cleanup());

describe('the follow-ups page', () => {
  it('lists the failed exam with its reason in words and the no-show waiting for planning, as the API does', async () => {
    const admin = await signedIn(t, 'admin');
    const page = await admin.page('/console/follow-ups');
    expect(page).toContain('体检未通过：左眼视力');
    expect(page).toContain('周*');
    expect(page).toContain('吴测二');
    expect(page).toContain('待重新排班');
    const api = (await (await t.request('/api/follow-ups')).json()) as { items: { caseId: string }[] };
    expect(api.items.map((i) => i.caseId)).toEqual([failedCase]);
    const noShows = (await (await t.request('/api/no-shows', { as: 'dispatcher' })).json()) as { items: { name: string; nextVisitOn: string | null }[] };
    expect(noShows.items).toEqual([expect.objectContaining({ name: '吴测二', nextVisitOn: null })]);
  });

  it('sends the driver back to planning from the page, audited, and the item moves to 已处理', async () => {
    const admin = await signedIn(t, 'admin');
    await admin.page('/console/follow-ups');
    const res = await admin.post(`/console/follow-ups/${failedCase}`, { resolution: 'revisit', note: '复查视力后再约' });
    expect(res.headers.get('location')).toBe('/console/follow-ups');
    const after = await admin.page('/console/follow-ups');
    expect(after).toContain('已处理：驾驶人回到排班名单');
    expect(after).not.toContain('体检未通过：左眼视力');
    expect(await admin.page('/console/follow-ups?status=resolved')).toContain('复查视力后再约');
    const audit = await t.deps.db.selectFrom('audit_log').select('subject').where('action', '=', 'follow_up.resolve').execute();
    expect(audit.map((a) => a.subject)).toEqual([failedCase]);
  });

  it('asks for a choice, and says when the follow-up was already closed', async () => {
    const admin = await signedIn(t, 'admin');
    await admin.page('/console/follow-ups');
    await admin.post(`/console/follow-ups/${failedCase}`, {});
    expect(await admin.page('/console/follow-ups')).toContain('请选择处理方式');
    await admin.post(`/console/follow-ups/${failedCase}`, { resolution: 'handled' });
    await admin.page('/console/follow-ups');
    await admin.post(`/console/follow-ups/${failedCase}`, { resolution: 'handled' });
    expect(await admin.page('/console/follow-ups?status=all')).toContain('该业务没有未结的随访');
  });

  it('is for the office', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    expect((await dispatcher.get('/console/follow-ups')).status).toBe(403);
  });
});
