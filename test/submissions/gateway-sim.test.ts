import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/ports.ts';
import { createHttpGateway } from '../../src/submissions/gateway-http.ts';
import { gatewaySimCommand, GatewaySimOptionError } from '../../src/submissions/gateway-sim-command.ts';
import { createGatewaySimulator, SimulatorConfigError, type GatewaySimulator } from '../../src/submissions/gateway-sim.ts';

const PAYLOAD = { version: 1, business: 'age_downgrade', fileNumber: '371500654321', caseId: 'case-0002' };

async function outcomeOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** What each of `n` submissions with fresh keys came to: a status, `ok`, or `dup`. */
async function runOutcomes(sim: GatewaySimulator, n: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const receipt = await sim.gateway.submit({ idempotencyKey: `key-${i % 7}`, payload: PAYLOAD });
      outcomes.push(receipt.duplicate ? 'dup' : 'ok');
    } catch (error) {
      outcomes.push(String((error as GatewayError).status));
    }
  }
  return outcomes;
}

function post(sim: GatewaySimulator, path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return sim.fetch(new Request(`http://sim${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
}

describe('the simulator in process', () => {
  it('files once per key and answers the same reference as a duplicate', async () => {
    const sim = createGatewaySimulator();
    expect(sim.gateway.kind).toBe('simulator');
    const first = await sim.gateway.submit({ idempotencyKey: 'k-1', payload: PAYLOAD });
    expect(first).toEqual({ reference: expect.stringMatching(/^GW\d{10}$/) as unknown, duplicate: false });
    expect(await sim.gateway.submit({ idempotencyKey: 'k-1', payload: PAYLOAD })).toEqual({ reference: first.reference, duplicate: true });
    const other = await sim.gateway.submit({ idempotencyKey: 'k-2', payload: PAYLOAD });
    expect(other.reference).not.toBe(first.reference);
    expect(sim.stats()).toMatchObject({ requests: 3, filed: 2, duplicates: 1, byStatus: { '200': 3 } });
  });

  it('files a key once however many requests race for it', async () => {
    const sim = createGatewaySimulator({ latencyMs: 20 });
    const receipts = await Promise.all(Array.from({ length: 10 }, () => sim.gateway.submit({ idempotencyKey: 'race', payload: PAYLOAD })));
    expect(new Set(receipts.map((r) => r.reference)).size).toBe(1);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(sim.stats().keys.race).toMatchObject({ requests: 10, filings: 1 });
  });

  it('rejects an invalid payload permanently with 422, naming the field', async () => {
    const sim = createGatewaySimulator();
    const cases: [unknown, string][] = [
      [[PAYLOAD], 'payload'],
      [{ ...PAYLOAD, version: 2 }, 'version'],
      [{ ...PAYLOAD, business: 'cancel' }, 'business'],
      [{ ...PAYLOAD, fileNumber: 371500654321 }, 'fileNumber'],
      [{ ...PAYLOAD, fileNumber: '37150065432X' }, 'fileNumber'],
      [{ ...PAYLOAD, caseId: ' ' }, 'caseId'],
      [{ version: 1, business: 'expiry_renewal', fileNumber: '371500654321' }, 'caseId'],
    ];
    for (const [payload, field] of cases) {
      const error = await outcomeOf(sim.gateway.submit({ idempotencyKey: `bad-${field}`, payload }));
      expect(error).toMatchObject({ kind: 'permanent', status: 422 });
      expect(error.message).toMatch(new RegExp(`^gateway answered HTTP 422 \\(invalid_payload\\): (the )?${field}`));
    }
    expect(sim.stats().filed).toBe(0);
  });

  it('answers rejectKeys 422 (permanent), failKeys 500 and down 503 (transient)', async () => {
    const sim = createGatewaySimulator({ rejectKeys: ['no'], failKeys: ['boom'] });
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: 'no', payload: PAYLOAD }))).toMatchObject({ kind: 'permanent', status: 422 });
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: 'boom', payload: PAYLOAD }))).toMatchObject({ kind: 'transient', status: 500 });
    sim.configure({ down: true });
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: 'fine', payload: PAYLOAD }))).toMatchObject({ kind: 'transient', status: 503 });
    sim.configure({ down: false });
    expect((await sim.gateway.submit({ idempotencyKey: 'fine', payload: PAYLOAD })).duplicate).toBe(false);
    const stats = sim.stats();
    expect(stats.byStatus).toEqual({ '422': 1, '500': 1, '503': 1, '200': 1 });
    expect(stats.keys).toEqual({
      no: { requests: 1, filings: 0, reference: null },
      boom: { requests: 1, filings: 0, reference: null },
      fine: { requests: 2, filings: 1, reference: expect.any(String) as unknown },
    });
  });

  it('answers errors as transient without filing', async () => {
    const sim = createGatewaySimulator({ errorRate: 1 });
    const statuses = new Set<number | null>();
    for (let i = 0; i < 12; i++) {
      const error = await outcomeOf(sim.gateway.submit({ idempotencyKey: `e-${i}`, payload: PAYLOAD }));
      expect(error.kind).toBe('transient');
      statuses.add(error.status);
    }
    expect(statuses).toEqual(new Set([500, 503]));
    expect(sim.stats().filed).toBe(0);
  });

  it('loses the answer but files the business, so the retry is a duplicate', async () => {
    const sim = createGatewaySimulator({ duplicateRate: 1 });
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: 'lost', payload: PAYLOAD }))).toMatchObject({ kind: 'transient', status: 502 });
    const reference = sim.stats().keys.lost!.reference;
    sim.configure({ duplicateRate: 0 });
    expect(await sim.gateway.submit({ idempotencyKey: 'lost', payload: PAYLOAD })).toEqual({ reference, duplicate: true });
    expect(sim.stats()).toMatchObject({ filed: 1, lostAnswers: 1, duplicates: 1, keys: { lost: { requests: 2, filings: 1 } } });
  });

  it('times out a hang at the smaller of its own timeout and the hang', async () => {
    const cut = createGatewaySimulator({ timeoutRate: 1, hangMs: 600_000, timeoutMs: 50 });
    expect(await outcomeOf(cut.gateway.submit({ idempotencyKey: 'h', payload: PAYLOAD }))).toMatchObject({
      kind: 'transient',
      status: null,
      message: 'gateway timeout after 50 ms',
    });
    const short = createGatewaySimulator({ timeoutRate: 1, hangMs: 30, timeoutMs: 5000 });
    expect(await outcomeOf(short.gateway.submit({ idempotencyKey: 'h', payload: PAYLOAD }))).toMatchObject({ kind: 'transient', status: 504 });
    for (const sim of [cut, short]) expect(sim.stats()).toMatchObject({ filed: 0, byStatus: { timeout: 1 }, keys: { h: { requests: 1, filings: 0 } } });
  });

  it('draws the same faults from the same seed', async () => {
    const options = { seed: 42, errorRate: 0.3, duplicateRate: 0.3 };
    const a = await runOutcomes(createGatewaySimulator(options), 40);
    const b = await runOutcomes(createGatewaySimulator(options), 40);
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set(['ok', 'dup', '500', '503', '502']));
    expect(await runOutcomes(createGatewaySimulator({ ...options, seed: 43 }), 40)).not.toEqual(a);

    const sim = createGatewaySimulator(options);
    await runOutcomes(sim, 5);
    sim.reset();
    expect(sim.stats().requests).toBe(0);
    expect(await runOutcomes(sim, 40)).toEqual(a);
  });

  it('calls onFiled once per key, after filing and before answering', async () => {
    let release: () => void = () => undefined;
    const calls: { key: string; filings: number }[] = [];
    const sim: GatewaySimulator = createGatewaySimulator({
      onFiled: (key) => {
        calls.push({ key, filings: sim.stats().keys[key]!.filings });
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    let answered = false;
    const pending = sim.gateway.submit({ idempotencyKey: 'hooked', payload: PAYLOAD }).then((r) => ((answered = true), r));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual([{ key: 'hooked', filings: 1 }]);
    expect(answered).toBe(false);
    release();
    expect((await pending).duplicate).toBe(false);
    expect((await sim.gateway.submit({ idempotencyKey: 'hooked', payload: PAYLOAD })).duplicate).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('keeps the time of every first filing', async () => {
    const sim = createGatewaySimulator();
    const before = Date.now();
    for (const key of ['a', 'b', 'a', 'c']) await sim.gateway.submit({ idempotencyKey: key, payload: PAYLOAD });
    const { acceptedAt } = sim.stats();
    expect(acceptedAt).toHaveLength(3);
    expect(acceptedAt.every((t, i) => t >= before && t <= Date.now() && (i === 0 || t >= acceptedAt[i - 1]!))).toBe(true);
  });

  it('sends the payload as over the wire and passes its own token check', async () => {
    const sim = createGatewaySimulator({ token: 'in-process-token' });
    const receipt = await sim.gateway.submit({ idempotencyKey: 'w', payload: { ...PAYLOAD, extra: undefined, at: new Date(0) } });
    expect(receipt.duplicate).toBe(false);
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: 'w2', payload: undefined }))).toMatchObject({ kind: 'permanent', status: null });
    expect(await outcomeOf(sim.gateway.submit({ idempotencyKey: '', payload: PAYLOAD }))).toMatchObject({ kind: 'permanent', status: 400 });
  });

  it('validates its options', () => {
    expect(() => createGatewaySimulator({ errorRate: -0.1 })).toThrow(new SimulatorConfigError('errorRate must be a number from 0 to 1'));
    expect(() => createGatewaySimulator({ hangMs: 1.5 })).toThrow(SimulatorConfigError);
    expect(() => createGatewaySimulator({ timeoutMs: 0 })).toThrow(SimulatorConfigError);
    const sim = createGatewaySimulator();
    expect(() => sim.configure({ down: 'yes' as unknown as boolean })).toThrow('down must be true or false');
    expect(() => sim.configure({ token: '' })).toThrow(SimulatorConfigError);
    expect(() => sim.configure({ failKeys: [1] as unknown as string[] })).toThrow('failKeys must be a list of strings');
    expect(() => sim.configure({ nope: 1 } as never)).toThrow('unknown option nope');
    expect(sim.configure({ latencyMs: 5, seed: 9 })).toMatchObject({ latencyMs: 5, seed: 9, down: false });
  });
});

describe('the simulator as a fetch handler', () => {
  it('needs an Idempotency-Key, a JSON body and the token when one is set', async () => {
    const sim = createGatewaySimulator({ token: 'tok' });
    const auth = { authorization: 'Bearer tok' };
    expect((await post(sim, '/submissions', JSON.stringify(PAYLOAD), { 'idempotency-key': 'k' })).status).toBe(401);
    const missing = await post(sim, '/submissions', JSON.stringify(PAYLOAD), auth);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
    expect((await post(sim, '/submissions', '{not json', { ...auth, 'idempotency-key': 'k' })).status).toBe(400);
    const ok = await post(sim, '/submissions', JSON.stringify(PAYLOAD), { ...auth, 'idempotency-key': 'k' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ reference: expect.any(String) as unknown, duplicate: false });
    expect(sim.stats()).toMatchObject({ requests: 4, byStatus: { '401': 1, '400': 2, '200': 1 }, keys: { k: { requests: 3, filings: 1 } } });
  });

  it('shows its config without the token, and answers unknown routes 404 and wrong methods 405', async () => {
    const sim = createGatewaySimulator({ token: 'secret-tok' });
    const config = await sim.fetch(new Request('http://sim/_sim/config'));
    const text = await config.text();
    expect(text).not.toContain('secret-tok');
    expect(JSON.parse(text)).toMatchObject({ options: { auth: true, down: false, seed: 1 } });
    expect((await sim.fetch(new Request('http://sim/submissions'))).status).toBe(405);
    expect((await sim.fetch(new Request('http://sim/elsewhere'))).status).toBe(404);
    expect((await post(sim, '/_sim/config', 'not json')).status).toBe(400);
  });
});

describe('npm run cli -- gateway-sim', () => {
  it('serves until aborted, then prints the counts', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const running = gatewaySimCommand(['--port', '0', '--error-rate', '1', '--seed', '3', '--token', 'cli-token'], (l) => lines.push(l), stop.signal);
    await expect.poll(() => lines.length, { timeout: 2000, interval: 10 }).toBe(1);
    const url = /listening on (http:\/\/\S+) \(POST \/submissions, GET \/_sim\/stats\)$/.exec(lines[0]!)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const gateway = createHttpGateway({ baseUrl: url!, token: 'cli-token', timeoutMs: 2000 });
    expect((await outcomeOf(gateway.submit({ idempotencyKey: 'k', payload: PAYLOAD }))).kind).toBe('transient');
    stop.abort();
    await running;
    expect(lines[1]).toMatch(/^gateway simulator stopped: 1 requests, 0 filed, 0 answered duplicate, 0 answers lost; by status: 50[03]=1$/);
  });

  it('names the option and the reason for a bad value', async () => {
    const out = () => undefined;
    await expect(gatewaySimCommand(['--error-rate', '2'], out)).rejects.toThrow(new GatewaySimOptionError('--error-rate must be a number from 0 to 1'));
    await expect(gatewaySimCommand(['--duplicate-rate', 'x'], out)).rejects.toThrow('--duplicate-rate must be a number from 0 to 1');
    await expect(gatewaySimCommand(['--port', '70000'], out)).rejects.toThrow('--port must be a whole number from 0 to 65535');
    await expect(gatewaySimCommand(['--latency-ms=-1'], out)).rejects.toThrow('--latency-ms must be a whole number');
    await expect(gatewaySimCommand(['--seed', '1.5'], out)).rejects.toThrow('--seed must be a whole number');
    await expect(gatewaySimCommand(['--bogus'], out)).rejects.toThrow(/--bogus/);
  });
});
