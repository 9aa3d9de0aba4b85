import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn } from '../helpers/console.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
});
afterEach(async () => t.cleanup());

/** Three drivers examined; the gateway refuses the first (HTTP 422) and accepts the others. */
async function filed(): Promise<{ refused: string }> {
  const drivers = [driver(1), driver(2), driver(3)];
  const visits = await bookedVisits(t, drivers);
  t.clock.set('2026-11-27T01:59:00Z');
  for (const [file] of drivers) await recordExam(t, visits.get(file)!);
  const rows = await t.deps.db.selectFrom('submissions').select(['id', 'idempotency_key']).orderBy('file_number').execute();
  const sim = createGatewaySimulator({ rejectKeys: [rows[0]!.idempotency_key] });
  const state = new WorkerState(workerSettings(t.deps.config), () => 0.5);
  for (let i = 0; i < 5; i++) await runRound(t.deps, sim.gateway, state);
  return { refused: rows[0]!.id };
}

describe('the 12123 page', () => {
  it('shows the queue, the refused submission with the gateway reason, and filters by status in the URL', async () => {
    const { refused } = await filed();
    const admin = await signedIn(t, 'admin');
    const page = await admin.page('/console/submissions');
    const api = (await (await t.request('/api/submissions/figures')).json()) as { queue: { dead: number; pending: number } };
    expect(api.queue.dead).toBe(1);
    expect(page).toMatch(/无法提交<\/div><div class="stat-value">1</);
    expect(page).toContain('12123 退回（HTTP 422，invalid_payload）');
    expect(page).toContain('全部重新提交（1）');

    const dead = await admin.page('/console/submissions?status=dead');
    expect(dead).toContain(`/console/submissions/${refused}`);
    expect(dead).not.toContain('已受理</span>');
    const accepted = await admin.page('/console/submissions?status=accepted');
    expect(accepted.match(/已受理<\/span>/g)).toHaveLength(2);
    expect(accepted).toContain('<option value="accepted" selected="">');

    const detail = await admin.page(`/console/submissions/${refused}`);
    expect(detail).toContain('无法提交');
    expect(detail).toContain('重新提交');
  });

  it('sends a dead letter again from its page, audited, and says so', async () => {
    const { refused } = await filed();
    const admin = await signedIn(t, 'admin');
    await admin.page(`/console/submissions/${refused}`);
    const res = await admin.post('/console/submissions/retry', { id: refused });
    expect(res.headers.get('location')).toBe(`/console/submissions/${refused}`);
    expect(await admin.page(`/console/submissions/${refused}`)).toContain('已重新提交 1 件业务');
    const row = await t.deps.db.selectFrom('submissions').select('status').where('id', '=', refused).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    const audit = await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'submissions.retry').execute();
    expect(audit).toHaveLength(1);
  });

  it('counts a submission waiting for the driver\'s 委托书 apart from those ready to go', async () => {
    const drivers = [driver(7)];
    const visits = await bookedVisits(t, drivers);
    t.clock.set('2026-11-27T01:59:00Z');
    await recordExam(t, visits.get(drivers[0]![0])!, {}, 'examiner', false);
    const admin = await signedIn(t, 'admin');
    const page = await admin.page('/console/submissions');
    expect(page).toMatch(/等待委托书<\/div><div class="stat-value">1</);
    expect(page).toMatch(/等待提交<\/div><div class="stat-value">0</);
    expect(page).toContain('<span class="badge badge-warn">等待委托书</span>');
    const api = (await (await t.request('/api/submissions')).json()) as { items: { heldFor: string | null }[] };
    expect(api.items.map((i) => i.heldFor)).toEqual(['authorisation']);
  });

  it('pauses and resumes the workers, and a post without the page token changes nothing', async () => {
    const admin = await signedIn(t, 'admin');
    await admin.page('/console/submissions');
    await admin.post('/console/submissions/pause', {}, { csrf: null });
    expect(((await (await t.request('/api/submissions/figures')).json()) as { queue: { paused: boolean } }).queue.paused).toBe(false);
    await admin.post('/console/submissions/pause');
    const paused = await admin.page('/console/submissions');
    expect(paused).toContain('发送已暂停');
    expect(paused).toContain('恢复发送');
    await admin.post('/console/submissions/resume');
    expect(await admin.page('/console/submissions')).toContain('暂停发送');
  });

  it('is not for dispatchers', async () => {
    const dispatcher = await signedIn(t, 'dispatcher');
    expect((await dispatcher.get('/console/submissions')).status).toBe(403);
    await dispatcher.page('/console');
    expect((await dispatcher.post('/console/submissions/pause')).status).toBe(403);
  });
});
