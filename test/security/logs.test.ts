import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRegistryRows } from '../../src/demo/demo-data.ts';
import { createLogger, scrub } from '../../src/shared/logger.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { syntheticId } from '../helpers/registry-csv.ts';

/**
 * Issue 13 item 10, RULES.md §6: no log line holds a name, a phone, an ID number or a whole file
 * number, whether the client put it in the path or the query string, in clear or URL-encoded.
 * The request log names the route's template and masks its parameters; the logger's scrub is the
 * safety net for anything else that prints a URL.
 */

// Synthetic drivers from the demo generator (columns: file_number, id_number, name, phone, ...).
const [, ...drivers] = Array.from(generateRegistryRows({ count: 4, seed: 13, today: '2026-11-26' }));
const people = drivers.map(([fileNumber, idNumber, name, phone]) => ({ fileNumber: fileNumber!, idNumber: idNumber!, name: name!, phone: phone! }));
const mobile = '13912345678';
const landline = '+866358123456';

/** Every form in which a value must not be seen. */
function forbiddenForms(): string[] {
  const values = people.flatMap((p) => [p.fileNumber, p.idNumber, p.name, p.phone]);
  values.push(mobile, landline, '6358123456', '8123456', syntheticId('1950-01-02', 'F', 7));
  return values.flatMap((v) => [v, encodeURIComponent(v), v.replace(/^\+86/, '')]);
}

