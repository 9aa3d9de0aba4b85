import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays } from 'date-fns/addDays';
import { subYears } from 'date-fns/subYears';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { mulberry32 } from '../../src/scheduling/vrptw/random.ts';
import { todayIn } from '../../src/shared/time.ts';
import { startFakeTwilioApi, type FakeTwilioApi } from '../helpers/fake-twilio-api.ts';
import { CLI } from '../helpers/program.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * The outreach crash drill of issue 13: `cli outreach run` sends the first SMS of a few hundred
 * drivers through the real Twilio SDK to the fake Twilio API run here (so the provider outlives
 * the process), and is killed with SIGKILL again and again: right after Twilio took a message and
 * before it could answer (taken, never recorded), right before Twilio would have taken one (claimed,
 * never sent), and just after an answer (somewhere in the write). It is started again until the
 * work is done. Then every driver got exactly one SMS at the provider, every message the provider
 * took has exactly one row, and nothing is left `sending`.
 *
 * Kills wait for conditions (the n-th create of a run), never for time; the loop ends when the
 * work is done, with a generous cap on restarts.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVERS = 200;
/** Restarts after the kills; a cap so that a regression fails instead of looping. */
const MAX_RUNS = 30;
const ACCOUNT_SID = 'AC' + 'c4a5d6e7f8091a2b'.repeat(2);
const AUTH_TOKEN = 'fake-twilio-auth-token-crash-drill';
const FROM = '+15005550006';
/** Synthetic, for this test only. */
const SYNTHETIC_DATA_KEY = '7c'.repeat(32);
/** The child's Twilio timeout: claims older than twice this are reconciled. */
const TWILIO_TIMEOUT_MS = 1000;
const SETTLED_MS = 2 * TWILIO_TIMEOUT_MS;

type KillMode = 'taken' | 'before_taken' | 'after_answer' | 'none';

interface Run {
  child: ChildProcess;
  exited: Promise<void>;
  mode: KillMode;
  /** Killed at this create of the run. */
  killAt: number;
  creates: number;
  killed: boolean;
  stdout: string;
  stderr: string;
}

let dir = '';
let dbPath = '';
let fake: FakeTwilioApi;
let current: Run | null = null;
const seed = Date.now() % 2 ** 31;
const random = mulberry32(seed);

const phoneOf = (i: number) => `1390000${String(1000 + i)}`;

function childEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    HOME: process.env.HOME ?? dir,
    LANG: 'en_US.UTF-8',
    DATA_DIR: dir,
    DATABASE_PATH: dbPath,
    DATA_KEY: SYNTHETIC_DATA_KEY,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM_NUMBER: FROM,
    TWILIO_API_BASE_URL: fake.url,
    TWILIO_TIMEOUT_MS: String(TWILIO_TIMEOUT_MS),
    PUBLIC_BASE_URL: 'https://checkup.example.test',
    OUTREACH_WINDOW: '00:00-23:59',
    OUTREACH_RATE_PER_MINUTE: '10000',
    LOG_LEVEL: 'warn',
  };
}

function cli(args: string[], mode: KillMode = 'none', killAt = 0): Run {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, mode, killAt, creates: 0, killed: false, stdout: '', stderr: '', exited: Promise.resolve() };
  run.exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      run.stderr += String(error);
      resolve();
    });
  });
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout = (run.stdout + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr = (run.stderr + chunk.toString()).slice(-4000)));
  return run;
}

