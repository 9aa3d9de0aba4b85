import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { D1_LIMITS } from '../../src/db/limits.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { decideKeyCheck, KEY_MISMATCH, rotateDataKey } from '../../src/shared/key-rotation.ts';
import { createCipher, keyCheckOf, keyIdOf } from '../../src/shared/personal-data.ts';
import { createTestApp, postCsv, postJson } from '../helpers/app.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { CLI } from '../helpers/program.ts';

// `npm run cli -- rotate-key` (issue 13) on a real database: licences (ID numbers and their keyed
// look-up hash), rejected import rows and an exam's sealed findings, written with an old key.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OLD = randomBytes(32);
const NEW = randomBytes(32);
const LICENCES = 3000;
const BATCH = 200;

let dir: string;
let path: string;
/** What the old key opened before the rotation: the truth to compare with afterwards. */
const before = { ids: new Map<string, string>(), rejected: new Map<string, string>(), medical: new Map<string, string>() };

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function cli(keys: { DATA_KEY?: Buffer; DATA_KEY_PREVIOUS?: Buffer }, ...argv: string[]): Run {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, DATA_DIR: dir, DATABASE_PATH: path, LOG_LEVEL: 'error', LANG: 'en_US.UTF-8' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  if (keys.DATA_KEY) env.DATA_KEY = keys.DATA_KEY.toString('base64');
  if (keys.DATA_KEY_PREVIOUS) env.DATA_KEY_PREVIOUS = keys.DATA_KEY_PREVIOUS.toString('hex');
  const child = spawn(process.execPath, [CLI, ...argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (c: Buffer) => (run.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString()));
  return run;
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openNodeDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await openNodeDatabase(path);
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

const sealedValues = () =>
  withDb(async (db) => ({
    licences: await db.selectFrom('licences').select(['file_number', 'id_cipher', 'id_hash']).execute(),
    rejected: await db.selectFrom('import_rejected_rows').select(['import_id', 'line', 'cells_cipher']).execute(),
    exams: await db.selectFrom('exams').select(['id', 'medical']).execute(),
    notes: await db.selectFrom('visits').select(['id', 'no_show_note']).where('no_show_note', 'is not', null).execute(),
    check: (await db.selectFrom('data_key_check').select('key_check').executeTakeFirst())?.key_check ?? null,
    progress: await db.selectFrom('key_rotation_progress').selectAll().execute(),
  }));

beforeAll(async () => {
  const t = await createTestApp({ dataKey: OLD });
  dir = t.deps.config.DATA_DIR;
  path = t.deps.config.DATABASE_PATH;
  const visits = await bookedVisits(t, [driver(1), driver(2), driver(3)]);
  const [first, second, third] = [...visits.values()];
  for (const visit of [first!, second!]) await recordExam(t, visit);
  // A no-show with the crew's note (sealed on the visit).
  const noShow = await postJson(t, `/api/visits/${third}/no-show`, { reason: 'away', note: '邻居说去女儿家了' }, 'dispatcher');
  expect(noShow.status, await noShow.clone().text()).toBe(200);
  const rows = Array.from({ length: LICENCES }, (_, i) =>
    row(`6${String(i).padStart(11, '0')}`, { birth: `19${40 + (i % 30)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, valid_until: '2034-01-01' }),
  );
  const bad = Array.from({ length: 25 }, (_, i) => row(`7${String(i).padStart(11, '0')}`, { id_number: `bad-${i}` }));
  const res = await postCsv(t, csv([...rows, ...bad]));
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  await t.deps.db.destroy();
  const old = createCipher(OLD);
  const values = await sealedValues();
  for (const l of values.licences) before.ids.set(l.file_number, old.decrypt(l.id_cipher));
  for (const r of values.rejected) before.rejected.set(`${r.import_id}/${r.line}`, old.decrypt(r.cells_cipher));
  for (const e of values.exams) before.medical.set(e.id, old.decrypt(e.medical));
  expect(before.ids.size).toBe(LICENCES + 3);
  expect(before.rejected.size).toBe(25);
  expect(before.medical.size).toBe(2);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run cli -- rotate-key', () => {
  it('refuses without DATA_KEY_PREVIOUS, and while an import runs', async () => {
    const alone = cli({ DATA_KEY: OLD }, 'rotate-key');
    expect(await alone.exited).toBe(1);
    expect(alone.stderr.trim()).toMatch(/^error: DATA_KEY_PREVIOUS is not set: npm run cli -- rotate-key needs DATA_KEY \(the new key\) and DATA_KEY_PREVIOUS/);

    const now = new Date().toISOString();
    await withDb((db) => db.insertInto('imports').values({ id: 'running-import', staff_id: null, source: 'cli', filename: 'x.csv', status: 'running', started_at: now, heartbeat_at: now } as never).execute());
    const busy = cli({ DATA_KEY: NEW, DATA_KEY_PREVIOUS: OLD }, 'rotate-key');
    expect(await busy.exited).toBe(1);
    expect(busy.stderr.trim()).toMatch(/^error: an import is running \(started .*\): run rotate-key when it has finished$/);
    await withDb((db) => db.updateTable('imports').set({ status: 'failed' }).where('id', '=', 'running-import').execute());
    expect((await sealedValues()).licences.every((l) => l.id_cipher.startsWith(`v2.${keyIdOf(OLD)}.`))).toBe(true);
  });

  it('resumes a rotation killed after its first batch, reading either key meanwhile, and completes it', async () => {
    const killed = cli({ DATA_KEY: NEW, DATA_KEY_PREVIOUS: OLD }, 'rotate-key', '--batch', String(BATCH));
    await new Promise<void>((resolve) => {
      killed.child.stdout!.on('data', () => {
        if (/licences\.id_cipher: \d+ of \d+ rows/.test(killed.stdout)) {
          killed.child.kill('SIGKILL');
          resolve();
        }
      });
      void killed.exited.then(() => resolve());
    });
    await killed.exited;
    expect(killed.child.signalCode, killed.stderr).toBe('SIGKILL');

    // Half way: the database still records the old key, the progress row says where it stopped,
    // and every value opens with the two keys together (its look-up hash is one of the two).
    const half = await sealedValues();
    expect(half.check).toBe(keyCheckOf(OLD));
    const licences = half.progress.find((p) => p.target === 'licences.id_cipher')!;
    expect(licences.to_check).toBe(keyCheckOf(NEW));
    expect(licences.rows_done).toBeGreaterThanOrEqual(BATCH);
    expect(licences.rows_done).toBeLessThan(LICENCES);
    const both = createCipher(NEW, OLD);
    const resealed = half.licences.filter((l) => both.sealedWithCurrentKey(l.id_cipher)).length;
    expect(resealed).toBe(licences.rows_done);
    for (const l of half.licences) {
      const id = both.decrypt(l.id_cipher);
      expect(id).toBe(before.ids.get(l.file_number));
      expect(both.hashes(id)).toContain(l.id_hash);
    }

    // The start-up check accepts the new key during the rotation, and says what to do without the old one.
    const serving = cli({ DATA_KEY: NEW, DATA_KEY_PREVIOUS: OLD }, 'staff', 'list');
    expect(await serving.exited, serving.stderr).toBe(0);
    const newOnly = cli({ DATA_KEY: NEW }, 'staff', 'list');
    expect(await newOnly.exited).toBe(1);
    expect(newOnly.stderr.trim()).toBe('error: a rotation to this DATA_KEY is unfinished: set DATA_KEY_PREVIOUS to the key it replaces and run npm run cli -- rotate-key');

    const resumed = cli({ DATA_KEY: NEW, DATA_KEY_PREVIOUS: OLD }, 'rotate-key', '--batch', String(BATCH));
    expect(await resumed.exited, resumed.stderr).toBe(0);
    const lines = resumed.stdout.trim().split('\n');
    expect(lines[0]).toBe(`rotate-key: licences.id_cipher: resuming after ${licences.rows_done} rows`);
    expect(lines).toContain(`rotate-key: licences.id_cipher: ${LICENCES + 3} of ${LICENCES + 3} rows`);
    expect(lines).toContain('rotate-key: import_rejected_rows.cells_cipher: 25 of 25 rows');
    expect(lines).toContain('rotate-key: exams.medical: 2 of 2 rows');
    // the driver's 委托书 of each exam (test/helpers/exams.ts): its signer and its photo
    expect(lines).toContain('rotate-key: authorisations.signer_name: 2 of 2 rows');
    expect(lines).toContain('rotate-key: authorisations.photo: 2 of 2 rows');
    expect(lines).toContain('rotate-key: visits.no_show_note: 1 of 1 rows');
    expect(lines.at(-1)).toBe(
      `rotate-key: done: ${LICENCES + 3 - licences.rows_done + 27 + 4 + 1} values re-sealed; the database now records DATA_KEY; remove DATA_KEY_PREVIOUS and restart the server`,
    );
  }, 60_000);

  it('leaves everything readable with the new key alone, look-ups by ID number working, and the check value updated', async () => {
    const after = await sealedValues();
    const fresh = createCipher(NEW);
    const prefix = `v2.${keyIdOf(NEW)}.`;
    expect(after.check).toBe(keyCheckOf(NEW));
    expect(after.progress).toEqual([]);
    for (const l of after.licences) {
      expect(l.id_cipher.startsWith(prefix)).toBe(true);
      expect(fresh.decrypt(l.id_cipher)).toBe(before.ids.get(l.file_number));
      expect(l.id_hash).toBe(fresh.hash(before.ids.get(l.file_number)!));
    }
    for (const r of after.rejected) expect(fresh.decrypt(r.cells_cipher)).toBe(before.rejected.get(`${r.import_id}/${r.line}`));
    for (const e of after.exams) expect(fresh.decrypt(e.medical)).toBe(before.medical.get(e.id));
    expect(after.notes.map((n) => fresh.decrypt(n.no_show_note!))).toEqual(['邻居说去女儿家了']);
    expect(() => createCipher(OLD).decrypt(after.licences[0]!.id_cipher)).toThrow();

    // A look-up by ID number: the keyed hash under the new key finds the licence.
    const [file, id] = [...before.ids][1234]!;
    const found = await withDb((db) => db.selectFrom('licences').select(['file_number', 'id_cipher']).where('id_hash', '=', fresh.hash(id)).execute());
    expect(found.filter((f) => fresh.decrypt(f.id_cipher) === id).map((f) => f.file_number)).toEqual([file]);

    const newOnly = cli({ DATA_KEY: NEW }, 'staff', 'list');
    expect(await newOnly.exited, newOnly.stderr).toBe(0);
    const again = cli({ DATA_KEY: NEW, DATA_KEY_PREVIOUS: OLD }, 'rotate-key');
    expect(await again.exited).toBe(0);
    expect(again.stdout.trim()).toBe('rotate-key: nothing to do: the database is sealed with DATA_KEY; remove DATA_KEY_PREVIOUS');
  });

  it('refuses the old key alone afterwards, with the clear message', async () => {
    const old = cli({ DATA_KEY: OLD }, 'staff', 'list');
    expect(await old.exited).toBe(1);
    expect(old.stderr.trim()).toMatch(/^error: DATA_KEY does not match the key this database was encrypted with: set DATA_KEY to that key/);
    expect(old.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a rotation beside a process that still seals with the old key', () => {
  it('finds the value written meanwhile with the old key and walks again before it records the new key', async () => {
    const t = await createTestApp({ dataKey: OLD });
    try {
      const res = await postCsv(t, csv(Array.from({ length: 30 }, (_, i) => row(`8${String(i).padStart(11, '0')}`))));
      expect(res.status).toBe(201);
      await t.deps.atomic([t.deps.db.insertInto('data_key_check').values({ id: 1, key_check: keyCheckOf(OLD), recorded_at: '2026-11-26T02:00:00Z' }).compile()]);
      const lines: string[] = [];
      let written = false;
      const progress = (line: string) => {
        lines.push(line);
        if (written || line !== 'rotate-key: licences.id_cipher: 30 of 30 rows') return;
        written = true;
        // A server not restarted with the new key re-imports one licence after the walk passed it.
        void t.deps.db.updateTable('licences').set({ id_cipher: createCipher(OLD).encrypt('371502194001010019') }).where('file_number', '=', '800000000003').execute();
      };
      const summary = await rotateDataKey({ db: t.deps.db, atomic: t.deps.atomic, clock: t.clock, sqlLimits: t.deps.sqlLimits }, { current: NEW, previous: OLD }, { batchSize: 7, progress });
      expect(lines).toContain('rotate-key: values sealed with the old key were written meanwhile (a process still without the new DATA_KEY?): another pass');
      expect(summary.passes).toBe(2);
      const rows = await t.deps.db.selectFrom('licences').select(['file_number', 'id_cipher']).execute();
      expect(rows.every((r) => r.id_cipher.startsWith(`v2.${keyIdOf(NEW)}.`))).toBe(true);
      expect(createCipher(NEW).decrypt(rows.find((r) => r.file_number === '800000000003')!.id_cipher)).toBe('371502194001010019');
      expect((await t.deps.db.selectFrom('data_key_check').select('key_check').executeTakeFirstOrThrow()).key_check).toBe(keyCheckOf(NEW));
    } finally {
      await t.cleanup();
    }
  });
});

describe('a rotation in steps with D1’s statements, as a Worker’s cron runs it', () => {
  it('re-seals a batch or more a step, each batch one JSON statement, until it records the new key', async () => {
    const t = await createTestApp({ dataKey: OLD });
    try {
      const res = await postCsv(t, csv([...Array.from({ length: 45 }, (_, i) => row(`7${String(i).padStart(11, '0')}`)), row('700000000999', { phone: '12345' })]));
      expect(res.status).toBe(201);
      await t.deps.atomic([t.deps.db.insertInto('data_key_check').values({ id: 1, key_check: keyCheckOf(OLD), recorded_at: '2026-11-26T02:00:00Z' }).compile()]);
      const d1 = { db: t.deps.db, atomic: t.deps.atomic, clock: t.clock, sqlLimits: D1_LIMITS };
      const steps = [];
      // Every step's time is up at once: each does its one batch of 10 and stops.
      for (let step = 0; step < 20; step++) {
        const summary = await rotateDataKey(d1, { current: NEW, previous: OLD }, { batchSize: 10, progress: () => undefined, stopAt: 0 });
        steps.push(summary);
        if (summary.finished) break;
      }
      // Licences in five batches (45 rows), then the rejected row, each column's end seen at the next step's first read.
      expect(steps.map((s) => s.finished)).toEqual([false, false, false, false, false, false, true]);
      expect(steps.reduce((n, s) => n + s.resealed, 0)).toBe(46);
      const rows = await t.deps.db.selectFrom('licences').select(['file_number', 'id_cipher', 'id_hash']).execute();
      expect(rows).toHaveLength(45);
      expect(rows.every((r) => r.id_cipher.startsWith(`v2.${keyIdOf(NEW)}.`))).toBe(true);
      // The look-up hash was recomputed under the new key, and stored as a number, as the VALUES form stores it.
      const first = rows.find((r) => r.file_number === '700000000000')!;
      expect(first.id_hash).toBe(createCipher(NEW).hash(createCipher(NEW).decrypt(first.id_cipher)));
      expect(typeof first.id_hash).toBe('number');
      const rejected = await t.deps.db.selectFrom('import_rejected_rows').select('cells_cipher').execute();
      expect(rejected.map((r) => r.cells_cipher.startsWith(`v2.${keyIdOf(NEW)}.`))).toEqual([true]);
      expect((await t.deps.db.selectFrom('data_key_check').select('key_check').executeTakeFirstOrThrow()).key_check).toBe(keyCheckOf(NEW));
      expect(await rotateDataKey(d1, { current: NEW, previous: OLD }, { batchSize: 10, progress: () => undefined, stopAt: 0 })).toEqual({ resealed: 0, passes: 0, finished: true });
    } finally {
      await t.cleanup();
    }
  });
});

describe('the start-up key check (pure)', () => {
  const keys = { current: 'new', previous: null };
  const rotating = { current: 'new', previous: 'old' };
  const never = () => {
    throw new Error('a database with a check value is not sampled');
  };
  it('records the key of a new database, or of one written before check values if a stored value opens with it', () => {
    expect(decideKeyCheck({ stored: null, keys, rotatingTo: null, sample: () => 'none' })).toEqual({ kind: 'record', check: 'new' });
    expect(decideKeyCheck({ stored: null, keys, rotatingTo: null, sample: () => 'current' })).toEqual({ kind: 'record', check: 'new' });
    expect(decideKeyCheck({ stored: null, keys: rotating, rotatingTo: null, sample: () => 'previous' })).toEqual({ kind: 'record', check: 'old' });
    expect(decideKeyCheck({ stored: null, keys, rotatingTo: null, sample: () => 'neither' })).toEqual({ kind: 'refuse', message: `${KEY_MISMATCH} (a stored value does not open with it)` });
  });
  it('accepts the recorded key, and the new key while a rotation from the recorded one is set up', () => {
    expect(decideKeyCheck({ stored: 'new', keys, rotatingTo: null, sample: never })).toEqual({ kind: 'ok', note: null });
    expect(decideKeyCheck({ stored: 'old', keys: rotating, rotatingTo: 'new', sample: never })).toMatchObject({ kind: 'ok', note: expect.stringMatching(/rotate-key/) });
    expect(decideKeyCheck({ stored: 'new', keys: rotating, rotatingTo: null, sample: never })).toMatchObject({ kind: 'ok', note: expect.stringMatching(/DATA_KEY_PREVIOUS can be removed/) });
  });
  it('refuses any other key, saying what to do', () => {
    expect(decideKeyCheck({ stored: 'old', keys, rotatingTo: null, sample: never })).toEqual({ kind: 'refuse', message: KEY_MISMATCH });
    expect(decideKeyCheck({ stored: 'old', keys, rotatingTo: 'new', sample: never })).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/^a rotation to this DATA_KEY is unfinished/) });
    expect(decideKeyCheck({ stored: 'third', keys: rotating, rotatingTo: null, sample: never })).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/^neither DATA_KEY nor DATA_KEY_PREVIOUS matches/) });
  });
});
