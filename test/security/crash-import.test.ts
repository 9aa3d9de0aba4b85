/**
 * Crash drill of the registry import (issue 13, item 8): `cli import` in a child process is
 * SIGKILLed at kill points chosen at random (its import row recorded, a heartbeat written, rows
 * staged, every row staged), then the start-up recovery or the next `cli import` runs. Each time:
 * no staging table left, no import left `running`, and the registry is exactly its state before
 * the import or after it, never a mix.
 */
import { createHash } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRegistryRows } from '../../src/demo/demo-data.ts';
import { recoverInterruptedWork } from '../../src/recovery.ts';
import { toCsvLine } from '../../src/registry/csv-write.ts';
import { importRegistry } from '../../src/registry/import-service.ts';
import { todayIn } from '../../src/shared/time.ts';
import { CHILD_LEASE_SECONDS, childEnv, copyDatabase, depsOver, killWhen, pick, Reader, removeDir, runCli, tempDir } from './crash-drill.ts';

/** The registry before the import: BASE rows. The import brings NEW rows, the first BASE of them with every 7th changed. */
const BASE = 5_000;
const NEW = 12_000;

let work: string;
let baseDb: string;
let fileB: string;
let before: string;
let after: string;

/** The registry's content (the ID number by its keyed hash: its cipher differs at each encryption), as one digest. */
async function registryDigest(path: string): Promise<string> {
  const db = await Reader.open(path);
  try {
    const rows = await db.all<Record<string, unknown>>(
      `SELECT file_number, id_hash, id_masked, birth_date, sex, name, phone, phone_kind, address, community, classes,
        first_issued_on, valid_until, extension_until, last_cert_submitted_on, status, lat, lng FROM licences ORDER BY file_number`,
    );
    return `${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
  } finally {
    await db.close();
  }
}

function writeCsv(path: string, count: number, changeEvery: number | null): void {
  const [header, ...rows] = [...generateRegistryRows({ count, seed: 5, today: todayIn(new Date()) })] as [string[], ...string[][]];
  const address = header.indexOf('address');
  const changed = rows.map((r, i) => (changeEvery !== null && i < BASE && i % changeEvery === 0 ? r.map((c, j) => (j === address ? `${c}（新）` : c)) : r));
  writeFileSync(path, [header, ...changed].map((r) => toCsvLine(r)).join(''));
}

beforeAll(async () => {
  work = tempDir('import');
  const fileA = join(work, 'a.csv');
  fileB = join(work, 'b.csv');
  writeCsv(fileA, BASE, null);
  writeCsv(fileB, NEW, 7);
  const baseDir = join(work, 'base');
  await runCli(['import', fileA], childEnv(baseDir));
  baseDb = join(baseDir, 'checkup.db');
  before = await registryDigest(baseDb);
  const reference = copyDatabase(baseDb, 'import-ref');
  await runCli(['import', fileB], childEnv(reference.dir));
  after = await registryDigest(reference.path);
  removeDir(reference.dir);
  expect(before).not.toBe(after);
  expect(after.startsWith(`${NEW}:`)).toBe(true);
}, 120_000);

afterAll(() => removeDir(work));

/** Kill points: conditions on the child's database. */
const KILL_POINTS = {
  'import recorded': async (db: Reader) => (await db.all(`SELECT 1 FROM imports WHERE status = 'running'`)).length > 0,
  'a heartbeat after the start': async (db: Reader) => (await db.all(`SELECT 1 FROM imports WHERE status = 'running' AND heartbeat_at > started_at`)).length > 0,
  'some rows staged': (() => {
    let atLeast = 1;
    return Object.assign(
      async (db: Reader) => {
        const [table] = await db.tables('import_staging_');
        return table !== undefined && (await db.count(table)) >= atLeast;
      },
      { reset: () => (atLeast = 1 + Math.floor(Math.random() * NEW * 0.9)) },
    );
  })(),
  'every row staged (the last batch due)': async (db: Reader) => {
    const [table] = await db.tables('import_staging_');
    return table !== undefined && (await db.count(table)) >= NEW;
  },
} as const;

async function leftovers(path: string) {
  const db = await Reader.open(path);
  try {
    return {
      staging: await db.tables('import_staging_'),
      running: (await db.all(`SELECT id FROM imports WHERE status = 'running'`)).length,
      rejectedRowsOfFailed: (await db.all(`SELECT 1 FROM import_rejected_rows r JOIN imports i ON i.id = r.import_id WHERE i.status = 'failed'`)).length,
    };
  } finally {
    await db.close();
  }
}

describe('a registry import killed at a random point', () => {
  it('leaves the registry as it was or as imported, and no staging data or stuck import, after recovery or the next import', async () => {
    let midRun = 0;
    const seen: string[] = [];
    for (let round = 0; round < 10 && !(round >= 4 && midRun >= 2); round++) {
      const point = round < 4 ? (Object.keys(KILL_POINTS)[round] as keyof typeof KILL_POINTS) : pick(Object.keys(KILL_POINTS) as (keyof typeof KILL_POINTS)[]);
      const condition = KILL_POINTS[point];
      if ('reset' in condition) condition.reset();
      const copy = copyDatabase(baseDb, 'import-drill');
      try {
        const { killed } = await killWhen(['import', fileB], childEnv(copy.dir), copy.path, condition);
        const db = await Reader.open(copy.path);
        const runningAtKill = (await db.all<{ id: string; heartbeat_at: string }>(`SELECT id, heartbeat_at FROM imports WHERE status = 'running'`))[0];
        await db.close();
        if (killed && runningAtKill) midRun++;
        seen.push(`${point}: ${killed ? (runningAtKill ? 'killed mid-run' : 'killed outside the run') : 'finished first'}`);

        const state = await registryDigest(copy.path);
        expect([before, after]).toContain(state);

        if (round % 2 === 0) {
          // The start-up recovery (its clock past the lease; the killed child beats no more).
          const deps = await depsOver(copy.dir, 60_000);
          try {
            const recovered = await recoverInterruptedWork(deps);
            if (runningAtKill) expect(recovered.importsFailed).toEqual([runningAtKill.id]);
            expect(await leftovers(copy.path)).toEqual({ staging: [], running: 0, rejectedRowsOfFailed: 0 });
            expect(await registryDigest(copy.path)).toBe(state);
            // A new import starts at once and completes.
            await importRegistry(deps, { source: createReadStream(fileB), staffId: null, origin: 'cli', filename: null });
          } finally {
            await deps.close();
          }
        } else {
          // The next `cli import`, once the killed child's heartbeat is older than the lease.
          if (runningAtKill) await waitUntilOlderThanLease(runningAtKill.heartbeat_at);
          await runCli(['import', fileB], childEnv(copy.dir));
        }
        expect(await leftovers(copy.path)).toEqual({ staging: [], running: 0, rejectedRowsOfFailed: 0 });
        expect(await registryDigest(copy.path)).toBe(after);
      } finally {
        removeDir(copy.dir);
      }
    }
    if (process.env.DRILL_VERBOSE) console.log(seen.join("\n"));
    expect(midRun, seen.join('\n')).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

/** Waits (for the condition, not a fixed time) until a heartbeat is older than the children's lease. */
async function waitUntilOlderThanLease(heartbeatAt: string): Promise<void> {
  while (Date.now() - Date.parse(heartbeatAt) <= CHILD_LEASE_SECONDS * 1000 + 100) await new Promise((r) => setTimeout(r, 50));
}
