import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { authThrottleOf, createAuthThrottle } from '../../src/http/auth-throttle.ts';
import { normalise } from '../../src/http/client-address.ts';
import { fixedClock } from '../../src/ports.ts';
import { hashToken, newToken, tokenMatchesHash } from '../../src/staff/tokens.ts';
import { createTestApp, fromAddress, type TestApp } from '../helpers/app.ts';

/**
 * Issue 13 item 10: failed token attempts are throttled per client. After AUTH_FAILURE_LIMIT
 * failures within AUTH_FAILURE_WINDOW_SECONDS, the client gets 429 `too_many_requests` with
 * Retry-After on every authenticated route, a valid token or not, until the window ends.
 */
const LIMIT = 20; // the default
const WINDOW_S = 60; // the default
const START = '2026-11-26T02:00:00.000Z';

const wrongToken = () => `sdc_${randomBytes(32).toString('base64url')}`;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function app(env: Record<string, string> = {}) {
  t = await createTestApp({ now: START, env });
  return t;
}

/** A request from `client` with `token` (null: none). */
function from(a: TestApp, client: string, token: string | null, path = '/api/me', headers: Record<string, string> = {}) {
  const h = new Headers(headers);
  if (token) h.set('authorization', `Bearer ${token}`);
  return a.app.request(path, { headers: h }, fromAddress(client));
}

async function failTimes(a: TestApp, client: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await from(a, client, i % 2 === 0 ? wrongToken() : null)).status);
  return statuses;
}

