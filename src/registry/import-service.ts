import { AppError } from '../errors.ts';
import type { MessageRef } from '../i18n/messages.ts';
import type { AppDeps } from '../http/env.ts';
import { todayIn } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { CsvFileError } from './csv.ts';
import type { CompiledQuery } from 'kysely';
import { isGuardFailure, leaseLost, leaseTiming, startHeartbeat, type LeaseTiming } from '../shared/lease.ts';
import {
  bulkLoadIndexes,
  createStagingTable,
  failImport,
  finishImport,
  importHeartbeat,
  knownRowsOf,
  rejectRows,
  stageRows,
  StatementBlocks,
  takeOverDeadImports,
  type ImportTakeover,
  unqueueImport,
} from './repository.ts';
import type { SealedBatch } from './seal.ts';
import { oldestBirthDate } from './id-number.ts';
import type { RowError } from './validate.ts';

export type ImportDeps = Pick<AppDeps, 'db' | 'atomic' | 'sqlLimits' | 'clock' | 'ids' | 'logger' | 'config' | 'registryParser'>;
type TakeoverDeps = Pick<AppDeps, 'db' | 'atomic' | 'clock'>;

export interface ImportInput {
  source: AsyncIterable<Uint8Array>;
  staffId: string | null;
  origin: 'api' | 'cli';
  filename: string | null;
  /** Known before the import starts when it was handed off (ImportHandoff); else a new one. */
  importId?: string;
}


/**
 * A handed-off import (`importId` given) whose start could not be recorded: nothing of it was
 * stored. Either another delivery of its job started it first (it is then in `imports`), or the
 * database did not answer (it is still queued; the job may be delivered again).
 */
export class ImportNotStarted extends Error {
  override readonly name = 'ImportNotStarted';
  constructor(
    readonly importId: string,
    cause: unknown,
  ) {
    super('the import could not be started', { cause });
  }
}

/** At most this many row errors come back inline; all of them are in the import's error list. */
export const INLINE_ERRORS = 100;
/**
 * Rows written per atomic batch (about three full statements): few enough commits to be fast,
 * few enough rows held on the main thread that they die young. With 5,000 the million-row
 * benchmark peaked at 380-420 MB of RSS (the main thread's heap grew with promoted rows), with
 * 2,500 at 330 MB, in the same time.
 */
const FLUSH_ROWS = 2500;

export interface ImportOutcome {
  id: string;
  errors: RowError[];
}

/**
 * Imports a registry file (RULES.md §2), streaming: valid rows are staged, in a table of the
 * import's own, batch by batch while the next batch is parsed; only when the whole file
 * has been read without a file error are they upserted into the registry, in one atomic batch. A
 * file error discards everything staged.
 */
export async function importRegistry(deps: ImportDeps, input: ImportInput): Promise<ImportOutcome> {
  const importId = input.importId ?? deps.ids.next();
  const now = () => deps.clock.now().toISOString();
  const timing = leaseTiming(deps.config);
  // Dead imports are taken over in the batch that records this one's start (issue 13).
  try {
    await withDeadImportsTakenOver(deps, timing, () => [
      deps.db
        .insertInto('imports')
        .values({ id: importId, staff_id: input.staffId, source: input.origin, filename: input.filename, status: 'running', started_at: now(), heartbeat_at: now() })
        .compile(),
      createStagingTable(importId),
      // A queued upload (issue 17) leaves the queue as it starts; the primary key of `imports`
      // makes a second delivery of its job fail here instead of importing it twice.
      ...(input.importId ? [unqueueImport(deps.db, importId)] : []),
    ]);
  } catch (err) {
    throw input.importId ? new ImportNotStarted(importId, err) : err;
  }
  const heartbeat = startHeartbeat(deps, 'import', timing, (at) => importHeartbeat(deps.db, importId, at));
  try {
    return await runImport(deps, input, importId, heartbeat);
  } finally {
    await heartbeat.stop();
  }
}

async function runImport(deps: ImportDeps, input: ImportInput, importId: string, heartbeat: { check(): void }): Promise<ImportOutcome> {
  const now = () => deps.clock.now().toISOString();
  const writer = new BatchWriter(deps, importId);
  const errors: RowError[] = [];
  const warnings: string[] = [];
  let totalRows = 0;
  let rejected = 0;
  let knownRows = 0;
  let refreshRows = 0;
  try {
    const today = todayIn(deps.clock.now());
    const known = deps.registryParser.knownRows ? await knownRowsOf(deps.db, oldestBirthDate(today)) : undefined;
    const options = { today, maxRecordBytes: deps.config.MAX_RECORD_BYTES, known: known && { keys: known.keys, values: known.values } };
    for await (const batch of deps.registryParser(input.source, options)) {
      heartbeat.check();
      warnings.push(...batch.warnings);
      knownRows += batch.knownCount;
      refreshRows += batch.refreshCount;
      if (batch.header) {
        // Column names only (no personal data): the rejected-rows download repeats the header as sent.
        await deps.db.updateTable('imports').set({ header: JSON.stringify(batch.header) }).where('id', '=', importId).execute();
      }
      totalRows += batch.stagedCount + batch.rejected.length + batch.knownCount;
      rejected += batch.rejected.length;
      for (const r of batch.rejected) {
        if (errors.length < INLINE_ERRORS) errors.push(...r.errors.slice(0, INLINE_ERRORS - errors.length));
      }
      await writer.add(batch);
    }
    await writer.close();
    heartbeat.check();
  } catch (err) {
    await writer.close().catch(() => undefined);
    const fileError = describeFailure(err);
    await deps.atomic([
      ...failImport(deps.db, { importId, at: now(), error: fileError }),
      auditEntry(deps, { staffId: input.staffId, action: 'registry.import', subject: importId, details: { status: 'failed', code: fileError.code } }),
    ]);
    deps.logger.warn('registry import rejected', { importId, ...fileError });
    if (err instanceof AppError) throw err;
    if (err instanceof CsvFileError) throw csvFileError(err, { importId, ...fileError });
    throw err;
  }

  const finishing = performance.now();
  try {
    await deps.atomic([
      ...finishImport(deps.db, { importId, at: now(), totalRows, rejected, known: knownRows, refresh: refreshRows > 0, warnings, rebuildIndexes: await bulkLoadIndexes(deps.db, totalRows - rejected - knownRows) }),
      auditEntry(deps, { staffId: input.staffId, action: 'registry.import', subject: importId, details: { status: 'completed', totalRows, rejected } }),
    ]);
  } catch (err) {
    // The batch stored nothing (taken over at the last moment, or a database error): neither
    // may its staging table stay.
    const error = isGuardFailure(err) ? leaseLost('import') : err;
    await deps.atomic(failImport(deps.db, { importId, at: now(), error: describeFailure(error) })).catch(() => undefined);
    throw error;
  }
  deps.logger.info('registry import completed', { importId, totalRows, rejected, finishMs: Math.round(performance.now() - finishing) });
  return { id: importId, errors };
}

