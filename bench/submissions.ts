/**
 * Submission queue drain benchmark (issue 5): how fast the worker files a backlog of 12123
 * submissions through the HTTP gateway adapter, with every outcome committed durably.
 *
 *   npm run bench:submissions
 *   npm run bench:submissions -- --count 10000 --concurrency 16,32,64 --latency-ms 20
 *
 * For each concurrency: a fresh SQLite file (WAL, synchronous=FULL) in a temporary folder, seeded
 * with `count` pending submissions due now (bench/seed-submissions.ts: the whole licence -> case
 * -> visit -> exam chain), then `startSubmissionWorker` in this process with `createHttpGateway`
 * towards the gateway simulator, until every submission is accepted. The simulator runs as its
 * own process (`cli gateway-sim --port 0`), as a real gateway would be elsewhere: its work is not
 * on the worker's event loop, though it shares the machine's two cores. The rate limit is set
 * out of the way (10,000/s): the measure is the queue itself, not the limit.
 *
 * Reported: drain time (worker start -> last acceptance committed), submissions/s, per-submission
 * latency from the send to the commit of its acceptance (p50/p99) and the gateway's answer time
 * alone. Checks, afterwards: every submission accepted with one `accepted` event and one
 * completion notice, every case completed, and the simulator's own count: exactly `count` keys,
 * each filed once, with the reference we stored. Target: >= 300 submissions/s on 2 cores.
 * Exits non-zero when a check fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { CompiledQuery } from 'kysely';
import { openNodeDatabase } from '../src/db/open-node.ts';
import { randomIds, systemClock, type Atomic, type GovGateway } from '../src/ports.ts';
import { createLogger } from '../src/shared/logger.ts';
import { createHttpGateway } from '../src/submissions/gateway-http.ts';
import type { SimulatorStats } from '../src/submissions/gateway-sim.ts';
import { startSubmissionWorker, type WorkerSettings } from '../src/submissions/worker.ts';
import { seedSubmissions, type SeededSubmission } from './seed-submissions.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16,32,64' },
    'latency-ms': { type: 'string', default: '20' },
    'keep-data': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const concurrencies = values.concurrency.split(',').map(Number);
const latencyMs = Number(values['latency-ms']);
if (!Number.isInteger(count) || count < 1 || concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 256) || !Number.isInteger(latencyMs) || latencyMs < 0) {
  console.error('usage: bench/submissions.ts [--count N] [--concurrency 16,32,64] [--latency-ms N] [--keep-data]');
  process.exit(2);
}
const TARGET_PER_SECOND = 300;
const ROOT = join(import.meta.dirname, '..');

// --- the gateway simulator, a process of its own --------------------------------------------------

const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
const sim = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'gateway-sim', '--port', '0', '--latency-ms', String(latencyMs)], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, LOG_LEVEL: 'error' },
});
process.once('exit', () => sim.exitCode === null && sim.kill('SIGTERM'));
const simUrl = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: sim.stdout! });
  lines.once('line', (line) => {
    const url = /listening on (\S+)/.exec(line)?.[1];
    if (url) resolve(url);
    else reject(new Error(`unexpected first line from the simulator: ${line}`));
  });
  sim.once('exit', (code) => reject(new Error(`the simulator exited (code ${code})`)));
});

async function simCall<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const response = await fetch(`${simUrl}${path}`, { method });
  if (!response.ok) throw new Error(`simulator ${method} ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

// --- one drain ------------------------------------------------------------------------------------

interface Drain {
  concurrency: number;
  seedMs: number;
  drainMs: number;
  perSecond: number;
  latency: { p50: number; p99: number; max: number };
  gateway: { p50: number; p99: number };
  totals: Record<string, number>;
  checks: Array<[string, boolean]>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function drain(concurrency: number): Promise<Drain> {
  await simCall('POST', '/_sim/reset');
  const dir = mkdtempSync(join(tmpdir(), 'submissions-bench-'));
  const database = await openNodeDatabase(join(dir, 'checkup.db'));
  try {
    let started = performance.now();
    const seeded = await seedSubmissions(database, count);
    const seedMs = performance.now() - started;
    const byId = new Map(seeded.map((s) => [s.id, s]));

    // Timing only: when each key was first sent, how long the gateway took, and when the batch
    // that names a submission (its acceptance, the last one) was committed.
    const firstSent = new Map<string, number>();
    const answerMs: number[] = [];
    const committedAt = new Map<string, number>();
    const http = createHttpGateway({ baseUrl: simUrl, token: null, timeoutMs: 10_000 });
    const gateway: GovGateway = {
      kind: http.kind,
      async submit(request) {
        const at = performance.now();
        if (!firstSent.has(request.idempotencyKey)) firstSent.set(request.idempotencyKey, at);
        try {
          return await http.submit(request);
        } finally {
          answerMs.push(performance.now() - at);
        }
      },
    };
    const atomic: Atomic = async (queries) => {
      const results = await database.atomic(queries);
      const at = performance.now();
      const id = submissionNamed(queries, byId);
      if (id !== null) committedAt.set(id, at);
      return results;
    };

    const settings: WorkerSettings = {
      concurrency,
      ratePerSecond: 10_000,
      leaseMs: 60_000,
      maxAttempts: 12,
      backoff: { baseMs: 100, capMs: 2_000 },
      pollMs: 20,
    };
    const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(line + '\n') });
    started = performance.now();
    const worker = startSubmissionWorker({ db: database.db, atomic, clock: systemClock, ids: randomIds, logger }, gateway, settings);
    // Idle means nothing due now; with a fault-free gateway that is the end, but rows waiting on
    // a backoff would still be pending, so look.
    for (;;) {
      await worker.idle();
      const left = await database.db.selectFrom('submissions').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['pending', 'leased']).executeTakeFirstOrThrow();
      if (Number(left.n) === 0) break;
    }
    await worker.stop();
    const lastCommit = Math.max(...committedAt.values());
    const drainMs = lastCommit - started;

    const latencies = seeded.map((s) => (committedAt.get(s.id) ?? NaN) - (firstSent.get(s.idempotencyKey) ?? NaN)).sort((a, b) => a - b);
    answerMs.sort((a, b) => a - b);
    const checks = await verify(database.db, seeded, await simCall<SimulatorStats>('GET', '/_sim/stats'));
    return {
      concurrency,
      seedMs,
      drainMs,
      perSecond: count / (drainMs / 1000),
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1]! },
      gateway: { p50: percentile(answerMs, 50), p99: percentile(answerMs, 99) },
      totals: { ...worker.totals },
      checks,
    };
  } finally {
    await database.close();
    if (values['keep-data']) console.log(`data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The submission a batch of the worker names (the lease's row id is bound in each of its writes). */
