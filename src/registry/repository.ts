import { CompiledQuery, sql, type Kysely } from 'kysely';
import { bulkInsert } from '../db/bulk.ts';
import { jsonRows, jsonRowSource, rowsPerStatement, type SqlLimits } from '../db/limits.ts';
import type { DB } from '../db/schema/index.ts';
import type { ImportRow, LicenceColumns, LicenceRow, QueuedImportRow } from '../db/schema/registry.ts';
import { deadBefore, failBatchIf, type LeaseTiming } from '../shared/lease.ts';
import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { maskIdNumber } from '../shared/mask.ts';
import { KnownRows, NO_FINGERPRINT, rowFingerprint } from './known-rows.ts';
import type { ValidRow } from './parse-registry.ts';
import type { RowError } from './validate.ts';

/** The stored columns of a licence, in one fixed order for bulk inserts. */
export const LICENCE_COLUMNS = [
  'file_number', 'id_cipher', 'id_hash', 'id_masked', 'birth_date', 'sex', 'name', 'phone', 'phone_kind',
  'address', 'community', 'classes', 'first_issued_on', 'valid_until', 'extension_until',
  'last_cert_submitted_on', 'status', 'lat', 'lng', 'row_hash',
] as const satisfies readonly (keyof LicenceColumns)[];

/**
 * Columns whose change makes a re-import an update (id_hash stands for the ID and all it derives;
 * a row's fingerprint alone does not: finishImport refreshes it apart).
 */
const COMPARED = LICENCE_COLUMNS.filter((c) => !['file_number', 'id_cipher', 'id_masked', 'birth_date', 'sex', 'row_hash'].includes(c));

/**
 * Staged rows travel as flat value lists, `PER_ROW` values a row: the licence columns, each a
 * string where it can be (the sqlite3 driver binds a string at about half the cost of a number or
 * a null). '' stands for null in the nullable columns (none of them can be the empty string);
 * numbers stay numbers where SQLite's conversion from text could change the last bit of a double
 * (lat, lng).
 */
export const PER_ROW = LICENCE_COLUMNS.length + 1; // and `refresh` (ValidRow.refresh)
const NULLABLE = new Set<string>(['community', 'valid_until', 'extension_until', 'last_cert_submitted_on', 'lat', 'lng']);

/**
 * The rows of one parsed batch in their stored form (the ID number encrypted - all of a batch's in
 * one call - hashed and masked) as a flat value list. Built where the rows are parsed (the parser
 * thread) and handed over at once: rows that stay alive across garbage collections cost far more
 * than short-lived ones.
 */
export function stagedRows(rows: readonly ValidRow[], cipher: PersonalDataCipher): unknown[] {
  const sealed = cipher.encryptMany(rows.map((r) => r.record.idNumber));
  const values: unknown[] = [];
  rows.forEach((row, i) => appendStaged(values, row, sealed[i]!, cipher));
  return values;
}

/**
 * Cuts staged rows, as they arrive, into the parameter blocks of full staging statements (one
 * prepared statement serves them all); `take(true)` adds the partial last block.
 */
export class StatementBlocks {
  #parts: unknown[][] = [];
  #values = 0;
  readonly #size: number;

  constructor(limits: SqlLimits) {
    this.#size = rowsPerStatement(limits, PER_ROW) * PER_ROW;
  }

  add(values: unknown[]): void {
    if (values.length === 0) return;
    this.#parts.push(values);
    this.#values += values.length;
  }

  /** The full blocks gathered so far, and with `end` the rest as a last, shorter block. */
  take(end: boolean): unknown[][] {
    const size = this.#size;
    const all = this.#parts.length === 1 ? this.#parts[0]! : ([] as unknown[]).concat(...this.#parts);
    const blocks: unknown[][] = [];
    let at = 0;
    for (; all.length - at >= size || (end && at < all.length); at += size) blocks.push(all.slice(at, at + size));
    const rest = all.slice(at);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#values = rest.length;
    return blocks;
  }

  /** Rows waiting for a full block. */
  get rows(): number {
    return this.#values / PER_ROW;
  }
}

