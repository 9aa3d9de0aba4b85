import { z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { AppError } from '../errors.ts';
import { localizeRowError } from '../i18n/localize.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import type { MessageRef } from '../i18n/messages.ts';
import { afterCursor, page, pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { auditEntry } from '../staff/audit.ts';
import type { ImportRow } from '../db/schema/registry.ts';
import { importRegistry, INLINE_ERRORS } from './import-service.ts';
import { getImport, getLicence } from './repository.ts';
import { readUpload } from './upload.ts';
import { toCsvLine } from './csv-write.ts';
import { licenceView, LicenceSchema } from './licence-view.ts';

/** A row error as stored in import_rejected_rows.errors (text: since the catalogue). */
type StoredRowError = { field: string; code: string; message: string; text?: MessageRef };

const RowErrorSchema = z
  .object({ line: z.number().int(), field: z.string(), code: z.string(), message: z.string() })
  .openapi('RowError');

const ImportSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    source: z.enum(['api', 'cli']),
    filename: z.string().nullable(),
    staffId: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    totalRows: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    warnings: z.array(z.string()),
    error: z.object({ line: z.number().int().nullable(), code: z.string(), message: z.string() }).nullable(),
    errorsUrl: z.string(),
    rejectedRowsUrl: z.string(),
  })
  .openapi('Import');

