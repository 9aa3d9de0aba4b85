import { CompiledQuery, sql, type Kysely } from 'kysely';
import { bulkInsert } from '../db/bulk.ts';
import type { DB } from '../db/schema/index.ts';
import type { ImportRow, LicenceColumns, LicenceRow } from '../db/schema/registry.ts';
import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { maskIdNumber } from '../shared/mask.ts';
import type { LicenceRecord } from './licence.ts';
import type { RowError } from './validate.ts';

/** The stored columns of a licence, in one fixed order for bulk inserts. */
export const LICENCE_COLUMNS = [
  'file_number', 'id_cipher', 'id_hash', 'id_masked', 'birth_date', 'sex', 'name', 'phone', 'phone_kind',
  'address', 'community', 'classes', 'first_issued_on', 'valid_until', 'extension_until',
  'last_cert_submitted_on', 'status', 'lat', 'lng',
] as const satisfies readonly (keyof LicenceColumns)[];

/** Columns whose change makes a re-import an update (id_hash stands for the ID and all it derives). */
const COMPARED = LICENCE_COLUMNS.filter((c) => !['file_number', 'id_cipher', 'id_masked', 'birth_date', 'sex'].includes(c));

const STAGING_COLUMNS = ['import_id', 'line', ...LICENCE_COLUMNS] as const;
/** Rows per staging statement: SQLite allows 32,766 bound values. */
const STAGE_ROWS_PER_STATEMENT = Math.floor(16000 / (STAGING_COLUMNS.length - 1));

/**
 * Adds a validated record, as stored values (the ID number encrypted, hashed and masked), to
 * `block`: the flat parameter list of one staging statement. Slot 0 of a block is reserved for the
 * import id (`?1` in every row), so a block is built once, off the main thread, and bound as is.
 */
function appendStaged(block: unknown[], line: number, record: LicenceRecord, cipher: PersonalDataCipher): void {
  block.push(
    line,
    record.fileNumber,
    cipher.encrypt(record.idNumber),
    cipher.hash(record.idNumber),
    maskIdNumber(record.idNumber),
    record.birthDate,
    record.sex,
    record.name,
    record.phone,
    record.phoneKind,
    record.address,
    record.community,
    record.classes.join(' '),
    record.firstIssuedOn,
    record.validUntil,
    record.extensionUntil,
    record.lastCertSubmittedOn,
    record.status,
    record.lat,
    record.lng,
  );
}

/** Blocks of staged rows: `[importIdSlot, ...row, ...row]`, each within STAGE_ROWS_PER_STATEMENT. */
export function stagedBlocks(rows: ReadonlyArray<{ line: number; record: LicenceRecord }>, cipher: PersonalDataCipher): unknown[][] {
  const blocks: unknown[][] = [];
  for (let start = 0; start < rows.length; start += STAGE_ROWS_PER_STATEMENT) {
    const block: unknown[] = [null];
    for (const r of rows.slice(start, start + STAGE_ROWS_PER_STATEMENT)) appendStaged(block, r.line, r.record, cipher);
    blocks.push(block);
  }
  return blocks;
}

const stagingSql = new Map<number, string>();

/** The staging INSERT for blocks from `stagedBlocks`; the import id is bound once, as `?1`. */
export function stageRows(importId: string, blocks: unknown[][]): CompiledQuery[] {
  const perRow = STAGING_COLUMNS.length - 1;
  return blocks.map((block) => {
    const rows = (block.length - 1) / perRow;
    let text = stagingSql.get(rows);
    if (!text) {
      const tuple = `(?1, ${Array(perRow).fill('?').join(', ')})`;
      text = `INSERT INTO import_staging (${STAGING_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}`;
      stagingSql.set(rows, text);
    }
    block[0] = importId;
    return CompiledQuery.raw(text, block);
  });
}

