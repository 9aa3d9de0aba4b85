/**
 * Issue 13: property-based fuzzing of every JSON request body. The routes come from the app's own
 * /openapi.json (every operation with an application/json request body), so a route added later
 * is fuzzed too. Each is sent arbitrary JSON values, its own valid body with wrong types, unknown
 * and missing keys, deep nesting and huge numbers, invalid UTF-8 and non-JSON bytes, and wrong
 * content types. Never a 5xx; a 4xx stores nothing (the database's fingerprint, total_changes()
 * included, is the same before and after); no key reaches Object.prototype; the app still
 * answers a normal request after each property.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, ROLES, type Permission, type Role } from '../../src/staff/permissions.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { bookedVisits, driver, examBody } from '../helpers/exams.ts';
import { OFFICE } from '../helpers/scheduling.ts';
import { fingerprint } from './helpers.ts';

interface Route {
  method: string;
  path: string;
  role: Role;
  properties: string[];
}

let t: TestApp;
let routes: Route[] = [];
const ids: Record<string, string[]> = {};
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

beforeAll(async () => {
  // A short planning budget: a valid preview body must not make one case take seconds.
  t = await createTestApp({ env: { PLANNER_TIME_BUDGET_MS: '50' } });
  await sql`PRAGMA synchronous = OFF`.execute(t.deps.db); // durability is not tested here
  await bookedVisits(t, [driver(1), driver(2), driver(3)]);
  const pick = async (table: 'visits' | 'conversations' | 'cases' | 'field_staff' | 'submissions') =>
    (await t.deps.db.selectFrom(table).select('id').limit(5).execute()).map((r) => r.id);
  ids.id = [...(await pick('visits')), ...(await pick('conversations'))];
  ids.caseId = await pick('cases');
  ids.fieldStaff = await pick('field_staff');
  const doc = (await (await t.app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-permission'?: Permission; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
    components: { schemas: Record<string, Schema> };
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      const permission = op['x-permission']!;
      const role = (['admin', ...ROLES] as Role[]).find((r) => can(r, permission));
      const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!]! : schema;
      routes.push({ method: method.toUpperCase(), path, role: role ?? 'admin', properties: Object.keys(resolved.properties ?? {}) });
    }
  }
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
}, 60_000);
afterAll(async () => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  await t?.cleanup();
});

interface Schema {
  $ref?: string;
  properties?: Record<string, unknown>;
}

/** A valid body per route, to mutate: deeper cases than random JSON reach. */
function seedBody(route: Route): Record<string, unknown> {
  const staff = ids.fieldStaff ?? [];
  const seeds: Record<string, Record<string, unknown>> = {
    'POST /api/staff': { name: '测试员', role: 'dispatcher' },
    'POST /api/screenings': { asOf: '2026-11-26' },
    'POST /api/outreach/start': { limit: 1 },
    'POST /api/outreach/conversations/{id}/phone-outcome': { outcome: 'no_answer', note: '无人接听' },
    'POST /api/field-staff': { kind: 'postal', name: '邮递员', phone: '13900000001', organisation: '聊城邮政' },
    'POST /api/shifts': { date: '2026-12-01', startsAt: '08:30', endsAt: '12:00', postalId: staff[0], examinerId: staff[1], start: OFFICE, area: { communities: ['水城花园'] } },
    'PATCH /api/shifts/{id}': { startsAt: '09:00', endsAt: '11:30', area: { communities: ['光岳小区'] } },
    'POST /api/plans/{date}/preview': { maxIterations: 10 },
    'PATCH /api/visits/{id}': { pinned: true },
    'POST /api/visits/{id}/cancel': { reason: '测试' },
    'POST /api/visits/{id}/no-show': { reason: 'nobody_home', note: '门口无人' },
    'POST /api/visits/{id}/en-route': { tellDriver: false },
    'POST /api/visits/{id}/authorisation/withdraw': { reason: '签名人不是驾驶人本人' },
    'POST /api/visits/{id}/exam': examBody(),
    'POST /api/follow-ups/{caseId}/resolve': { resolution: 'handled' },
    'POST /api/submissions/retry': { all: true },
    'POST /api/outreach/inbox/{id}/resolve': { meaning: 'ignore' },
  };
  return seeds[`${route.method} ${route.path}`] ?? {};
}