function importView(row: ImportRow) {
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

const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const createImport = apiRoute('registry:import', {
  method: 'post',
  path: '/api/registry/imports',
  summary: 'Import the licence registry (CSV, RULES.md §2)',
  description:
    'Body: the CSV itself (text/csv) or a multipart/form-data body whose `file` field is the CSV. Streamed; valid rows are ' +
    `upserted by file_number, each bad row is rejected with { line, field, code, message } (the first ${INLINE_ERRORS} inline, ` +
    'all at errorsUrl). A file error (encoding, quotes, cell count, header) rejects the whole file and stores nothing.',
  request: {
    body: {
      required: true,
      content: {
        'text/csv': { schema: z.string() },
        // A plain schema, not zod: a zod one would make the validator buffer the whole upload.
        'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
      },
    },
  },
  responses: {
    201: {
      description: 'The import, with its first row errors',
      content: { 'application/json': { schema: ImportSchema.extend({ errors: z.array(RowErrorSchema) }) } },
    },
    413: { description: 'Larger than MAX_IMPORT_BYTES' },
    415: { description: 'Neither text/csv nor multipart/form-data' },
  },
});

const listImports = apiRoute('registry:read', {
  method: 'get',
  path: '/api/registry/imports',
  summary: 'Imports, newest first',
  request: { query: z.strictObject(pageQuery) },
  responses: {
    200: {
      description: 'A page of imports',
      content: { 'application/json': { schema: pageSchema(ImportSchema) } },
    },
  },
});

const showImport = apiRoute('registry:read', {
  method: 'get',
  path: '/api/registry/imports/{id}',
  summary: 'One import: who, when, counts',
  request: { params: idParam },
  responses: {
    200: { description: 'The import', content: { 'application/json': { schema: ImportSchema } } },
    404: { description: 'No such import' },
  },
});

const importErrors = apiRoute('registry:read', {
  method: 'get',
  path: '/api/registry/imports/{id}/errors',
  summary: 'Every row error of an import, by line',
  request: { params: idParam, query: z.strictObject(pageQuery) },
  responses: {
    200: {
      description: 'A page of row errors',
      content: { 'application/json': { schema: pageSchema(RowErrorSchema) } },
    },
    404: { description: 'No such import' },
  },
});

const rejectedCsv = apiRoute('licences:read-full', {
  method: 'get',
  path: '/api/registry/imports/{id}/rejected.csv',
  summary: 'The rejected rows as CSV, with an errors column, to correct and import again (audited: shows full ID numbers)',
  request: { params: idParam },
  responses: {
    200: { description: 'CSV (UTF-8 with BOM, for spreadsheet programs)', content: { 'text/csv': { schema: z.string() } } },
    404: { description: 'No such import' },
  },
});

const showLicence = apiRoute('licences:read-full', {
  method: 'get',
  path: '/api/licences/{fileNumber}',
  summary: 'One licence with its full ID number (audited)',
  request: { params: z.object({ fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').openapi({ param: { name: 'fileNumber', in: 'path' } }) }) },
  responses: {
    200: { description: 'The licence', content: { 'application/json': { schema: LicenceSchema } } },
    404: { description: 'No such licence' },
  },
});

async function requireImport(c: { get(key: 'deps'): { db: Parameters<typeof getImport>[0] } }, id: string): Promise<ImportRow> {
  const row = await getImport(c.get('deps').db, id);
  if (!row) throw AppError.keyed('not_found', { key: 'import_not_found' });
  return row;
}

export function registryRoutes() {
  return createRouter()
    .openapi(createImport, async (c) => {
      const deps = c.get('deps');
      const upload = await readUpload(c.req.raw, deps.config.MAX_IMPORT_BYTES);
      const outcome = await importRegistry(deps, { ...upload, staffId: c.get('staff').id, origin: 'api' });
      const row = await requireImport(c, outcome.id);
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      return c.json({ ...importView(row), errors: outcome.errors.map((e) => localizeRowError(e, locale)) }, 201);
    })
    .openapi(listImports, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      let q = c.get('deps').db.selectFrom('imports').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (cursor) q = q.where(afterCursor(cursor, ['started_at', 'id'], 'desc'));
      const { items, nextCursor } = page(await q.execute(), limit, (r) => [r.started_at, r.id]);
      return c.json({ items: items.map(importView), nextCursor }, 200);
    })
    .openapi(showImport, async (c) => c.json(importView(await requireImport(c, c.req.valid('param').id)), 200))
    .openapi(importErrors, async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await requireImport(c, id);
      let q = c.get('deps').db.selectFrom('import_rejected_rows').select(['line', 'errors']).where('import_id', '=', id).orderBy('line').limit(limit + 1);
      if (cursor) q = q.where(afterCursor(cursor, ['line'], 'asc'));
      const { items, nextCursor } = page(await q.execute(), limit, (r) => [r.line]);
      const locale = negotiateLocale(c.req.header('accept-language'));
      const flat = items.flatMap((r) =>
        (JSON.parse(r.errors) as StoredRowError[]).map((e) => ({ line: r.line, ...localizeRowError(e, locale) })),
      );
      c.header('Content-Language', locale);
      return c.json({ items: flat, nextCursor }, 200);
    })
    .openapi(rejectedCsv, async (c) => {
      const deps = c.get('deps');
      const row = await requireImport(c, c.req.valid('param').id);
      await deps.atomic([
        auditEntry(deps, { staffId: c.get('staff').id, action: 'registry.rejected_rows.download', subject: row.id, details: { rows: row.rejected } }),
      ]);
      const header = row.header ? (JSON.parse(row.header) as string[]) : null;
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="rejected-${row.id}.csv"`);
      return stream(c, async (out) => {
        await out.write('\uFEFF' + toCsvLine(['line', ...(header ?? []), 'errors']));
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
          if (rows.length === 0) break;
          const text = rows.map((r) => {
            const cells = JSON.parse(deps.cipher.decrypt(r.cells_cipher)) as string[];
            // The stable code in brackets, the words in the reader's language (Accept-Language).
            const errors = (JSON.parse(r.errors) as StoredRowError[]).map((e) => `${localizeRowError(e, locale).message} (${e.code})`);
            return toCsvLine([String(r.line), ...cells, errors.join('; ')]);
          });
          await out.write(text.join(''));
          after = rows[rows.length - 1]!.line;
        }
      });
    })
    .openapi(showLicence, async (c) => {
      const deps = c.get('deps');
      const { fileNumber } = c.req.valid('param');
      const row = await getLicence(deps.db, fileNumber);
      if (!row) throw AppError.keyed('not_found', { key: 'licence_not_found' });
      await deps.atomic([auditEntry(deps, { staffId: c.get('staff').id, action: 'licence.view_full_id', subject: fileNumber })]);
      return c.json(licenceView(row, deps.cipher.decrypt(row.id_cipher)), 200);
    });
}