async function cliOk(args: string[]): Promise<string> {
  const run = cli(args);
  await run.exited;
  expect(run.child.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** SIGKILL the run, once; resolves when it is gone. */
async function kill(run: Run): Promise<void> {
  if (!run.killed && run.child.exitCode === null && run.child.signalCode === null) {
    run.killed = true;
    run.child.kill('SIGKILL');
  }
  await run.exited;
}

/** The run's create number `killAt` arrived, in the mode's place. */
function dueForKill(run: Run | null, mode: KillMode): run is Run {
  if (!run || run.killed || run.mode !== mode) return false;
  return run.creates === run.killAt;
}

/** A look at the database through a connection of its own, opened for this look only. */
async function look<T>(fn: (db: Awaited<ReturnType<typeof openNodeDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await openNodeDatabase(dbPath);
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

const firstSteps = () =>
  look((db) => db.selectFrom('outreach_steps').select(['status', 'claimed_at']).where('seq', '=', 0).execute());

/** Waits until every claim left `sending` is old enough to be reconciled (a condition on the clock). */
async function untilClaimsSettle(): Promise<void> {
  for (;;) {
    const claims = (await firstSteps()).filter((s) => s.status === 'sending' && s.claimed_at !== null);
    const newest = Math.max(0, ...claims.map((s) => Date.parse(s.claimed_at!)));
    if (Date.now() > newest + SETTLED_MS + 250) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdc-crash-outreach-'));
  dbPath = join(dir, 'checkup.db');
  fake = await startFakeTwilioApi({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  fake.setHooks({
    // Claimed and on its way, the process dies before Twilio takes it: nothing was sent.
    beforeCreate: async () => {
      const run = current;
      if (run) run.creates++;
      if (!dueForKill(run, 'before_taken')) return;
      await kill(run);
      return 'drop';
    },
    afterAccept: async () => {
      const run = current;
      // Twilio took it; the process dies before it hears so: sent, never recorded.
      if (dueForKill(run, 'taken')) {
        await kill(run);
        return 'drop';
      }
      // The answer goes out; the process dies somewhere in what follows.
      if (dueForKill(run, 'after_answer')) setImmediate(() => void kill(run));
    },
  });
  // Drivers turning 63 in ten days (a B2 downgrade, RULES.md §3), screened today.
  const birth = todayIn(addDays(subYears(new Date(), 63), 10));
  const rows = Array.from({ length: DRIVERS }, (_, i) => row(`7000000${String(i).padStart(5, '0')}`, { birth, classes: 'B2', phone: phoneOf(i), name: '测试丁', sex: i % 2 ? 'M' : 'F' }));
  const file = join(dir, 'registry.csv');
  writeFileSync(file, csv(rows));
  expect(await cliOk(['import', file])).toContain(`${DRIVERS} inserted`);
  await cliOk(['screen']);
  expect(await cliOk(['outreach', 'start', '--limit', String(DRIVERS)])).toContain(`started ${DRIVERS} conversations`);
}, 60_000);

afterAll(async () => {
  if (current) await kill(current);
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('cli outreach run killed with SIGKILL again and again', () => {
  it('sends every due step exactly once, records every message once, and leaves nothing sending', async () => {
    // Each kind of kill once, in a random order and at a random create of its run; then runs
    // that are left alone until the work is done.
    const modes: KillMode[] = ['taken', 'before_taken', 'after_answer'].sort(() => random() - 0.5) as KillMode[];
    const kills: Record<KillMode, number> = { taken: 0, before_taken: 0, after_answer: 0, none: 0 };
    let runs = 0;
    for (; runs < MAX_RUNS; runs++) {
      const steps = await firstSteps();
      if (steps.every((s) => s.status === 'done')) break;
      // Only reconciliation left: wait until the claims may be reconciled rather than spin.
      if (!steps.some((s) => s.status === 'pending')) await untilClaimsSettle();
      const mode = modes[runs] ?? 'none';
      const run = cli(['outreach', 'run'], mode, 5 + Math.floor(random() * 40));
      current = run;
      await run.exited;
      current = null;
      if (run.killed) kills[mode]++;
      else expect(run.child.exitCode, run.stderr).toBe(0);
    }

    const steps = await firstSteps();
    const summary = { seed, runs, kills, created: fake.created.length };
    expect(steps.filter((s) => s.status !== 'done'), JSON.stringify(summary)).toEqual([]);
    expect(kills, JSON.stringify(summary)).toEqual({ taken: 1, before_taken: 1, after_answer: 1, none: 0 });

    // Exactly one SMS per driver at the provider.
    const perNumber = new Map<string, number>();
    for (const r of fake.created) perNumber.set(r.to, (perNumber.get(r.to) ?? 0) + 1);
    expect(fake.created.every((r) => r.kind === 'message')).toBe(true);
    expect(perNumber.size).toBe(DRIVERS);
    expect([...perNumber.values()].filter((n) => n !== 1)).toEqual([]);
    // Every message the provider took has exactly one row, with its SID; no other notice rows.
    const messages = await look((db) => db.selectFrom('messages').select(['provider_sid', 'phone', 'status']).where('direction', '=', 'out').where('purpose', '=', 'notice').execute());
    expect(messages).toHaveLength(DRIVERS);
    expect(new Set(messages.map((m) => m.provider_sid))).toEqual(new Set(fake.created.map((r) => r.sid)));
    expect(await look((db) => db.selectFrom('outreach_steps').select('id').where('status', '=', 'sending').execute())).toEqual([]);
  }, 120_000);
});