// --- arbitraries ----------------------------------------------------------------------------------

const route = fc.constant(null).chain(() => fc.constantFrom(...routes));

/** A path parameter: a real id, a random UUID, or garbage (URL-encoded). */
const param = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).chain(() => (ids[name]?.length ? fc.constantFrom(...ids[name]!) : fc.uuid())) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: name === 'date' ? fc.constantFrom('2026-12-25', '2026-02-30', '20261225') : fc.string({ maxLength: 40 }) },
  );

function urlOf(r: Route, values: fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  if (names.length === 0) return fc.constant(r.path);
  return fc.tuple(...names.map((n, i) => values[i] ?? param(n === 'date' ? 'date' : n))).map((vals) => {
    let i = 0;
    return r.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(vals[i++]!));
  });
}

const target = route.chain((r) => urlOf(r, []).map((url) => ({ route: r, url })));

const weirdNumber = fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '9007199254740993', '123456789012345678901234567890', '0.1e1', '1E2', '0x10', 'NaN', 'Infinity', '01');
const hostileString = fc.constantFrom('', ' ', '\u0000', '\ud800', '\ufeff', '<script>', "'; DROP TABLE staff; --", '__proto__', 'x'.repeat(5000), '中'.repeat(3000), '2026-02-30', '25:61');

