import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayReceipt, GatewayRequest, GovGateway } from '../../src/ports.ts';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, startSubmissionWorker, WorkerState, workerSettings, type WorkerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.cleanup());

/** `count` drivers examined (passing) on 2026-11-27: one annual-certificate submission each, due now. */
async function examined(count: number): Promise<string[]> {
  const drivers = Array.from({ length: count }, (_, i) => driver(i + 1));
  const visits = await bookedVisits(t, drivers);
  t.clock.set('2026-11-27T01:59:00Z'); // the exams ran 01:50-01:58 and are sent in a minute later
  for (const [file] of drivers) await recordExam(t, visits.get(file)!);
  const rows = await t.deps.db.selectFrom('submissions').select('idempotency_key').orderBy('file_number').execute();
  return rows.map((r) => r.idempotency_key);
}

const settings = (over: Partial<WorkerSettings> = {}): WorkerSettings => ({ ...workerSettings(t.deps.config), ...over });
const rows = () => t.deps.db.selectFrom('submissions').selectAll().orderBy('file_number').execute();
const events = (kind: 'accepted' | 'transient' | 'dead' | 'retried' | 'cancelled') => t.deps.db.selectFrom('submission_events').selectAll().where('kind', '=', kind).execute();
const nowMs = () => t.clock.now().getTime();

/** A gateway wrapper that logs when (on the test clock) each request was sent. */
function logged(gateway: GovGateway, log: number[]): GovGateway {
  return { kind: gateway.kind, submit: (r) => (log.push(nowMs()), gateway.submit(r)) };
}

/** Rounds on the test clock: after each, the clock moves on by the wait the worker asked for. */
async function runFor(ms: number, gateway: GovGateway, state: WorkerState, until?: () => Promise<boolean>): Promise<void> {
  const end = nowMs() + ms;
  while (nowMs() < end) {
    const r = await runRound(t.deps, gateway, state);
    if (until && (await until())) return;
    t.clock.set(new Date(nowMs() + Math.max(r.waitMs, 10)).toISOString());
  }
}

