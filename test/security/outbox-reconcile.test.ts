import { sql, type CompiledQuery } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/http/env.ts';
import { runDueSteps } from '../../src/outreach/steps.ts';
import { createTwilioTelephony } from '../../src/outreach/twilio-telephony.ts';
import type { Atomic, Clock } from '../../src/ports.ts';
import { runDueVisitNotices } from '../../src/scheduling/notices.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { OUTBOX } from '../../src/shared/outbox.ts';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runDueCompletionNotices } from '../../src/submissions/notices.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../helpers/fake-twilio-api.ts';
import { advance, conversationOf, seedDrivers, startOutreach, stepsOf } from '../helpers/outreach.ts';
import { addCrewShift, commit, confirmedDrivers, preview, SHUICHENG } from '../helpers/scheduling.ts';

/**
 * Issue 13, item 5: the provider took a message and the database write that records it failed,
 * or the process died between the claim and the write. Each outbox reconciles the claim with the
 * provider before anything is sent again: exactly one message row with the provider's SID, the
 * row done, the provider asked to send exactly once.
 */
const ACCOUNT_SID = 'AC' + '5e1f0c2d3b4a6978'.repeat(2);
const AUTH_TOKEN = 'fake-twilio-auth-token-reconcile-01';
const FROM = '+15005550006';
const TIMEOUT_MS = 2000;
const MOBILE = '+8613800000071';
const LANDLINE = '+866358123471';

let fake: FakeTwilioApi;
let clockRef: Clock | undefined;
let t: TestApp | undefined;

beforeAll(async () => {
  fake = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, now: () => clockRef?.now() ?? new Date() });
});
afterAll(() => fake.close());
afterEach(async () => {
  fake.setHooks({});
  await t?.cleanup();
  t = undefined;
});

async function twilioApp(): Promise<TestApp> {
  fake.requests.length = 0;
  fake.created.length = 0;
  t = await createTestApp({
    telephony: (clock) => {
      clockRef = clock;
      return createTwilioTelephony({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBaseUrl: fake.url, timeoutMs: TIMEOUT_MS }, silentLogger);
    },
  });
  return t;
}

async function recordingApp(): Promise<TestApp> {
  t = await createTestApp();
  return t;
}

/** A database that refuses to store outbound messages of this purpose (a trigger: the process edge). */
async function breakMessageWrites(app: TestApp, purpose: string): Promise<void> {
  if (!/^[a-z_]+$/.test(purpose)) throw new Error('purpose must be a plain word');
  await sql
    .raw(`CREATE TRIGGER refuse_outbound BEFORE INSERT ON messages WHEN NEW.direction = 'out' AND NEW.purpose = '${purpose}' BEGIN SELECT RAISE(ABORT, 'injected: database unavailable'); END`)
    .execute(app.deps.db);
}
const repairMessageWrites = (app: TestApp) => sql`DROP TRIGGER refuse_outbound`.execute(app.deps.db);

/** `atomic` failing for the first `times` batches that insert a message (the database edge). */
function failingAtomic(atomic: Atomic, times: number): Atomic & { failures: number } {
  const wrapped = Object.assign(
    async (queries: readonly CompiledQuery[]) => {
      if (wrapped.failures < times && queries.some((q) => /^insert into "messages"/.test(q.sql))) {
        wrapped.failures++;
        throw new Error('SQLITE_IOERR: disk I/O error');
      }
      return atomic(queries);
    },
    { failures: 0 },
  );
  return wrapped;
}

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push(JSON.stringify({ level, msg, ...fields }));
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Past the time any send can still be in flight (twice the provider timeout). */
const pastInFlight = (app: TestApp) => advance(app, Math.max(2 * app.deps.telephony.requestTimeoutMs, OUTBOX.minClaimAgeMs) + 1000);

const creates = (to: string) => fake.created.filter((r) => r.to === to);
const lookups = () => fake.requests.filter((r) => r.method === 'GET');
const outbound = (app: TestApp, purpose: string) => app.deps.db.selectFrom('messages').selectAll().where('direction', '=', 'out').where('purpose', '=', purpose).execute();

async function oneDriverInOutreach(app: TestApp, phone: string): Promise<string> {
  await seedDrivers(app, [['130000000071', { phone, name: '周测试', sex: 'M' }]]);
  await startOutreach(app);
  return (await conversationOf(app, '130000000071')).id;
}

