import { env as bindings } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import worker from '../../src/entry/worker.ts';
import { composeWorker, type WorkerEnv } from '../../src/entry/compose-worker.ts';
import { giveUpStaleQueuedImports, QUEUED_IMPORT_GIVE_UP_HOURS, runQueuedImport, type UploadsBucket } from '../../src/entry/worker-imports.ts';
import { queueImport } from '../../src/registry/repository.ts';
import { fixedClock, type ImportJob } from '../../src/ports.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { openTempDatabase } from '../helpers/temp-db-d1.ts';

/**
 * Large registry uploads on a Worker: the request streams the CSV into R2 (miniflare's local
 * bucket) and queues the job; the consumer imports it. The Queue is the process edge here: a
 * recording producer, whose messages the test delivers to the Worker's queue() as Cloudflare would.
 */
const DATA_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 5 + 3)).toString('base64');
const ctx = { waitUntil: () => undefined };
const uploads = bindings.UPLOADS as UploadsBucket & { list(): Promise<{ objects: unknown[] }> };

describe('a large registry upload on a Worker', () => {
  const opened: Array<Awaited<ReturnType<typeof openTempDatabase>>> = [];
  afterEach(async () => Promise.all(opened.splice(0).map((d) => d.cleanup())));

  async function setUp() {
    const database = await openTempDatabase();
    opened.push(database);
    const sent: ImportJob[] = [];
    const env: WorkerEnv = {
      DB: database.binding,
      UPLOADS: uploads,
      IMPORTS: { send: async (job) => void sent.push(job) },
      DATA_KEY,
      LOG_LEVEL: 'error',
      IMPORT_QUEUE_MIN_BYTES: '2000',
    };
    const { deps, ready } = composeWorker(env);
    await ready;
    const { token } = await addStaff(deps, { name: '测试管理员', role: 'admin', createdBy: null });
    const call = (path: string, init: RequestInit = {}) =>
      worker.fetch(new Request(`https://checkup.example.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } }), env, ctx);
    const deliver = (jobs: ImportJob[]) => {
      const acked: ImportJob[] = [];
      return worker.queue({ messages: jobs.map((body) => ({ body, ack: () => void acked.push(body) })) }, env).then(() => acked);
    };
    return { deps, sent, call, deliver };
  }

  const upload = (call: (path: string, init?: RequestInit) => Promise<Response>, text: string) =>
    call('/api/registry/imports', { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(text)) }, body: text });

  it('answers 202 with the id, keeps the file in R2, and the consumer imports it all once', async () => {
    const { sent, call, deliver } = await setUp();
    const file = csv(Array.from({ length: 40 }, (_, i) => row(`3715000001${String(i).padStart(2, '0')}`)));
    const res = await upload(call, file);
    expect(res.status).toBe(202);
    const { id, status } = (await res.json()) as { id: string; status: string };
    expect(status).toBe('queued');
    expect(res.headers.get('location')).toBe(`/api/registry/imports/${id}`);
    expect(sent).toEqual([{ importId: id, staffId: expect.any(String), filename: null }]);
    expect((await uploads.list()).objects).toHaveLength(1);
    // On record from the answer on: queued, nothing counted yet, first in the history.
    const waiting = (await (await call(`/api/registry/imports/${id}`)).json()) as Record<string, unknown>;
    expect(waiting).toMatchObject({ id, status: 'queued', source: 'api', totalRows: 0, finishedAt: null, error: null });
    expect(((await (await call('/api/registry/imports')).json()) as { items: unknown[] }).items).toMatchObject([{ id, status: 'queued' }]);
    expect(await (await call(`/api/registry/imports/${id}/errors`)).json()).toEqual({ items: [], nextCursor: null });

    expect(await deliver(sent)).toEqual(sent);
    const done = (await (await call(`/api/registry/imports/${id}`)).json()) as Record<string, unknown>;
    expect(done).toMatchObject({ id, status: 'completed', totalRows: 40, inserted: 40, rejected: 0 });
    expect((await uploads.list()).objects).toHaveLength(0);
    // Delivered again (queues deliver at least once): nothing is imported twice.
    expect(await deliver(sent)).toEqual(sent);
    const imports = (await (await call('/api/registry/imports')).json()) as { items: unknown[] };
    expect(imports.items).toMatchObject([{ id, status: 'completed' }]);
  });

  it('leaves a job alone that another delivery started first, and keeps its upload for it', async () => {
    const { deps, sent, call, deliver } = await setUp();
    await upload(call, csv(Array.from({ length: 30 }, (_, i) => row(`3715000004${String(i).padStart(2, '0')}`))));
    const job = sent[0]!;
    // The other delivery's start, as importRegistry records it (running, out of the queue).
    await deps.atomic([
      deps.db.insertInto('imports').values({ id: job.importId, staff_id: job.staffId, source: 'api', filename: null, status: 'running', started_at: deps.clock.now().toISOString(), heartbeat_at: deps.clock.now().toISOString() }).compile(),
      deps.db.deleteFrom('import_queue').where('id', '=', job.importId).compile(),
    ]);
    const started = { importId: job.importId, staffId: job.staffId, filename: null };
    expect(await runQueuedImport(deps, uploads, started)).toBe('already');
    expect((await uploads.list()).objects).toHaveLength(1);
    // Both deliveries at once: the second one's start fails on the import's key, and it stands back.
    await deps.db.deleteFrom('imports').where('id', '=', job.importId).execute();
    await deps.atomic([queueImport(deps.db, { importId: job.importId, staffId: job.staffId, filename: null, bytes: 1, at: deps.clock.now().toISOString() })]);
    const [first, second] = await Promise.all([deliver([job]), runQueuedImport(deps, uploads, job).catch((err: unknown) => err)]);
    expect(first).toEqual([job]);
    expect(['already', 'imported']).toContain(second);
    expect(await (await call(`/api/registry/imports/${job.importId}`)).json()).toMatchObject({ status: 'completed', inserted: 30 });
    expect(await deps.db.selectFrom('import_queue').selectAll().execute()).toEqual([]);
  });

  it('records a job whose upload is gone, and one that never started, as failed imports that say what to do', async () => {
    const { deps, sent, call, deliver } = await setUp();
    const text = csv(Array.from({ length: 30 }, (_, i) => row(`3715000005${String(i).padStart(2, '0')}`)));
    await upload(call, text);
    await uploads.delete(`registry-imports/${sent[0]!.importId}.csv`);
    await deliver(sent);
    const gone = (await (await call(`/api/registry/imports/${sent[0]!.importId}`, { headers: { 'accept-language': 'en' } })).json()) as { status: string; error: { message: string } };
    expect(gone).toMatchObject({ status: 'failed', finishedAt: expect.any(String) });
    expect(gone.error.message).toMatch(/upload the file again/);

    await upload(call, text);
    const lost = sent[1]!.importId; // its job never delivered
    expect(await giveUpStaleQueuedImports(deps, uploads)).toEqual([]); // not waited long enough yet
    const later = { ...deps, clock: fixedClock(new Date(Date.now() + (QUEUED_IMPORT_GIVE_UP_HOURS * 60 + 1) * 60_000).toISOString()) };
    expect(await giveUpStaleQueuedImports(later, uploads)).toEqual([lost]);
    expect(await (await call(`/api/registry/imports/${lost}`)).json()).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/did not start within 6 hours/) } });
    expect((await uploads.list()).objects).toHaveLength(0);
    expect(await deps.db.selectFrom('import_queue').selectAll().execute()).toEqual([]);
    expect(await deps.db.selectFrom('licences').select('file_number').execute()).toEqual([]);
  });

  it('records a broken file as a failed import and stores none of its rows, as in a request', async () => {
    const { deps, sent, call, deliver } = await setUp();
    const rows = Array.from({ length: 30 }, (_, i) => row(`3715000002${String(i).padStart(2, '0')}`));
    const res = await upload(call, csv(rows) + '371599999999,"unterminated\n');
    expect(res.status).toBe(202);
    await deliver(sent);
    const id = sent[0]!.importId;
    expect(await (await call(`/api/registry/imports/${id}`)).json()).toMatchObject({ status: 'failed' });
    expect(await deps.db.selectFrom('licences').select('file_number').execute()).toEqual([]);
    expect((await uploads.list()).objects).toHaveLength(0);
  });

  it('imports a small upload in the request, as on Node', async () => {
    const { sent, call } = await setUp();
    const res = await upload(call, csv([row('371500000301')]));
    expect(res.status).toBe(201);
    expect(sent).toEqual([]);
  });
});
