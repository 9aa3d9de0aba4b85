import { z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { localizeRowError } from '../i18n/localize.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { auditEntry } from '../staff/audit.ts';
import { importRegistry, INLINE_ERRORS } from './import-service.ts';
import { handOffImport, readUpload } from './upload.ts';
import { importRowErrors, importView, listImports, rejectedRowsCsv, requireImport, requireImportView } from './import-views.ts';
import { licenceWithFullId, LicenceSchema } from './licence-view.ts';

const RowErrorSchema = z
  .object({ line: z.number().int(), field: z.string(), code: z.string(), message: z.string() })
  .openapi('RowError');

const ImportSchema = z
  .object({
    id: z.string(),
    // queued: a large upload on a Worker waiting for its consumer (startedAt is then when it was queued).
    status: z.enum(['queued', 'running', 'completed', 'failed']),
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
    202: {
      description:
        'Handed off (a Worker with R2 and a Queue, for a text/csv body of IMPORT_QUEUE_MIN_BYTES or more): the queue consumer runs the import; ' +
        'GET the Location answers the import as `queued` until the consumer starts it, then as for any import',
      content: { 'application/json': { schema: z.object({ id: z.string(), status: z.literal('queued') }) } },
    },
    413: { description: 'Larger than MAX_IMPORT_BYTES' },
    415: { description: 'Neither text/csv nor multipart/form-data' },
  },
});

const listImportsRoute = apiRoute('registry:read', {
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

export function registryRoutes() {
  return createRouter()
    .openapi(createImport, async (c) => {
      const deps = c.get('deps');
      const importId = await handOffImport(deps, c.req.raw, { staffId: c.get('staff').id, filename: null });
      if (importId) {
        c.header('Location', `/api/registry/imports/${importId}`);
        return c.json({ id: importId, status: 'queued' as const }, 202);
      }
      const upload = await readUpload(c.req.raw, deps.config.MAX_IMPORT_BYTES);
      const outcome = await importRegistry(deps, { ...upload, staffId: c.get('staff').id, origin: 'api' });
      const row = await requireImport(c.get('deps').db, outcome.id);
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      return c.json({ ...importView(row), errors: outcome.errors.map((e) => localizeRowError(e, locale)) }, 201);
    })
    .openapi(listImportsRoute, async (c) => c.json(await listImports(c.get('deps').db, c.req.valid('query')), 200))
    .openapi(showImport, async (c) => c.json(await requireImportView(c.get('deps').db, c.req.valid('param').id), 200))
    .openapi(importErrors, async (c) => {
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      return c.json(await importRowErrors(c.get('deps').db, c.req.valid('param').id, c.req.valid('query'), locale), 200);
    })
    .openapi(rejectedCsv, async (c) => {
      const deps = c.get('deps');
      const row = await requireImport(c.get('deps').db, c.req.valid('param').id);
      await deps.atomic([
        auditEntry(deps, { staffId: c.get('staff').id, action: 'registry.rejected_rows.download', subject: row.id, details: { rows: row.rejected } }),
      ]);
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="rejected-${row.id}.csv"`);
      return stream(c, async (out) => {
        for await (const text of rejectedRowsCsv(deps, row, locale)) await out.write(text);
      });
    })
    .openapi(showLicence, async (c) => c.json(await licenceWithFullId(c.get('deps'), c.req.valid('param').fileNumber, c.get('staff').id), 200));
}
