import { z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { AppError } from '../errors.ts';
import { afterCursor, page, pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { DriverOverviewSchema, DriverSummarySchema, driverOverview, driverSummary } from '../registry/licence-view.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { CASE_STATUSES, type ScreeningRunRow } from '../db/schema/screening.ts';
import { CANCELLATION_REASONS, CASE_CATEGORIES } from './case.ts';
import { runScreening } from './run.ts';
import { CASE_ARTICLES, CASE_SORTS, casesCsv, listCases, type CaseListRow } from './cases-query.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import type { Role } from '../staff/permissions.ts';

const RunSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(['api', 'cli', 'schedule']),
    asOf: z.string(),
    leadDays: z.number().int(),
    renewalMinAge: z.number().int(),
    status: z.enum(['running', 'completed', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    licencesScreened: z.number().int(),
    // flaggedTotal = created + reopened + updated + unchanged + alreadyCompleted; the open cases
    // before the run = updated + unchanged + superseded + lapsed, after it = created + reopened +
    // updated + unchanged (runs recorded before issue 14 have only the first four).
    counts: z.object({
      flagged: z.record(z.string(), z.number().int()).optional(),
      flaggedTotal: z.number().int().optional(),
      created: z.number().int().optional(),
      reopened: z.number().int().optional(),
      updated: z.number().int().optional(),
      unchanged: z.number().int().optional(),
      alreadyCompleted: z.number().int().optional(),
      superseded: z.number().int().optional(),
      lapsed: z.number().int().optional(),
    }),
    error: z.string().nullable(),
  })
  .openapi('ScreeningRun');

export function runView(row: ScreeningRunRow): z.infer<typeof RunSchema> {
  return {
    id: row.id,
    trigger: row.trigger,
    asOf: row.as_of,
    leadDays: row.lead_days,
    renewalMinAge: row.renewal_min_age,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    licencesScreened: row.licences_screened,
    counts: JSON.parse(row.counts) as z.infer<typeof RunSchema>['counts'],
    error: row.error,
  };
}

const CaseSchema = z
  .object({
    id: z.string(),
    fileNumber: z.string(),
    category: z.enum(CASE_CATEGORIES),
    triggerOn: z.string(),
    opensOn: z.string(),
    dueOn: z.string(),
    lapsesOn: z.string().nullable(),
    overdue: z.boolean().openapi({ description: 'As of the date of the latest screening run' }),
    targetClasses: z.array(z.string()).nullable(),
    needsCognitiveTest: z.boolean(),
    reason: z.enum(CANCELLATION_REASONS).nullable(),
    status: z.enum(CASE_STATUSES),
    articles: z.array(z.string()).openapi({ description: 'What the case rests on (RULES.md §3): "Art N" of MPS Order 162 as amended' }),
    driver: DriverSummarySchema,
  })
  .openapi('Case');

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

const CasesFilters = {
  category: z.enum(CASE_CATEGORIES).optional(),
  status: z.enum([...CASE_STATUSES, 'all']).default('open').openapi({ description: 'Default open' }),
  overdue: bool.optional(),
  community: z.string().trim().min(1).max(100).optional(),
  dueBefore: dateInput('Cases due strictly before this date').optional(),
  dueAfter: dateInput('Cases due strictly after this date').optional(),
  fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').optional(),
  district: z.string().trim().min(2).max(20).optional().openapi({ description: 'District or county as the address writes it (东昌府区, 莘县)' }),
  sort: z.enum(CASE_SORTS).default('due_asc').openapi({ description: 'By due date, earliest first (default) or latest first' }),
};
const CasesQuery = z.strictObject({ ...pageQuery, ...CasesFilters });
export type CasesFilter = z.infer<typeof CasesQuery>;

const createRun = apiRoute('screening:run', {
  method: 'post',
  path: '/api/screenings',
  summary: 'Screen the whole registry (RULES.md §3-4)',
  description: 'Idempotent for the same data and date. Closes open cases whose reason disappeared as superseded (or lapsed).',
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            asOf: dateInput('D, the screening date; default today in Asia/Shanghai').optional(),
            leadDays: z.number().int().min(0).max(3650).optional().openapi({ description: 'L, default 60' }),
            renewalMinAge: z.number().int().min(0).max(150).optional().openapi({ description: 'R, default 60; 0 = every driver' }),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: 'The completed run with counts by category', content: { 'application/json': { schema: RunSchema } } },
    409: { description: 'Another run is in progress' },
  },
});

const listRuns = apiRoute('screening:read', {
  method: 'get',
  path: '/api/screenings',
  summary: 'Screening runs, newest first',
  request: { query: z.strictObject(pageQuery) },
  responses: {
    200: {
      description: 'A page of runs',
      content: { 'application/json': { schema: pageSchema(RunSchema) } },
    },
  },
});

