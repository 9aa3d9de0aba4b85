import { z } from '@hono/zod-openapi';
import { SUBMISSION_STATUSES } from '../db/schema/submissions.ts';
import { fieldIssue, validationError } from '../errors.ts';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { addDays, daysBetween } from '../shared/civil-date.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { todayIn } from '../shared/time.ts';
import { dailyFigures, PROMISE_MINUTES } from './figures.ts';
import { listSubmissions, queueNow, retryDeadSubmissions, setSubmissionsPaused, submissionDetail } from './service.ts';

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
    heldFor: z.enum(['authorisation']).nullable().openapi({ description: 'authorisation: not sent until the driver’s 委托书 is recorded (Art 105)' }),
    idempotencyKey: z.string(),
    examStartedAt: z.string(),
    acceptedAt: z.string().nullable(),
    deadAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Submission');

const EventSchema = z.object({ at: z.string(), kind: z.string(), httpStatus: z.number().int().nullable(), error: z.string().nullable(), staffId: z.string().nullable() });
const QueueSchema = z
  .object({
    paused: z.boolean(),
    pending: z.number().int(),
    ready: z.number().int().openapi({ description: 'Of the pending, neither waiting for the opening day nor held: sent next' }),
    waitingForOpening: z.number().int(),
    waitingForAuthorisation: z.number().int().openapi({ description: 'Of the pending, held until the driver’s 委托书 is recorded (Art 105)' }),
    leased: z.number().int(),
    dead: z.number().int(),
  })
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
    .openapi(listRoute, async (c) => c.json(await listSubmissions(c.get('deps').db, c.req.valid('query')), 200))
    .openapi(oneRoute, async (c) => c.json(await submissionDetail(c.get('deps').db, c.req.valid('param').id), 200))
    .openapi(pauseRoute, async (c) => c.json(await setSubmissionsPaused(c.get('deps'), true, c.get('staff').id), 200))
    .openapi(resumeRoute, async (c) => c.json(await setSubmissionsPaused(c.get('deps'), false, c.get('staff').id), 200))
    .openapi(retryRoute, async (c) => c.json({ retried: await retryDeadSubmissions(c.get('deps'), c.req.valid('json'), c.get('staff').id) }, 200));
}
