/**
 * Issue 13, items 8 and 9: imports and screening runs hold a lease with a heartbeat. A dead one
 * (heartbeat older than RUN_LEASE_SECONDS = 30 s) is taken over in seconds, a live one never,
 * and a job that lost its lease stores nothing. The clock is injected; nothing waits for time.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeRegistryCsv } from '../../src/demo/demo-data.ts';
import type { Atomic } from '../../src/ports.ts';
import { fixedClock } from '../../src/ports.ts';
import { recoverInterruptedWork } from '../../src/recovery.ts';
import { importRegistry } from '../../src/registry/import-service.ts';
import { createStagingTable, importHeartbeat, stageRows, stagingTable, stagingTables } from '../../src/registry/repository.ts';
import { runStagingTables } from '../../src/screening/repository.ts';
import { startDailyScreening } from '../../src/screening/daily.ts';
import { runScreening } from '../../src/screening/run.ts';
import { leaseTiming, startHeartbeat } from '../../src/shared/lease.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

const NOW = '2026-11-26T02:00:00.000Z';
const at = (secondsBefore: number) => new Date(Date.parse(NOW) - secondsBefore * 1000).toISOString();
const STAGED = ['371500000099', 'cipher', '1', 'masked', '1950-01-01', 'M', 'x', 'x', 'mobile', 'x', '', 'C1', '1970-01-01', '', '', '', 'active', '', '', '1', '0'];

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ now: NOW });
});
afterEach(async () => t.cleanup());

/** An import left `running` by some process, its heartbeat `secondsAgo` old, with a staged and a rejected row. */
async function runningImport(id: string, secondsAgo: number) {
  await t.deps.atomic([
    t.deps.db.insertInto('imports').values({ id, staff_id: null, source: 'cli', filename: null, status: 'running', started_at: at(600), heartbeat_at: at(secondsAgo) }).compile(),
    createStagingTable(id),
    ...stageRows(t.deps.sqlLimits, id, [STAGED]),
    t.deps.db.insertInto('import_rejected_rows').values({ import_id: id, line: 2, cells_cipher: 'sealed', errors: '[]' }).compile(),
  ]);
}

async function runningRun(id: string, secondsAgo: number) {
  await t.deps.db
    .insertInto('screening_runs')
    .values({ id, staff_id: null, trigger: 'cli', as_of: '2026-11-26', lead_days: 60, renewal_min_age: 60, status: 'running', started_at: at(600), heartbeat_at: at(secondsAgo) })
    .execute();
  await sql.raw(`CREATE TABLE "screening_staging_${id.replaceAll('-', '_')}" (x)`).execute(t.deps.db);
}

const importStatus = async (id: string) => (await t.deps.db.selectFrom('imports').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow());
const runStatus = async (id: string) => (await t.deps.db.selectFrom('screening_runs').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow());
const rejectedOf = async (id: string) => (await t.deps.db.selectFrom('import_rejected_rows').select('line').where('import_id', '=', id).execute()).length;

/** A registry of `count` synthetic licences, imported. */
async function seedRegistry(count: number) {
  const file = join(t.deps.config.DATA_DIR, `registry-${count}.csv`);
  await writeRegistryCsv({ count, seed: 7, today: '2026-11-26', out: file });
  await importRegistry(t.deps, { source: createReadStream(file), staffId: null, origin: 'cli', filename: null });
}

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

const caseSet = async () =>
  (await t.deps.db.selectFrom('cases').select(['file_number', 'category', 'trigger_on', 'status', 'due_on', 'first_run_id']).orderBy('file_number').orderBy('category').orderBy('trigger_on').execute());

/** The atomic port, with `before` run (on the real one) ahead of the first batch that `when` picks. */
function atomicWithHook(when: (sqlTexts: string[]) => boolean, before: () => Promise<void>): Atomic {
  let done = false;
  return async (queries) => {
    if (!done && when(queries.map((q) => q.sql))) {
      done = true;
      await before();
    }
    return t.deps.atomic(queries);
  };
}