const showRun = apiRoute('screening:read', {
  method: 'get',
  path: '/api/screenings/{id}',
  summary: 'One screening run',
  request: { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The run', content: { 'application/json': { schema: RunSchema } } },
    404: { description: 'No such run' },
  },
});

const cases = apiRoute('cases:read', {
  method: 'get',
  path: '/api/cases',
  summary: 'Screening cases, by due date',
  description: 'The driver summary depends on the role: dispatchers see contact and place with the ID masked.',
  request: { query: CasesQuery },
  responses: {
    200: {
      description: 'A page of cases',
      content: { 'application/json': { schema: pageSchema(CaseSchema) } },
    },
  },
});

const casesCsvRoute = apiRoute('cases:read', {
  method: 'get',
  path: '/api/cases.csv',
  summary: 'The case list as CSV, with the filters of GET /api/cases (ID numbers masked)',
  description: 'Streamed, UTF-8 with BOM (spreadsheet programs read the Chinese right); every cell made inert against formulas. Header in the Accept-Language (zh-CN default).',
  request: { query: z.strictObject(CasesFilters) },
  responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } } },
});

const driver = apiRoute('cases:read', {
  method: 'get',
  path: '/api/drivers/{fileNumber}',
  summary: "The driver page's data: licence (ID masked), every case with its articles, and by permission the outreach timeline, visits, exams and submissions",
  description: 'The full ID number is GET /api/licences/{fileNumber} (licences:read-full, audited); fullIdUrl points there for a role that may.',
  request: { params: z.object({ fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').openapi({ param: { name: 'fileNumber', in: 'path' } }) }) },
  responses: {
    200: { description: 'The driver', content: { 'application/json': { schema: DriverOverviewSchema } } },
    404: { description: 'No such licence' },
  },
});

function caseView(r: CaseListRow, role: Role): z.infer<typeof CaseSchema> {
  return {
    id: r.id,
    fileNumber: r.file_number,
    category: r.category,
    triggerOn: r.trigger_on,
    opensOn: r.opens_on,
    dueOn: r.due_on,
    lapsesOn: r.lapses_on,
    overdue: r.overdue === 1,
    targetClasses: r.target_classes === null ? null : (JSON.parse(r.target_classes) as string[]),
    needsCognitiveTest: r.needs_cognitive_test === 1,
    reason: r.reason as (typeof CANCELLATION_REASONS)[number] | null,
    status: r.status,
    articles: [...CASE_ARTICLES[r.category]],
    driver: driverSummary(r, role),
  };
}

export function screeningRoutes() {
  return createRouter()
    .openapi(createRun, async (c) => {
      // The body is optional: none means every default.
      const body = c.req.valid('json');
      const deps = c.get('deps');
      const row = await runScreening(deps, { ...body, asOf: dateOf(deps, body?.asOf), staffId: c.get('staff').id, trigger: 'api' });
      return c.json(runView(row), 201);
    })
    .openapi(listRuns, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      let q = c.get('deps').db.selectFrom('screening_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (cursor) q = q.where(afterCursor(cursor, ['started_at', 'id'], 'desc'));
      const { items, nextCursor } = page(await q.execute(), limit, (r) => [r.started_at, r.id]);
      return c.json({ items: items.map(runView), nextCursor }, 200);
    })
    .openapi(showRun, async (c) => {
      const row = await c.get('deps').db.selectFrom('screening_runs').selectAll().where('id', '=', c.req.valid('param').id).executeTakeFirst();
      if (!row) throw AppError.keyed('not_found', { key: 'screening_run_not_found' });
      return c.json(runView(row), 200);
    })
    .openapi(cases, async (c) => {
      const query = c.req.valid('query');
      const deps = c.get('deps');
      const filter = { ...query, dueBefore: dateOf(deps, query.dueBefore), dueAfter: dateOf(deps, query.dueAfter) };
      const rows = await listCases(deps.db, filter);
      const role = c.get('staff').role;
      const { items, nextCursor } = page(rows, filter.limit, (r) => [r.due_on, r.id]);
      return c.json({ items: items.map((r) => caseView(r, role)), nextCursor }, 200);
    })
    .openapi(casesCsvRoute, async (c) => {
      const query = c.req.valid('query');
      const deps = c.get('deps');
      const filter = { ...query, dueBefore: dateOf(deps, query.dueBefore), dueAfter: dateOf(deps, query.dueAfter) };
      const locale = negotiateLocale(c.req.header('accept-language'));
      c.header('Content-Language', locale);
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', 'attachment; filename="cases.csv"');
      return stream(c, async (out) => {
        for await (const chunk of casesCsv(deps.db, filter, locale)) await out.write(chunk);
      });
    })
    .openapi(driver, async (c) => {
      const staff = c.get('staff');
      return c.json(await driverOverview(c.get('deps'), c.req.valid('param').fileNumber, { id: staff.id, role: staff.role }), 200);
    });
}
