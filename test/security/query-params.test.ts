import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Issue 13 item 10: a query parameter a route does not declare is a 400 naming it (a typo such as
 * `overdu=true` must not silently return everything), and a single-valued one given twice is a
 * 400 too (no silent pick). Every GET route of the OpenAPI document, as admin.
 */
const PATH_VALUES: Record<string, string> = {
  id: '00000000-0000-4000-8000-000000000000',
  caseId: '00000000-0000-4000-8000-000000000001',
  fileNumber: '371500000001',
  date: '2026-11-27',
};

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
}
interface Issue {
  field: string;
  code: string;
}
interface ErrorBody {
  error: { code: string; details: { issues: Issue[] } };
}

describe('query parameters of every GET route', async () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  const probe = await createTestApp();
  const doc = (await (await probe.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>> };
  await probe.cleanup();
  const gets = Object.entries(doc.paths).flatMap(([path, ops]) =>
    ops.get ? [{ path, query: (ops.get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name) }] : [],
  );
  const urlOf = (path: string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = PATH_VALUES[name];
      if (value === undefined) throw new Error(`no plausible value for the path parameter ${name}`);
      return value;
    });

  it('finds the GET routes, with and without a query schema', () => {
    expect(gets.length).toBeGreaterThanOrEqual(20);
    expect(gets.filter((g) => g.query.length === 0).length).toBeGreaterThanOrEqual(12);
  });

  for (const { path, query } of gets) {
    const url = urlOf(path);
    it(`GET ${path}: an unknown parameter is a 400 naming it; without it the route answers`, async () => {
      const res = await t.request(`${url}?overdu=true`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details.issues).toContainEqual(expect.objectContaining({ field: 'overdu', code: 'unknown_parameter' }));

      const plain = await t.request(url);
      expect(plain.status, 'the same request without the typo').not.toBe(400);
      expect(plain.status).toBeLessThan(500);
    });

    it(`GET ${path}: a declared name next to the unknown one does not hide it`, async () => {
      const known = query[0] ? `${query[0]}=x&` : '';
      const body = (await (await t.request(`${url}?${known}zz_typo=1`)).json()) as ErrorBody;
      expect(body.error.details.issues.map((i) => i.field)).toContain('zz_typo');
    });

    if (query.length > 0) {
      it(`GET ${path}: a repeated single-valued parameter (${query[0]}) is a 400 naming it`, async () => {
        const res = await t.request(`${url}?${query[0]}=1&${query[0]}=2`);
        expect(res.status).toBe(400);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.details.issues).toContainEqual({ field: query[0], code: 'repeated_parameter', message: expect.any(String) });
      });
    }
  }

  it('lists each unknown parameter as its own issue, in a bounded answer', async () => {
    const res = await t.request('/api/me?a=1&b=2');
    const issues = ((await res.json()) as ErrorBody).error.details.issues;
    expect(issues.map((i) => i.field)).toEqual(['a', 'b']);

    const many = Array.from({ length: 500 }, (_, i) => `p${i}=1`).join('&');
    const big = ((await (await t.request(`/api/me?${many}`)).json()) as ErrorBody).error.details.issues;
    expect(big.length).toBeGreaterThan(0);
    expect(big.length).toBeLessThanOrEqual(20);
  });

  it('checks routes of every method, not only GET', async () => {
    const res = await t.request('/api/outreach/run?dryRun=1', { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.details.issues[0]).toMatchObject({ field: 'dryRun', code: 'unknown_parameter' });
  });

  it('keeps declared parameters working', async () => {
    expect((await t.request('/api/cases?overdue=true&limit=5')).status).toBe(200);
    expect((await t.request('/api/audit?action=staff.add')).status).toBe(200);
  });

  it('answers 401 before looking at the query (no token, no schema hints)', async () => {
    expect((await t.request('/api/me?overdu=true', { as: null })).status).toBe(401);
  });

  it('a parameter with an empty value or no value counts as given', async () => {
    for (const q of ['overdu', 'overdu=', 'limit&limit']) {
      expect((await t.request(`/api/cases?${q}`)).status, q).toBe(400);
    }
  });
});
