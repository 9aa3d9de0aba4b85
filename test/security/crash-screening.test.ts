/**
 * Crash drill of the screening (issue 13, item 9): `cli screen --as-of D2` in a child process is
 * SIGKILLed at kill points chosen at random (its run recorded, a heartbeat written, cases staged,
 * every case staged), over a registry last screened as of D1. Then the start-up recovery or the
 * next `cli screen` runs. Each time: the cases are exactly the D1 set or the D2 set (compared with
 * a run that completed), never a mix; no staging table, no run left `running`; and a new
 * screening starts at once (no 409) and gives the D2 set.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRegistryCsv } from '../../src/demo/demo-data.ts';
import { recoverInterruptedWork } from '../../src/recovery.ts';
import { runScreening } from '../../src/screening/run.ts';
import { addDays } from '../../src/shared/civil-date.ts';
import { todayIn } from '../../src/shared/time.ts';
import { CHILD_LEASE_SECONDS, childEnv, copyDatabase, depsOver, killWhen, pick, Reader, removeDir, runCli, tempDir } from './crash-drill.ts';

const LICENCES = 30_000;
const D1 = todayIn(new Date());
const D2 = addDays(D1, 200);

let work: string;
let baseDb: string;
let oldSet: CaseSet;
let newSet: CaseSet;
/** Cases the D2 run stages (new, changed or reopened): what its last batch writes. */
let toStage: number;

interface CaseSet {
  digest: string;
  rows: string[];
}

/** Every case with what a run decides of it (ids, runs and timestamps aside), as one digest. */
async function caseSet(path: string): Promise<CaseSet> {
  const db = await Reader.open(path);
  try {
    const rows = await db.all<Record<string, unknown>>(
      `SELECT file_number, category, trigger_on, opens_on, due_on, lapses_on, overdue, target_classes, needs_cognitive_test, reason, status
       FROM cases ORDER BY file_number, category, trigger_on`,
    );
    const lines = rows.map((r) => JSON.stringify(Object.values(r)));
    return { digest: `${lines.length}:${createHash('sha256').update(lines.join('\n')).digest('hex')}`, rows: lines };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  work = tempDir('screen');
  const file = join(work, 'registry.csv');
  await writeRegistryCsv({ count: LICENCES, seed: 11, today: D1, out: file });
  const baseDir = join(work, 'base');
  await runCli(['import', file], childEnv(baseDir));
  await runCli(['screen', '--as-of', D1], childEnv(baseDir));
  baseDb = join(baseDir, 'checkup.db');
  oldSet = await caseSet(baseDb);
  const reference = copyDatabase(baseDb, 'screen-ref');
  await runCli(['screen', '--as-of', D2], childEnv(reference.dir));
  newSet = await caseSet(reference.path);
  removeDir(reference.dir);
  expect(newSet.digest).not.toBe(oldSet.digest);
  // An open case of D2 is staged unless the D1 set holds it open with the same content.
  const openBefore = new Set(oldSet.rows.filter((r) => r.endsWith('"open"]')));
  toStage = newSet.rows.filter((r) => r.endsWith('"open"]') && !openBefore.has(r)).length;
  expect(toStage).toBeGreaterThan(10_000); // more than one staging batch: kills land between them
}, 120_000);

afterAll(() => removeDir(work));

const running = async (db: Reader) => db.all<{ id: string; heartbeat_at: string; started_at: string }>(`SELECT id, heartbeat_at, started_at FROM screening_runs WHERE status = 'running'`);

function stagedAtLeast(n: () => number) {
  return async (db: Reader) => {
    const [table] = await db.tables('screening_staging_');
    return table !== undefined && (await db.count(table)) >= n();
  };
}

let threshold = 1;
const KILL_POINTS = {
  'run recorded': async (db: Reader) => (await running(db)).length > 0,
  'a heartbeat after the start': async (db: Reader) => (await running(db)).some((r) => r.heartbeat_at > r.started_at),
  'some cases staged': stagedAtLeast(() => threshold),
  'every case staged (the publishing batch due)': stagedAtLeast(() => toStage),
} as const;
type KillPoint = keyof typeof KILL_POINTS;

async function leftovers(path: string) {
  const db = await Reader.open(path);
  try {
    return { staging: await db.tables('screening_staging_'), running: (await running(db)).length };
  } finally {
    await db.close();
  }
}

describe('a screening run killed at a random point', () => {
  it('leaves the old cases or the new ones, never a mix, and no staging table or stuck lock after recovery or the next run', async () => {
    let midRun = 0;
    const seen: string[] = [];
    for (let round = 0; round < 10 && !(round >= 4 && midRun >= 2); round++) {
      const point = round < 4 ? (Object.keys(KILL_POINTS)[round] as KillPoint) : pick(Object.keys(KILL_POINTS) as KillPoint[]);
      threshold = 1 + Math.floor(Math.random() * toStage);
      const copy = copyDatabase(baseDb, 'screen-drill');
      try {
        const { killed } = await killWhen(['screen', '--as-of', D2], childEnv(copy.dir), copy.path, KILL_POINTS[point]);
        const db = await Reader.open(copy.path);
        const [runningAtKill] = await running(db);
        await db.close();
        if (killed && runningAtKill) midRun++;
        seen.push(`${point}: ${killed ? (runningAtKill ? 'killed mid-run' : 'killed outside the run') : 'finished first'}`);

        const state = (await caseSet(copy.path)).digest;
        expect([oldSet.digest, newSet.digest]).toContain(state);
        if (killed && runningAtKill) expect(state).toBe(oldSet.digest);

        if (round % 2 === 0) {
          // The start-up recovery (its clock past the lease), then a new run at once: no 409.
          const deps = await depsOver(copy.dir, 60_000);
          try {
            const recovered = await recoverInterruptedWork(deps);
            if (runningAtKill) expect(recovered.screeningRunsFailed).toEqual([runningAtKill.id]);
            expect(await leftovers(copy.path)).toEqual({ staging: [], running: 0 });
            expect((await caseSet(copy.path)).digest).toBe(state);
            const run = await runScreening(deps, { asOf: D2, staffId: null, trigger: 'cli' });
            expect(run.status).toBe('completed');
          } finally {
            await deps.close();
          }
        } else {
          // The next `cli screen`, once the killed child's heartbeat is older than the lease.
          if (runningAtKill) await waitUntilOlderThanLease(runningAtKill.heartbeat_at);
          await runCli(['screen', '--as-of', D2], childEnv(copy.dir));
        }
        expect(await leftovers(copy.path)).toEqual({ staging: [], running: 0 });
        expect((await caseSet(copy.path)).digest).toBe(newSet.digest);
      } finally {
        removeDir(copy.dir);
      }
    }
    if (process.env.DRILL_VERBOSE) console.log(seen.join("\n"));
    expect(midRun, seen.join('\n')).toBeGreaterThanOrEqual(1);
  }, 150_000);
});

/** Waits (for the condition, not a fixed time) until a heartbeat is older than the children's lease. */
async function waitUntilOlderThanLease(heartbeatAt: string): Promise<void> {
  while (Date.now() - Date.parse(heartbeatAt) <= CHILD_LEASE_SECONDS * 1000 + 100) await new Promise((r) => setTimeout(r, 50));
}
