/**
 * Inbound-SMS webhook benchmark (issue 3): throughput and latency of `POST /twilio/sms` under load,
 * next to the fair baseline served by the same process in the same run (issue 18): a bare Hono
 * route that parses the same form body and answers TwiML. The service runs with every check on
 * (signature, parameter policy, AccountSid, and the replay check of issue 13).
 *
 *   npm run bench:webhook
 *   npm run bench:webhook -- --connections 10 --duration 20 --warmup 3
 *   npm run bench:webhook -- --child-node-args="--cpu-prof --cpu-prof-dir=bench/out/prof"
 *
 * The server is a child process (bench/webhook-server.ts) over a fresh seeded SQLite file; this
 * process signs every request as Twilio would (a unique MessageSid each, From = a conversation's
 * number round-robin, Body cycling through realistic replies), drives it with autocannon, and
 * afterwards checks the database read-only: one stored `sms` webhook event (with its signature
 * digest), one inbound message and one answer of the expected intent per request sent. Target:
 * >= 1,000 requests/s with p99 < 50 ms on the project's 2-core machine.
 *
 * Besides latency and throughput it reports the CPU time of the server's main thread per
 * response (the JavaScript side, steadier than req/s on a shared machine) and, roughly, the CPU
 * that other processes used during the run (from /proc/stat: another job on the second core
 * shows up there).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import sqlite3 from 'sqlite3';
import twilio from 'twilio';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rows: { type: 'string', default: '20000' },
    pool: { type: 'string', default: '60000' },
    'child-node-args': { type: 'string', default: '' },
    'keep-data': { type: 'boolean', default: false },
    /** Skip the baseline route (e.g. to profile the webhook alone). */
    'sms-only': { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const TARGET_RPS = 1000;
const TARGET_P99_MS = 50;

/** Replies drivers send, and the intent each must be stored with (RULES.md §7). */
const BODIES: ReadonlyArray<readonly [string, string]> = [
  ['1', 'confirm'],
  ['2', 'decline'],
  ['3 周三上午', 'reschedule'],
  ['好的', 'confirm'],
  ['hello', 'unknown'],
  ['１', 'confirm'],
];

interface ChildInfo {
  webhookUrl: string;
  baselineUrl: string;
  authToken: string;
  databasePath: string;
  seed: Record<string, number>;
  phones: string[];
}

// --- the server ---------------------------------------------------------------------------------

// Other work on this machine skews the numbers: the load average before we start is reported.
const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
const dataDir = mkdtempSync(join(tmpdir(), 'webhook-bench-'));
const childArgs = [...values['child-node-args'].split(/\s+/).filter(Boolean), '--import', 'tsx', join(import.meta.dirname, 'webhook-server.ts'), dataDir, values.rows];
const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
const childExited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
// Never leave the server behind, whatever happens here.
process.once('exit', () => child.exitCode === null && child.kill('SIGTERM'));
const info = await new Promise<ChildInfo>((resolve, reject) => {
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith('{')) resolve(JSON.parse(line) as ChildInfo);
  });
  void childExited.then((code) => reject(new Error(`the server exited (${code}) before it was ready`)));
});
console.log(`seeded in ${info.seed.seconds} s: ${info.seed.rows} licences, ${info.seed.cases} cases, ${info.seed.conversations} conversations, ${info.phones.length} numbers`);

// --- the requests -------------------------------------------------------------------------------

type Prepared = { body: string; headers: Record<string, string> };
const smsPath = new URL(info.webhookUrl).pathname;
const twilioNumber = '+10000000000';

function smsRequest(i: number): Prepared {
  const params = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: 'AC00000000000000000000000000000000',
    From: info.phones[i % info.phones.length]!,
    To: twilioNumber,
    Body: BODIES[i % BODIES.length]![0],
    NumMedia: '0',
  };
  return {
    body: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(info.authToken, info.webhookUrl, params),
    },
  };
}

let t = performance.now();
const pool: Prepared[] = Array.from({ length: Number(values.pool) }, (_, i) => smsRequest(i));
console.log(`signed ${pool.length} requests in ${((performance.now() - t) / 1000).toFixed(1)} s`);
/** Requests handed to autocannon so far: each one is written to a connection right after. */
let used = 0;
let signedLate = 0;
const baselinePath = new URL(info.baselineUrl).pathname;
let baselineUsed = 0;
const nextBaseline = (request: autocannon.Request): autocannon.Request => {
  const prepared = pool[baselineUsed++ % pool.length]!;
  request.body = prepared.body;
  request.headers = prepared.headers;
  return request;
};
const nextSms = (request: autocannon.Request): autocannon.Request => {
  const i = used++;
  let prepared = pool[i];
  if (!prepared) {
    signedLate++;
    prepared = smsRequest(i);
  }
  request.body = prepared.body;
  request.headers = prepared.headers;
  return request;
};