describe('the Twilio look-up', () => {
  it('finds only a message of ours to that number, with exactly that text, created since the claim', async () => {
    const app = await twilioApp();
    const twilioApi = app.deps.telephony;
    const claimAt = app.clock.now();
    advance(app, -120_000);
    await twilioApi.sendSms({ to: MOBILE, body: '【聊城市车管所】同一条' }); // before the claim
    advance(app, 120_000);
    const ours = await twilioApi.sendSms({ to: MOBILE, body: '【聊城市车管所】同一条' });
    await twilioApi.sendSms({ to: MOBILE, body: '【聊城市车管所】另一条' });
    await twilioApi.sendSms({ to: '+8613800000072', body: '【聊城市车管所】同一条' });
    const since = new Date(claimAt.getTime() - 1000);
    expect(await twilioApi.findSent({ channel: 'sms', to: MOBILE, body: '【聊城市车管所】同一条', since })).toEqual([{ sid: ours.sid, status: 'queued' }]);
    expect(await twilioApi.findSent({ channel: 'sms', to: MOBILE, body: '【聊城市车管所】没有', since })).toEqual([]);
    expect(await twilioApi.findSent({ channel: 'call', to: MOBILE, body: null, since })).toEqual([]);
    const query = lookups()[0]!.query;
    expect(query).toMatchObject({ To: MOBILE });
  });

  it('says it cannot tell, rather than "not sent", when Twilio fails to answer', async () => {
    const app = await twilioApp();
    fake.failNext(503, { code: 20503, method: 'GET' });
    await expect(app.deps.telephony.findSent({ channel: 'sms', to: MOBILE, body: 'x', since: app.clock.now() })).rejects.toMatchObject({ name: 'ProviderError', retryable: true });
  });
});