/** The look-up hash and the fingerprint go as decimal strings: exact for 53-bit integers. */
function appendStaged(values: unknown[], row: ValidRow, idCipher: string, cipher: PersonalDataCipher): void {
  const record = row.record;
  const idHash = cipher.hash(record.idNumber);
  values.push(
    record.fileNumber,
    idCipher,
    String(idHash),
    maskIdNumber(record.idNumber),
    record.birthDate,
    record.sex,
    record.name,
    record.phone,
    record.phoneKind,
    record.address,
    record.community ?? '',
    record.classes.join(' '),
    record.firstIssuedOn,
    record.validUntil ?? '',
    record.extensionUntil ?? '',
    record.lastCertSubmittedOn ?? '',
    record.status,
    record.lat ?? '',
    record.lng ?? '',
    String(rowFingerprint(row.cellsHash, idHash)),
    row.refresh ? '1' : '0',
  );
}

/**
 * Each import stages its rows in a table of its own, dropped when it ends: dropping a table is
 * far cheaper than deleting a million rows, and no row needs an import id.
 */
export function stagingTable(importId: string): string {
  if (!/^[\w-]{1,64}$/.test(importId)) throw new Error('an import id is a UUID');
  return `${STAGING_PREFIX}${importId.replaceAll('-', '_')}`;
}

const STAGING_PREFIX = 'import_staging_';

/**
 * The staging table of an import; created in the batch that records the import's start, with the
 * licence columns and their types (affinities) taken from `licences` itself.
 */
export function createStagingTable(importId: string): CompiledQuery {
  const columns = LICENCE_COLUMNS.map((c) => `"${c}"`).join(', ');
  return CompiledQuery.raw(`CREATE TABLE "${stagingTable(importId)}" AS SELECT ${columns}, CAST(0 AS INTEGER) AS refresh FROM licences WHERE false`);
}

function dropStagingTable(table: string): CompiledQuery {
  return CompiledQuery.raw(`DROP TABLE IF EXISTS "${table}"`);
}

/**
 * The staging INSERTs for blocks of sealed rows from StatementBlocks. Nearly all are full blocks,
 * so one prepared statement serves them all; the last block of an import has its own.
 */
export function stageRows(limits: SqlLimits, importId: string, blocks: unknown[][]): CompiledQuery[] {
  const table = stagingTable(importId);
  if (limits.bulk.form === 'json') {
    const text = `INSERT INTO "${table}" ${STAGED_JSON_SOURCE}`;
    return blocks.map((block) => CompiledQuery.raw(text, [jsonRows(block, PER_ROW)]));
  }
  return blocks.map((block) => {
    const rows = block.length / PER_ROW;
    const key = `${table}|${rows}`;
    let text = stagingSql.get(key);
    if (!text) {
      if (stagingSql.size > 64) stagingSql.clear();
      text = `INSERT INTO "${table}" VALUES ${Array(rows).fill(STAGED_TUPLE).join(', ')}`;
      stagingSql.set(key, text);
    }
    return CompiledQuery.raw(text, block);
  });
}

const stagingSql = new Map<string, string>();
const STAGED_TUPLE = `(${LICENCE_COLUMNS.map((c) => (NULLABLE.has(c) ? "nullif(?, '')" : '?')).join(', ')}, ?)`;
const STAGED_JSON_SOURCE = jsonRowSource(PER_ROW, (expr, k) => (NULLABLE.has(LICENCE_COLUMNS[k]!) ? `nullif(${expr}, '')` : expr));

/** Rejected rows with their errors; the row's line is the key, so each error is stored without it. */
export function rejectRows(
  limits: SqlLimits,
  importId: string,
  rows: ReadonlyArray<{ line: number; cellsCipher: string; errors: readonly RowError[] }>,
): CompiledQuery[] {
  return bulkInsert(
    limits,
    'import_rejected_rows',
    ['import_id', 'line', 'cells_cipher', 'errors'],
    rows.map((r) => [importId, r.line, r.cellsCipher, JSON.stringify(r.errors.map(({ field, code, message, text }) => ({ field, code, message, text })))]),
  );
}

