/**
 * The Worker next to the Node server, on this machine, in one run (issue 17): `wrangler dev
 * --local` (workerd, local D1) and `npm start`'s server (sqlite3 file), each fresh, each driven
 * through its HTTP API the same way:
 *
 * - an import of ROWS synthetic licences (`POST /api/registry/imports`, the CSV of `demo-data`),
 * - the screening of them (`POST /api/screenings`),
 * - inbound-SMS webhooks (`POST /twilio/sms`, signed as Twilio signs, a unique MessageSid each,
 *   every check on) for DURATION seconds at CONNECTIONS connections: req/s and p99.
 *
 *   npm run bench:worker -- [--rows 100000] [--duration 10] [--connections 10]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { twilioSignature } from '../src/outreach/twilio-signature.ts';
import { DEVELOPMENT_ACCOUNT_SID } from '../src/outreach/webhooks.ts';
import { developmentWebhookSecret } from '../src/entry/compose-worker.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const ROWS = Number(values.rows);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'sdc-bench-worker-'));
const DATA_KEY = randomBytes(32).toString('base64');
const env = { ...process.env, LANG: 'en_US.UTF-8', CI: '1' };
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const cli = join(root, 'dist', 'cli.js');

function run(command: string, args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): string {
  const r = spawnSync(command, args, { cwd: root, env: { ...env, ...extra }, encoding: 'utf8', input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function healthy(base: string): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Target {
  name: string;
  base: string;
  token: string;
  /** What its webhooks are signed with (no Twilio account: a development secret). */
  webhookSecret: string;
  child: ChildProcess;
}

async function startNode(): Promise<Target> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const settings = { DATA_DIR: join(work, 'node'), DATA_KEY, PUBLIC_BASE_URL: base, PORT: String(port), LOG_LEVEL: 'warn', SCREENING_DAILY_AT: 'off' };
  const token = run(process.execPath, [cli, 'staff', 'add', '--name', '压测管理员', '--role', 'admin'], settings).trim().split('\n').at(-1)!;
  const child = spawn(process.execPath, [join(root, 'dist', 'server.js')], { cwd: root, env: { ...env, ...settings }, stdio: 'ignore' });
  await healthy(base);
  const webhookSecret = readFileSync(join(settings.DATA_DIR, 'dev-webhook-secret'), 'utf8').trim();
  return { name: 'Node (sqlite3 file)', base, token, webhookSecret, child };
}

async function startWorker(): Promise<Target> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const persist = join(work, 'wrangler');
  run(wrangler, ['d1', 'migrations', 'apply', 'senior-driver-checkup', '--local', '--persist-to', persist]);
  const sql = join(work, 'admin.sql');
  const token = run(process.execPath, [cli, 'staff', 'add', '--name', '压测管理员', '--role', 'admin', '--d1-sql', sql], { DATA_DIR: join(work, 'unused') }).trim().split('\n').at(-1)!;
  run(wrangler, ['d1', 'execute', 'senior-driver-checkup', '--local', '--persist-to', persist, '--file', sql]);
  const vars = { DATA_KEY, PUBLIC_BASE_URL: base, LOG_LEVEL: 'warn', SCREENING_DAILY_AT: 'off' };
  const args = ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persist, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
  const child = spawn(wrangler, args, { cwd: root, env, stdio: 'ignore', detached: true });
  await healthy(base);
  return { name: 'Worker (wrangler dev, local D1)', base, token, webhookSecret: developmentWebhookSecret(Buffer.from(DATA_KEY, 'base64')), child };
}

async function timed(label: string, fn: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const res = await fn();
  const seconds = (performance.now() - started) / 1000;
  if (!res.ok) throw new Error(`${label}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return seconds;
}

async function webhooks(target: Target): Promise<{ rps: number; p99: number; errors: number }> {
  const url = `${target.base}/twilio/sms`;
  // autocannon's setupRequest is synchronous and twilioSignature is async: sign a pool ahead.
  const pool = await Promise.all(Array.from({ length: 200_000 }, async (_, k) => {
    const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, AccountSid: DEVELOPMENT_ACCOUNT_SID, From: `+86139${String(k % 100000).padStart(8, '0')}`, To: '+10000000000', Body: '1', NumMedia: '0' };
    return { body: new URLSearchParams(params).toString(), signature: await twilioSignature(target.webhookSecret, url, params) };
  }));
  let used = 0;
  const result = await autocannon({
    url: target.base,
    connections: Number(values.connections),
    duration: Number(values.duration),
    requests: [{
      method: 'POST',
      path: '/twilio/sms',
      setupRequest: (request) => {
        const p = pool[used++ % pool.length]!;
        return { ...request, body: p.body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': p.signature } };
      },
    }],
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

async function measure(target: Target) {
  const auth = { authorization: `Bearer ${target.token}` };
  const csv = readFileSync(join(work, 'registry.csv'));
  const importS = await timed('import', () => fetch(`${target.base}/api/registry/imports`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv }));
  const screenS = await timed('screening', () => fetch(`${target.base}/api/screenings`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }));
  const hooks = await webhooks(target);
  return { importS, screenS, ...hooks };
}

function stop(target: Target): void {
  try {
    if (target.child.pid) process.kill(target.name.startsWith('Worker') ? -target.child.pid : target.child.pid, 'SIGTERM');
  } catch {
    // gone already
  }
}

run(process.execPath, [join(root, 'scripts', 'launch.mjs'), '--build']);
run(process.execPath, [cli, 'demo-data', '--count', String(ROWS), '--out', join(work, 'registry.csv')]);
const rows: string[] = [];
for (const start of [startNode, startWorker]) {
  const target = await start();
  try {
    const m = await measure(target);
    rows.push(`| ${target.name} | ${m.importS.toFixed(1)} s (${Math.round(ROWS / m.importS).toLocaleString('en')} rows/s) | ${m.screenS.toFixed(1)} s | ${Math.round(m.rps).toLocaleString('en')} req/s, p99 ${m.p99} ms, ${m.errors} errors |`);
  } finally {
    stop(target);
  }
}
console.log(`\n${ROWS.toLocaleString('en')} licences, webhooks at ${values.connections} connections for ${values.duration} s:\n`);
console.log('| runtime | import | screening | inbound SMS webhook |\n|---|---|---|---|');
for (const r of rows) console.log(r);
rmSync(work, { recursive: true, force: true });
