/**
 * Issue 13, finding 10 (headers): every response carries the security headers, errors included;
 * personal data is never cacheable; HTML pages run under a strict CSP that still lets them render
 * (their only inline content is `<style>`, allowed by hash; everything else is local).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_BODY_BYTES } from '../../src/http/body-limits.ts';
import { API_CSP } from '../../src/http/security-headers.ts';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { twilioPost } from '../helpers/outreach.ts';
import { addCrewShift, commit, confirmedDrivers, preview, SHUICHENG } from '../helpers/scheduling.ts';

let t: TestApp;
let shiftId: string;
let importId: string;

beforeAll(async () => {
  t = await createTestApp();
  await confirmedDrivers(t, [['600000000001', { phone: '13100000001', name: '周测一', ...SHUICHENG }]]);
  shiftId = await addCrewShift(t, 1);
  await preview(t);
  await commit(t);
  const imported = await postCsv(t, csv([row('371500000301', { phone: '12345' })]));
  importId = ((await imported.json()) as { id: string }).id;
}, 30_000);
afterAll(async () => t?.cleanup());

type Call = { name: string; status: number; send: () => Response | Promise<Response> };

const calls = (): Call[] => [
  { name: 'health', status: 200, send: () => t.app.request('/healthz') },
  { name: 'OpenAPI document', status: 200, send: () => t.app.request('/openapi.json') },
  { name: 'API reference page', status: 200, send: () => t.app.request('/docs') },
  { name: 'JSON with personal data', status: 200, send: () => t.request('/api/licences/600000000001') },
  { name: 'a page of imports', status: 200, send: () => t.request('/api/registry/imports') },
  { name: 'rejected rows CSV (streamed)', status: 200, send: () => t.request(`/api/registry/imports/${importId}/rejected.csv`) },
  { name: 'route sheet HTML', status: 200, send: () => t.request(`/api/shifts/${shiftId}/route-sheet`, { as: 'dispatcher' }) },
  { name: 'route sheet iCalendar', status: 200, send: () => t.request(`/api/shifts/${shiftId}/route-sheet.ics`, { as: 'dispatcher' }) },
  { name: 'created (201)', status: 201, send: () => postJson(t, '/api/field-staff', { kind: 'postal', name: '邮递员九', phone: '13900000009', organisation: '聊城邮政' }) },
  { name: 'no token (401)', status: 401, send: () => t.request('/api/registry/imports', { as: null }) },
  { name: 'wrong role (403)', status: 403, send: () => t.request('/api/registry/imports', { as: 'examiner' }) },
  { name: 'unknown path (404)', status: 404, send: () => t.request('/api/nothing-here') },
  { name: 'unknown page (404)', status: 404, send: () => t.app.request('/nothing.html') },
  { name: 'invalid body (400)', status: 400, send: () => postJson(t, '/api/staff', { name: '', role: 'boss' }) },
  { name: 'JSON body too large (413)', status: 413, send: () => postJson(t, '/api/staff', { name: 'x'.repeat(64 << 10), role: 'admin' }) },
  { name: 'upload of the wrong type (415)', status: 415, send: () => t.request('/api/registry/imports', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }) },
  { name: 'webhook without signature (403)', status: 403, send: () => twilioPost(t, '/twilio/sms', { MessageSid: 'SM' + '0'.repeat(32), From: '+8613100000001', Body: 'Y' }, { signature: null }) },
  { name: 'webhook over its cap (413)', status: 413, send: () => t.app.request('/twilio/sms', { method: 'POST', body: 'Body=' + 'x'.repeat(WEBHOOK_BODY_BYTES), headers: { 'content-type': 'application/x-www-form-urlencoded' } }) },
];

describe('security headers', () => {
  it('are on every kind of response: pages, JSON, CSV, iCalendar, webhooks and every error', async () => {
    for (const call of calls()) {
      const res = await call.send();
      expect(res.status, call.name).toBe(call.status);
      const h = res.headers;
      expect(h.get('x-content-type-options'), call.name).toBe('nosniff');
      expect(h.get('referrer-policy'), call.name).toBe('no-referrer');
      expect(h.get('x-frame-options'), call.name).toBe('DENY');
      expect(h.get('cross-origin-resource-policy'), call.name).toBe('same-origin');
      expect(h.get('content-security-policy'), call.name).toContain("frame-ancestors 'none'");
      expect(h.get('content-security-policy'), call.name).toContain("default-src 'none'");
      expect(h.get('x-powered-by'), call.name).toBeNull();
      await res.arrayBuffer();
    }
  });

  it('make every response uncacheable but the OpenAPI document, which holds no personal data', async () => {
    for (const call of calls()) {
      const res = await call.send();
      const expected = call.name === 'OpenAPI document' ? 'no-cache' : 'no-store';
      expect(res.headers.get('cache-control'), call.name).toBe(expected);
      await res.arrayBuffer();
    }
  });

  it('give API answers a CSP under which nothing loads', async () => {
    const res = await t.request('/api/registry/imports');
    expect(res.headers.get('content-security-policy')).toBe(API_CSP);
  });
});

describe('the CSP of HTML pages', () => {
  const pages = () => [
    { name: '/docs', send: () => t.app.request('/docs') },
    { name: 'route sheet', send: () => t.request(`/api/shifts/${shiftId}/route-sheet`, { as: 'dispatcher' }) },
  ];

  it('allows no inline script, no other origin, and each inline style only by its hash', async () => {
    for (const page of pages()) {
      const res = await page.send();
      const html = await res.text();
      const csp = res.headers.get('content-security-policy')!;
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
      expect(directives['default-src'], page.name).toEqual(["'none'"]);
      expect(directives['script-src'], page.name).toEqual(["'self'"]);
      expect(directives['frame-ancestors'], page.name).toEqual(["'none'"]);
      expect(directives['base-uri'], page.name).toEqual(["'none'"]);
      expect(csp, page.name).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
      // What a browser hashes: the exact text of each <style> element.
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
      expect(styles.length, page.name).toBeGreaterThan(0);
      expect(directives['style-src'], page.name).toEqual(["'self'", ...styles]);
    }
  });

  it('fits what the pages load: no script, no inline handler or style attribute, nothing from another origin', async () => {
    for (const page of pages()) {
      const html = await (await page.send()).text();
      expect(html, page.name).not.toMatch(/<script|\son\w+=|\sstyle=/i);
      const urls = [...html.matchAll(/\s(?:src|href|action)="([^"]*)"/gi)].map((m) => m[1]!);
      for (const url of urls) expect(url, page.name).toMatch(/^\/(?!\/)/);
      expect(html, page.name).not.toMatch(/@import|url\(/i);
    }
  });
});