// --- the load -----------------------------------------------------------------------------------

interface Measured {
  result: autocannon.Result;
  statuses: Map<number, number>;
  /** CPU time over the run, in % of one core: the server process (all threads) and this one. */
  serverCpu: number | null;
  clientCpu: number;
  /** CPU time of the server's main (JavaScript) thread per response, in µs. */
  mainCpuPerResponse: number | null;
  /** CPU used by everything else on the machine over the run (other processes), in % of one core; approximate. */
  otherCpu: number | null;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat; null elsewhere. */
function machineBusySeconds(): number | null {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
  } catch {
    return null;
  }
}

/** utime + stime of a process (or, with `thread`, of one of its threads) in seconds, from /proc (Linux); null elsewhere. */
function processCpuSeconds(pid: number, thread?: number): number | null {
  try {
    const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
    const fields = readFileSync(path, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

async function load(url: string, seconds: number, kind: 'sms' | 'baseline'): Promise<Measured> {
  const statuses = new Map<number, number>();
  // The main thread's id is the process id.
  const started = {
    wall: performance.now(),
    server: processCpuSeconds(child.pid!),
    main: processCpuSeconds(child.pid!, child.pid!),
    machine: machineBusySeconds(),
    client: process.cpuUsage(),
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        method: 'POST',
        ...(kind === 'sms'
          ? {
              requests: [{ method: 'POST', path: smsPath, setupRequest: nextSms }],
              verifyBody: (body) => typeof body === 'string' && body.includes('<Response'),
            }
          : {
              // The same signed form bodies, in turn (the baseline reads but does not check them).
              requests: [{ method: 'POST', path: baselinePath, setupRequest: nextBaseline }],
              verifyBody: (body) => typeof body === 'string' && body.includes('<Message>'),
            }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, status) => statuses.set(status, (statuses.get(status) ?? 0) + 1));
  });
  const wall = (performance.now() - started.wall) / 1000;
  const server = processCpuSeconds(child.pid!);
  const main = processCpuSeconds(child.pid!, child.pid!);
  const machine = machineBusySeconds();
  const client = process.cpuUsage(started.client);
  return {
    result,
    statuses,
    serverCpu: server !== null && started.server !== null ? (100 * (server - started.server)) / wall : null,
    clientCpu: (100 * (client.user + client.system)) / 1e6 / wall,
    mainCpuPerResponse: main !== null && started.main !== null && result.requests.total > 0 ? (1e6 * (main - started.main)) / result.requests.total : null,
    otherCpu:
      machine !== null && started.machine !== null && server !== null && started.server !== null
        ? Math.max(0, (100 * (machine - started.machine - (server - started.server))) / wall - (100 * (client.user + client.system)) / 1e6 / wall)
        : null,
  };
}

if (warmup > 0) {
  console.log(`warming up (${warmup} s each) with ${connections} connections...`);
  await load(info.webhookUrl, warmup, 'sms');
  if (!values['sms-only']) await load(info.baselineUrl, warmup, 'baseline');
}
const warmupSms = used;
console.log(`measuring ${duration} s per route with ${connections} connections...`);
const sms = await load(info.webhookUrl, duration, 'sms');
const baseline = values['sms-only'] ? null : await load(info.baselineUrl, duration, 'baseline');

// --- the check ----------------------------------------------------------------------------------

const database = await new Promise<sqlite3.Database>((resolve, reject) => {
  const d = new sqlite3.Database(info.databasePath, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(d)));
});
const all = <T>(sql: string) =>
  new Promise<T[]>((resolve, reject) => database.all(sql, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
const countEvents = async () => (await all<{ n: number }>(`SELECT count(*) AS n FROM webhook_events WHERE kind = 'sms'`))[0]!.n;

// Requests still in flight when autocannon stopped are still processed by the server: wait for them.
let events = await countEvents();
for (let stable = 0; events !== used && stable < 10; ) {
  await new Promise((r) => setTimeout(r, 200));
  const now = await countEvents();
  stable = now === events ? stable + 1 : 0;
  events = now;
}
const [eventStats] = await all<{ processed: number; failed: number; signed: number }>(
  `SELECT count(processed_at) AS processed, count(error) AS failed, count(signature) AS signed FROM webhook_events WHERE kind = 'sms'`,
);
const [inbound] = await all<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE direction = 'in' AND channel = 'sms'`);
const intents = Object.fromEntries(
  (await all<{ intent: string; n: number }>(`SELECT intent, count(*) AS n FROM answers WHERE channel = 'sms' GROUP BY intent`)).map((r) => [r.intent, r.n]),
);
const outcomes = Object.fromEntries(
  (await all<{ outcome: string; n: number }>(`SELECT outcome, count(*) AS n FROM answers WHERE channel = 'sms' GROUP BY outcome`)).map((r) => [r.outcome, r.n]),
);
database.close();

const expectedIntents: Record<string, number> = {};
for (let i = 0; i < used; i++) {
  const intent = BODIES[i % BODIES.length]![1];
  expectedIntents[intent] = (expectedIntents[intent] ?? 0) + 1;
}

child.kill('SIGTERM');
await childExited;
if (values['keep-data']) console.log(`data kept in ${dataDir}`);
else rmSync(dataDir, { recursive: true, force: true });

// --- the report ---------------------------------------------------------------------------------

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nmachine: ${availableParallelism()} cores (nproc), ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average before the run ${loadBefore}`);
console.log(
  `settings: ${connections} connections, ${duration} s per route after ${warmup} s warm-up each, pipelining 1, ` +
    `autocannon in this process, server in one child process (LOG_LEVEL=error), SQLite WAL + synchronous=FULL`,
);
console.log('');
console.log(
  '| route | req/s (avg) | p50 | p90 | p99 | max | responses | non-2xx | errors / timeouts | body mismatches | CPU server / autocannon | ' +
    'server main thread per response | CPU of other processes |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const rows: Array<[string, Measured]> = [['`POST /twilio/sms` (service)', sms]];
if (baseline) rows.push(['`POST /baseline` (bare Hono: form + TwiML)', baseline]);
for (const [name, m] of rows) {
  const r = m.result;
  const l = r.latency;
  console.log(
    `| ${name} | ${Math.round(r.requests.average).toLocaleString('en')} | ${l.p50} ms | ${l.p90} ms | ${l.p99} ms | ${l.max} ms | ` +
      `${r.requests.total.toLocaleString('en')} | ${r.non2xx} | ${r.errors} / ${r.timeouts} | ${r.mismatches} | ` +
      `${m.serverCpu === null ? '?' : Math.round(m.serverCpu)}% / ${Math.round(m.clientCpu)}% | ` +
      `${m.mainCpuPerResponse === null ? '?' : `${Math.round(m.mainCpuPerResponse)} µs`} | ${m.otherCpu === null ? '?' : `${Math.round(m.otherCpu)}%`} |`,
  );
}

const statusText = (s: Map<number, number>) => [...s].map(([k, v]) => `${k}: ${v}`).join(', ');
const intentsMatch = Object.keys({ ...expectedIntents, ...intents }).every((k) => expectedIntents[k] === intents[k]);
const checks: Array<[string, boolean]> = [
  [`webhook responses by status: ${statusText(sms.statuses)}`, [...sms.statuses.keys()].every((s) => s === 200)],
  [`sms requests sent (warm-up ${warmupSms} + measured ${used - warmupSms}) = ${used}; webhook_events of kind sms = ${events}`, events === used],
  [`events processed ${eventStats!.processed}, failed ${eventStats!.failed}`, eventStats!.processed === used && eventStats!.failed === 0],
  // The replay check of issue 13 was on: every event holds the digest of its signature.
  [`events with their signature digest (replay check) = ${eventStats!.signed}`, eventStats!.signed === used],
  [`inbound messages stored = ${inbound!.n}`, inbound!.n === used],
  [`answers by intent ${JSON.stringify(intents)} (expected ${JSON.stringify(expectedIntents)})`, intentsMatch],
  [`answers by outcome ${JSON.stringify(outcomes)}`, !outcomes.unknown_number],
];
if (baseline) checks.push([`baseline responses by status: ${statusText(baseline.statuses)}`, [...baseline.statuses.keys()].every((s) => s === 200)]);
console.log('\nchecks:');
for (const [text, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
if (signedLate > 0) console.log(`  note: the pool of ${pool.length} signed requests ran out; ${signedLate} were signed during the run (use --pool)`);

const r = sms.result;
const met = r.requests.average >= TARGET_RPS && r.latency.p99 < TARGET_P99_MS;
console.log(
  `\ntarget >= ${TARGET_RPS} req/s with p99 < ${TARGET_P99_MS} ms: ${met ? 'met' : 'NOT met'} ` +
    `(${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms${
      baseline
        ? `; the baseline: ${Math.round(baseline.result.requests.average)} req/s, p99 ${baseline.result.latency.p99} ms; ` +
          `the service does ${Math.round((100 * r.requests.average) / baseline.result.requests.average)}% of it`
        : ''
    })`,
);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
