import { z } from '@hono/zod-openapi';
import { fieldIssue, validationError } from '../errors.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import { render } from '../i18n/messages.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { addDays } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { runDueVisitNotices } from './notices.ts';
import { UNPLANNED_REASONS } from './plan-rules.ts';
import { commitAndSend, previewPlan } from './planning.ts';
import { oneVisit, PlanSchema, planView, ShiftSchema, shiftView, UnplannedSchema, VisitSchema } from './plan-view.ts';
import { routeSheetIcs } from './route-sheet.ts';
import { FieldStaffBody, FieldStaffSchema, ShiftBody, ShiftPatchBody, fieldStaffView } from './shift-schemas.ts';
import { addFieldStaff, cancelShift, createShift, listFieldStaff, listShifts, routeSheetFor, updateShift } from './shifts.ts';
import { routeSheetHtml } from '../web/planning/route-sheet.tsx';
import { sendOnTheWaySms } from './on-the-way.ts';
import { cancelVisit, changeVisit, NO_SHOW_REASONS, recordDone, recordNoShow, recordProgress } from './visits.ts';

/** Kept here too: the shift view moved to plan-view.ts with the plan it is part of. */
export { shiftView } from './plan-view.ts';

const civilDate = dateInput();
const id = (name: string) => z.string().uuid().openapi({ param: { name, in: 'path' } });
const dateParam = z.object({ date: civilDate.openapi({ param: { name: 'date', in: 'path' }, example: 'tomorrow' }) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = <T extends z.ZodTypeAny>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const addFieldStaffRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/field-staff',
  summary: 'Add a postal worker or a medical examiner',
  request: {
    body: json(FieldStaffBody),
  },
  responses: { 201: ok('Added', FieldStaffSchema), 409: { description: 'The staff account is already linked' } },
});

const listFieldStaffRoute = apiRoute('scheduling:read', {
  method: 'get',
  path: '/api/field-staff',
  summary: 'Postal workers and examiners',
  request: { query: z.strictObject({ kind: z.enum(['postal', 'examiner']).optional() }) },
  responses: { 200: ok('Everyone, by name', z.object({ items: z.array(FieldStaffSchema) })) },
});

const createShiftRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/shifts',
  summary: 'Create a shift: a crew (a postal worker and an examiner), a date, hours, start and end points, an optional area',
  request: {
    body: json(ShiftBody),
  },
  responses: { 201: ok('Created', ShiftSchema), 409: { description: 'A crew member is in an overlapping shift' } },
});

const listShiftsRoute = apiRoute('scheduling:read', {
  method: 'get',
  path: '/api/shifts',
  summary: 'Shifts of a date, or of a date range (from and to, at most 31 days)',
  request: {
    query: z.strictObject({
      date: civilDate.optional().openapi({ description: 'Default today' }),
      from: civilDate.optional().openapi({ description: 'With to (default: 6 days later): the shifts of these days, both included; not with date' }),
      to: civilDate.optional(),
    }),
  },
  responses: { 200: ok('The shifts, by date and start time, cancelled ones too', z.object({ items: z.array(ShiftSchema) })) },
});

const updateShiftRoute = apiRoute('scheduling:manage', {
  method: 'patch',
  path: '/api/shifts/{id}',
  summary: 'Change a shift’s hours, start point or area while no driver has been told of a visit on it; its drafts are dropped',
  request: { params: z.object({ id: id('id') }), body: json(ShiftPatchBody) },
  responses: {
    200: ok('Changed', ShiftSchema.extend({ droppedDrafts: z.number().int().openapi({ description: 'Drafts planned for the old hours, dropped: preview again' }) })),
    404: { description: 'No such shift' },
    409: { description: 'Cancelled, in the past, a visit told to its driver, or a crew member in an overlapping shift' },
  },
});

const cancelShiftRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/shifts/{id}/cancel',
  summary: 'Cancel a shift: drafts dropped, booked drivers told and back in the pool',
  request: { params: z.object({ id: id('id') }) },
  responses: { 200: ok('Cancelled', z.object({ cancelledVisits: z.number().int() })), 404: { description: 'No such shift' }, 409: { description: 'Already cancelled' } },
});

const previewRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/plans/{date}/preview',
  summary: 'Plan the date: confirmed drivers to shifts and routes, around pinned and booked visits',
  description: 'Replaces the date’s unpinned drafts. Deterministic for a given seed and maxIterations when the time budget is not reached.',
  request: {
    params: dateParam,
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
            maxIterations: z.number().int().min(0).max(10_000_000).optional(),
            timeBudgetMs: z.number().int().min(50).max(60_000).optional(),
          }),
        },
      },
    },
  },
  responses: { 200: ok('The plan', PlanSchema), 409: { description: 'No open shift on the date, or the plan changed meanwhile' } },
});

const planRoute = apiRoute('scheduling:read', {
  method: 'get',
  path: '/api/plans/{date}',
  summary: 'The plan of a date: shifts with their visits in route order, and who could not be planned',
  request: { params: dateParam },
  responses: { 200: ok('The plan', PlanSchema) },
});

const commitRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/plans/{date}/commit',
  summary: 'Book every planned visit of the date: each driver gets the appointment SMS, and a reminder the day before',
  request: { params: dateParam },
  responses: {
    200: ok(
      'Booked. considered = booked + unchanged + leftOut.length; appointments.sent + deferred + sending + skipped + failed = booked',
      z.object({
        date: z.string(),
        considered: z.number().int().openapi({ description: 'Visits of the date that could be told: the drafts, and those booked before' }),
        booked: z.number().int().openapi({ description: 'Drafts booked now' }),
        unchanged: z.number().int().openapi({ description: 'Booked before this commit, left as they were (a commit never moves a told visit)' }),
        leftOut: z.array(UnplannedSchema.omit({ driver: true })).openapi({ description: 'Drafts not booked (their window began before the commit): they stay drafts' }),
        appointments: z
          .object({ sent: z.number().int(), deferred: z.number().int(), sending: z.number().int(), skipped: z.number().int(), failed: z.number().int() })
          .openapi({ description: 'The appointment SMS of the visits booked now, after the first send' }),
        notices: z
          .object({ sent: z.number().int(), skipped: z.number().int(), deferred: z.number().int(), failed: z.number().int() })
          .openapi({ description: 'Every due visit notice handled by the send that followed the commit (reminders and other dates included)' }),
      }),
    ),
    409: { description: 'Nothing to commit' },
  },
});

const changeVisitRoute = apiRoute('scheduling:manage', {
  method: 'patch',
  path: '/api/visits/{id}',
  summary: 'Pin a planned visit, or move it to another shift of its date (a moved visit is pinned)',
  request: { params: z.object({ id: id('id') }), body: json(z.strictObject({ pinned: z.boolean().optional(), shiftId: z.string().uuid().optional() })) },
  responses: { 200: ok('The visit', VisitSchema), 404: { description: 'No such visit' }, 409: { description: 'Not a draft, the shift is full, or it does not fit' } },
});

const cancelVisitRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/visits/{id}/cancel',
  summary: 'Remove a draft from the date’s plan, or cancel a booked visit (the driver is told); the driver goes back to the pool',
  request: { params: z.object({ id: id('id') }), body: json(z.strictObject({ reason: z.string().trim().min(1).max(200).openapi({ description: 'No ID numbers or medical data' }) })) },
  responses: { 200: ok('The visit', VisitSchema), 404: { description: 'No such visit' }, 409: { description: 'Already closed' } },
});

const noShowRoute = apiRoute('visits:progress', {
  method: 'post',
  path: '/api/visits/{id}/no-show',
  summary: 'Nobody was at the door: recorded (by the crew of the shift, a dispatcher or an admin), and the driver goes back to the pool',
  request: {
    params: z.object({ id: id('id') }),
    body: {
      content: {
        'application/json': {
          schema: z.strictObject({
            reason: z.enum(NO_SHOW_REASONS).optional().openapi({ description: 'Why the crew did not see the driver' }),
            note: z.string().trim().max(200).optional().openapi({ description: 'What the crew saw; no ID numbers or medical data' }),
          }),
        },
      },
      required: false,
    },
  },
  responses: {
    200: ok('The visit', VisitSchema),
    403: { description: 'A postal worker or an examiner, for a visit of another crew' },
    404: { description: 'No such visit' },
    409: { description: 'Refused by the visit life cycle (not told yet, or closed), or before its day' },
  },
});

