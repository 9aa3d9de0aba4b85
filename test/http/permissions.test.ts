import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, type Permission } from '../../src/staff/permissions.ts';
import { createTestApp, fromAddress, type TestApp } from '../helpers/app.ts';

// Every /api route, as the OpenAPI document lists it, against every role and no token at all
// (DESIGN.md "Staff roles": a test matrix checks every route).
// Each unauthenticated call comes from its own address, so that the failed-authentication
// throttle (AUTH_FAILURE_LIMIT, left at its default) never answers 429 in place of the 401.
let clients = 0;
const nextClient = () => `10.13.${(++clients >> 8) & 255}.${clients & 255}`;

const PARAM_VALUES: Record<string, string> = {
  id: '00000000-0000-4000-8000-000000000000',
  fileNumber: '371500000001',
};

describe('role matrix', async () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  const probe = await createTestApp();
  const doc = (await (await probe.app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-permission'?: Permission }>>;
  };
  await probe.cleanup();
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), permission: op['x-permission'] })),
  );

  it('covers every /api route, each with a declared permission', () => {
    expect(operations.length).toBeGreaterThanOrEqual(12);
    for (const op of operations) {
      expect(op.path.startsWith('/api/')).toBe(true);
      expect(op.permission, `${op.method} ${op.path}`).toBeDefined();
    }
  });

  for (const op of operations) {
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => PARAM_VALUES[name] ?? 'x');
    it(`${op.method} ${op.path}: 401 without a token`, async () => {
      const res = await t.request(url, { method: op.method, as: null, client: nextClient() });
      expect(res.status).toBe(401);
    });
    it(`${op.method} ${op.path}: 401 with an unknown token`, async () => {
      const res = await t.app.request(url, { method: op.method, headers: { authorization: 'Bearer sdc_not-a-token' } }, fromAddress(nextClient()));
      expect(res.status).toBe(401);
    });
    for (const role of ROLES) {
      const allowed = (PERMISSIONS[op.permission!] as readonly string[]).includes(role);
      it(`${op.method} ${op.path}: ${role} is ${allowed ? 'let through' : 'refused with 403'}`, async () => {
        const res = await t.request(url, { method: op.method, as: role });
        if (allowed) expect([401, 403]).not.toContain(res.status);
        else expect(res.status).toBe(403);
      });
    }
  }
});
