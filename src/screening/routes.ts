import { z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { DriverOverviewSchema, driverOverview } from '../registry/licence-view.ts';
import { dateOf } from '../http/date-input.ts';
import { runScreening } from './run.ts';
import { casesCsv } from './cases-query.ts';
import { CaseSchema, CasesFilters, CasesQuery, RunSchema, ScreeningBody, casePage, getRun, listRunsPage, runView } from './views.ts';
import { negotiateLocale } from '../i18n/locale.ts';



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
          schema: ScreeningBody,
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

export function screeningRoutes() {
  return createRouter()
    .openapi(createRun, async (c) => {
      // The body is optional: none means every default.
      const body = c.req.valid('json');
      const deps = c.get('deps');
      const row = await runScreening(deps, { ...body, asOf: dateOf(deps, body?.asOf), staffId: c.get('staff').id, trigger: 'api' });
      return c.json(runView(row), 201);
    })
    .openapi(listRuns, async (c) => c.json(await listRunsPage(c.get('deps').db, c.req.valid('query')), 200))
    .openapi(showRun, async (c) => c.json(await getRun(c.get('deps').db, c.req.valid('param').id), 200))
    .openapi(cases, async (c) => c.json(await casePage(c.get('deps'), c.req.valid('query'), c.get('staff').role), 200))
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
