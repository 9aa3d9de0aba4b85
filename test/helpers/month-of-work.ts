/**
 * A month of the office's work for the dashboard's tests (test/dashboard/dashboard-api.test.ts,
 * test/web/dashboard-page.test.ts): six drivers, each stopping at another step of the funnel.
 */
import { expect } from 'vitest';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { postJson, type TestApp } from './app.ts';
import { authorise } from './authorisation.ts';
import { driver, examBody } from './exams.ts';
import { advance, conversationOf, hours, runSteps, seedDrivers, sms, startOutreach, twilioPost } from './outreach.ts';
import { addPerson, addShift, allVisits, commit, GUANGYUE, preview } from './scheduling.ts';

// Six drivers with an annual certificate due (born 1956, cycle ended 2026-05-19: overdue), three
// in 水城花园 and three in 光岳小区. Each stops at another step of the funnel.
export const PASSED = driver(1);
export const FAILED = driver(2);
export const NO_SHOW = driver(3);
export const DELIVERED = driver(4, GUANGYUE);
export const OPTED_OUT = driver(5, GUANGYUE);
export const SILENT = driver(6, GUANGYUE);
export const ALL = [PASSED, FAILED, NO_SHOW, DELIVERED, OPTED_OUT, SILENT];
export const phoneOf = (d: (typeof ALL)[number]) => `+86${d[1].phone}`;

/** Screened 2026-11-26, texted, answered; visits on the 27th; the ladder runs out on the 30th. */
export async function aMonthOfWork(t: TestApp): Promise<void> {
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
  await authorise(t, visits.get(PASSED[0])!); // the driver's 委托书: the submission may go (Art 105)
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

