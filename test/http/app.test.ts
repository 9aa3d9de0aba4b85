import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';

describe('the app shell', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.cleanup());

  it('answers /healthz without a token', async () => {
    const res = await t.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with the error shape and a request id', async () => {
    const res = await t.app.request('/nope', { headers: { 'x-request-id': 'abc-123', 'accept-language': 'en' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /nope', requestId: 'abc-123' } });
  });

  it('serves the OpenAPI document with every route and its permission', async () => {
    const res = await t.app.request('/openapi.json');
    const doc = (await res.json()) as { paths: Record<string, Record<string, { 'x-permission'?: string }>> };
    expect(doc.paths['/api/cases']?.get?.['x-permission']).toBe('cases:read');
    expect(doc.paths['/api/registry/imports']?.post?.['x-permission']).toBe('registry:import');
  });

  it('serves an API reference page listing the routes', async () => {
    const res = await t.app.request('/docs');
    const html = await res.text();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('/api/screenings');
    expect(html).toContain('screening:run');
  });

  it('tells who the token belongs to', async () => {
    const res = await t.request('/api/me', { as: 'dispatcher' });
    expect(await res.json()).toMatchObject({ role: 'dispatcher', active: true });
  });

  it('rejects a malformed JSON body with 400', async () => {
    const res = await t.request('/api/staff', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
  });

  it('rejects a JSON body over the configured limit with 413', async () => {
    const res = await postJson(t, '/api/staff', { name: 'x'.repeat(2 << 20), role: 'admin' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('names the failing field of a bad body', async () => {
    const res = await postJson(t, '/api/staff', { name: '', role: 'boss' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { issues: Array<{ field: string }> } } };
    expect(body.error.details.issues.map((i) => i.field).sort()).toEqual(['name', 'role']);
  });

  it('creates a staff account whose token works, and audits it', async () => {
    const res = await postJson(t, '/api/staff', { name: '王五', role: 'examiner' });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    const me = await t.app.request('/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ name: '王五', role: 'examiner' });
    const audit = (await (await t.request('/api/audit?action=staff.add')).json()) as { items: unknown[] };
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
  });

  it('stores tokens only as hashes', async () => {
    const rows = await t.deps.db.selectFrom('staff').select('token_hash').execute();
    for (const row of rows) for (const token of Object.values(t.tokens)) expect(row.token_hash).not.toContain(token);
  });
});
