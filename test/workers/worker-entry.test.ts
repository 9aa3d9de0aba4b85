import { afterEach, describe, expect, it } from 'vitest';
import worker from '../../src/entry/worker.ts';
import { composeWorker, type WorkerEnv } from '../../src/entry/compose-worker.ts';
import { runCronTick } from '../../src/entry/worker-cron.ts';
import { startOutreach } from '../../src/outreach/start.ts';
import { fixedClock } from '../../src/ports.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { openTempDatabase } from '../helpers/temp-db-d1.ts';

/** The Worker's own entry (src/entry/worker.ts) in workerd over D1: the rest of the suite runs the app itself. */
const DATA_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64');
const ctx = { waitUntil: () => undefined };

describe('the Worker entry', () => {
  const opened: Array<Awaited<ReturnType<typeof openTempDatabase>>> = [];
  afterEach(async () => Promise.all(opened.splice(0).map((d) => d.cleanup())));

  async function workerEnv(settings: Record<string, string> = {}): Promise<WorkerEnv> {
    const database = await openTempDatabase();
    opened.push(database);
    return { DB: database.binding, DATA_KEY, LOG_LEVEL: 'error', ...settings };
  }

  it('serves the app over D1: health, then an import by an admin token', async () => {
    const env = await workerEnv();
    expect((await worker.fetch(new Request('https://checkup.example.test/healthz'), env, ctx)).status).toBe(200);
    const { deps } = composeWorker(env);
    const { token } = await addStaff(deps, { name: '测试管理员', role: 'admin', createdBy: null });
    const upload = new Request('https://checkup.example.test/api/registry/imports', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: csv([row('371500000001'), row('371500000002', { birth: '1950-02-01' })]),
    });
    const res = await worker.fetch(upload, env, ctx);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'completed', inserted: 2 });
  });

  it('keeps the isolate for the status reports of what a request sent without Twilio (ctx.waitUntil)', async () => {
    const env = await workerEnv({ RECORDED_STATUS_STEP_MS: '1' });
    const waited: Promise<unknown>[] = [];
    const res = await worker.fetch(new Request('https://checkup.example.test/healthz'), env, { waitUntil: (p) => void waited.push(p) });
    expect(res.status).toBe(200);
    // The recording adapter's settle(): it resolves once every pending report is made (test/outreach/recording-statuses.test.ts).
    expect(waited).toHaveLength(1);
    await expect(waited[0]).resolves.toBeUndefined();
  });

  it('rotates the data key from the cron while DATA_KEY_PREVIOUS is set, on D1, and then serves with the new key alone', async () => {
    const env = await workerEnv();
    const { deps, ready } = composeWorker(env);
    await ready;
    const { token } = await addStaff(deps, { name: '测试管理员', role: 'admin', createdBy: null });
    const licences = Array.from({ length: 12 }, (_, i) => row(`37150000${String(i).padStart(4, '0')}`, { birth: '1950-02-01' }));
    const upload = new Request('https://checkup.example.test/api/registry/imports', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv(licences) });
    expect((await worker.fetch(upload, env, ctx)).status).toBe(201);

    const NEW_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 11 + 2)).toString('base64');
    const rotating = composeWorker({ ...env, DATA_KEY: NEW_KEY, DATA_KEY_PREVIOUS: DATA_KEY });
    await rotating.ready;
    const gateway = createGatewaySimulator({ latencyMs: 0, timeoutMs: 1000 }).gateway;
    const tick = await runCronTick(rotating.deps, gateway, { submissionsMs: 0, keys: rotating.keys });
    expect(tick.keyRotation).toEqual({ resealed: 12, finished: true });
    expect((await runCronTick(rotating.deps, gateway, { submissionsMs: 0, keys: rotating.keys })).keyRotation).toEqual({ resealed: 0, finished: true });

    const rotated = { ...env, DATA_KEY: NEW_KEY };
    const full = await worker.fetch(new Request('https://checkup.example.test/api/licences/371500000003', { headers: { authorization: `Bearer ${token}` } }), rotated, ctx);
    expect(full.status).toBe(200);
    expect(((await full.json()) as { idNumber: string }).idNumber).toMatch(/^\d{17}[\dX]$/);
    expect((await worker.fetch(new Request('https://checkup.example.test/healthz'), { ...env }, ctx)).status).toBe(503);
  });

  it('answers 503 with one line naming DATA_KEY when the secret is missing, and runs nothing', async () => {
    const env = await workerEnv();
    delete env.DATA_KEY;
    const res = await worker.fetch(new Request('https://checkup.example.test/healthz'), env, ctx);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toMatch(/^DATA_KEY is not set/);
    expect(body.error.message).not.toContain('\n');
  });

  it('refuses a DATA_KEY other than the one the database was written with', async () => {
    const env = await workerEnv();
    expect((await worker.fetch(new Request('https://checkup.example.test/healthz'), env, ctx)).status).toBe(200);
    const other = { ...env, DATA_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i * 3)).toString('base64') };
    const res = await worker.fetch(new Request('https://checkup.example.test/healthz'), other, ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/DATA_KEY/);
  });

  it('tries the key check again on the next request when D1 did not answer it', async () => {
    const env = await workerEnv();
    const real = env.DB;
    let failures = 1;
    const flaky: WorkerEnv = {
      ...env,
      DB: {
        prepare: (sql) => {
          if (failures-- > 0) throw new Error('D1 is not answering');
          return real.prepare(sql);
        },
        batch: (statements) => real.batch(statements),
      },
    };
    const first = await worker.fetch(new Request('https://checkup.example.test/healthz'), flaky, ctx);
    expect(first.status).toBe(503);
    expect(((await first.json()) as { error: { message: string } }).error.message).toBe('the service could not start');
    expect((await worker.fetch(new Request('https://checkup.example.test/healthz'), flaky, ctx)).status).toBe(200);
  });

  it('runs the daily screening from the cron once its time has come, not twice a day, and the outreach pass', async () => {
    const env = await workerEnv({ SCREENING_DAILY_AT: '02:00', RECORDED_STATUS_STEP_MS: '1' });
    const { deps, ready } = composeWorker(env);
    await ready;
    const { token } = await addStaff(deps, { name: '测试管理员', role: 'admin', createdBy: null });
    const upload = new Request('https://checkup.example.test/api/registry/imports', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: csv([row('371500000001', { birth: '1950-02-01' })]),
    });
    expect((await worker.fetch(upload, env, ctx)).status).toBe(201);
    const gateway = createGatewaySimulator({ latencyMs: 0, timeoutMs: 1000 }).gateway;
    // 01:30 in Shanghai: not yet; 02:30: the run; 03:30: done for today.
    const at = (iso: string) => ({ ...deps, clock: fixedClock(iso) });
    expect((await runCronTick(at('2026-11-25T17:30:00.000Z'), gateway, { submissionsMs: 1000 })).screening).toBe('not due');
    const due = await runCronTick(at('2026-11-25T18:30:00.000Z'), gateway, { submissionsMs: 1000 });
    expect(due.screening).toEqual({ runId: expect.any(String) });
    expect(due.outreach).toEqual({ sent: 0 });
    expect(due.submissions).toEqual({ claimed: 0, accepted: 0, retrying: 0, dead: 0 });
    expect((await runCronTick(at('2026-11-25T19:30:00.000Z'), gateway, { submissionsMs: 1000 })).screening).toBe('not due');
    const runs = await deps.db.selectFrom('screening_runs').select(['trigger', 'status', 'as_of']).execute();
    expect(runs).toEqual([{ trigger: 'schedule', status: 'completed', as_of: '2026-11-26' }]);
    const cases = await deps.db.selectFrom('cases').select('category').execute();
    expect(cases.map((c) => c.category)).toContain('annual_exam_70');
    // 10:00 in Shanghai, in the sending window: the cron's outreach pass texts the driver, and
    // the recorded SMS (no Twilio) reaches delivered within the same invocation.
    expect(await startOutreach(at('2026-11-26T02:00:00.000Z'), { staffId: null, limit: 10 })).toMatchObject({ started: 1 });
    const texted = await runCronTick(at('2026-11-26T02:01:00.000Z'), gateway, { submissionsMs: 1000 });
    expect(texted.outreach).toEqual({ sent: 1 });
    const messages = await deps.db.selectFrom('messages').select(['channel', 'status']).execute();
    expect(messages).toEqual([{ channel: 'sms', status: 'delivered' }]);
  });
});
