import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardFigures } from '../../src/dashboard/figures.ts';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { driver, examBody } from '../helpers/exams.ts';
import { advance, conversationOf, hours, runSteps, seedDrivers, sms, startOutreach, twilioPost } from '../helpers/outreach.ts';
import { addPerson, addShift, allVisits, commit, GUANGYUE, preview } from '../helpers/scheduling.ts';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.cleanup());

// Six drivers with an annual certificate due (born 1956, cycle ended 2026-05-19: overdue), three
// in 水城花园 and three in 光岳小区. Each stops at another step of the funnel.
const PASSED = driver(1);
const FAILED = driver(2);
const NO_SHOW = driver(3);
const DELIVERED = driver(4, GUANGYUE);
const OPTED_OUT = driver(5, GUANGYUE);
const SILENT = driver(6, GUANGYUE);
const ALL = [PASSED, FAILED, NO_SHOW, DELIVERED, OPTED_OUT, SILENT];
const phoneOf = (d: (typeof ALL)[number]) => `+86${d[1].phone}`;

async function dashboard(query = ''): Promise<DashboardFigures> {
  const res = await t.request(`/api/dashboard${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as DashboardFigures;
}

/** Screened 2026-11-26, texted, answered; visits on the 27th; the ladder runs out on the 30th. */
async function aMonthOfWork(): Promise<void> {
  await seedDrivers(t, ALL);
  await startOutreach(t, { limit: ALL.length });
  expect((await runSteps(t)).sent).toBe(6);
  for (const d of [PASSED, FAILED, NO_SHOW]) expect((await sms(t, phoneOf(d), '1')).status).toBe(200);
  expect((await sms(t, phoneOf(OPTED_OUT), 'TD')).status).toBe(200);
  // Only this driver's SMS is reported delivered; the silent driver's stays `queued`.
  const notice = await t.deps.db.selectFrom('messages').select('provider_sid').where('conversation_id', '=', (await conversationOf(t, DELIVERED[0])).id).executeTakeFirstOrThrow();
  expect((await twilioPost(t, '/twilio/message-status', { MessageSid: notice.provider_sid!, MessageStatus: 'delivered' })).status).toBe(200);

  const me = (await (await t.request('/api/me', { as: 'examiner' })).json()) as { id: string };
  const postalId = await addPerson(t, 'postal', '吴投递');
  const examinerId = await addPerson(t, 'examiner', '冯医生');
  await t.deps.db.updateTable('field_staff').set({ staff_id: me.id }).where('id', '=', examinerId).execute();
  await addShift(t, { postalId, examinerId, capacity: 20 });
  const visits = new Map(allVisits(await preview(t)).map((v) => [v.fileNumber, v.id]));
  expect(visits.size).toBe(3);
  await commit(t);
  advance(t, hours(24)); // 2026-11-27 10:00 in Shanghai

  // Exam started 09:53, accepted by 12123 at 10:00: 7 minutes.
  const pass = await postJson(t, `/api/visits/${visits.get(PASSED[0])}/exam`, examBody({}, { startedAt: '2026-11-27T01:53:00Z' }), 'examiner');
  expect(pass.status, await pass.clone().text()).toBe(201);
  const fail = await postJson(t, `/api/visits/${visits.get(FAILED[0])}/exam`, examBody({ vision: { left: 4.5, right: 4.5, corrected: true } }), 'examiner');
  expect(((await fail.json()) as { pass: boolean }).pass).toBe(false);
  expect((await postJson(t, `/api/visits/${visits.get(NO_SHOW[0])}/no-show`, {}, 'dispatcher')).status).toBe(200);
  const round = await runRound(t.deps, createGatewaySimulator().gateway, new WorkerState(workerSettings(t.deps.config), () => 0.5));
  expect(round).toMatchObject({ accepted: 1 });

  // The two drivers who never answered: two calls, then the staff call list on 2026-11-30.
  for (let i = 0; i < 3; i++) {
    advance(t, hours(24));
    await runSteps(t);
  }
  for (const d of [DELIVERED, SILENT]) expect((await conversationOf(t, d[0])).status).toBe('unreachable');
}

describe('GET /api/dashboard', () => {
  it('counts every step of a month of work, each number checked by hand', async () => {
    await aMonthOfWork();
    const d = await dashboard();
    // Default: the last 30 days to today (2026-11-30 in Shanghai).
    expect([d.from, d.to]).toEqual(['2026-11-01', '2026-11-30']);
    expect(d.funnel.map((s) => [s.step, s.count, s.rateFromPrevious, s.rateFromDue])).toEqual([
      ['screened', 6, null, null],
      ['due', 6, 1, 1],
      // 3 confirmed + 1 delivered + 1 opted out (an answer); the silent driver's SMS never reported.
      ['notified', 5, 0.8333, 0.8333],
      ['confirmed', 3, 0.6, 0.5],
      ['booked', 3, 1, 0.5],
      // the no-show was booked but not examined
      ['visited', 2, 0.6667, 0.3333],
      ['passed', 1, 0.5, 0.1667],
      ['filed', 1, 1, 0.1667],
      ['accepted', 1, 1, 0.1667],
    ]);
    expect(d.funnel[2]!.label).toBe('已通知');
    expect(d.optOuts).toBe(1);
    expect(d.noShows).toBe(1);
    expect(d.unreachable).toBe(2);
    // one crew on 2026-11-27: two exams recorded (the no-show was a door gone to, not a visit)
    expect(d.visitsPerCrewDay).toEqual({ visits: 2, crewDays: 1, perCrewDay: 2 });
    expect(d.examToAcceptance).toEqual({
      promiseMinutes: 10, accepted: 1, measured: 1, waitedForOpening: 0, medianMinutes: 7, p90Minutes: 7, withinPromise: 1, withinPromiseShare: 1,
    });
    // Still open and overdue: the failed and the no-show driver (水城花园), the three of 光岳小区;
    // the passed driver's case was completed by 12123's acceptance.
    expect(d.overdueByCommunity).toEqual({ total: 5, top: [{ community: '光岳小区', cases: 3 }, { community: '水城花园', cases: 2 }], others: 0 });
    const top1 = await dashboard('?top=1');
    expect(top1.overdueByCommunity).toEqual({ total: 5, top: [{ community: '光岳小区', cases: 3 }], others: 2 });
  });

  it('counts nothing in a period before the work, and keeps what stands now', async () => {
    await aMonthOfWork();
    const d = await dashboard('?from=2026-10-01&to=2026-10-31');
    expect(d.funnel.map((s) => s.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(d.funnel.every((s) => s.rateFromPrevious === null && s.rateFromDue === null)).toBe(true);
    expect([d.optOuts, d.noShows, d.unreachable]).toEqual([0, 0, 0]);
    expect(d.visitsPerCrewDay).toEqual({ visits: 0, crewDays: 0, perCrewDay: null });
    expect(d.examToAcceptance).toMatchObject({ accepted: 0, medianMinutes: null, p90Minutes: null, withinPromiseShare: null });
    // overdue cases are "now", whatever the period
    expect(d.overdueByCommunity.total).toBe(5);
  });

  it('takes date words, refuses a period backwards or over 366 days, and is for admins only', async () => {
    expect((await dashboard('?from=today&to=today')).from).toBe('2026-11-26');
    for (const q of ['?from=2026-11-27&to=2026-11-26', '?from=2025-01-01&to=2026-11-26']) {
      const res = await t.request(`/api/dashboard${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { details: { issues: { field: string; code: string }[] } } }).error.details.issues[0]).toMatchObject({ field: 'from', code: 'bad_range' });
    }
    expect((await t.request('/api/dashboard?from=yesterday-ish')).status).toBe(400);
    expect((await t.request('/api/dashboard?top=0')).status).toBe(400);
    for (const as of ['dispatcher', 'examiner', 'postal'] as const) expect((await t.request('/api/dashboard', { as })).status).toBe(403);
    expect((await t.request('/api/dashboard', { as: null })).status).toBe(401);
  });
});
