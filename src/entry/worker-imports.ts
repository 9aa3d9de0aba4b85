import type { AppDeps } from '../http/env.ts';
import type { ImportHandoff, ImportJob } from '../ports.ts';
import { AppError } from '../errors.ts';
import { describeAppError, importRegistry, ImportNotStarted } from '../registry/import-service.ts';
import { failQueuedImport, getImport, queuedImports } from '../registry/repository.ts';

/** The parts of the R2 bucket and Queue bindings used here (structural, as D1Like). */
export interface UploadsBucket {
  put(key: string, body: ReadableStream<Uint8Array>): Promise<unknown>;
  get(key: string): Promise<{ body: ReadableStream<Uint8Array> } | null>;
  delete(key: string): Promise<void>;
}
export interface ImportQueue {
  send(job: ImportJob): Promise<void>;
}

const uploadKey = (importId: string) => `registry-imports/${importId}.csv`;

/**
 * A Worker's hand-off of large registry uploads (issue 17): the request streams the CSV into R2
 * and queues the job; the queue consumer (`queue()` in worker.ts) imports it. A request has the
 * CPU time of a few hundred thousand rows; a consumer invocation may have minutes (wrangler.toml
 * `[limits] cpu_ms`).
 */
export function r2QueueHandoff(uploads: UploadsBucket, queue: ImportQueue, minBytes: number): ImportHandoff {
  return {
    minBytes,
    async hand(upload, job) {
      await uploads.put(uploadKey(job.importId), upload.body);
      await queue.send(job);
    },
  };
}

/** A queued import that has not started after this long is recorded as failed (the cron's sweep). */
export const QUEUED_IMPORT_GIVE_UP_HOURS = 6;

/**
 * One queued job: the same importRegistry as a request's, with the id the request answered, so
 * the result is the same all-or-nothing import with the same progress and record. Queues
 * deliver at least once: a job whose import has started (done, failed, or running in another
 * delivery) is left alone. The upload is deleted once the import has its outcome; a job that
 * could not start because the database did not answer throws, and the queue delivers it again.
 */
export async function runQueuedImport(deps: AppDeps, uploads: UploadsBucket, job: ImportJob): Promise<'imported' | 'failed' | 'already' | 'missing'> {
  if (await getImport(deps.db, job.importId)) return 'already';
  const object = await uploads.get(uploadKey(job.importId));
  if (!object) {
    deps.logger.error('queued import has no upload', { importId: job.importId });
    const error = describeAppError(AppError.keyed('not_found', { key: 'queued_import_upload_missing' }));
    await deps.atomic(failQueuedImport(deps.db, { importId: job.importId, at: deps.clock.now().toISOString(), error }));
    return 'missing';
  }
  try {
    await importRegistry(deps, { source: object.body, staffId: job.staffId, origin: 'api', filename: job.filename, importId: job.importId });
    await uploads.delete(uploadKey(job.importId));
    return 'imported';
  } catch (err) {
    if (err instanceof ImportNotStarted) {
      // Started by another delivery of the job meanwhile, which deletes the upload when done.
      if (await getImport(deps.db, job.importId)) return 'already';
      throw err; // still queued: the queue delivers the job again
    }
    // A file error or a failed write: importRegistry recorded the import as failed, with the reason.
    deps.logger.warn('queued import failed', { importId: job.importId, error: err instanceof Error ? err.message : String(err) });
    await uploads.delete(uploadKey(job.importId));
    return 'failed';
  }
}

/**
 * Queued imports that never started - their job's deliveries all failed, or it was lost - are
 * recorded as failed, with what to do, once they have waited QUEUED_IMPORT_GIVE_UP_HOURS; their
 * uploads are deleted. Run by the cron (worker-cron.ts).
 */
export async function giveUpStaleQueuedImports(deps: AppDeps, uploads: UploadsBucket): Promise<string[]> {
  const now = deps.clock.now();
  const stale = await queuedImports(deps.db, { queuedBefore: new Date(now.getTime() - QUEUED_IMPORT_GIVE_UP_HOURS * 3_600_000).toISOString() });
  const error = describeAppError(AppError.keyed('conflict', { key: 'queued_import_not_started', params: { hours: QUEUED_IMPORT_GIVE_UP_HOURS } }));
  for (const queued of stale) {
    await deps.atomic(failQueuedImport(deps.db, { importId: queued.id, at: now.toISOString(), error }));
    await uploads.delete(uploadKey(queued.id));
    deps.logger.warn('queued import given up', { importId: queued.id, queuedAt: queued.queued_at });
  }
  return stale.map((q) => q.id);
}
