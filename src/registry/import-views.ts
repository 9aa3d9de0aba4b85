/**
 * Imports as staff read them, for the API (src/registry/routes.ts) and the console
 * (src/web/office/imports.tsx) alike: the import's view, the history, the row errors, and the
 * rejected rows as CSV lines to correct and import again.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { ImportRow, QueuedImportRow } from '../db/schema/registry.ts';
import { AppError } from '../errors.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { localizeRowError } from '../i18n/localize.ts';
import type { Locale } from '../i18n/locale.ts';
import type { MessageRef } from '../i18n/messages.ts';
import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { toCsvLine } from './csv-write.ts';
import { getImport, getQueuedImport, queuedImports } from './repository.ts';

/** A row error as stored in import_rejected_rows.errors (text: since the catalogue). */
type StoredRowError = { field: string; code: string; message: string; text?: MessageRef };

export function importView(row: ImportRow) {
  return {
    id: row.id,
    status: row.status,
    source: row.source,
    filename: row.filename,
    staffId: row.staff_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    totalRows: row.total_rows,
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    rejected: row.rejected,
    warnings: JSON.parse(row.warnings) as string[],
    error: row.error ? (JSON.parse(row.error) as { line: number | null; code: string; message: string }) : null,
    errorsUrl: `/api/registry/imports/${row.id}/errors`,
    rejectedRowsUrl: `/api/registry/imports/${row.id}/rejected.csv`,
  };
}

/** A queued import (import_queue: handed to the Worker's queue, not started) as an import: nothing counted yet. */
function queuedView(row: QueuedImportRow): ImportView {
  return {
    ...importView({ ...row, status: 'running', started_at: row.queued_at, finished_at: null, total_rows: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, warnings: '[]', error: null, header: null, heartbeat_at: null }),
    status: 'queued',
  };
}

export type ImportView = Omit<ReturnType<typeof importView>, 'status'> & { status: ImportRow['status'] | 'queued' };

export async function requireImport(db: Kysely<DB>, id: string): Promise<ImportRow> {
  const row = await getImport(db, id);
  if (!row) throw AppError.keyed('not_found', { key: 'import_not_found' });
  return row;
}

/** An import as staff read it, a queued one too. */
export async function requireImportView(db: Kysely<DB>, id: string): Promise<ImportView> {
  const row = await getImport(db, id);
  if (row) return importView(row);
  const queued = await getQueuedImport(db, id);
  if (!queued) throw AppError.keyed('not_found', { key: 'import_not_found' });
  return queuedView(queued);
}

/** Imports, newest first, a page at a time; imports waiting in the queue come first on the first page. */
export async function listImports(db: Kysely<DB>, query: { limit: number; cursor?: string | undefined }): Promise<{ items: ImportView[]; nextCursor: string | null }> {
  let q = db.selectFrom('imports').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1);
  if (query.cursor) q = q.where(afterCursor(query.cursor, ['started_at', 'id'], 'desc'));
  const { items, nextCursor } = page(await q.execute(), query.limit, (r) => [r.started_at, r.id]);
  const queued = query.cursor ? [] : (await queuedImports(db)).map(queuedView);
  return { items: [...queued, ...items.map(importView)], nextCursor };
}

/** An import's row errors by line, in the reader's language; a page holds `limit` rejected rows. */
export async function importRowErrors(db: Kysely<DB>, id: string, query: { limit: number; cursor?: string | undefined }, locale: Locale) {
  await requireImportView(db, id);
  let q = db.selectFrom('import_rejected_rows').select(['line', 'errors']).where('import_id', '=', id).orderBy('line').limit(query.limit + 1);
  if (query.cursor) q = q.where(afterCursor(query.cursor, ['line'], 'asc'));
  const { items, nextCursor } = page(await q.execute(), query.limit, (r) => [r.line]);
  const flat = items.flatMap((r) => (JSON.parse(r.errors) as StoredRowError[]).map((e) => ({ line: r.line, ...localizeRowError(e, locale) })));
  return { items: flat, nextCursor };
}

/**
 * The rejected rows as CSV (UTF-8 with BOM, for spreadsheet programs): the header as sent, each
 * row's cells and its errors, the stable code in brackets and the words in `locale`. Full ID
 * numbers: the caller audits the download.
 */
export async function* rejectedRowsCsv(deps: { db: Kysely<DB>; cipher: PersonalDataCipher }, row: ImportRow, locale: Locale): AsyncGenerator<string> {
  const header = row.header ? (JSON.parse(row.header) as string[]) : null;
  yield '\uFEFF' + toCsvLine(['line', ...(header ?? []), 'errors']);
  let after = 0;
  for (;;) {
    const rows = await deps.db
      .selectFrom('import_rejected_rows')
      .select(['line', 'cells_cipher', 'errors'])
      .where('import_id', '=', row.id)
      .where('line', '>', after)
      .orderBy('line')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    yield rows
      .map((r) => {
        const cells = JSON.parse(deps.cipher.decrypt(r.cells_cipher)) as string[];
        const errors = (JSON.parse(r.errors) as StoredRowError[]).map((e) => `${localizeRowError(e, locale).message} (${e.code})`);
        return toCsvLine([String(r.line), ...cells, errors.join('; ')]);
      })
      .join('');
    after = rows[rows.length - 1]!.line;
  }
}