/** Rejected rows with their errors; the row's line is the key, so each error is stored without it. */
export function rejectRows(
  importId: string,
  rows: ReadonlyArray<{ line: number; cellsCipher: string; errors: readonly RowError[] }>,
): CompiledQuery[] {
  return bulkInsert(
    'import_rejected_rows',
    ['import_id', 'line', 'cells_cipher', 'errors'],
    rows.map((r) => [importId, r.line, r.cellsCipher, JSON.stringify(r.errors.map(({ field, code, message }) => ({ field, code, message })))]),
  );
}

const cols = (prefix: string) => sql.raw(COMPARED.map((c) => `${prefix}."${c}"`).join(', '));

/**
 * The statements that finish an import, for one atomic batch. The counts come from the upsert
 * itself, so they are exact even with another import running: the licences counted before and
 * after it give the inserted rows, its changes() the inserted and updated ones (a row equal to the
 * stored one is not written: a second import of a file changes nothing), and the rest of the
 * staged rows were unchanged. The statement after the upsert must read changes() at once.
 */
export function finishImport(
  db: Kysely<DB>,
  input: { importId: string; at: string; totalRows: number; rejected: number; warnings: string[] },
): CompiledQuery[] {
  const { importId, at } = input;
  const licences = sql<number>`(SELECT count(*) FROM licences)`;
  const staged = sql<number>`(SELECT count(*) FROM import_staging s WHERE s.import_id = ${importId})`;
  const setList = sql.raw([...LICENCE_COLUMNS.slice(1), 'import_id', 'updated_at'].map((c) => `"${c}" = excluded."${c}"`).join(', '));
  const names = sql.raw(LICENCE_COLUMNS.map((c) => `"${c}"`).join(', '));
  return [
    // inserted holds minus the licences before the upsert until the last statement
    db.updateTable('imports').set({ inserted: sql<number>`-${licences}` }).where('id', '=', importId).where('status', '=', 'running').compile(),
    sql`INSERT INTO licences (${names}, import_id, created_at, updated_at)
        SELECT ${names}, ${importId}, ${at}, ${at} FROM import_staging WHERE import_id = ${importId}
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
        unchanged: sql<number>`${staged} - changes()`,
      })
      .where('id', '=', importId)
      .where('status', '=', 'running')
      .compile(),
    db.deleteFrom('import_staging').where('import_id', '=', importId).compile(),
  ];
}

/** The statements that discard a failed import: nothing of it stays but the record of the failure. */
export function failImport(db: Kysely<DB>, input: { importId: string; at: string; error: unknown }): CompiledQuery[] {
  return [
    db.deleteFrom('import_staging').where('import_id', '=', input.importId).compile(),
    db.deleteFrom('import_rejected_rows').where('import_id', '=', input.importId).compile(),
    db
      .updateTable('imports')
      .set({ status: 'failed', finished_at: input.at, error: JSON.stringify(input.error) })
      .where('id', '=', input.importId)
      .compile(),
  ];
}

/** An import still `running` after this long was left by a process that stopped. */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000;

/** Marks abandoned imports failed and drops every staged row that no running import owns. */
export function abandonStaleImports(db: Kysely<DB>, now: Date): CompiledQuery[] {
  const error = JSON.stringify({ line: null, code: 'abandoned', message: 'the process running the import stopped' });
  return [
    db
      .updateTable('imports')
      .set({ status: 'failed', finished_at: now.toISOString(), error })
      .where('status', '=', 'running')
      .where('started_at', '<', new Date(now.getTime() - ABANDONED_AFTER_MS).toISOString())
      .compile(),
    sql`DELETE FROM import_staging WHERE import_id NOT IN (SELECT id FROM imports WHERE status = 'running')`.compile(db),
  ];
}

export async function getImport(db: Kysely<DB>, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getLicence(db: Kysely<DB>, fileNumber: string): Promise<LicenceRow | undefined> {
  return db.selectFrom('licences').selectAll().where('file_number', '=', fileNumber).executeTakeFirst();
}
