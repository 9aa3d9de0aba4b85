import { z } from '@hono/zod-openapi';
import { fieldIssue, validationError } from '../errors.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { addDays, daysBetween } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { myDay, shiftsOf } from './my-day.ts';

/**
 * The people at the door find their own work (issue 14; the services in ./my-day.ts): the shifts and the visits of the
 * signed-in account's own crew member (field_staff.staff_id), as postal worker or examiner, with
 * what the route sheet and the exam need. Nobody else's: an account linked to no crew member gets
 * an empty answer with `linked: false` (a dispatcher or admin usually is not one).
 */

const MAX_RANGE_DAYS = 31;

const ShiftSchema = z
  .object({
    id: z.string(),
    date: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.string(),
    as: z.enum(['postal', 'examiner']).openapi({ description: 'The part the signed-in person plays in the crew' }),
    startLabel: z.string(),
    visits: z.number().int().openapi({ description: 'Visits not cancelled' }),
    links: z.object({ routeSheet: z.string(), routeSheetIcs: z.string(), visits: z.string() }),
  })
  .openapi('MyShift');

const VisitSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    status: z.string(),
    startsAt: z.string(),
    windowStart: z.string(),
    windowEnd: z.string(),
    serviceMinutes: z.number().int(),
    stop: z.object({ label: z.string(), atGate: z.boolean(), lat: z.number(), lng: z.number() }),
    driver: z.object({ name: z.string(), phone: z.string(), phoneDisplay: z.string(), address: z.string(), community: z.string().nullable() }),
    needs: z.array(z.string()),
    cases: z.array(z.object({ id: z.string(), category: z.string(), needsCognitiveTest: z.boolean() })),
    needsCognitiveTest: z.boolean().openapi({ description: 'The exam must record the 三力测试 (RULES.md §3)' }),
    links: z.object({ examForm: z.string(), exam: z.string(), enRoute: z.string(), arrived: z.string(), noShow: z.string() }),
  })
  .openapi('MyVisit');

const myShifts = apiRoute('field:self', {
  method: 'get',
  path: '/api/me/shifts',
  summary: 'My shifts as a postal worker or examiner (default: today and the next 7 days)',
  request: { query: z.strictObject({ from: dateInput('Default today').optional(), to: dateInput('Default 7 days after from').optional() }) },
  responses: {
    200: {
      description: 'The shifts of the signed-in crew member, by date and start',
      content: { 'application/json': { schema: z.object({ linked: z.boolean(), items: z.array(ShiftSchema) }) } },
    },
  },
});

const myVisits = apiRoute('field:self', {
  method: 'get',
  path: '/api/me/visits',
  summary: 'My visits of a day, in route order, with what the route sheet and the exam need',
  request: { query: z.strictObject({ date: dateInput('Default today').optional() }) },
  responses: {
    200: {
      description: 'Each of my shifts that day with its visits',
      content: {
        'application/json': {
          schema: z.object({
            date: z.string(),
            linked: z.boolean(),
            shifts: z.array(
              z.object({
                shiftId: z.string(),
                startsAt: z.string(),
                endsAt: z.string(),
                as: z.enum(['postal', 'examiner']).openapi({ description: 'The part the signed-in person plays in the crew' }),
                crew: z.object({ postal: z.object({ name: z.string(), phoneDisplay: z.string() }), examiner: z.object({ name: z.string(), phoneDisplay: z.string() }) }),
                visits: z.array(VisitSchema),
              }),
            ),
          }),
        },
      },
    },
  },
});

export function meRoutes() {
  return createRouter()
    .openapi(myShifts, async (c) => {
      const deps = c.get('deps');
      const from = dateOf(deps, c.req.valid('query').from) ?? todayIn(deps.clock.now());
      const to = dateOf(deps, c.req.valid('query').to) ?? addDays(from, 7);
      if (to < from || daysBetween(from, to) > MAX_RANGE_DAYS) {
        throw validationError([fieldIssue('to', 'bad_range', { key: 'range_after_from', params: { days: MAX_RANGE_DAYS } })]);
      }
      const { linked, rows } = await shiftsOf(deps, c.get('staff'), from, to);
      const base = deps.config.PUBLIC_BASE_URL;
      return c.json(
        {
          linked,
          items: rows.map((r) => ({
            id: r.id,
            date: r.date,
            startsAt: r.starts_at,
            endsAt: r.ends_at,
            status: r.status,
            as: r.as,
            startLabel: r.start_label,
            visits: Number(r.visits ?? 0),
            links: { routeSheet: `${base}/api/shifts/${r.id}/route-sheet`, routeSheetIcs: `${base}/api/shifts/${r.id}/route-sheet.ics`, visits: `${base}/api/me/visits?date=${r.date}` },
          })),
        },
        200,
      );
    })
    .openapi(myVisits, async (c) => {
      const deps = c.get('deps');
      const date = dateOf(deps, c.req.valid('query').date) ?? todayIn(deps.clock.now());
      return c.json(await myDay(deps, c.get('staff'), date), 200);
    });
}