const cols = (prefix: string) => sql.raw(COMPARED.map((c) => `${prefix}."${c}"`).join(', '));

/**
 * The statements that finish an import, for one atomic batch. The counts come from the upsert
 * itself, so they are exact even with another import running: the licences counted before and
 * after it give the inserted rows, its changes() the inserted and updated ones (a row equal to the
 * stored one is not written: a second import of a file changes nothing), and the rest of the
 * staged rows were unchanged, as are the rows the parser found known (`known`, never staged).
 * The statement after the upsert must read changes() at once. A row an import found known at its
 * start is left as it is even if another import running meanwhile changed it ([choice]: it
 * brought nothing new).
 *
 * `rebuildIndexes` (from `bulkLoadIndexes`): secondary indexes of `licences` to drop before the
 * upsert and create again, as they were, after it - cheaper than updating them row by row when the
 * import brings more rows than the registry holds (a first load: 0.9 s of 4.3 s for a million).
 */
export function finishImport(
  db: Kysely<DB>,
  input: { importId: string; at: string; totalRows: number; rejected: number; known?: number; refresh?: boolean; warnings: string[]; rebuildIndexes?: LicenceIndex[] },
): CompiledQuery[] {
  const { importId, at } = input;
  const table = sql.table(stagingTable(importId));
  const licences = sql<number>`(SELECT count(*) FROM licences)`;
  const staged = sql<number>`(SELECT count(*) FROM ${table})`;
  const setList = sql.raw([...LICENCE_COLUMNS.slice(1), 'import_id', 'updated_at'].map((c) => `"${c}" = excluded."${c}"`).join(', '));
  const names = sql.raw(LICENCE_COLUMNS.map((c) => `"${c}"`).join(', '));
  const rebuild = input.rebuildIndexes ?? [];
  return [
    // An import taken over (its heartbeat stalled for a whole lease) must store nothing.
    importStillRunning(db, importId),
    // inserted holds minus the licences before the upsert until the last statement
    db.updateTable('imports').set({ inserted: sql<number>`-${licences}` }).where('id', '=', importId).where('status', '=', 'running').compile(),
    ...rebuild.map((index) => CompiledQuery.raw(`DROP INDEX IF EXISTS "${index.name}"`)),
    sql`INSERT INTO licences (${names}, import_id, created_at, updated_at)
        SELECT ${names}, ${importId}, ${at}, ${at} FROM ${table} WHERE true
        ON CONFLICT (file_number) DO UPDATE SET ${setList}
        WHERE (${cols('licences')}) IS NOT (${cols('excluded')})`.compile(db),
    // every right-hand side reads the row as it was: `inserted` is still minus the count before
    db
      .updateTable('imports')
      .set({
        status: 'completed',
        finished_at: at,
        total_rows: input.totalRows,
        rejected: input.rejected,
        warnings: JSON.stringify(input.warnings),
        inserted: sql<number>`inserted + ${licences}`,
        updated: sql<number>`changes() - (inserted + ${licences})`,
        unchanged: sql<number>`${staged} - changes() + ${input.known ?? 0}`,
      })
      .where('id', '=', importId)
      .where('status', '=', 'running')
      .compile(),
    // The fingerprint of a row stored with another one (or none) whose values did not change:
    // the upsert left it as it was (ValidRow.refresh). Only when there are such rows: the
    // statement reads the whole staging table.
    ...(input.refresh === false
      ? []
      : [
          sql`UPDATE licences SET row_hash = s.row_hash FROM ${table} s
            WHERE s.refresh = 1 AND licences.file_number = s.file_number AND licences.row_hash IS NOT s.row_hash`.compile(db),
        ]),
    ...rebuild.map((index) => CompiledQuery.raw(index.sql)),
    dropStagingTable(stagingTable(importId)),
  ];
}

export interface LicenceIndex {
  name: string;
  /** Its CREATE INDEX statement, as the migrations wrote it. */
  sql: string;
}

