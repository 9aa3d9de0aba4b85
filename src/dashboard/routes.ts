import { z } from '@hono/zod-openapi';
import { fieldIssue, validationError } from '../errors.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import type { AppDeps } from '../http/env.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { addDays, daysBetween, type CivilDate } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { dashboardFigures, FUNNEL_STEPS, PROMISE_MINUTES, type DashboardFigures } from './figures.ts';
import { dashboardRows, period } from './repository.ts';

/** The default period: the last 30 days, today (Asia/Shanghai) included. */
export const DEFAULT_DAYS = 30;
export const DEFAULT_TOP = 10;

const share = z.number().nullable().openapi({ description: 'A fraction (0.25 = 25%), null when there is nothing to divide by' });

export const DashboardSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    funnel: z.array(
      z.object({ step: z.enum(FUNNEL_STEPS), label: z.string(), count: z.number().int(), rateFromPrevious: share, rateFromDue: share }),
    ),
    optOuts: z.number().int(),
    noShows: z.number().int(),
    unreachable: z.number().int(),
    visitsPerCrewDay: z.object({ visits: z.number().int(), crewDays: z.number().int(), perCrewDay: z.number().nullable() }),
    examToAcceptance: z.object({
      promiseMinutes: z.number().int(),
      accepted: z.number().int(),
      measured: z.number().int(),
      waitedForOpening: z.number().int(),
      medianMinutes: z.number().nullable(),
      p90Minutes: z.number().nullable(),
      withinPromise: z.number().int(),
      withinPromiseShare: share,
    }),
    overdueByCommunity: z.object({
      total: z.number().int(),
      top: z.array(z.object({ community: z.string().nullable(), cases: z.number().int() })),
      others: z.number().int(),
    }),
  })
  .openapi('Dashboard');

const DESCRIPTION = `The 工作台 figures of a period (dates in Asia/Shanghai; default the last ${DEFAULT_DAYS} days to today).

Funnel, in drivers (one licence each), of the period's cohort: **screened** = licences the period's largest completed screening run looked at; **due** = drivers with a case first flagged in the period; then how far each of them has got since the period began: **notified** (a notice SMS delivered, a call answered, or any answer from the driver), **confirmed** (a confirm answer applied, by SMS, keypress or to staff), **booked** (a visit booked), **visited** (an exam recorded), **passed** (the exam passed), **filed** (a submission of one of the cohort's cases tried at 12123), **accepted** (12123 accepted one). A driver counts at every step up to the furthest one reached; each step has its rate from the previous step and from due.

Activity of the period: **optOuts** = numbers that opted out; **noShows** = visits of the period's dates closed as no-show; **unreachable** = drivers put on the staff call list (ladder exhausted); **visitsPerCrewDay** = exams recorded on visits of the period's dates / crew-days (a postal worker and an examiner on a date) with at least one visit gone to (exam or no-show); **examToAcceptance** = submissions accepted in the period, exam start to acceptance in minutes (nearest-rank median and p90, and how many under the ${PROMISE_MINUTES}-minute promise), those that waited for their case to open counted apart and not measured.

Now: **overdueByCommunity** = open overdue cases (as of the latest screening run) per community of the licence, the top N (community null: none recorded), and the rest.`;

const dashboardRoute = apiRoute('dashboard:read', {
  method: 'get',
  path: '/api/dashboard',
  summary: 'The dashboard: funnel screened -> accepted, opt-outs, no-shows, unreachable, visits per crew-day, exam -> 12123 minutes, overdue by community',
  description: DESCRIPTION,
  request: {
    query: z.strictObject({
      from: dateInput().optional().openapi({ description: `Default: ${DEFAULT_DAYS - 1} days before \`to\`` }),
      to: dateInput().optional().openapi({ description: 'Default: today' }),
      top: z.coerce.number().int().min(1).max(50).optional().openapi({ description: `Communities listed for the overdue cases (default ${DEFAULT_TOP})` }),
    }),
  },
  responses: { 200: { description: 'The figures', content: { 'application/json': { schema: DashboardSchema } } } },
});

/** The period a request names, with the defaults; a 400 for from after to or over 366 days. */
export function dashboardPeriod(deps: Pick<AppDeps, 'clock'>, q: { from?: string | undefined; to?: string | undefined }): { from: CivilDate; to: CivilDate } {
  const to = dateOf(deps, q.to) ?? todayIn(deps.clock.now());
  const from = dateOf(deps, q.from) ?? addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to || daysBetween(from, to) > 366) throw validationError([fieldIssue('from', 'bad_range', { key: 'bad_range' })]);
  return { from, to };
}

/** The figures for the page as for the API: one function. */
export async function loadDashboard(deps: Pick<AppDeps, 'db' | 'clock'>, from: CivilDate, to: CivilDate, top = DEFAULT_TOP): Promise<DashboardFigures> {
  return dashboardFigures(from, to, await dashboardRows(deps.db, period(from, to), top));
}

export function dashboardRoutes() {
  return createRouter().openapi(dashboardRoute, async (c) => {
    const deps = c.get('deps');
    const q = c.req.valid('query');
    const { from, to } = dashboardPeriod(deps, q);
    return c.json(await loadDashboard(deps, from, to, q.top ?? DEFAULT_TOP), 200);
  });
}