describe('outreach steps through the real Twilio SDK', () => {
  it('records an SMS Twilio took while the database refused the write, once, with its SID, after reconciliation', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    // Twilio takes the message; from that moment on the database refuses it.
    fake.setHooks({ afterAccept: () => breakMessageWrites(app, 'notice') });
    const logger = collectingLogger();
    expect((await runDueSteps({ ...app.deps, logger }, 10)).sent).toBe(1);
    fake.setHooks({});
    expect((await stepsOf(app, conversationId)).map((s) => s.status)).toEqual(['sending']);
    expect(await outbound(app, 'notice')).toHaveLength(0);
    // Tried again in process, then left to reconciliation; the log names no number in full.
    const retried = logger.lines.filter((l) => l.includes('database write failed'));
    expect(retried).toHaveLength(OUTBOX.writeRetryDelaysMs.length + 1);
    expect(logger.lines.join('\n')).not.toContain('13800000071');
    expect(retried.at(-1)).toContain('left to reconciliation');

    await repairMessageWrites(app);
    // Still within the time a send may take: nothing is looked up, nothing is sent.
    await runDueSteps(app.deps, 10);
    expect(lookups()).toHaveLength(0);
    expect((await stepsOf(app, conversationId))[0]!.status).toBe('sending');

    pastInFlight(app);
    await runDueSteps(app.deps, 10);
    const [message, ...others] = await outbound(app, 'notice');
    expect(others).toHaveLength(0);
    expect(message).toMatchObject({ provider: 'twilio', provider_sid: fake.created[0]!.sid, status: 'queued', phone: MOBILE, body: fake.created[0]!.body });
    const steps = await stepsOf(app, conversationId);
    expect(steps.map((s) => [s.seq, s.status])).toEqual([
      [0, 'done'],
      [1, 'pending'],
    ]);
    expect(steps[0]!.message_id).toBe(message!.id);
    expect(creates(MOBILE)).toHaveLength(1);
    expect(lookups().map((r) => [r.path.endsWith('/Messages.json'), r.query.To])).toEqual([[true, MOBILE]]);
  });

  it('records a call Twilio placed while the write failed, found by number and time', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '0635-8123471');
    fake.setHooks({ afterAccept: () => breakMessageWrites(app, 'notice') });
    await runDueSteps(app.deps, 10);
    fake.setHooks({});
    await repairMessageWrites(app);
    pastInFlight(app);
    await runDueSteps(app.deps, 10);
    const messages = await outbound(app, 'notice');
    expect(messages.map((m) => [m.channel, m.provider_sid])).toEqual([['voice', fake.created[0]!.sid]]);
    expect((await stepsOf(app, conversationId))[0]).toMatchObject({ status: 'done', message_id: messages[0]!.id });
    expect(creates(LANDLINE)).toHaveLength(1);
    expect(lookups().map((r) => r.path.endsWith('/Calls.json'))).toEqual([true]);
  });

  it('sends exactly once a step whose sender died right after the claim, before Twilio had it', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    // The connection is cut before Twilio creates anything: the claim stays, nothing was sent.
    fake.setHooks({ beforeCreate: () => 'drop' });
    await runDueSteps(app.deps, 10);
    fake.setHooks({});
    expect(fake.created).toHaveLength(0);
    expect((await stepsOf(app, conversationId))[0]).toMatchObject({ status: 'sending', attempts: 1, send_to: MOBILE });

    pastInFlight(app);
    const result = await runDueSteps(app.deps, 10);
    expect(result.sent).toBe(1);
    expect(creates(MOBILE)).toHaveLength(1);
    const messages = await outbound(app, 'notice');
    expect(messages.map((m) => m.provider_sid)).toEqual([fake.created[0]!.sid]);
    expect((await stepsOf(app, conversationId))[0]).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('sends nothing again while Twilio cannot answer the look-up, and reconciles once it can', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    fake.setHooks({ beforeCreate: () => 'drop' });
    await runDueSteps(app.deps, 10);
    fake.setHooks({});
    pastInFlight(app);
    fake.failNext(503, { code: 20503, count: 2, method: 'GET' });
    for (let pass = 0; pass < 2; pass++) {
      await runDueSteps(app.deps, 10);
      expect((await stepsOf(app, conversationId))[0]!.status).toBe('sending');
    }
    expect(lookups()).toHaveLength(2);
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // the dropped one
    expect(fake.created).toHaveLength(0);
    await runDueSteps(app.deps, 10);
    expect(creates(MOBILE)).toHaveLength(1);
    expect((await outbound(app, 'notice')).map((m) => m.provider_sid)).toEqual([fake.created[0]!.sid]);
  });

  it('does not resend a message Twilio took while the look-up was down', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    fake.setHooks({ afterAccept: () => breakMessageWrites(app, 'notice') });
    await runDueSteps(app.deps, 10);
    fake.setHooks({});
    await repairMessageWrites(app);
    pastInFlight(app);
    fake.failNext(500, { count: 1, method: 'GET' });
    await runDueSteps(app.deps, 10);
    expect((await stepsOf(app, conversationId))[0]!.status).toBe('sending');
    await runDueSteps(app.deps, 10);
    expect((await stepsOf(app, conversationId))[0]!.status).toBe('done');
    expect(creates(MOBILE)).toHaveLength(1);
    expect(await outbound(app, 'notice')).toHaveLength(1);
  });

  it('records in process when the write fails once, without waiting for reconciliation', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    const atomic = failingAtomic(app.deps.atomic, 1);
    await runDueSteps({ ...app.deps, atomic }, 10);
    expect(atomic.failures).toBe(1);
    expect((await stepsOf(app, conversationId))[0]!.status).toBe('done');
    expect((await outbound(app, 'notice')).map((m) => m.provider_sid)).toEqual([fake.created[0]!.sid]);
    expect(lookups()).toHaveLength(0);
  });

  it('gives a step up, and goes on with the ladder, when the provider never had it after every attempt', async () => {
    const app = await twilioApp();
    const conversationId = await oneDriverInOutreach(app, '13800000071');
    fake.setHooks({ beforeCreate: () => 'drop' });
    for (let attempt = 0; attempt < OUTBOX.maxAttempts; attempt++) {
      await runDueSteps(app.deps, 10);
      pastInFlight(app);
    }
    fake.setHooks({});
    await runDueSteps(app.deps, 10);
    expect(fake.created).toHaveLength(0);
    const steps = await stepsOf(app, conversationId);
    expect(steps.map((s) => [s.seq, s.status])).toEqual([
      [0, 'failed'],
      [1, 'pending'],
    ]);
    expect(steps[0]!.note).toContain('no trace');
  });
});