describe('the lease of an import', () => {
  it('is taken over by the next import once its heartbeat is older than the lease: failed, staging and rejected rows gone', async () => {
    await runningImport('dead', 31);
    // A staging table with no import row at all (a process killed between two statements of old).
    await t.deps.atomic([createStagingTable('orphan')]);
    const res = await t.request('/api/registry/imports', { method: 'POST', body: csv([row('371500000001')]), headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(201);
    expect(await importStatus('dead')).toMatchObject({ status: 'failed' });
    expect(JSON.parse((await importStatus('dead')).error!)).toMatchObject({ code: 'abandoned' });
    expect(await rejectedOf('dead')).toBe(0);
    expect(await stagingTables(t.deps.db)).toEqual([]);
  });

  it('is not taken over while its heartbeat is fresh', async () => {
    await runningImport('live', 29);
    const res = await t.request('/api/registry/imports', { method: 'POST', body: csv([row('371500000001')]), headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(201);
    expect(await importStatus('live')).toMatchObject({ status: 'running' });
    expect(await stagingTables(t.deps.db)).toEqual([stagingTable('live')]);
    expect(await rejectedOf('live')).toBe(1);
  });

  it('is taken over by the start-up recovery, which spares a live one', async () => {
    await runningImport('dead', 45);
    await runningImport('live', 5);
    await t.deps.atomic([createStagingTable('orphan')]);
    const recovered = await recoverInterruptedWork(t.deps);
    expect(recovered).toEqual({ importsFailed: ['dead'], screeningRunsFailed: [], stagingTablesDropped: [stagingTable('dead'), stagingTable('orphan')] });
    expect(await importStatus('live')).toMatchObject({ status: 'running' });
    expect(await stagingTables(t.deps.db)).toEqual([stagingTable('live')]);
    // Nothing left to do the second time.
    expect(await recoverInterruptedWork(t.deps)).toEqual({ importsFailed: [], screeningRunsFailed: [], stagingTablesDropped: [] });
  });

  it('once lost, lets the import store nothing: its last batch fails as a whole', async () => {
    const file = csv([row('371500000001'), row('371500000002')]);
    // Another process takes the import over just before its last batch (as after a long stall).
    const atomic = atomicWithHook(
      (texts) => texts.some((s) => s.startsWith('INSERT INTO licences')),
      async () => {
        await t.deps.db.updateTable('imports').set({ status: 'failed', error: '{"code":"abandoned"}' }).where('status', '=', 'running').execute();
      },
    );
    const outcome = importRegistry({ ...t.deps, atomic }, { source: once(file), staffId: null, origin: 'cli', filename: null });
    await expect(outcome).rejects.toMatchObject({ code: 'conflict' });
    expect(await t.deps.db.selectFrom('licences').selectAll().execute()).toEqual([]);
    const imp = await t.deps.db.selectFrom('imports').select(['status', 'error', 'inserted']).executeTakeFirstOrThrow();
    expect(imp).toEqual({ status: 'failed', error: '{"code":"abandoned"}', inserted: 0 }); // the takeover's record stays
    expect(await stagingTables(t.deps.db)).toEqual([]);
  });

  it('is found lost by the heartbeat, which then stops the holder', async () => {
    await runningImport('mine', 0);
    const timing = leaseTiming({ RUN_LEASE_SECONDS: 1 });
    const heartbeat = startHeartbeat({ ...t.deps, logger: silentLogger }, 'import', timing, (when) => importHeartbeat(t.deps.db, 'mine', when));
    t.clock.set('2026-11-26T02:00:05.000Z');
    await vi.waitFor(async () => expect((await t.deps.db.selectFrom('imports').select('heartbeat_at').executeTakeFirstOrThrow()).heartbeat_at).toBe('2026-11-26T02:00:05.000Z'));
    expect(heartbeat.lost).toBe(false);
    await t.deps.db.updateTable('imports').set({ status: 'failed' }).where('id', '=', 'mine').execute();
    await vi.waitFor(() => expect(heartbeat.lost).toBe(true));
    expect(() => heartbeat.check()).toThrow(/taken over/);
    await heartbeat.stop();
  });
});

describe('the lease of a screening run', () => {
  it('is taken over by the next run once its heartbeat is older than the lease, in seconds, not an hour', async () => {
    await runningRun('0000-dead', 31);
    const res = await postJson(t, '/api/screenings', {});
    expect(res.status).toBe(201);
    expect(await runStatus('0000-dead')).toMatchObject({ status: 'failed', error: expect.stringContaining('abandoned') });
    expect(await runStagingTables(t.deps.db)).toEqual([]);
  });

  it('is not taken over while its heartbeat is fresh: 409, and its staging table stays', async () => {
    await runningRun('0000-live', 29);
    const res = await postJson(t, '/api/screenings', {});
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect(await runStatus('0000-live')).toMatchObject({ status: 'running' });
    expect(await runStagingTables(t.deps.db)).toEqual(['screening_staging_0000_live']);
    // 31 s later without a heartbeat, it is dead.
    t.clock.set('2026-11-26T02:00:02.000Z');
    expect((await postJson(t, '/api/screenings', {})).status).toBe(201);
  });

  it('is taken over by the start-up recovery', async () => {
    await runningRun('0000-dead', 300);
    const recovered = await recoverInterruptedWork(t.deps);
    expect(recovered).toEqual({ importsFailed: [], screeningRunsFailed: ['0000-dead'], stagingTablesDropped: ['screening_staging_0000_dead'] });
    expect((await postJson(t, '/api/screenings', {})).status).toBe(201);
  });

  it('once lost, publishes nothing: the last batch fails as a whole, and the old cases stay', async () => {
    await seedRegistry(3000);
    await runScreening(t.deps, { asOf: '2026-11-26', staffId: null, trigger: 'cli' });
    const before = await caseSet();
    expect(before.length).toBeGreaterThan(100);
    const atomic = atomicWithHook(
      (texts) => texts.some((s) => s.includes('lease_guard') && s.includes('screening_runs')),
      async () => {
        await t.deps.db.updateTable('screening_runs').set({ status: 'failed', error: 'taken over' }).where('status', '=', 'running').execute();
      },
    );
    await expect(runScreening({ ...t.deps, atomic }, { asOf: '2027-06-01', staffId: null, trigger: 'cli' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await caseSet()).toEqual(before);
    expect(await runStagingTables(t.deps.db)).toEqual([]);
  });

  it('once taken over by a newer run, publishes nothing and leaves the newer run\'s result untouched', async () => {
    await seedRegistry(3000);
    await runScreening(t.deps, { asOf: '2026-11-26', staffId: null, trigger: 'cli' });
    const later = fixedClock('2026-11-26T02:01:00.000Z'); // the old run's heartbeat is 60 s old then
    let newer: Awaited<ReturnType<typeof runScreening>> | undefined;
    let afterNewer: Awaited<ReturnType<typeof caseSet>> = [];
    const atomic = atomicWithHook(
      (texts) => texts.some((s) => s.includes('lease_guard') && s.includes('screening_runs')),
      async () => {
        newer = await runScreening({ ...t.deps, clock: later }, { asOf: '2027-01-15', staffId: null, trigger: 'schedule' });
        afterNewer = await caseSet();
      },
    );
    await expect(runScreening({ ...t.deps, atomic }, { asOf: '2027-06-01', staffId: null, trigger: 'cli' })).rejects.toMatchObject({ code: 'conflict' });
    expect(newer?.status).toBe('completed');
    expect(await caseSet()).toEqual(afterNewer);
    const runs = await t.deps.db.selectFrom('screening_runs').select(['as_of', 'status']).orderBy('as_of').execute();
    expect(runs).toEqual([
      { as_of: '2026-11-26', status: 'completed' },
      { as_of: '2027-01-15', status: 'completed' },
      { as_of: '2027-06-01', status: 'failed' },
    ]);
    expect(await runStagingTables(t.deps.db)).toEqual([]);
    expect((await postJson(t, '/api/screenings', {})).status).toBe(201);
  });

  it('is waited out by the daily start-up run: a run found in progress is tried again after a lease, and taken over if dead', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await runningRun('0000-just-died', 1); // a restart one second after a crash mid-run
      const daily = startDailyScreening(t.deps); // 10:00 in Shanghai: today's 02:00 run is due
      // The first try met the run in progress (409) and waits for a lease: its timer is set.
      while (vi.getTimerCount() === 0) await new Promise((r) => setImmediate(r));
      expect(await runStatus('0000-just-died')).toMatchObject({ status: 'running' });
      t.clock.set('2026-11-26T02:00:40.000Z');
      await vi.advanceTimersByTimeAsync(40_000);
      await daily.ready;
      daily.stop();
      expect(await runStatus('0000-just-died')).toMatchObject({ status: 'failed' });
      const runs = await t.deps.db.selectFrom('screening_runs').select(['trigger', 'status']).where('id', '<>', '0000-just-died').execute();
      expect(runs).toEqual([{ trigger: 'schedule', status: 'completed' }]);
    } finally {
      vi.useRealTimers();
    }
  });
});
