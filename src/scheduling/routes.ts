import { z } from '@hono/zod-openapi';
import type { FieldStaffRow } from '../db/schema/scheduling.ts';
import { AppError } from '../errors.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import { render } from '../i18n/messages.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { formatPhone } from '../shared/phone-display.ts';
import { todayIn } from '../shared/time.ts';
import type { StaffMember } from '../staff/repository.ts';
import type { AppDeps } from '../http/env.ts';
import { runDueVisitNotices } from './notices.ts';
import { UNPLANNED_REASONS } from './plan-rules.ts';
import { commitAndSend, previewPlan } from './planning.ts';
import { oneVisit, PlanSchema, planView, ShiftSchema, shiftView, UnplannedSchema, VisitSchema } from './plan-view.ts';
import { routeSheetOf } from './repository.ts';
import { routeSheetHtml, routeSheetIcs } from './route-sheet.ts';
import { addFieldStaff, cancelShift, createShift } from './shifts.ts';
import { cancelVisit, changeVisit, recordDone, recordNoShow, recordProgress } from './visits.ts';

/** Kept here too: the shift view moved to plan-view.ts with the plan it is part of. */
export { shiftView } from './plan-view.ts';

const civilDate = dateInput();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must_be_hhmm');
const id = (name: string) => z.string().uuid().openapi({ param: { name, in: 'path' } });
const dateParam = z.object({ date: civilDate.openapi({ param: { name: 'date', in: 'path' }, example: 'tomorrow' }) });
const lat = z.number().min(-90).max(90);
const lng = z.number().min(-180).max(180);
const PlaceSchema = z.strictObject({ label: z.string().trim().min(1).max(100), lat, lng });

const FieldStaffSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['postal', 'examiner']),
    name: z.string(),
    phone: z.string().openapi({ description: 'E.164, for programs' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it: 139 0000 0001' }),
    organisation: z.string(),
    staffId: z.string().nullable(),
    active: z.boolean(),
  })
  .openapi('FieldStaff');

const fieldStaffView = (r: FieldStaffRow): z.infer<typeof FieldStaffSchema> => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  phone: r.phone,
  phoneDisplay: formatPhone(r.phone),
  organisation: r.organisation,
  staffId: r.staff_id,
  active: r.active === 1,
});

const json = <T extends z.ZodTypeAny>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = <T extends z.ZodTypeAny>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const addFieldStaffRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/field-staff',
  summary: 'Add a postal worker or a medical examiner',
  request: {
    body: json(
      z.strictObject({
        kind: z.enum(['postal', 'examiner']),
        name: z.string().trim().min(1).max(50),
        phone: z.string().trim().min(5).max(20),
        organisation: z.string().trim().min(1).max(100).openapi({ example: '聊城市邮政分公司' }),
        staffId: z.string().uuid().optional().openapi({ description: 'The staff account of the person (an examiner records exams with it)' }),
      }),
    ),
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
    body: json(
      z.strictObject({
        date: civilDate,
        startsAt: hhmm,
        endsAt: hhmm,
        postalId: z.string().uuid(),
        examinerId: z.string().uuid(),
        start: PlaceSchema,
        end: PlaceSchema.optional().openapi({ description: 'Default: the start' }),
        area: z
          .strictObject({
            communities: z.array(z.string().trim().min(1).max(100)).max(500).optional(),
            center: z.strictObject({ lat, lng }).optional(),
            radiusKm: z.number().positive().max(200).optional(),
          })
          .optional()
          .openapi({ description: 'Only drivers of these communities or inside this circle (either one); none = anyone' }),
        capacity: z.number().int().min(1).max(200).optional().openapi({ description: 'Most visits; default one per quarter hour' }),
      }),
    ),
  },
  responses: { 201: ok('Created', ShiftSchema), 409: { description: 'A crew member is in an overlapping shift' } },
});