/**
 * The secondary indexes of `licences` to rebuild around the upsert of `stagedRows` (see
 * finishImport): all of them when the registry holds fewer licences than the import brings, else
 * none (a re-import of the whole registry updates them in place at less cost).
 */
export async function bulkLoadIndexes(db: Kysely<DB>, stagedRows: number): Promise<LicenceIndex[]> {
  const { n } = await db.selectFrom('licences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (stagedRows === 0 || Number(n) >= stagedRows) return [];
  const indexes = await sql<LicenceIndex>`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'licences' AND sql IS NOT NULL ORDER BY name`.execute(db);
  return indexes.rows;
}

/**
 * Every licence's stored fingerprint by file number, for an import's known rows (known-rows.ts),
 * read in pages as screening reads licences. Licences born before the oldest birth date the ID
 * check accepts today are left out: their rows must be validated (and rejected) again.
 */
export async function knownRowsOf(db: Kysely<DB>, oldestBirthDate: string): Promise<KnownRows> {
  const { n } = await db.selectFrom('licences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const known = new KnownRows(1 << Math.max(10, Math.ceil(Math.log2(Number(n) * 2 + 1))));
  const page = `SELECT group_concat(printf('%s,%s', file_number, ifnull(row_hash, ${NO_FINGERPRINT})), ';') AS page, max(rid) AS last
    FROM (SELECT rowid AS rid, file_number, row_hash FROM licences WHERE rowid > ? AND birth_date >= ? ORDER BY rowid LIMIT 20000)`;
  for (let after = 0; ; ) {
    const { rows } = await db.executeQuery<{ page: string | null; last: number | null }>(CompiledQuery.raw(page, [after, oldestBirthDate]));
    const text = rows[0]?.page;
    if (!text || rows[0]?.last == null) return known;
    for (let at = 0; at < text.length; ) {
      const comma = text.indexOf(',', at);
      let end = text.indexOf(';', comma);
      if (end < 0) end = text.length;
      known.set(Number(text.slice(at, comma)), Number(text.slice(comma + 1, end)));
      at = end + 1;
    }
    after = rows[0].last;
  }
}

/** Fails its batch unless the import still holds its lease (is still running). */
function importStillRunning(db: Kysely<DB>, importId: string): CompiledQuery {
  return failBatchIf(db, 'import lease lost', sql`NOT EXISTS (SELECT 1 FROM imports WHERE id = ${importId} AND status = 'running')`);
}

/**
 * The statements that discard a failed import: nothing of it stays but the record of the failure
 * (an import taken over keeps the takeover's record).
 */
export function failImport(db: Kysely<DB>, input: { importId: string; at: string; error: unknown }): CompiledQuery[] {
  return [
    dropStagingTable(stagingTable(input.importId)),
    db.deleteFrom('import_rejected_rows').where('import_id', '=', input.importId).compile(),
    db
      .updateTable('imports')
      .set({ status: 'failed', finished_at: input.at, error: JSON.stringify(input.error) })
      .where('id', '=', input.importId)
      .where('status', '=', 'running')
      .compile(),
  ];
}

/** The UPDATE that refreshes an import's heartbeat: changes no row once the import lost its lease. */
export function importHeartbeat(db: Kysely<DB>, importId: string, at: string): CompiledQuery {
  return db.updateTable('imports').set({ heartbeat_at: at }).where('id', '=', importId).where('status', '=', 'running').compile();
}

/** What a takeover of dead imports does: its statements (one atomic batch) and what they clean up. */
export interface ImportTakeover {
  queries: CompiledQuery[];
  /** Imports marked failed. */
  failed: string[];
  /** Staging tables dropped. */
  dropped: string[];
}

const lastBeat = sql.ref<string>('heartbeat_at');

/**
 * Takes over the imports whose process died (issue 13): a running import whose heartbeat is
 * older than the lease is marked failed and its rejected rows deleted, and every staging table
 * that no live import owns is dropped (a dead import's, or one left with no import row). Reads
 * first (the tables are found in the schema); the batch then fails as a whole (`isGuardFailure`)
 * if one of the imports found dead beat meanwhile, so that a live import never loses its table:
 * read again and retry.
 */
export async function takeOverDeadImports(db: Kysely<DB>, now: Date, timing: LeaseTiming): Promise<ImportTakeover> {
  const before = deadBefore(now, timing);
  const running = await db.selectFrom('imports').select(['id', 'started_at', 'heartbeat_at']).where('status', '=', 'running').execute();
  const dead = running.filter((r) => (r.heartbeat_at ?? r.started_at) < before).map((r) => r.id);
  const owned = new Set(running.filter((r) => !dead.includes(r.id)).map((r) => stagingTable(r.id)));
  const dropped = (await stagingTables(db)).filter((name) => !owned.has(name));
  const ids = sql<string>`(SELECT value FROM json_each(${JSON.stringify(dead)}))`;
  const error = JSON.stringify({ line: null, code: 'abandoned', message: 'the process running the import stopped (its heartbeat stopped)' });
  const queries =
    dead.length === 0
      ? []
      : [
          db
            .updateTable('imports')
            .set({ status: 'failed', finished_at: now.toISOString(), error })
            .where('id', 'in', ids)
            .where('status', '=', 'running')
            .where(sql<string>`coalesce(${lastBeat}, started_at)`, '<', before)
            .compile(),
          failBatchIf(db, 'a dead import beat again', sql`EXISTS (SELECT 1 FROM imports WHERE id IN ${ids} AND status = 'running')`),
          db.deleteFrom('import_rejected_rows').where('import_id', 'in', ids).compile(),
        ];
  return { queries: [...queries, ...dropped.map(dropStagingTable)], failed: dead, dropped };
}

/** The staging tables present (an import's while it runs, or one left by a stopped process). */
export async function stagingTables(db: Kysely<DB>): Promise<string[]> {
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ${STAGING_PREFIX.length}) = ${STAGING_PREFIX} ORDER BY name`.execute(db);
  return tables.rows.map((t) => t.name);
}

export async function getImport(db: Kysely<DB>, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * An upload handed to the queue (issue 17), on record until its import starts: importRegistry
 * deletes it in the batch that records the start (`unqueueImport`).
 */
export function queueImport(db: Kysely<DB>, input: { importId: string; staffId: string | null; filename: string | null; bytes: number; at: string }): CompiledQuery {
  return db
    .insertInto('import_queue')
    .values({ id: input.importId, staff_id: input.staffId, source: 'api', filename: input.filename, bytes: input.bytes, queued_at: input.at })
    .compile();
}

export function unqueueImport(db: Kysely<DB>, importId: string): CompiledQuery {
  return db.deleteFrom('import_queue').where('id', '=', importId).compile();
}

export async function getQueuedImport(db: Kysely<DB>, id: string): Promise<QueuedImportRow | undefined> {
  return db.selectFrom('import_queue').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Queued imports, newest first (a handful at most: each is a large file waiting for the consumer). */
export async function queuedImports(db: Kysely<DB>, options: { queuedBefore?: string } = {}): Promise<QueuedImportRow[]> {
  let q = db.selectFrom('import_queue').selectAll().orderBy('queued_at', 'desc').orderBy('id', 'desc');
  if (options.queuedBefore) q = q.where('queued_at', '<', options.queuedBefore);
  return q.execute();
}

/**
 * A queued import that will not start (its upload is gone, or it waited too long): recorded as a
 * failed import with the reason, as an import that failed in its request is, and out of the queue.
 */
export function failQueuedImport(db: Kysely<DB>, input: { importId: string; at: string; error: unknown }): CompiledQuery[] {
  return [
    sql`INSERT INTO imports (id, staff_id, source, filename, status, started_at, finished_at, error)
        SELECT id, staff_id, source, filename, 'failed', queued_at, ${input.at}, ${JSON.stringify(input.error)} FROM import_queue WHERE id = ${input.importId}`.compile(db),
    unqueueImport(db, input.importId),
  ];
}

export async function getLicence(db: Kysely<DB>, fileNumber: string): Promise<LicenceRow | undefined> {
  return db.selectFrom('licences').selectAll().where('file_number', '=', fileNumber).executeTakeFirst();
}