describe('failed-authentication throttle', () => {
  it(`answers 401 to ${LIMIT} bad or missing tokens, then 429 with Retry-After, even with a valid token`, async () => {
    const a = await app();
    expect(await failTimes(a, '192.0.2.10', LIMIT)).toEqual(Array(LIMIT).fill(401));

    const blocked = await from(a, '192.0.2.10', wrongToken());
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe(String(WINDOW_S));
    const body = (await blocked.json()) as { error: { code: string; details: { retryAfterSeconds: number } } };
    expect(body.error.code).toBe('too_many_requests');
    expect(body.error.details.retryAfterSeconds).toBe(WINDOW_S);

    const valid = await from(a, '192.0.2.10', a.tokens.admin);
    expect(valid.status).toBe(429);
    expect(Number(valid.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('leaves another client alone', async () => {
    const a = await app();
    await failTimes(a, '192.0.2.10', LIMIT + 5);
    expect((await from(a, '192.0.2.10', a.tokens.admin)).status).toBe(429);
    expect((await from(a, '192.0.2.11', a.tokens.admin)).status).toBe(200);
    expect((await from(a, '192.0.2.11', wrongToken())).status).toBe(401);
    expect((await from(a, '2001:db8:1:2::7', a.tokens.admin)).status).toBe(200);
  });

  it('counts down Retry-After and lets the client in again once the window has passed', async () => {
    const a = await app();
    await failTimes(a, '192.0.2.20', LIMIT + 1);
    a.clock.set('2026-11-26T02:00:30.000Z');
    const half = await from(a, '192.0.2.20', a.tokens.admin);
    expect(half.status).toBe(429);
    expect(half.headers.get('retry-after')).toBe('30');

    a.clock.set('2026-11-26T02:00:59.500Z');
    expect((await from(a, '192.0.2.20', a.tokens.admin)).headers.get('retry-after')).toBe('1');

    a.clock.set('2026-11-26T02:01:00.000Z');
    expect((await from(a, '192.0.2.20', a.tokens.admin)).status).toBe(200);
    // A fresh window: LIMIT more failures before the next 429.
    expect(await failTimes(a, '192.0.2.20', LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect((await from(a, '192.0.2.20', wrongToken())).status).toBe(429);
  });

  it("clears no count on success: neither the client's own nor another's", async () => {
    const a = await app();
    await failTimes(a, '192.0.2.30', LIMIT - 1);
    for (let i = 0; i < 5; i++) {
      expect((await from(a, '192.0.2.30', a.tokens.dispatcher)).status).toBe(200);
      expect((await from(a, '192.0.2.31', a.tokens.admin)).status).toBe(200);
    }
    expect((await from(a, '192.0.2.30', wrongToken())).status).toBe(401); // the LIMIT-th
    expect((await from(a, '192.0.2.30', a.tokens.dispatcher)).status).toBe(429);
  });

  it('covers every authenticated route of the OpenAPI document; a 403 is not a failed token', async () => {
    const a = await app();
    // A role refused by permission has a valid token: no failure is counted.
    for (let i = 0; i < LIMIT * 2; i++) expect((await from(a, '192.0.2.40', a.tokens.examiner, '/api/staff')).status).toBe(403);
    expect((await from(a, '192.0.2.40', a.tokens.admin, '/api/staff')).status).toBe(200);

    await failTimes(a, '192.0.2.41', LIMIT);
    const doc = (await (await a.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })));
    expect(ops.length).toBeGreaterThanOrEqual(40);
    for (const { path, method } of ops) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'fileNumber' ? '371500000001' : name === 'date' ? '2026-11-27' : '00000000-0000-4000-8000-000000000000'));
      const res = await a.app.request(url, { method: method.toUpperCase(), headers: { authorization: `Bearer ${a.tokens.admin}` } }, fromAddress('192.0.2.41'));
      expect(res.status, `${method} ${path}`).toBe(429);
      expect(res.headers.get('retry-after'), `${method} ${path}`).toMatch(/^\d+$/);
    }
    // Routes without a token are not throttled by it.
    expect((await a.app.request('/healthz', {}, fromAddress('192.0.2.41'))).status).toBe(200);
  });

  it('answers a burst of 500 wrong tokens mostly with 429, sent one by one or all at once', async () => {
    const a = await app();
    const one: number[] = [];
    for (let i = 0; i < 500; i++) one.push((await from(a, '192.0.2.50', wrongToken())).status);
    expect(one.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(one.filter((s) => s === 429)).toHaveLength(500 - LIMIT);

    // All at once: every request passes the first check before any look-up ends; the count
    // after the look-up still turns all but LIMIT of them into 429.
    const together = await Promise.all(Array.from({ length: 500 }, () => from(a, '192.0.2.51', wrongToken())));
    const statuses = together.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(500 - LIMIT);
    expect((await from(a, '192.0.2.51', a.tokens.admin)).status).toBe(429);
  });

  it('takes its limit and window from the settings', async () => {
    const a = await app({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '600' });
    expect(await failTimes(a, '192.0.2.60', 4)).toEqual([401, 401, 401, 429]);
    expect((await from(a, '192.0.2.60', a.tokens.admin)).headers.get('retry-after')).toBe('600');
  });

  it('keeps its memory bounded: AUTH_THROTTLE_MAX_CLIENTS clients at most', async () => {
    const a = await app({ AUTH_THROTTLE_MAX_CLIENTS: '50' });
    for (let i = 0; i < 300; i++) await from(a, `198.51.100.${i % 250}`, null, '/api/me', { 'x-n': String(i) });
    for (let i = 0; i < 300; i++) await from(a, `203.0.113.${i % 250}`, wrongToken());
    expect(authThrottleOf(a.deps).size).toBeLessThanOrEqual(50);

    const unit = createAuthThrottle({ limit: 2, windowSeconds: 60, maxClients: 100, clock: fixedClock(START) });
    for (let i = 0; i < 10_000; i++) unit.fail(`c${i}`);
    expect(unit.size).toBe(100);
    // The most recent failures are the ones kept: c9999's first counts, c0's was forgotten.
    unit.fail('c9999');
    expect(unit.blockedFor('c9999')).toBe(60);
    unit.fail('c0');
    expect(unit.blockedFor('c0')).toBe(0);
  });
});

describe('who the client is', () => {
  it('ignores X-Forwarded-For unless TRUST_PROXY=on: a forged header does not escape the block', async () => {
    const a = await app();
    await failTimes(a, '192.0.2.70', LIMIT);
    const forged = await from(a, '192.0.2.70', a.tokens.admin, '/api/me', { 'x-forwarded-for': '198.51.100.1' });
    expect(forged.status).toBe(429);
    // cf-connecting-ip counts only where there is no socket (Workers): not on Node.
    expect((await from(a, '192.0.2.70', a.tokens.admin, '/api/me', { 'cf-connecting-ip': '198.51.100.2' })).status).toBe(429);
  });

  it('with TRUST_PROXY=on, the last X-Forwarded-For entry (the one the proxy wrote) is the client', async () => {
    const a = await app({ TRUST_PROXY: 'on' });
    const proxy = '127.0.0.1';
    for (let i = 0; i < LIMIT; i++) await from(a, proxy, wrongToken(), '/api/me', { 'x-forwarded-for': `10.9.9.${i}, 192.0.2.80` });
    expect((await from(a, proxy, a.tokens.admin, '/api/me', { 'x-forwarded-for': '10.1.1.1, 192.0.2.80' })).status).toBe(429);
    // Another office machine behind the same proxy is not blocked.
    expect((await from(a, proxy, a.tokens.admin, '/api/me', { 'x-forwarded-for': '192.0.2.81' })).status).toBe(200);
  });

  it('without a socket (app.request, Workers) uses cf-connecting-ip, else one shared key', async () => {
    const a = await app({ AUTH_FAILURE_LIMIT: '2' });
    const edge = (ip: string | null, token: string | null) => {
      const headers = new Headers();
      if (ip) headers.set('cf-connecting-ip', ip);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return a.app.request('/api/me', { headers });
    };
    await edge('198.51.100.9', null);
    await edge('198.51.100.9', null);
    expect((await edge('198.51.100.9', a.tokens.admin)).status).toBe(429);
    expect((await edge('198.51.100.10', a.tokens.admin)).status).toBe(200);
    await edge(null, null);
    await edge(null, null);
    expect((await edge(null, a.tokens.admin)).status).toBe(429);
  });

  it('keys IPv4 in any spelling as one address and IPv6 by its /64', () => {
    expect(normalise('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalise('192.0.2.1:51234')).toBe('192.0.2.1');
    expect(normalise('2001:db8:1:2::1')).toBe(normalise('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(normalise('[2001:db8:1:2::1]:443')).toBe('2001:db8:1:2::/64');
    expect(normalise('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(normalise('2001:db8:1:2::1')).not.toBe(normalise('2001:db8:1:3::1'));
  });
});

describe('token comparison', () => {
  it('matches only the stored hash, compared with timingSafeEqual whatever the input', () => {
    const token = newToken();
    expect(tokenMatchesHash(token, hashToken(token))).toBe(true);
    expect(tokenMatchesHash(wrongToken(), hashToken(token))).toBe(false);
    expect(tokenMatchesHash(token, hashToken(token).slice(0, 62))).toBe(false);
    expect(tokenMatchesHash(token, 'not hex')).toBe(false);
  });

  it('does not hash an absurdly long bearer value (it is a failed attempt)', async () => {
    const a = await app();
    expect((await from(a, '192.0.2.90', 'x'.repeat(10_000))).status).toBe(401);
  });
});