describe('visit notices (recording adapter)', () => {
  it('records an appointment SMS the provider took while the write failed, once, after reconciliation', async () => {
    const app = await recordingApp();
    await confirmedDrivers(app, [['400000000071', { phone: '13500000071', name: '孙测乙', sex: 'M', ...SHUICHENG }]]);
    await addCrewShift(app, 1);
    await preview(app);
    await breakMessageWrites(app, 'appointment');
    await commit(app); // the appointment goes out at commit, and its write fails
    await repairMessageWrites(app);
    const notice = () => app.deps.db.selectFrom('visit_notices').selectAll().where('kind', '=', 'appointment').executeTakeFirstOrThrow();
    expect((await notice()).status).toBe('sending');
    expect(await outbound(app, 'appointment')).toHaveLength(0);

    pastInFlight(app);
    await runDueVisitNotices(app.deps, 10);
    const messages = await outbound(app, 'appointment');
    const sent = app.recording.sent.filter((s) => s.to === '+8613500000071' && s.body === messages[0]?.body);
    expect(sent).toHaveLength(1);
    expect(messages.map((m) => m.provider_sid)).toEqual([sent[0]!.sid]);
    expect(await notice()).toMatchObject({ status: 'done', message_id: messages[0]!.id });
  });

  it('sends exactly once an appointment whose claim was left by a crash before the provider call', async () => {
    const app = await recordingApp();
    await confirmedDrivers(app, [['400000000072', { phone: '13500000072', name: '孙测丙', sex: 'F', ...SHUICHENG }]]);
    await addCrewShift(app, 1);
    await preview(app);
    // Claimed at commit, then the process died: a telephony that never gets the message stands for it.
    const real = app.deps.telephony;
    app.deps.telephony = { ...real, sendSms: () => Promise.reject(new Error('process died')) };
    await commit(app);
    app.deps.telephony = real;
    const before = await app.deps.db.selectFrom('visit_notices').selectAll().where('kind', '=', 'appointment').executeTakeFirstOrThrow();
    expect(before).toMatchObject({ status: 'sending', send_to: '+8613500000072' });
    app.recording.sent.length = 0;

    pastInFlight(app);
    await runDueVisitNotices(app.deps, 10);
    expect(app.recording.sent.filter((s) => s.to === '+8613500000072')).toHaveLength(1);
    const messages = await outbound(app, 'appointment');
    expect(messages.map((m) => m.provider_sid)).toEqual([app.recording.sent[0]!.sid]);
    expect(await app.deps.db.selectFrom('visit_notices').select('status').where('id', '=', before.id).executeTakeFirstOrThrow()).toEqual({ status: 'done' });
  });
});

describe('completion notices (recording adapter)', () => {
  async function acceptedSubmission(app: TestApp, n: number): Promise<void> {
    const drivers = [driver(n)];
    const visits = await bookedVisits(app, drivers);
    app.clock.set('2026-11-27T01:59:00Z');
    await recordExam(app, visits.get(drivers[0]![0])!);
    const sim = createGatewaySimulator();
    expect(await runRound(app.deps, sim.gateway, new WorkerState(workerSettings(app.deps.config)))).toMatchObject({ accepted: 1 });
  }

  it('records a completion SMS the provider took while every write of the pass failed, once, after reconciliation', async () => {
    const app = await recordingApp();
    await acceptedSubmission(app, 71);
    const phone = '+8613700000071';
    const atomic = failingAtomic(app.deps.atomic, OUTBOX.writeRetryDelaysMs.length + 1);
    expect((await runDueCompletionNotices({ ...app.deps, atomic } satisfies AppDeps, 10)).sent).toBe(1);
    expect(atomic.failures).toBe(OUTBOX.writeRetryDelaysMs.length + 1);
    const notices = () => app.deps.db.selectFrom('completion_notices').selectAll().execute();
    expect((await notices()).map((n) => n.status)).toEqual(['sending']);
    expect(await outbound(app, 'completed')).toHaveLength(0);

    pastInFlight(app);
    await runDueCompletionNotices(app.deps, 10);
    const messages = await outbound(app, 'completed');
    expect(messages).toHaveLength(1);
    const sent = app.recording.sent.filter((s) => s.to === phone && s.body === messages[0]!.body);
    expect(sent.map((s) => s.sid)).toEqual([messages[0]!.provider_sid]);
    expect((await notices()).map((n) => [n.status, n.message_id])).toEqual([['done', messages[0]!.id]]);
  });

  it('sends exactly once a completion SMS whose claim was left by a crash before the provider call', async () => {
    const app = await recordingApp();
    await acceptedSubmission(app, 72);
    const phone = '+8613700000072';
    // Claimed, then the process died: a telephony that never gets the message stands for it.
    const dead = { ...app.deps.telephony, sendSms: () => Promise.reject(new Error('process died')) };
    await runDueCompletionNotices({ ...app.deps, telephony: dead }, 10);
    const notices = () => app.deps.db.selectFrom('completion_notices').selectAll().execute();
    expect((await notices()).map((n) => [n.status, n.send_to])).toEqual([['sending', phone]]);
    const before = app.recording.sent.filter((s) => s.to === phone).length;

    pastInFlight(app);
    await runDueCompletionNotices(app.deps, 10);
    const messages = await outbound(app, 'completed');
    expect(messages).toHaveLength(1);
    expect(app.recording.sent.filter((s) => s.to === phone)).toHaveLength(before + 1);
    expect(app.recording.sent.at(-1)!.sid).toBe(messages[0]!.provider_sid);
    expect((await notices()).map((n) => n.status)).toEqual(['done']);
  });
});
