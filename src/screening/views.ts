/**
 * Screening runs and cases as staff read them, for the API (routes.ts, which publishes these
 * schemas) and the console (src/web/office/cases.tsx) alike.
 */
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { CASE_STATUSES, type ScreeningRunRow } from '../db/schema/screening.ts';
import type { DB } from '../db/schema/index.ts';
import { AppError } from '../errors.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import type { AppDeps } from '../http/env.ts';
import { afterCursor, page, pageQuery } from '../http/pagination.ts';
import { DriverSummarySchema, driverSummary } from '../registry/licence-view.ts';
import type { Role } from '../staff/permissions.ts';
import { CANCELLATION_REASONS, CASE_CATEGORIES } from './case.ts';
import { CASE_ARTICLES, CASE_SORTS, listCases, type CaseListRow } from './cases-query.ts';

/** What a screening run may be asked (POST /api/screenings, the console's form). */
export const ScreeningBody = z.strictObject({
  asOf: dateInput('D, the screening date; default today in Asia/Shanghai').optional(),
  leadDays: z.number().int().min(0).max(3650).optional().openapi({ description: 'L, default 60' }),
  renewalMinAge: z.number().int().min(0).max(150).optional().openapi({ description: 'R, default 60; 0 = every driver' }),
});

export const RunSchema = z
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

export type RunView = z.infer<typeof RunSchema>;

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

export const CaseSchema = z
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

export const CasesFilters = {
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
export const CasesQuery = z.strictObject({ ...pageQuery, ...CasesFilters });
export type CasesFilter = z.infer<typeof CasesQuery>;

export function caseView(r: CaseListRow, role: Role): z.infer<typeof CaseSchema> {
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


/** Screening runs, newest first, a page at a time. */
export async function listRunsPage(db: Kysely<DB>, query: { limit: number; cursor?: string | undefined }) {
  let q = db.selectFrom('screening_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1);
  if (query.cursor) q = q.where(afterCursor(query.cursor, ['started_at', 'id'], 'desc'));
  const { items, nextCursor } = page(await q.execute(), query.limit, (r) => [r.started_at, r.id]);
  return { items: items.map(runView), nextCursor };
}

export async function getRun(db: Kysely<DB>, id: string) {
  const row = await db.selectFrom('screening_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'screening_run_not_found' });
  return runView(row);
}

/** A page of cases for `filter` (date words resolved here), each driver as `role` may see them. */
export async function casePage(deps: Pick<AppDeps, 'db' | 'clock'>, query: CasesFilter, role: Role) {
  const filter = { ...query, dueBefore: dateOf(deps, query.dueBefore), dueAfter: dateOf(deps, query.dueAfter) };
  const rows = await listCases(deps.db, filter);
  const { items, nextCursor } = page(rows, filter.limit, (r) => [r.due_on, r.id]);
  return { items: items.map((r) => caseView(r, role)), nextCursor };
}
export type CaseView = ReturnType<typeof caseView>;