const listShiftsRoute = apiRoute('scheduling:read', {
  method: 'get',
  path: '/api/shifts',
  summary: 'Shifts of a date',
  request: { query: z.strictObject({ date: civilDate.optional().openapi({ description: 'Default today' }) }) },
  responses: { 200: ok('The shifts, by start time', z.object({ items: z.array(ShiftSchema) })) },
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

const noShowRoute = apiRoute('scheduling:manage', {
  method: 'post',
  path: '/api/visits/{id}/no-show',
  summary: 'Nobody was at the door: recorded, and the driver goes back to the pool',
  request: { params: z.object({ id: id('id') }) },
  responses: { 200: ok('The visit', VisitSchema), 404: { description: 'No such visit' }, 409: { description: 'Refused by the visit life cycle (not told yet, or closed), or before its day' } },
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
  request: { params: z.object({ id: id('id') }) },
  responses: progressResponses,
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

async function sheetFor(deps: AppDeps, staff: StaffMember, shiftId: string) {
  const sheet = await routeSheetOf(deps.db, shiftId);
  if (!sheet) throw AppError.keyed('not_found', { key: 'shift_not_found' });
  // The crew's own accounts (examiner, or the postal worker if linked to one) see their own sheet.
  const own = sheet.examinerStaffId === staff.id || sheet.postalStaffId === staff.id;
  if (staff.role === 'examiner' && !own) throw AppError.keyed('forbidden', { key: 'examiner_own_sheets' });
  return sheet;
}

/** The caller's language for the words a view carries (the unplanned reasons); said in Content-Language. */
function viewLocale(c: { req: { header(name: string): string | undefined }; header(name: string, value: string): void }): Locale {
  const locale = negotiateLocale(c.req.header('accept-language'));
  c.header('Content-Language', locale);
  return locale;
}

export function schedulingRoutes() {
  return createRouter()
    .openapi(addFieldStaffRoute, async (c) => c.json(fieldStaffView(await addFieldStaff(c.get('deps'), c.req.valid('json'), c.get('staff').id)), 201))
    .openapi(listFieldStaffRoute, async (c) => {
      const { kind } = c.req.valid('query');
      let q = c.get('deps').db.selectFrom('field_staff').selectAll().orderBy('name').orderBy('id');
      if (kind) q = q.where('kind', '=', kind);
      return c.json({ items: (await q.execute()).map(fieldStaffView) }, 200);
    })
    .openapi(createShiftRoute, async (c) => {
      const body = c.req.valid('json');
      return c.json(shiftView(await createShift(c.get('deps'), { ...body, date: dateOf(c.get('deps'), body.date) }, c.get('staff').id)), 201);
    })
    .openapi(listShiftsRoute, async (c) => {
      const deps = c.get('deps');
      const date = dateOf(deps, c.req.valid('query').date) ?? todayIn(deps.clock.now());
      const rows = await deps.db.selectFrom('shifts').selectAll().where('date', '=', date).orderBy('starts_at').orderBy('id').execute();
      return c.json({ items: rows.map(shiftView) }, 200);
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
      const v = await recordNoShow(c.get('deps'), c.req.valid('param').id, c.get('staff').id);
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
    })
    .openapi(doneRoute, async (c) => recordDone(c.get('deps'), c.req.valid('param').id))
    .openapi(enRouteRoute, async (c) => {
      const v = await recordProgress(c.get('deps'), c.req.valid('param').id, 'set_out', c.get('staff'));
      return c.json(await oneVisit(c.get('deps').db, v.id, c.get('staff').role), 200);
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
      const sheet = await sheetFor(c.get('deps'), c.get('staff'), c.req.valid('param').id);
      return c.html(routeSheetHtml(sheet, todayIn(c.get('deps').clock.now())), 200);
    })
    .openapi(routeSheetIcsRoute, async (c) => {
      const deps = c.get('deps');
      const sheet = await sheetFor(c.get('deps'), c.get('staff'), c.req.valid('param').id);
      return c.body(routeSheetIcs(sheet, deps.clock.now(), deps.config.PUBLIC_BASE_URL), 200, {
        'Content-Type': 'text/calendar; charset=utf-8',
        'Content-Disposition': `attachment; filename="route-${sheet.date}.ics"`,
      });
    });
}