/** JSON text for a value, with room for what JSON.stringify cannot write (1e400, -0, lone escapes). */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    weirdNumber,
    hostileString.map((s) => JSON.stringify(s)),
    fc.constantFrom('"\\ud800"', '"\\u0000"', 'true', 'null', '[]', '{}'),
    fc.array(tie('value'), { maxLength: 3 }).map((xs) => `[${xs.join(',')}]`),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }).map((o) => `{${Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** A route's valid body, changed: wrong types, unknown keys, keys removed, __proto__. */
const mutatedBody = (r: Route) =>
  fc
    .record({
      replace: fc.subarray(r.properties.length ? r.properties : ['x']),
      remove: fc.subarray(r.properties.length ? r.properties : ['x']),
      values: fc.array(jsonText, { minLength: 8, maxLength: 8 }),
      extra: fc.option(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'role', 'id', 'staffId', 'createdAt'), fc.string({ maxLength: 10 })), jsonText), { freq: 3 }),
    })
    .map(({ replace, remove, values, extra }) => {
      const seed = seedBody(r);
      const entries = Object.entries(seed)
        .filter(([k]) => !remove.includes(k))
        .map(([k, v]) => [k, replace.includes(k) ? values[replace.indexOf(k) % values.length]! : JSON.stringify(v)] as const);
      const added = replace.filter((k) => !(k in seed)).map((k, i) => [k, values[i % values.length]!] as const);
      const all = [...entries, ...added, ...(extra ? [[extra[0], extra[1]] as const] : [])];
      return `{${all.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });

const deep = fc.tuple(fc.integer({ min: 100, max: 7000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => {
  const close = open === '[' ? ']' : '}';
  return open.repeat(n) + '1' + close.repeat(n);
});

const enc = new TextEncoder();
const rawBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(
    Uint8Array.from([0xff, 0xfe, 0x7b, 0x7d]),
    Uint8Array.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // {"name":"<overlong>"}
    Uint8Array.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // a UTF-8 surrogate
    enc.encode('\ufeff{"name":"x"}'),
    enc.encode(''),
    enc.encode('{"a":1,"a":2}'),
    enc.encode('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    enc.encode('{'),
    enc.encode('null'),
    enc.encode('"just a string"'),
    enc.encode('name=x&role=admin'),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => enc.encode(s)),
);

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/JSON',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/merge-patch+json',
      'application/xml',
      '',
    ),
  },
);

// --- the oracle -----------------------------------------------------------------------------------


async function check(r: Route, url: string, body: Uint8Array | string, type: string | null): Promise<number> {
  const before = await fingerprint(t.deps.db);
  const headers: Record<string, string> = { authorization: `Bearer ${t.tokens[r.role]}` };
  if (type !== null) headers['content-type'] = type;
  const res = await t.app.request(url, { method: r.method, headers, body });
  const text = await res.text();
  expect(res.status, `${r.method} ${url}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(JSON.parse(text).error.code, text).toMatch(/^[a-z_]+$/);
    expect(await fingerprint(t.deps.db), `${r.method} ${url} ${res.status} stored something`).toEqual(before);
  }
  expect(escaped).toEqual([]);
  expect(Object.keys(Object.prototype)).toEqual([]);
  return res.status;
}

const normalRequestWorks = async () => {
  const res = await postJson(t, '/api/field-staff', { kind: 'postal', name: '邮递员乙', phone: '13900000002', organisation: '聊城邮政' });
  return res.status === 201;
};

describe('every JSON body under fuzzing', () => {
  it('finds the JSON routes in the OpenAPI document', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /api/staff', 'POST /api/shifts', 'POST /api/visits/{id}/exam', 'POST /api/submissions/retry']));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const r of routes) expect(Object.keys(seedBody(r)).length, `${r.method} ${r.path} has a seed body`).toBeGreaterThan(0);
  });

  it('has a fingerprint that sees any write, an update that changes no count included', async () => {
    const before = await fingerprint(t.deps.db);
    expect(await fingerprint(t.deps.db)).toEqual(before);
    await t.deps.db.updateTable('staff').set({ name: '改名' }).where('role', '=', 'examiner').execute();
    expect(await fingerprint(t.deps.db)).not.toEqual(before);
  });

  it('answers arbitrary JSON values with 4xx (or success), never 5xx, storing nothing on 4xx', async () => {
    const seen: number[] = [];
    await fc.assert(
      fc.asyncProperty(target, jsonText, async ({ route: r, url }, body) => {
        seen.push(await check(r, url, body, 'application/json'));
      }),
      { numRuns: 900 },
    );
    expect(seen.filter((s) => s === 400).length).toBeGreaterThan(500);
    expect(await normalRequestWorks()).toBe(true);
  }, 60_000);

  it('answers each route its own body with wrong types, unknown and missing keys', async () => {
    const seen: number[] = [];
    const cases = target.chain(({ route: r, url }) => mutatedBody(r).map((body) => ({ r, url, body })));
    await fc.assert(
      fc.asyncProperty(cases, async ({ r, url, body }) => {
        seen.push(await check(r, url, body, 'application/json'));
      }),
      // 1,200 cases once gave 19 successes under the bound of 20 below: enough cases that the
      // bounds hold with room to spare.
      { numRuns: 1800 },
    );
    // The valid bodies get through too (their keys were left alone), and reach the handlers' own refusals.
    expect(seen.filter((s) => s < 300).length).toBeGreaterThan(20);
    expect(seen.filter((s) => s === 404 || s === 409).length).toBeGreaterThan(10);
    expect(await normalRequestWorks()).toBe(true);
  }, 60_000);

  it('answers deep nesting, invalid UTF-8, non-JSON bytes and wrong content types without a 5xx', async () => {
    const seen: number[] = [];
    const body = fc.oneof(deep.map((s) => enc.encode(s)), rawBytes, target.chain(({ route: r }) => mutatedBody(r)).map((s) => enc.encode(s)));
    await fc.assert(
      fc.asyncProperty(target, body, fc.option(contentType, { freq: 8 }), async ({ route: r, url }, bytes, type) => {
        seen.push(await check(r, url, bytes, type));
      }),
      { numRuns: 900 },
    );
    for (const status of [400, 413, 415]) expect(seen, `some ${status}`).toContain(status);
    expect(await normalRequestWorks()).toBe(true);
  }, 60_000);
});