describe('the submission worker', () => {
  it('backs off (capped) while the gateway is down, then drains within the rate limit', async () => {
    await examined(6);
    const sim = createGatewaySimulator({ down: true });
    const sent: number[] = [];
    const gateway = logged(sim.gateway, sent);
    const state = new WorkerState(settings({ ratePerSecond: 2, concurrency: 4, maxAttempts: 100, backoff: { baseMs: 1000, capMs: 8000 } }), () => 0.5);
    const outageStart = nowMs();
    await runFor(120_000, gateway, state);
    expect(sim.stats().filed).toBe(0);
    const gaps = sent.slice(1).map((at, i) => at - sent[i]!);
    // Exponential: probes grow apart, and never further than the cap (plus one poll).
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8000 + 1000);
    expect(gaps.filter((g) => g >= 4000).length).toBeGreaterThan(5);
    // An outage costs a probe per backoff, not every row's tries: about 120 s / 4-8 s.
    expect(sent.length).toBeLessThan(60);
    for (const s of await rows()) {
      expect(s.status).toBe('pending');
      expect(Date.parse(s.next_attempt_at) - nowMs()).toBeLessThanOrEqual(8000);
    }
    expect((await events('transient')).length).toBe(sent.length);

    sim.configure({ down: false });
    const back = nowMs();
    const recovered = sent.length;
    await runFor(30_000, gateway, state, async () => (await rows()).every((s) => s.status === 'accepted'));
    expect((await rows()).map((s) => s.status)).toEqual(Array(6).fill('accepted'));
    // Recovery: within a cap plus the time the rate allows for six, never more than 2 in a second.
    expect(nowMs() - back).toBeLessThanOrEqual(8000 + 3000 + 1000);
    const after = sent.slice(recovered);
    for (const at of after) expect(after.filter((x) => x > at - 1000 && x <= at).length).toBeLessThanOrEqual(2);
    expect(sim.stats().filed).toBe(6);
    expect(nowMs() - outageStart).toBeGreaterThan(120_000);
  });

  it('dead-letters a poison submission with the last error and leaves the others unaffected', async () => {
    const keys = await examined(4);
    const [rejected, failing] = [keys[0]!, keys[1]!];
    const sim = createGatewaySimulator({ rejectKeys: [rejected], failKeys: [failing] });
    const state = new WorkerState(settings({ maxAttempts: 3, backoff: { baseMs: 100, capMs: 1000 } }), () => 0.5);
    await runFor(20_000, sim.gateway, state);
    const byKey = new Map((await rows()).map((s) => [s.idempotency_key, s]));
    // A 4xx is permanent: dead at once. A 5xx every time: dead after the last of 3 tries.
    expect(byKey.get(rejected)).toMatchObject({ status: 'dead', attempts: 1 });
    expect(byKey.get(rejected)!.last_error).toMatch(/HTTP 422/);
    expect(byKey.get(failing)).toMatchObject({ status: 'dead', attempts: 3 });
    expect(byKey.get(failing)!.last_error).toMatch(/HTTP 500/);
    expect([keys[2], keys[3]].map((k) => byKey.get(k!)!.status)).toEqual(['accepted', 'accepted']);
    expect(await events('dead')).toHaveLength(2);
    expect(((await (await t.request('/api/submissions/figures?from=2026-11-27&to=2026-11-27')).json()) as { queue: { dead: number } }).queue.dead).toBe(2);

    // An admin sends them back once the cause is fixed; tries are counted afresh.
    sim.configure({ rejectKeys: [], failKeys: [] });
    expect((await postJson(t, '/api/submissions/retry', {}, 'admin')).status).toBe(400);
    expect((await postJson(t, '/api/submissions/retry', { all: true }, 'dispatcher')).status).toBe(403);
    const retry = await postJson(t, '/api/submissions/retry', { all: true });
    expect(await retry.json()).toEqual({ retried: 2 });
    expect((await rows()).filter((s) => s.status === 'pending').map((s) => s.attempts)).toEqual([0, 0]);
    await runFor(5000, sim.gateway, state);
    expect((await rows()).every((s) => s.status === 'accepted')).toBe(true);
    expect(await events('retried')).toHaveLength(2);
  });

  it('gives a job whose lease ran out to another worker, and the late worker cannot complete it', async () => {
    await examined(1);
    let answer: (r: GatewayReceipt) => void = () => undefined;
    const slow: GovGateway = { kind: 'simulator', submit: (_r: GatewayRequest) => new Promise<GatewayReceipt>((resolve) => (answer = resolve)) };
    const sim = createGatewaySimulator();
    const s = settings({ leaseMs: 60_000 });
    const late = runRound(t.deps, slow, new WorkerState(s));
    await new Promise((r) => setTimeout(r, 50));
    // Still leased: nobody else takes it.
    expect(await runRound(t.deps, sim.gateway, new WorkerState(s))).toMatchObject({ claimed: 0 });
    t.clock.set(new Date(nowMs() + 60_000).toISOString());
    expect(await runRound(t.deps, sim.gateway, new WorkerState(s))).toMatchObject({ claimed: 1, accepted: 1 });
    answer({ reference: 'GW-LATE', duplicate: false });
    expect(await late).toMatchObject({ claimed: 1, accepted: 0, lost: 1 });
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'accepted', attempts: 2 });
    expect(row!.reference).not.toBe('GW-LATE');
    expect(await events('accepted')).toHaveLength(1);
    expect(await t.deps.db.selectFrom('completion_notices').selectAll().execute()).toHaveLength(1);
  });

  it('keeps sending on its other lanes while one answer hangs', async () => {
    const keys = await examined(6);
    const sim = createGatewaySimulator();
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const gateway: GovGateway = { kind: 'simulator', submit: async (r) => (r.idempotencyKey === keys[0] ? hung.then(() => sim.gateway.submit(r)) : sim.gateway.submit(r)) };
    const worker = startSubmissionWorker(t.deps, gateway, settings({ concurrency: 4, pollMs: 20 }));
    try {
      await expect.poll(async () => (await rows()).filter((s) => s.status === 'accepted').length, { timeout: 3000 }).toBe(5);
      expect((await rows())[0]!.status).toBe('leased');
      release();
      await expect.poll(async () => (await rows())[0]!.status, { timeout: 3000 }).toBe('accepted');
    } finally {
      release();
      await worker.stop();
    }
    expect(worker.totals).toMatchObject({ claimed: 6, accepted: 6 });
  });

  it('sends nothing while an admin has paused the queue', async () => {
    await examined(2);
    const sim = createGatewaySimulator();
    const state = new WorkerState(settings());
    expect((await postJson(t, '/api/submissions/pause', {}, 'dispatcher')).status).toBe(403);
    expect(await (await postJson(t, '/api/submissions/pause', {})).json()).toMatchObject({ paused: true, pending: 2 });
    expect(await runRound(t.deps, sim.gateway, state)).toMatchObject({ paused: true, claimed: 0 });
    expect(sim.stats().requests).toBe(0);
    await postJson(t, '/api/submissions/resume', {});
    expect(await runRound(t.deps, sim.gateway, state)).toMatchObject({ claimed: 2, accepted: 2 });
    const actions = await t.deps.db.selectFrom('audit_log').select('action').where('action', 'like', 'submissions.%').execute();
    expect(actions.map((a) => a.action)).toEqual(['submissions.pause', 'submissions.resume']);
  });

  it('cancels a submission whose case went away before filing', async () => {
    await examined(1);
    const [s] = await rows();
    await t.deps.db.updateTable('cases').set({ status: 'superseded' }).where('id', '=', s!.case_id).execute();
    const sim = createGatewaySimulator();
    expect(await runRound(t.deps, sim.gateway, new WorkerState(settings()))).toMatchObject({ cancelled: 1 });
    expect(sim.stats().requests).toBe(0);
    expect((await rows())[0]).toMatchObject({ status: 'cancelled' });
  });

  it('dead-letters a row whose workers keep dying before any outcome', async () => {
    await examined(1);
    const s = settings({ maxAttempts: 3 });
    await t.deps.db.updateTable('submissions').set({ status: 'leased', attempts: 3, lease_token: 'gone', lease_expires_at: t.clock.now().toISOString() }).execute();
    const sim = createGatewaySimulator();
    expect(await runRound(t.deps, sim.gateway, new WorkerState(s))).toMatchObject({ claimed: 1, dead: 1 });
    expect(sim.stats().requests).toBe(0);
    expect((await rows())[0]!.last_error).toMatch(/no outcome after 3 tries/);
  });
});