// Issue 14: "done without an exam" closed the visit, blocked the exam and stranded its cases.
// The route stays so that old clients learn why: it always answers 409.
const doneRoute = apiRoute('visits:complete', {
  method: 'post',
  path: '/api/visits/{id}/done',
  summary: 'Gone: a visit is finished only by recording its exam (POST /api/visits/{id}/exam) or a no-show; always 409',
  deprecated: true,
  request: { params: z.object({ id: id('id') }) },
  responses: { 404: { description: 'No such visit' }, 409: { description: 'Always: a visit is not marked done without an exam' } },
});

const progressResponses = {
  200: ok('The visit', VisitSchema),
  403: { description: 'An examiner, for a visit of another crew' },
  404: { description: 'No such visit' },
  409: { description: 'Refused by the visit life cycle (the state and the event in words), or not the visit’s day' },
} as const;

const enRouteRoute = apiRoute('visits:progress', {
  method: 'post',
  path: '/api/visits/{id}/en-route',
  summary: 'The crew sets out for a booked or confirmed visit, on its day: a re-plan no longer moves it, the driver’s SMS no longer moves or cancels it',
  request: {
    params: z.object({ id: id('id') }),
    body: {
      content: { 'application/json': { schema: z.strictObject({ tellDriver: z.boolean().optional().openapi({ description: 'Send the driver the SMS "about 15 minutes" now (not queued: now or never)' }) }) } },
      required: false,
    },
  },
  responses: {
    ...progressResponses,
    200: ok('The visit, and what became of the SMS when one was asked for', VisitSchema.extend({ onTheWaySms: z.enum(['sent', 'landline', 'opted_out', 'outside_window', 'failed']).optional() })),
  },
});

const arrivedRoute = apiRoute('visits:progress', {
  method: 'post',
  path: '/api/visits/{id}/arrived',
  summary: 'The crew is at the door (from booked, confirmed or en route), on the visit’s day; next: the exam or a no-show',
  request: { params: z.object({ id: id('id') }) },
  responses: progressResponses,
});

const runNoticesRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/visits/notices/run',
  summary: 'Send the due visit SMS now (the server also does it with the outreach tick)',
  responses: { 200: ok('What happened', z.object({ sent: z.number().int(), skipped: z.number().int(), deferred: z.number().int(), failed: z.number().int(), retrying: z.number().int() })) },
});

const sheetParams = { params: z.object({ id: id('id') }) };
const routeSheetRoute = apiRoute('route-sheet:read', {
  method: 'get',
  path: '/api/shifts/{id}/route-sheet',
  summary: 'The crew’s printable route sheet (HTML); an examiner sees only their own shifts',
  request: sheetParams,
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } }, 404: { description: 'No such shift' } },
});

const routeSheetIcsRoute = apiRoute('route-sheet:read', {
  method: 'get',
  path: '/api/shifts/{id}/route-sheet.ics',
  summary: 'The crew’s visits as an iCalendar file',
  request: sheetParams,
  responses: { 200: { description: 'iCalendar', content: { 'text/calendar': { schema: z.string() } } }, 404: { description: 'No such shift' } },
});

/** The caller's language for the words a view carries (the unplanned reasons); said in Content-Language. */
function viewLocale(c: { req: { header(name: string): string | undefined }; header(name: string, value: string): void }): Locale {
  const locale = negotiateLocale(c.req.header('accept-language'));
  c.header('Content-Language', locale);
  return locale;
}

