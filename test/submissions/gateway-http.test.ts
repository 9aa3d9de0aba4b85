import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/ports.ts';
import { createHttpGateway } from '../../src/submissions/gateway-http.ts';
import { createGatewaySimulator, type GatewaySimulator, type GatewaySimulatorInit } from '../../src/submissions/gateway-sim.ts';
import { serveGatewaySimulator, type GatewaySimulatorServer } from '../../src/submissions/gateway-sim-server.ts';

const PAYLOAD = { version: 1, business: 'submit_certificate', fileNumber: '371500123456', caseId: 'case-0001' };
const TOKEN = 'gw-secret-token-0123456789abcdef';

async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** The simulator on a loopback port; closed after each test. */
const running: GatewaySimulatorServer[] = [];
async function startSim(init: GatewaySimulatorInit = {}): Promise<{ sim: GatewaySimulator; url: string }> {
  const sim = createGatewaySimulator(init);
  const server = await serveGatewaySimulator(sim, { port: 0, host: '127.0.0.1' });
  running.push(server);
  return { sim, url: server.url };
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('the HTTP gateway against the simulator over loopback', () => {
  it('files a submission and returns the reference', async () => {
    const { sim, url } = await startSim();
    const receipt = await createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: 'k-1', payload: PAYLOAD });
    expect(receipt.duplicate).toBe(false);
    expect(receipt.reference).toMatch(/^GW\d{10}$/);
    const stats = sim.stats();
    expect(stats.keys['k-1']).toEqual({ requests: 1, filings: 1, reference: receipt.reference });
    expect(stats.filed).toBe(1);
    expect(stats.byStatus).toEqual({ '200': 1 });
    expect(stats.acceptedAt).toHaveLength(1);
  });

  it('answers a key sent again with the original reference, marked duplicate, filed once', async () => {
    const { sim, url } = await startSim();
    const gateway = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 });
    const first = await gateway.submit({ idempotencyKey: 'k-dup', payload: PAYLOAD });
    const second = await gateway.submit({ idempotencyKey: 'k-dup', payload: PAYLOAD });
    expect(second).toEqual({ reference: first.reference, duplicate: true });
    const stats = sim.stats();
    expect(stats.keys['k-dup']).toEqual({ requests: 2, filings: 1, reference: first.reference });
    expect(stats.duplicates).toBe(1);
    expect(stats.filed).toBe(1);
  });

  it('reports an invalid payload as permanent, naming the field but not its value', async () => {
    const { sim, url } = await startSim();
    const gateway = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 });
    const error = await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k-bad', payload: { ...PAYLOAD, fileNumber: '3715001' } }));
    expect(error.kind).toBe('permanent');
    expect(error.status).toBe(422);
    expect(error.message).toBe('gateway answered HTTP 422 (invalid_payload): fileNumber must be 12 digits');
    expect(error.message).not.toContain('3715001');
    expect(error.message).not.toContain('case-0001');
    expect(sim.stats().keys['k-bad']).toEqual({ requests: 1, filings: 0, reference: null });
  });

  it('reports a wrong or missing token as permanent 401 without quoting any token', async () => {
    const { url } = await startSim({ token: TOKEN });
    const wrong = await gatewayErrorOf(createHttpGateway({ baseUrl: url, token: 'wrong-token-abc', timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: PAYLOAD }));
    expect(wrong).toMatchObject({ kind: 'permanent', status: 401 });
    expect(wrong.message).not.toContain('wrong-token-abc');
    expect(wrong.message).not.toContain(TOKEN);
    const missing = await gatewayErrorOf(createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: PAYLOAD }));
    expect(missing).toMatchObject({ kind: 'permanent', status: 401 });
    const right = await createHttpGateway({ baseUrl: url, token: TOKEN, timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: PAYLOAD });
    expect(right.duplicate).toBe(false);
  });

  it('reports 5xx as transient and files nothing', async () => {
    const { sim, url } = await startSim({ errorRate: 1 });
    const gateway = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 });
    for (const key of ['a', 'b', 'c', 'd']) {
      const error = await gatewayErrorOf(gateway.submit({ idempotencyKey: key, payload: PAYLOAD }));
      expect(error.kind).toBe('transient');
      expect([500, 503]).toContain(error.status);
    }
    expect(sim.stats().filed).toBe(0);
  });

  it('gives up on a hanging gateway at its timeout, as transient, and the server still closes at once', { timeout: 3000 }, async () => {
    const { sim, url } = await startSim({ timeoutRate: 1, hangMs: 600_000 });
    const error = await gatewayErrorOf(createHttpGateway({ baseUrl: url, token: null, timeoutMs: 100 }).submit({ idempotencyKey: 'k-hang', payload: PAYLOAD }));
    expect(error).toMatchObject({ kind: 'transient', status: null, message: 'gateway timeout after 100 ms' });
    const stats = sim.stats();
    expect(stats.byStatus).toEqual({ timeout: 1 });
    expect(stats.keys['k-hang']).toEqual({ requests: 1, filings: 0, reference: null });
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  it('still files what it started when the client gives up during the latency: the retry is a duplicate', async () => {
    const { sim, url } = await startSim({ latencyMs: 150 });
    const impatient = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 30 });
    const error = await gatewayErrorOf(impatient.submit({ idempotencyKey: 'k-slow', payload: PAYLOAD }));
    expect(error.kind).toBe('transient');
    await vi.waitFor(() => expect(sim.stats().filed).toBe(1), { timeout: 2000, interval: 20 });
    const receipt = await createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: 'k-slow', payload: PAYLOAD });
    expect(receipt).toEqual({ reference: sim.stats().keys['k-slow']!.reference, duplicate: true });
    expect(sim.stats().keys['k-slow']!.filings).toBe(1);
  });

  it('reports a gateway nobody listens on as transient', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await gatewayErrorOf(createHttpGateway({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: PAYLOAD }));
    expect(error).toMatchObject({ kind: 'transient', status: null });
    expect(error.message).toMatch(/^gateway unreachable/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('turns a lost answer into a transient error, and the retry into a duplicate with the same reference', async () => {
    const { sim, url } = await startSim({ duplicateRate: 1 });
    const gateway = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 });
    const lost = await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k-lost', payload: PAYLOAD }));
    expect(lost).toMatchObject({ kind: 'transient', status: 502 });
    const filedAs = sim.stats().keys['k-lost']!.reference;
    expect(filedAs).not.toBeNull();
    sim.configure({ duplicateRate: 0 });
    expect(await gateway.submit({ idempotencyKey: 'k-lost', payload: PAYLOAD })).toEqual({ reference: filedAs, duplicate: true });
    const stats = sim.stats();
    expect(stats.keys['k-lost']).toEqual({ requests: 2, filings: 1, reference: filedAs });
    expect(stats).toMatchObject({ filed: 1, lostAnswers: 1, duplicates: 1 });
  });

  it('goes down and up again through POST /_sim/config, and refuses a bad config', async () => {
    const { url } = await startSim();
    const gateway = createHttpGateway({ baseUrl: url, token: null, timeoutMs: 2000 });
    const config = (body: unknown) => fetch(`${url}/_sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await config({ down: true })).status).toBe(200);
    expect(await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k-down', payload: PAYLOAD }))).toMatchObject({ kind: 'transient', status: 503 });
    expect((await config({ down: false })).status).toBe(200);
    expect((await gateway.submit({ idempotencyKey: 'k-down', payload: PAYLOAD })).duplicate).toBe(false);

    const bad = await config({ errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid_config', message: 'errorRate must be a number from 0 to 1' } });
    expect((await config({ surprise: true })).status).toBe(400);
    expect((await config([1])).status).toBe(400);

    const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as { keys: Record<string, { requests: number; filings: number }> };
    expect(stats.keys['k-down']).toMatchObject({ requests: 2, filings: 1 });
    expect((await fetch(`${url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(((await (await fetch(`${url}/_sim/stats`)).json()) as { requests: number }).requests).toBe(0);
  });
});