/**
 * Runs the takeover of dead imports, with the caller's `extra` statements, in one atomic batch;
 * reads again when it lost a race with an import that looked dead and beat meanwhile (the batch
 * then failed as a whole). Returns what was cleaned up.
 */
export async function withDeadImportsTakenOver(
  deps: TakeoverDeps,
  timing: LeaseTiming,
  extra: () => CompiledQuery[] = () => [],
): Promise<ImportTakeover> {
  for (let attempt = 1; ; attempt++) {
    const takeover = await takeOverDeadImports(deps.db, deps.clock.now(), timing);
    try {
      await deps.atomic([...takeover.queries, ...extra()]);
      return takeover;
    } catch (err) {
      if (!isGuardFailure(err) || attempt >= 3) throw err;
    }
  }
}

/** A file rejected as a whole: the reason in the caller's language, the line-numbered English as the detail. */
function csvFileError(err: CsvFileError, details: unknown): AppError {
  return AppError.keyed('invalid_file', csvFileText(err), details);
}

/**
 * The catalogue sentence of a file error. What its English names (columns, counts; never a cell)
 * is read back from it for the zh-CN sentence; when it cannot be, the sentence without it.
 */
function csvFileText(err: CsvFileError): MessageRef {
  const base = { line: err.line, detail: err.message };
  const columns = err.code === 'missing_column' ? /columns?: (.+?)\.?$/.exec(err.message) : null;
  if (columns) return { key: 'csv_missing_column_named', params: { ...base, columns: columns[1]! } };
  const cells = err.code === 'cell_count' ? /has (\d+) cells but the header has (\d+)/.exec(err.message) : null;
  if (cells) return { key: 'csv_cell_count_of', params: { ...base, cells: cells[1]!, width: cells[2]! } };
  const bytes = err.code === 'record_too_large' ? /longer than (\d+) bytes/.exec(err.message) : null;
  if (bytes) return { key: 'csv_record_longer_than', params: { ...base, bytes: bytes[1]! } };
  return { key: `csv_${err.code}`, params: base };
}

/** How an import's failure is stored (imports.error) for an error of ours. */
export function describeAppError(err: AppError): { line: null; code: string; message: string } {
  return { line: null, code: err.code, message: err.message };
}

function describeFailure(err: unknown): { line: number | null; code: string; message: string } {
  if (err instanceof CsvFileError) return { line: err.line, code: err.code, message: err.message };
  if (err instanceof AppError) return describeAppError(err);
  return { line: null, code: 'internal', message: 'the import stopped on an internal error' };
}

/**
 * Collects staged and rejected rows and writes them in atomic batches of about FLUSH_ROWS rows,
 * the staged ones cut into full statements (the rest waits for the next write, or the last).
 * One write runs while the caller parses the next rows (SQLite works on libuv's thread pool).
 */
class BatchWriter {
  readonly #deps: ImportDeps;
  readonly #importId: string;
  readonly #staged: StatementBlocks;
  #rejected: SealedBatch['rejected'] = [];
  #pending: Promise<unknown> = Promise.resolve();
  #failure: unknown = null;

  constructor(deps: ImportDeps, importId: string) {
    this.#deps = deps;
    this.#importId = importId;
    this.#staged = new StatementBlocks(deps.sqlLimits);
  }

  async add(batch: SealedBatch): Promise<void> {
    this.#staged.add(batch.staged);
    this.#rejected.push(...batch.rejected);
    if (this.#staged.rows + this.#rejected.length >= FLUSH_ROWS) await this.#flush(false);
  }

  async close(): Promise<void> {
    await this.#flush(true);
    await this.#pending;
    if (this.#failure) throw this.#failure;
  }

  async #flush(end: boolean): Promise<void> {
    await this.#pending;
    if (this.#failure) throw this.#failure;
    const queries = [...stageRows(this.#deps.sqlLimits, this.#importId, this.#staged.take(end)), ...rejectRows(this.#deps.sqlLimits, this.#importId, this.#rejected)];
    this.#rejected = [];
    if (queries.length === 0) return;
    this.#pending = this.#deps.atomic(queries).catch((err: unknown) => {
      this.#failure = err;
    });
  }
}