describe('request log lines', () => {
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    // Many unauthenticated calls from one (socket-less) client: no throttle in this file's way.
    t = await createTestApp({ env: { AUTH_FAILURE_LIMIT: '1000000' }, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) });
  });
  afterAll(async () => t.cleanup());

  it('carry no personal value from any path or query string, raw or URL-encoded', async () => {
    const enc = encodeURIComponent;
    const urls: string[] = [];
    for (const p of people) {
      urls.push(
        `/api/outreach/drivers/${p.fileNumber}/timeline`,
        `/api/licences/${p.fileNumber}`,
        `/api/licences/${p.idNumber}`,
        `/api/licences/${enc(p.name)}`,
        `/api/outreach/drivers/${p.phone}/timeline`,
        `/api/outreach/drivers/${enc(p.phone)}/timeline`,
        `/api/cases?fileNumber=${p.fileNumber}`,
        `/api/cases?fileNumber=${p.idNumber}`,
        `/api/outreach/conversations?fileNumber=${enc(p.name)}`,
        `/api/cases?name=${enc(p.name)}&phone=${enc(p.phone)}&id=${p.idNumber}`,
        `/api/cases?name=${p.name}`,
        `/api/cases?${enc(p.name)}=1&${p.phone}=2`,
        `/api/submissions?fileNumber=${p.fileNumber}&limit=${p.fileNumber}`,
        `/api/exams/${p.idNumber.toLowerCase()}`,
        `/api/no-such/${p.idNumber}/${enc(p.name)}?q=${enc(p.phone)}`,
        `/no-such/${enc(p.name)}`,
        `/twilio/voice/gather?c=${enc(p.name)}&n=${p.phone}`,
      );
    }
    urls.push(
      `/api/me?phone=${enc('+86' + mobile)}`,
      `/api/me?phone=%2B86%20139%201234%205678`,
      `/api/me?phone=139-1234-5678`,
      `/api/me?tel=${enc(landline)}&home=0635-8123456`,
      `/api/licences/${enc(landline)}`,
      `/api/screenings/%20${syntheticId('1950-01-02', 'F', 7)}`,
    );
    for (const url of urls) {
      for (const as of ['admin', null] as const) {
        const method = url.startsWith('/twilio') ? 'POST' : 'GET';
        const res = await t.request(url, { method, as });
        expect(res.status, url).toBeLessThan(500);
      }
    }
    // A client may also choose its request id.
    await t.request('/api/me', { headers: { 'x-request-id': mobile } });

    expect(lines.length).toBeGreaterThanOrEqual(urls.length * 2);
    const forbidden = forbiddenForms();
    for (const line of lines) {
      for (const value of forbidden) expect(line, `a log line holds ${value}`).not.toContain(value);
    }
  });

  it('still say which route answered, with its parameters masked', async () => {
    const p = people[0]!;
    lines.length = 0;
    await t.request(`/api/outreach/drivers/${p.fileNumber}/timeline?x=1`);
    await t.request('/api/cases?community=%E6%B0%B4%E5%9F%8E%E8%8A%B1%E5%9B%AD&overdue=true&limit=5');
    const [timeline, cases] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(timeline).toMatchObject({
      msg: 'request',
      route: '/api/outreach/drivers/{fileNumber}/timeline',
      params: { fileNumber: `********${p.fileNumber.slice(-4)}` },
      query: { x: '***' },
      status: 400,
    });
    // A community is a place, not a person (README "Documented choices"): kept as written.
    expect(cases).toMatchObject({ route: '/api/cases', query: { community: '水城花园', overdue: 'true', limit: '5' }, status: 200 });
    expect(cases).not.toHaveProperty('path');
  });

  it('mask the path of a request no route takes, and so does the 404 message', async () => {
    const p = people[1]!;
    lines.length = 0;
    const res = await t.request(`/api/no-such/${p.idNumber}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(p.idNumber);
    expect(JSON.parse(lines[0]!)).toMatchObject({ route: null, path: `/api/no-such/${p.idNumber.slice(0, 6)}********${p.idNumber.slice(-4)}` });
  });
});

describe('the logger safety net (scrub)', () => {
  const logged = (fields: Record<string, unknown>) => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).error('oops', fields);
    expect(() => JSON.parse(lines[0]!)).not.toThrow();
    return lines[0]!;
  };

  it('masks URL-encoded phones and ID numbers and Chinese names in URLs', () => {
    const id = syntheticId('1948-07-15', 'M', 3);
    const line = logged({
      url: `https://checkup.example.test/api/x/%E5%BC%A0%E4%B8%89?name=%E6%9D%8E%E5%9B%9B&to=%2B8613912345678&id=%20${id}&ids=%2C${id}`,
      path: '/api/x/王小明/y?name=赵六&q=ok',
      message: `line one\n${id}\tand 139 1234 5678, 139+1234+5678, 0086-139-1234-5678, +866358123456, 0635-8123456`,
    });
    for (const v of ['张三', '%E5%BC%A0%E4%B8%89', '李四', '%E6%9D%8E%E5%9B%9B', '王小明', '赵六', '13912345678', '1234 5678', '1234+5678', '6358123456', '8123456', id]) {
      expect(line).not.toContain(v);
    }
    expect(line).toContain('q=ok');
  });

  it('leaves ordinary lines alone', () => {
    const plain = '{"time":"2026-11-26T02:00:00.000Z","requestId":"0192f3a4-5b6c-7d8e-9f00-112233445566","route":"/api/cases","ms":12,"sid":"SM0123456789abcdef0123456789abcdef"}';
    expect(scrub(plain)).toBe(plain);
    expect(scrub('at file:///work/main/src/http/route.ts:42:13')).toBe('at file:///work/main/src/http/route.ts:42:13');
  });

  it('never lets a phone, an ID number or a name through, however a URL encodes it (property)', () => {
    const digit = fc.integer({ min: 0, max: 9 }).map(String);
    const mobileArb = fc.tuple(fc.constantFrom('3', '5', '7', '8', '9'), fc.array(digit, { minLength: 9, maxLength: 9 })).map(([b, rest]) => `1${b}${rest.join('')}`);
    const idArb = fc
      .tuple(fc.date({ min: new Date('1930-01-01'), max: new Date('2000-12-31'), noInvalidDate: true }), fc.integer({ min: 1, max: 400 }), fc.boolean())
      .map(([d, serial, male]) => syntheticId(d.toISOString().slice(0, 10), male ? 'M' : 'F', serial));
    const surname = fc.constantFrom('张', '王', '李', '赵', '欧阳', '司马');
    const given = fc.array(fc.constantFrom('伟', '芳', '秀', '英', '明', '华', '强', '丽'), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
    const nameArb = fc.tuple(surname, given).map(([s, g]) => s + g);
    const phoneForm = (m: string) =>
      fc.constantFrom(m, `+86${m}`, `0086${m}`, `${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}`, `${m.slice(0, 3)}-${m.slice(3, 7)}-${m.slice(7)}`);
    const encodeForm = fc.constantFrom<(s: string) => string>(
      (s) => s,
      encodeURIComponent,
      (s) => encodeURIComponent(s).replace(/%20/g, '+'),
      (s) => Array.from(new TextEncoder().encode(s), (b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    );
    const place = fc.constantFrom<(v: string) => string>(
      (v) => `/api/x/${v}`,
      (v) => `/api/x/${v}/timeline`,
      (v) => `/api/x?q=${v}`,
      (v) => `/api/x?limit=5&q=${v}&z=1`,
      (v) => `https://checkup.example.test/a?${v}=1`,
    );
    fc.assert(
      fc.property(mobileArb.chain((m) => phoneForm(m).map((f) => [m, f] as const)), idArb, nameArb, encodeForm, encodeForm, encodeForm, place, place, place, fc.boolean(), (phone, id, name, e1, e2, e3, p1, p2, p3, lower) => {
        const idForm = lower ? id.toLowerCase() : id;
        const line = logged({ a: p1(e1(phone[1])), b: p2(e2(idForm)), c: p3(e3(name)), d: `${p1(e1(phone[1]))} ${p2(e2(idForm))}` });
        for (const v of [phone[0], idForm, name, encodeURIComponent(name)]) expect(line).not.toContain(v);
        expect(line).not.toContain(phone[0].slice(3, 7) + phone[0].slice(7)); // the hidden middle, with the end
      }),
      { numRuns: 2000 },
    );
  });
});