describe('the HTTP gateway against a recording server', () => {
  interface Seen {
    method: string;
    path: string;
    headers: IncomingHttpHeaders;
    body: string;
  }
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let reply: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: '' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        // {auth} echoes the Authorization header back, as a careless gateway might.
        const text = reply.body.replace('{auth}', req.headers.authorization ?? '');
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

  it('sends the payload as JSON with the idempotency key and the bearer token, under a base URL with a path and trailing slashes', async () => {
    seen.length = 0;
    reply = { status: 200, body: JSON.stringify({ reference: 'R-1', duplicate: false }) };
    const receipt = await createHttpGateway({ baseUrl: `${base}/gw/v1//`, token: TOKEN, timeoutMs: 2000 }).submit({ idempotencyKey: 'key-123', payload: PAYLOAD });
    expect(receipt).toEqual({ reference: 'R-1', duplicate: false });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', path: '/gw/v1/submissions' });
    expect(request!.headers['idempotency-key']).toBe('key-123');
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual(PAYLOAD);
  });

  it('sends no Authorization header without a token', async () => {
    seen.length = 0;
    reply = { status: 200, body: JSON.stringify({ reference: 'R-2', duplicate: true }) };
    expect(await createHttpGateway({ baseUrl: base, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: PAYLOAD })).toEqual({ reference: 'R-2', duplicate: true });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('takes an empty or non-JSON 2xx body as accepted without a reference', async () => {
    const gateway = createHttpGateway({ baseUrl: base, token: null, timeoutMs: 2000 });
    for (const [status, body] of [[200, ''], [201, 'OK'], [202, '[1,2]'], [204, '']] as const) {
      reply = { status, body };
      expect(await gateway.submit({ idempotencyKey: 'k', payload: PAYLOAD })).toEqual({ reference: null, duplicate: false });
    }
  });

  it('treats 408, 425, 429 and 5xx as transient, other 4xx and redirects as permanent', async () => {
    const gateway = createHttpGateway({ baseUrl: base, token: null, timeoutMs: 2000 });
    const kinds: Record<number, string> = {};
    for (const status of [400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 502, 503, 504, 301]) {
      reply = { status, body: errorBody('x', 'no'), headers: status === 301 ? { location: 'http://127.0.0.1:1/elsewhere' } : {} };
      const error = await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k', payload: PAYLOAD }));
      expect(error.status).toBe(status);
      kinds[status] = error.kind;
    }
    expect(kinds).toEqual({
      400: 'permanent', 401: 'permanent', 403: 'permanent', 404: 'permanent', 408: 'transient', 409: 'permanent', 422: 'permanent',
      425: 'transient', 429: 'transient', 500: 'transient', 502: 'transient', 503: 'transient', 504: 'transient', 301: 'permanent',
    });
  });

  it('quotes the status, the code and at most 200 characters of the message, never the token or the payload', async () => {
    const gateway = createHttpGateway({ baseUrl: base, token: TOKEN, timeoutMs: 2000 });
    reply = { status: 400, body: errorBody('bad_request', `header was {auth}; ${'x'.repeat(500)}`) };
    const error = await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k', payload: PAYLOAD }));
    expect(error.message.startsWith('gateway answered HTTP 400 (bad_request): header was Bearer ***; xxx')).toBe(true);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain(PAYLOAD.fileNumber);
    expect(error.message.length).toBeLessThanOrEqual('gateway answered HTTP 400 (bad_request): '.length + 200);

    reply = { status: 503, body: '<html>busy</html>' };
    expect((await gatewayErrorOf(gateway.submit({ idempotencyKey: 'k', payload: PAYLOAD }))).message).toBe('gateway answered HTTP 503');
  });

  it('refuses a payload that cannot be written as JSON or a key that cannot be a header, permanently and without sending', async () => {
    seen.length = 0;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = await gatewayErrorOf(createHttpGateway({ baseUrl: base, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: 'k', payload: cyclic }));
    expect(error.kind).toBe('permanent');
    const badKey = await gatewayErrorOf(createHttpGateway({ baseUrl: base, token: null, timeoutMs: 2000 }).submit({ idempotencyKey: '键 1', payload: PAYLOAD }));
    expect(badKey.kind).toBe('permanent');
    expect(seen).toHaveLength(0);
  });
});