describe('the figures', () => {
  it('show exam start to acceptance per day, and the queue', async () => {
    await examined(3);
    const sim = createGatewaySimulator();
    t.clock.set('2026-11-27T01:59:30Z'); // 9.5 minutes after the exams started (01:50)
    await runRound(t.deps, sim.gateway, new WorkerState(settings()));
    const res = await t.request('/api/submissions/figures?from=2026-11-26&to=2026-11-27');
    const body = (await res.json()) as { promiseMinutes: number; days: unknown[]; queue: unknown };
    expect(body.promiseMinutes).toBe(10);
    expect(body.days).toEqual([
      expect.objectContaining({ date: '2026-11-26', accepted: 0, examToAcceptanceMinutes: { p50: null, p95: null, max: null } }),
      expect.objectContaining({ date: '2026-11-27', accepted: 3, filedAtOnce: 3, examToAcceptanceMinutes: { p50: 9.5, p95: 9.5, max: 9.5 }, withinPromise: 3, retries: 0, deadLettered: 0 }),
    ]);
    expect(body.queue).toEqual({ paused: false, pending: 0, ready: 0, waitingForOpening: 0, waitingForAuthorisation: 0, leased: 0, dead: 0 });
    expect((await t.request('/api/submissions/figures?from=2026-11-28&to=2026-11-27')).status).toBe(400);
    expect((await t.request('/api/submissions/figures', { as: 'dispatcher' })).status).toBe(403);
    const list = (await (await t.request('/api/submissions?status=accepted&limit=2')).json()) as { items: { id: string }[]; nextCursor: string };
    expect(list.items).toHaveLength(2);
    const next = (await (await t.request(`/api/submissions?status=accepted&limit=2&cursor=${list.nextCursor}`)).json()) as { items: { id: string }[] };
    expect(next.items).toHaveLength(1);
    const one = (await (await t.request(`/api/submissions/${next.items[0]!.id}`)).json()) as { payload: { version: number }; events: { kind: string }[] };
    expect(one.payload.version).toBe(1);
    expect(one.events.map((e) => e.kind)).toEqual(['accepted']);
  });
});