function submissionNamed(queries: readonly CompiledQuery[], byId: ReadonlyMap<string, SeededSubmission>): string | null {
  const last = queries[queries.length - 1];
  for (const p of last?.parameters ?? []) if (typeof p === 'string' && byId.has(p)) return p;
  return null;
}

async function verify(db: Awaited<ReturnType<typeof openNodeDatabase>>['db'], seeded: readonly SeededSubmission[], stats: SimulatorStats): Promise<Array<[string, boolean]>> {
  const rows = await db.selectFrom('submissions').select(['id', 'idempotency_key', 'status', 'reference']).execute();
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const once = async (table: 'submission_events' | 'completion_notices') => {
    let q = db.selectFrom(table).select((eb) => ['submission_id', eb.fn.countAll<number>().as('n')]).groupBy('submission_id');
    if (table === 'submission_events') q = q.where('kind', '=', 'accepted');
    const grouped = await q.execute();
    return grouped.filter((g) => Number(g.n) === 1).length === seeded.length && grouped.length === seeded.length;
  };
  const completed = await db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'completed').executeTakeFirstOrThrow();
  const keys = Object.values(stats.keys);
  const mismatched = rows.filter((r) => {
    const k = stats.keys[r.idempotency_key];
    return k === undefined || k.filings !== 1 || r.reference === null || k.reference !== r.reference;
  }).length;
  return [
    [`submissions by status ${JSON.stringify(statuses)}`, statuses.accepted === seeded.length && rows.length === seeded.length],
    [`one 'accepted' event per submission`, await once('submission_events')],
    [`one completion notice per submission`, await once('completion_notices')],
    [`cases completed = ${Number(completed.n)}`, Number(completed.n) === seeded.length],
    [`simulator: ${keys.length} keys, ${stats.filed} filed, ${keys.filter((k) => k.filings === 1).length} filed exactly once, ${stats.duplicates} duplicates`, keys.length === seeded.length && stats.filed === seeded.length && keys.every((k) => k.filings === 1)],
    [`our reference = the simulator's for every key (${mismatched} differ)`, mismatched === 0],
  ];
}

// --- the runs and the report ------------------------------------------------------------------------

const results: Drain[] = [];
try {
  for (const c of concurrencies) {
    const r = await drain(c);
    results.push(r);
    console.error(`concurrency ${c}: ${count} drained in ${(r.drainMs / 1000).toFixed(2)} s (${Math.round(r.perSecond)}/s)`);
  }
} finally {
  sim.kill('SIGTERM');
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`\nmachine: ${availableParallelism()} cores (nproc), ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average before the run ${loadBefore}`);
console.log(
  `settings: ${count.toLocaleString('en')} submissions, simulator latency ${latencyMs} ms in its own process (loopback HTTP), worker in this process ` +
    `(rate limit 10,000/s, lease 60 s, poll 20 ms), SQLite WAL + synchronous=FULL\n`,
);
console.log('| concurrency | seeded (s) | drain (s) | submissions/s | send → committed p50 | p99 | max | gateway answer p50 | p99 | claimed / accepted / retrying / lost |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  const t = r.totals;
  console.log(
    `| ${r.concurrency} | ${(r.seedMs / 1000).toFixed(2)} | ${(r.drainMs / 1000).toFixed(2)} | **${Math.round(r.perSecond)}** | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${ms(r.latency.max)} | ` +
      `${ms(r.gateway.p50)} | ${ms(r.gateway.p99)} | ${t.claimed} / ${t.accepted} / ${t.retrying} / ${t.lost} |`,
  );
}
let ok = true;
for (const r of results) {
  console.log(`\nchecks, concurrency ${r.concurrency}:`);
  for (const [text, pass] of r.checks) {
    console.log(`  ${pass ? 'ok  ' : 'FAIL'} ${text}`);
    ok &&= pass;
  }
}
const best = Math.max(...results.map((r) => r.perSecond));
console.log(`\ntarget >= ${TARGET_PER_SECOND} submissions/s: ${best >= TARGET_PER_SECOND ? 'met' : 'NOT met'} (best ${Math.round(best)}/s)`);
process.exitCode = ok ? 0 : 1;