export function schedulingRoutes() {
  return createRouter()
    .openapi(addFieldStaffRoute, async (c) => c.json(fieldStaffView(await addFieldStaff(c.get('deps'), c.req.valid('json'), c.get('staff').id)), 201))
    .openapi(listFieldStaffRoute, async (c) => c.json({ items: (await listFieldStaff(c.get('deps').db, c.req.valid('query'))).map(fieldStaffView) }, 200))
    .openapi(createShiftRoute, async (c) => {
      const body = c.req.valid('json');
      return c.json(shiftView(await createShift(c.get('deps'), { ...body, date: dateOf(c.get('deps'), body.date) }, c.get('staff').id)), 201);
    })
    .openapi(listShiftsRoute, async (c) => {
      const deps = c.get('deps');
      const query = c.req.valid('query');
      const ranged = query.from !== undefined || query.to !== undefined;
      if (ranged && query.date !== undefined) throw validationError([fieldIssue('date', 'date_or_range', { key: 'shifts_date_or_range' })]);
      const today = todayIn(deps.clock.now());
      const from = dateOf(deps, query.from ?? query.date) ?? today;
      const to = ranged ? (dateOf(deps, query.to) ?? addDays(from, 6)) : from;
      return c.json({ items: (await listShifts(deps.db, { from, to })).map(shiftView) }, 200);
    })
    .openapi(updateShiftRoute, async (c) => {
      const { shift, droppedDrafts } = await updateShift(c.get('deps'), c.req.valid('param').id, c.req.valid('json'), c.get('staff').id);
      return c.json({ ...shiftView(shift), droppedDrafts }, 200);
    })
    .openapi(cancelShiftRoute, async (c) => c.json(await cancelShift(c.get('deps'), c.req.valid('param').id, c.get('staff').id), 200))
    .openapi(previewRoute, async (c) => {
      const date = dateOf(c.get('deps'), c.req.valid('param').date);
      const body = c.req.valid('json') ?? {};
      await previewPlan(c.get('deps'), date, { ...body, staffId: c.get('staff').id });
      return c.json(await planView(c.get('deps').db, date, c.get('staff').role, viewLocale(c)), 200);
    })
    .openapi(planRoute, async (c) => c.json(await planView(c.get('deps').db, dateOf(c.get('deps'), c.req.valid('param').date), c.get('staff').role, viewLocale(c)), 200))
    .openapi(commitRoute, async (c) => {
      const deps = c.get('deps');
      // The appointments go out now rather than at the next tick (inside the window and the rate).
      const r = await commitAndSend(deps, dateOf(deps, c.req.valid('param').date), c.get('staff').id);
      const locale = viewLocale(c);
      return c.json({ ...r, leftOut: r.leftOut.map((u) => ({ ...u, message: render(locale, UNPLANNED_REASONS[u.reason]) })) }, 200);
    })
    .openapi(changeVisitRoute, async (c) => {
      const v = await changeVisit(c.get('deps'), c.req.valid('param').id, c.req.valid('json'), c.get('staff').id);
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
    })
    .openapi(cancelVisitRoute, async (c) => {
      const v = await cancelVisit(c.get('deps'), c.req.valid('param').id, c.req.valid('json').reason, c.get('staff').id);
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
    })
    .openapi(noShowRoute, async (c) => {
      const v = await recordNoShow(c.get('deps'), c.req.valid('param').id, c.get('staff'), c.req.valid('json') ?? {});
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
    })
    .openapi(doneRoute, async (c) => recordDone(c.get('deps'), c.req.valid('param').id))
    .openapi(enRouteRoute, async (c) => {
      const deps = c.get('deps');
      const v = await recordProgress(deps, c.req.valid('param').id, 'set_out', c.get('staff'));
      const onTheWaySms = c.req.valid('json')?.tellDriver ? await sendOnTheWaySms(deps, v.id) : undefined;
      return c.json({ ...(await oneVisit(deps.db, v.id, c.get('staff').role)), ...(onTheWaySms ? { onTheWaySms } : {}) }, 200);
    })
    .openapi(arrivedRoute, async (c) => {
      const v = await recordProgress(c.get('deps'), c.req.valid('param').id, 'arrive', c.get('staff'));
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
    })
    .openapi(runNoticesRoute, async (c) => {
      const deps = c.get('deps');
      return c.json(await runDueVisitNotices(deps, deps.config.OUTREACH_RATE_PER_MINUTE), 200);
    })
    .openapi(routeSheetRoute, async (c) => {
      const sheet = await routeSheetFor(c.get('deps'), c.get('staff'), c.req.valid('param').id);
      return c.html(routeSheetHtml(sheet, todayIn(c.get('deps').clock.now())), 200);
    })
    .openapi(routeSheetIcsRoute, async (c) => {
      const deps = c.get('deps');
      const sheet = await routeSheetFor(c.get('deps'), c.get('staff'), c.req.valid('param').id);
      return c.body(routeSheetIcs(sheet, deps.clock.now(), deps.config.PUBLIC_BASE_URL), 200, {
        'Content-Type': 'text/calendar; charset=utf-8',
        'Content-Disposition': `attachment; filename="route-${sheet.date}.ics"`,
      });
    });
}
