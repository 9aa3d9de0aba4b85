import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { authorise } from '../helpers/authorisation.ts';
import { bookedVisits, driver, examBody } from '../helpers/exams.ts';

let t: TestApp;
let visitId: string;

beforeEach(async () => {
  t = await createTestApp();
  const visits = await bookedVisits(t, [driver(1)]);
  visitId = visits.get(driver(1)[0])!;
  t.clock.set('2026-11-27T01:59:00Z'); // the visit day; examBody's exam ran 01:50-01:58
});
afterEach(() => t.cleanup());

function postExam(body: unknown, key: string | null, as: 'examiner' | 'admin' = 'examiner') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['idempotency-key'] = key;
  return t.request(`/api/visits/${visitId}/exam`, { method: 'POST', body: JSON.stringify(body), headers, as });
}

const count = async (table: 'exams' | 'submissions' | 'idempotency_keys') =>
  Number((await t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const audited = async () => (await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'exam.record').execute()).length;

describe('POST /api/visits/{id}/exam with an Idempotency-Key', () => {
  it('a double tap records one exam: the second send gets the first answer', async () => {
    const body = examBody();
    const first = await postExam(body, 'tap-7f3a9c');
    expect(first.status, await first.clone().text()).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await postExam(body, 'tap-7f3a9c');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect([await count('exams'), await count('submissions'), await audited()]).toEqual([1, 1, 1]);
  });

  it('a retry after a lost answer gets the answer of then, even after the queue moved on', async () => {
    const body = examBody();
    // The phone sent the exam and lost the answer; meanwhile the authorisation came and 12123 accepted it.
    const lost = (await (await postExam(body, 'draft-0001')).json()) as { id: string; cases: { submission: { status: string } | null }[] };
    await authorise(t, visitId);
    const sim = createGatewaySimulator();
    expect(await runRound(t.deps, sim.gateway, new WorkerState(workerSettings(t.deps.config)))).toMatchObject({ accepted: 1 });
    t.clock.set('2026-11-27T02:30:00Z'); // back online half an hour later

    const retry = await postExam(body, 'draft-0001');
    expect(retry.status).toBe(201);
    const answer = (await retry.json()) as typeof lost;
    expect(answer).toEqual(lost);
    expect(answer.cases[0]!.submission!.status).toBe('pending');
    expect(await count('exams')).toBe(1);

    // A crash between the exam's batch and storing its answer: the key is there, its body not yet.
    await t.deps.db.updateTable('idempotency_keys').set({ response_body: '' }).execute();
    const afterCrash = await postExam(body, 'draft-0001');
    expect(afterCrash.status).toBe(201);
    expect(((await afterCrash.json()) as typeof lost).id).toBe(lost.id);
    expect(await count('exams')).toBe(1);
  });

  it('the same key with another body, or from another account, is a 409 idempotency_mismatch', async () => {
    const body = examBody();
    expect((await postExam(body, 'k-1')).status).toBe(201);
    const other = await postExam({ ...body, certificate: { number: 'LC-2026-OTHER1' } }, 'k-1');
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency_mismatch');
    const admin = await postExam(body, 'k-1', 'admin');
    expect(admin.status).toBe(409);
    expect(((await admin.json()) as { error: { code: string } }).error.code).toBe('idempotency_mismatch');
    // The same body with its keys in another order is the same body.
    const reordered = { certificate: body.certificate, findings: body.findings, endedAt: body.endedAt, startedAt: body.startedAt };
    expect((await postExam(reordered, 'k-1')).status).toBe(201);
    expect(await count('exams')).toBe(1);
  });

  it('two sends of one tap at the same moment record one exam and answer both', async () => {
    const body = examBody();
    const [a, b] = await Promise.all([postExam(body, 'same-moment'), postExam(body, 'same-moment')]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(((await a.json()) as { id: string }).id).toBe(((await b.json()) as { id: string }).id);
    expect([await count('exams'), await count('idempotency_keys')]).toEqual([1, 1]);
  });

  it('refuses a key that is not 1-100 visible ASCII characters; without a key, a second post is a 409 as always', async () => {
    for (const key of ['has space', 'x'.repeat(101), 'tab\there', '']) {
      const res = await postExam(examBody(), key);
      expect(res.status, key).toBe(400);
    }
    expect(await count('exams')).toBe(0);
    const body = examBody();
    expect((await postExam(body, null)).status).toBe(201);
    expect((await postExam(body, null)).status).toBe(409);
    expect((await postExam(body, 'new-key')).status).toBe(409);
    expect(await count('idempotency_keys')).toBe(0);
  });
});
