/**
 * Issue 13, findings 1 and 6: a multipart upload can neither stop the process nor answer 500, and
 * MAX_IMPORT_BYTES covers the whole body. In process through app.request(), then once against the
 * real server in a child process over a real socket.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bodyLimitOf, MULTIPART_LIMITS, WEBHOOK_BODY_BYTES } from '../../src/http/body-limits.ts';
import { ROLES } from '../../src/staff/permissions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { goodCsv, multipart, normalImportWorks, postMultipart, registryState, type Part } from './helpers.ts';
import { CLI, SERVER } from '../helpers/program.ts';

interface ErrorBody {
  error: { code: string; message: string; details: { importId?: string; issues?: Array<{ field: string; code: string; message: string }> } };
}

const B = 'sdcBoundary7f3a';
const FILE: Part = { name: 'file', filename: 'registry.csv', type: 'text/csv', body: csv([row('371500000101'), row('371500000102')]) };
const NOTHING = { licences: 0, licencesTop: null, rejectedRows: 0, stagingTables: 0, completedImports: 0, runningImports: 0 };

/** Errors that escape every handler: before the fix, busboy's "Unexpected end of form" landed here. */
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);
beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});
/** Lets any late 'error' event of the request's streams fire before the test looks. */
const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe('a multipart upload, in process', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    escaped.length = 0;
  });
  afterEach(async () => t.cleanup());

  const issueOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

  it('answers a file part without its closing boundary with 400, records the import failed and stores nothing', async () => {
    const truncated = multipart([FILE], B, { close: false });
    const res = await postMultipart(t, truncated, B);
    await settle();
    expect(escaped).toEqual([]);
    expect(res.status).toBe(400);
    const error = await issueOf(res);
    expect(error.code).toBe('invalid_file');
    expect(error.details.issues?.[0]).toMatchObject({ field: 'file', code: 'truncated' });
    expect(error.message).toContain('结束边界');
    const imports = await t.deps.db.selectFrom('imports').select(['id', 'status', 'error']).execute();
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ id: error.details.importId ?? imports[0]!.id, status: 'failed' });
    expect(JSON.parse(imports[0]!.error!)).toMatchObject({ code: 'invalid_file' });
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
    expect(await normalImportWorks(t)).toBe(true);
  });

  it('answers a body cut in the middle of a part header, or of its first line, with 400', async () => {
    const whole = multipart([FILE], B);
    for (const cut of [5, B.length + 4, 40, 80]) {
      const res = await postMultipart(t, whole.subarray(0, cut), B);
      await settle();
      expect(res.status, `cut at ${cut}`).toBe(400);
      expect((await issueOf(res)).code).toBe('invalid_file');
    }
    expect(escaped).toEqual([]);
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
    expect(await normalImportWorks(t)).toBe(true);
  });

  it('fails the import when the body is cut after the file part (the file must not be imported on its own)', async () => {
    const body = Buffer.concat([multipart([FILE], B, { close: false }), Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhal`)]);
    const res = await postMultipart(t, body, B);
    expect(res.status).toBe(400);
    expect((await issueOf(res)).code).toBe('invalid_file');
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
  });

  it('answers a client that goes away mid-body with 400 and keeps nothing', async () => {
    const bytes = multipart([FILE], B);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 200));
      },
      pull(controller) {
        controller.error(new Error('socket hang up'));
      },
    });
    const res = await t.request('/api/registry/imports', { method: 'POST', body, duplex: 'half', headers: { 'content-type': `multipart/form-data; boundary=${B}` } } as RequestInit);
    await settle();
    expect(escaped).toEqual([]);
    expect(res.status).toBe(400);
    expect((await issueOf(res)).details.issues?.[0]).toMatchObject({ field: 'body', code: 'aborted' });
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
  });

  const malformed: Array<[string, () => { body: Uint8Array; type?: string }, number, string]> = [
    ['a content type without a boundary', () => ({ body: multipart([FILE], B), type: 'multipart/form-data' }), 400, 'content-type'],
    ['no part named file', () => ({ body: multipart([{ name: 'other', body: 'x' }], B) }), 400, 'file'],
    ['the registry under another part name', () => ({ body: multipart([{ ...FILE, name: 'upload' }], B) }), 400, 'upload'],
    ['a personal name as the part name (not repeated)', () => ({ body: multipart([{ ...FILE, name: '张三' }], B) }), 400, '(a part)'],
    ['two file parts', () => ({ body: multipart([FILE, { ...FILE, filename: 'second.csv' }], B) }), 400, 'file'],
    ['a file sent as a plain field', () => ({ body: multipart([{ name: 'file', body: 'a,b\n' }], B) }), 400, 'file'],
    ['a part header over 16 KB', () => ({ body: multipart([{ ...FILE, headers: [`X-Pad: ${'a'.repeat(17 << 10)}`] }], B) }), 400, 'body'],
    ['garbage instead of a multipart body', () => ({ body: new TextEncoder().encode('\x00\xff not multipart at all') }), 400, 'body'],
    ['too many fields', () => ({ body: multipart([...Array.from({ length: MULTIPART_LIMITS.fields + 1 }, (_, i) => ({ name: `f${i}`, body: 'x' })), FILE], B) }), 400, 'body'],
    ['a field over the field size', () => ({ body: multipart([{ name: 'note', body: 'x'.repeat(MULTIPART_LIMITS.fieldSize + 1) }, FILE], B) }), 413, 'note'],
    ['a field over the field size after the file', () => ({ body: multipart([FILE, { name: 'note', body: 'x'.repeat(MULTIPART_LIMITS.fieldSize + 1) }], B) }), 413, 'note'],
  ];
  for (const [what, make, status, field] of malformed) {
    it(`answers ${what} with ${status} naming ${field}, and stores nothing`, async () => {
      const { body, type } = make();
      const res = await t.request('/api/registry/imports', { method: 'POST', body, headers: { 'content-type': type ?? `multipart/form-data; boundary=${B}` } });
      await settle();
      expect(escaped).toEqual([]);
      expect(res.status).toBe(status);
      const error = await issueOf(res);
      expect(error.code).toBe(status === 413 ? 'payload_too_large' : 'invalid_file');
      expect(error.details.issues?.[0]?.field).toBe(field);
      expect(error.message).not.toContain('张三');
      expect(await registryState(t.deps.db)).toEqual(NOTHING);
      expect(await normalImportWorks(t)).toBe(true);
    });
  }

  it('takes a Chinese file name and keeps only its base name', async () => {
    const res = await postMultipart(t, multipart([{ ...FILE, filename: 'C:\\导出\\驾驶人名册.csv' }], B), B);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { filename: string }).filename).toBe('驾驶人名册.csv');
  });
});

describe('MAX_IMPORT_BYTES counts the whole multipart body', () => {
  let t: TestApp;
  const LIMIT = 4096;
  beforeEach(async () => {
    t = await createTestApp({ env: { MAX_IMPORT_BYTES: String(LIMIT) } });
  });
  afterEach(async () => t.cleanup());

  const small: Part = { ...FILE, body: goodCsv() };
  const pad = (name: string): Part => ({ name, body: 'x'.repeat(MULTIPART_LIMITS.fieldSize - 100) });

  it('accepts a small file with a small field', async () => {
    const res = await postMultipart(t, multipart([{ name: 'note', body: 'hello' }, small], B), B);
    expect(res.status).toBe(201);
  });

  it('answers 413 when fields beside a small file make the body too large, before or after the file', async () => {
    for (const parts of [[pad('a'), small], [small, pad('a')], [pad('a'), small, pad('b')]]) {
      const body = multipart(parts, B);
      expect(body.byteLength).toBeGreaterThan(LIMIT);
      const res = await postMultipart(t, body, B);
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
    }
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
  });

  it('counts a chunked body without Content-Length as it arrives', async () => {
    const bytes = multipart([pad('a'), small], B);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.subarray(sent, sent + 512));
        sent += 512;
      },
    });
    const res = await t.request('/api/registry/imports', { method: 'POST', body, duplex: 'half', headers: { 'content-type': `multipart/form-data; boundary=${B}` } } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(bytes.byteLength + 512);
    expect(await registryState(t.deps.db)).toEqual(NOTHING);
  });

  it('answers 413 at once for a declared Content-Length over the limit', async () => {
    const res = await postMultipart(t, multipart([small], B), B, { 'content-length': String(LIMIT + 1) });
    expect(res.status).toBe(413);
  });
});

describe('one body limit per route (src/http/body-limits.ts)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.cleanup());

  const json = (path: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    t.request(path, { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/json', ...headers } } as RequestInit);
  const chunked = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(at, at + 1000));
        at += 1000;
      },
    });
  };
  const staffBody = (bytes: number) => JSON.stringify({ role: 'admin', name: 'x'.repeat(bytes - 26) }); // exactly `bytes` long

  it('gives small JSON routes 16 KiB, counted with or without a Content-Length, and stores nothing over it', async () => {
    expect(bodyLimitOf('POST', '/api/staff', t.deps.config)).toMatchObject({ bytes: 16 << 10 });
    const over = staffBody((16 << 10) + 1);
    for (const res of [await json('/api/staff', over), await json('/api/staff', chunked(over))]) {
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.details.issues?.[0]).toMatchObject({ field: 'body', code: 'too_large' });
    }
    // Within the limit the body goes on to validation (a name of 16 KB is too long: 400, not 413).
    expect((await json('/api/staff', staffBody(16 << 10))).status).toBe(400);
    const staff = await t.deps.db.selectFrom('staff').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    // Only the test app's own accounts, one per role.
    expect(Number(staff.n)).toBe(ROLES.length);
  });

  it('counts the bytes sent, not a Content-Length that understates them', async () => {
    const res = await json('/api/staff', chunked(staffBody(40 << 10)), { 'content-length': '20' });
    expect(res.status).toBe(413);
  });

  it('lets the routes that need more declare it: a shift with 500 long community names, a retry of 1,000 ids', async () => {
    const communities = Array.from({ length: 500 }, (_, i) => `${'社区'.repeat(49)}${String(i).padStart(2, '0')}`);
    const shift = JSON.stringify({ date: '2026-11-27', startsAt: '08:30', endsAt: '12:00', postalId: crypto.randomUUID(), examinerId: crypto.randomUUID(), start: { label: '起点', lat: 36.45, lng: 115.98 }, area: { communities } });
    expect(new TextEncoder().encode(shift).byteLength).toBeGreaterThan(150_000);
    expect((await json('/api/shifts', shift)).status).not.toBe(413);
    expect((await json('/api/shifts', 'x'.repeat((256 << 10) + 1))).status).toBe(413);
    const retry = JSON.stringify({ ids: Array.from({ length: 1000 }, () => crypto.randomUUID()) });
    expect((await json('/api/submissions/retry', retry)).status).not.toBe(413);
    expect((await json('/api/submissions/retry', 'x'.repeat((64 << 10) + 1))).status).toBe(413);
  });

  it('caps a Twilio webhook at 64 KiB before its signature is checked', async () => {
    const form = (bytes: number) => `Body=${'x'.repeat(bytes - 5)}`;
    const post = (body: string | ReadableStream<Uint8Array>) =>
      t.app.request('/twilio/sms', { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/x-www-form-urlencoded' } } as RequestInit);
    expect((await post(form(WEBHOOK_BODY_BYTES + 1))).status).toBe(413);
    expect((await post(chunked(form(WEBHOOK_BODY_BYTES + 1)))).status).toBe(413);
    expect((await post(form(WEBHOOK_BODY_BYTES))).status).toBe(403); // in the limit: refused for its missing signature
  });

  it('leaves the registry upload to its own streaming count (MAX_IMPORT_BYTES)', () => {
    expect(bodyLimitOf('POST', '/api/registry/imports', t.deps.config)).toEqual({ kind: 'streamed' });
    expect(bodyLimitOf('POST', '/twilio/voice/gather', t.deps.config)).toMatchObject({ bytes: WEBHOOK_BODY_BYTES });
  });
});

/** A free port on the loopback: listen on 0, read it, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Reply {
  status: number;
  body: string;
}

/** A request over a real socket; `send` writes the body and returns whether to end or destroy. */
function over(port: number, options: { method: string; path: string; headers: Record<string, string | number> }, send?: (req: ReturnType<typeof httpRequest>) => 'end' | 'destroy'): Promise<Reply | 'no reply'> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve('no reply'));
    });
    req.on('error', () => resolve('no reply'));
    const how = send ? send(req) : 'end';
    if (how === 'end') req.end();
    else req.destroy();
    if (how === 'destroy') resolve('no reply');
  });
}

describe('the real server in a child process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdc-upload-'));
  let child: ChildProcess;
  let port: number;
  let token: string;
  let output = '';

  beforeAll(async () => {
    port = await freePort();
    const env = {
      ...process.env,
      DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      OUTREACH_TICK_SECONDS: '0',
      SCREENING_DAILY_AT: 'off',
      SUBMISSION_WORKER: 'off',
      LOG_LEVEL: 'warn',
    };
    const added = spawnSync(process.execPath, [CLI, 'staff', 'add', '--name', '管理员', '--role', 'admin'], { env, encoding: 'utf8' });
    expect(added.status, added.stderr).toBe(0);
    token = added.stdout.trim().split('\n').at(-1)!.trim();
    // One process (the built server, as npm start runs it), so its pid is the server's.
    child = spawn(process.execPath, [SERVER], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = () => (output.includes('"listening"') ? resolve() : undefined);
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${token}` });
  const healthy = async () => {
    const reply = await over(port, { method: 'GET', path: '/healthz', headers: {} });
    return reply !== 'no reply' && reply.status === 200;
  };
  const importCsv = async (text: string) =>
    over(port, { method: 'POST', path: '/api/registry/imports', headers: { ...auth(), 'content-type': 'text/csv', 'content-length': Buffer.byteLength(text) } }, (req) => {
      req.write(text);
      return 'end';
    });

  it('survives a truncated multipart upload sent chunked, answers it 400, and still serves', async () => {
    const truncated = multipart([FILE], B, { close: false });
    const reply = await over(
      port,
      { method: 'POST', path: '/api/registry/imports', headers: { ...auth(), 'content-type': `multipart/form-data; boundary=${B}`, 'transfer-encoding': 'chunked' } },
      (req) => {
        req.write(truncated);
        return 'end';
      },
    );
    expect(reply).not.toBe('no reply');
    expect((reply as Reply).status).toBe(400);
    expect(JSON.parse((reply as Reply).body).error.code).toBe('invalid_file');
    expect(child.exitCode).toBeNull();
    expect(await healthy()).toBe(true);
    const normal = await importCsv(goodCsv('371500000201'));
    expect(normal !== 'no reply' && normal.status).toBe(201);
  });

  const importsWith = async (status: 'failed' | 'running') => {
    const list = await over(port, { method: 'GET', path: '/api/registry/imports?limit=100', headers: auth() });
    return list === 'no reply' ? -1 : (JSON.parse(list.body).items as Array<{ status: string }>).filter((i) => i.status === status).length;
  };
  const until = async (condition: () => Promise<boolean>) => {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('survives a client that sends part of a multipart upload and goes away', async () => {
    const before = await importsWith('failed');
    const whole = multipart([FILE], B);
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/registry/imports',
      headers: { ...auth(), 'content-type': `multipart/form-data; boundary=${B}`, 'content-length': whole.byteLength },
    });
    req.on('error', () => undefined);
    req.write(whole.subarray(0, Math.floor(whole.byteLength / 2)));
    // Gone once the server is reading the file part (its import is running), not before it saw the request.
    await until(async () => (await importsWith('running')) > 0);
    req.destroy();
    await until(async () => (await importsWith('failed')) > before);
    expect(await importsWith('running')).toBe(0);
    expect(child.exitCode).toBeNull();
    expect(await healthy()).toBe(true);
    const normal = await importCsv(goodCsv('371500000202'));
    expect(normal !== 'no reply' && normal.status).toBe(201);
    expect(output).not.toMatch(/Unexpected end of form|uncaught/i);
  });
});
