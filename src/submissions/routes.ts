import { z } from '@hono/zod-openapi';
import { SUBMISSION_STATUSES, type SubmissionRow } from '../db/schema/submissions.ts';
import { AppError, fieldIssue, validationError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { afterCursor, page, pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { addDays, daysBetween } from '../shared/civil-date.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { todayIn } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { dailyFigures, PROMISE_MINUTES, queueFigures } from './figures.ts';
import { retryDeadQueries, setPausedQuery } from './queue.ts';

const civilDate = dateInput();
const id = z.string().uuid().openapi({ param: { name: 'id', in: 'path' } });
const ok = <T extends z.ZodTypeAny>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const SubmissionSchema = z
  .object({
    id: z.string(),
    caseId: z.string(),
    examId: z.string(),
    fileNumber: z.string(),
    business: z.string(),
    status: z.enum(SUBMISSION_STATUSES),
    notBefore: z.string(),
    attempts: z.number().int(),
    nextAttemptAt: z.string(),
    leaseExpiresAt: z.string().nullable(),
    lastError: z.string().nullable(),
    reference: z.string().nullable(),
    idempotencyKey: z.string(),
    examStartedAt: z.string(),
    acceptedAt: z.string().nullable(),
    deadAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Submission');

const view = (s: SubmissionRow): z.infer<typeof SubmissionSchema> => ({
  id: s.id,
  caseId: s.case_id,
  examId: s.exam_id,
  fileNumber: s.file_number,
  business: s.business,
  status: s.status,
  notBefore: s.not_before,
  attempts: s.attempts,
  nextAttemptAt: s.next_attempt_at,
  leaseExpiresAt: s.lease_expires_at,
  lastError: s.last_error,
  reference: s.reference,
  idempotencyKey: s.idempotency_key,
  examStartedAt: s.exam_started_at,
  acceptedAt: s.accepted_at,
  deadAt: s.dead_at,
  createdAt: s.created_at,
});

const EventSchema = z.object({ at: z.string(), kind: z.string(), httpStatus: z.number().int().nullable(), error: z.string().nullable(), staffId: z.string().nullable() });
const QueueSchema = z
  .object({ paused: z.boolean(), pending: z.number().int(), waitingForOpening: z.number().int(), leased: z.number().int(), dead: z.number().int() })
  .openapi('SubmissionQueue');
const DaySchema = z
  .object({
    date: z.string(),
    accepted: z.number().int(),
    filedAtOnce: z.number().int(),
    examToAcceptanceMinutes: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() }),
    withinPromise: z.number().int(),
    waitedForOpening: z.number().int(),
    retries: z.number().int(),
    deadLettered: z.number().int(),
    cancelled: z.number().int(),
  })
  .openapi('SubmissionDay');

const listRoute = apiRoute('submissions:read', {
  method: 'get',
  path: '/api/submissions',
  summary: 'The 12123 submissions, newest first, by status',
  request: { query: z.strictObject({ status: z.enum(SUBMISSION_STATUSES).optional(), fileNumber: z.string().regex(/^\d{12}$/, 'must_be_12_digits').optional(), ...pageQuery }) },
  responses: { 200: ok('A page of submissions', pageSchema(SubmissionSchema)) },
});

const oneRoute = apiRoute('submissions:read', {
  method: 'get',
  path: '/api/submissions/{id}',
  summary: 'A submission with its payload and every try at the gateway',
  request: { params: z.object({ id }) },
  responses: { 200: ok('The submission', SubmissionSchema.extend({ payload: z.unknown(), events: z.array(EventSchema) })), 404: { description: 'No such submission' } },
});

const figuresRoute = apiRoute('submissions:read', {
  method: 'get',
  path: '/api/submissions/figures',
  summary: `Per day (China time): exam start to 12123 acceptance p50/p95 in minutes (promise: under ${PROMISE_MINUTES}), retries, dead letters; and the queue now`,
  request: { query: z.strictObject({ from: civilDate.optional().openapi({ description: 'Default: 6 days before `to`' }), to: civilDate.optional().openapi({ description: 'Default: today' }) }) },
  responses: { 200: ok('The figures', z.object({ promiseMinutes: z.number().int(), queue: QueueSchema, days: z.array(DaySchema) })) },
});

const pauseRoute = apiRoute('submissions:manage', {
  method: 'post',
  path: '/api/submissions/pause',
  summary: 'Stop every worker from sending (submissions under way finish)',
  responses: { 200: ok('The queue', QueueSchema) },
});

const resumeRoute = apiRoute('submissions:manage', {
  method: 'post',
  path: '/api/submissions/resume',
  summary: 'Let the workers send again',
  responses: { 200: ok('The queue', QueueSchema) },
});

const retryRoute = apiRoute('submissions:manage', {
  method: 'post',
  path: '/api/submissions/retry',
  summary: 'Send dead-lettered submissions again (the given ones, or all of them), their tries counted afresh',
  request: { body: { content: { 'application/json': { schema: z.strictObject({ ids: z.array(z.string().uuid()).min(1).max(1000).optional(), all: z.literal(true).optional() }) } }, required: true } },
  responses: { 200: ok('How many went back to the queue', z.object({ retried: z.number().int() })), 400: { description: 'Neither ids nor all' } },
});

async function queueNow(deps: AppDeps) {
  return queueFigures(deps.db, todayIn(deps.clock.now()));
}

export function submissionRoutes() {
  return createRouter()
    .openapi(figuresRoute, async (c) => {
      const deps = c.get('deps');
      const q = c.req.valid('query');
      const to = dateOf(deps, q.to) ?? todayIn(deps.clock.now());
      const from = dateOf(deps, q.from) ?? addDays(to, -6);
      if (from > to || daysBetween(from, to) > 366) {
        throw validationError([fieldIssue('from', 'bad_range', { key: 'bad_range' })]);
      }
      return c.json({ promiseMinutes: PROMISE_MINUTES, queue: await queueNow(deps), days: await dailyFigures(deps.db, from, to) }, 200);
    })
    .openapi(listRoute, async (c) => {
      const q = c.req.valid('query');
      let query = c.get('deps').db.selectFrom('submissions').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.fileNumber) query = query.where('file_number', '=', q.fileNumber);
      if (q.cursor) query = query.where(afterCursor(q.cursor, ['created_at', 'id'], 'desc'));
      const { items, nextCursor } = page(await query.execute(), q.limit, (s) => [s.created_at, s.id]);
      return c.json({ items: items.map(view), nextCursor }, 200);
    })
    .openapi(oneRoute, async (c) => {
      const db = c.get('deps').db;
      const s = await db.selectFrom('submissions').selectAll().where('id', '=', c.req.valid('param').id).executeTakeFirst();
      if (!s) throw AppError.keyed('not_found', { key: 'submission_not_found' });
      const events = await db.selectFrom('submission_events').selectAll().where('submission_id', '=', s.id).orderBy('at').execute();
      return c.json(
        { ...view(s), payload: JSON.parse(s.payload) as unknown, events: events.map((e) => ({ at: e.at, kind: e.kind, httpStatus: e.http_status, error: e.error, staffId: e.staff_id })) },
        200,
      );
    })
    .openapi(pauseRoute, async (c) => {
      const deps = c.get('deps');
      await deps.atomic([setPausedQuery(deps, true, c.get('staff').id), auditEntry(deps, { staffId: c.get('staff').id, action: 'submissions.pause' })]);
      return c.json(await queueNow(deps), 200);
    })
    .openapi(resumeRoute, async (c) => {
      const deps = c.get('deps');
      await deps.atomic([setPausedQuery(deps, false, c.get('staff').id), auditEntry(deps, { staffId: c.get('staff').id, action: 'submissions.resume' })]);
      return c.json(await queueNow(deps), 200);
    })
    .openapi(retryRoute, async (c) => {
      const deps = c.get('deps');
      const body = c.req.valid('json');
      if (!body.ids === !body.all) {
        throw validationError([fieldIssue('ids', 'ids_or_all', { key: 'ids_or_all' })]);
      }
      const ids = body.ids ?? (await deps.db.selectFrom('submissions').select('id').where('status', '=', 'dead').execute()).map((r) => r.id);
      const staffId = c.get('staff').id;
      const results = await deps.atomic([...retryDeadQueries(deps, ids, staffId), auditEntry(deps, { staffId, action: 'submissions.retry', details: { count: ids.length, all: body.all === true } })]);
      return c.json({ retried: Number(results[1]?.numAffectedRows ?? 0) }, 200);
    });
}
