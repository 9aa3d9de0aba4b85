import { z } from '@hono/zod-openapi';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { isCivilDate } from '../shared/civil-date.ts';
import { IDEMPOTENCY_KEY, recordExamOnce } from './record.ts';
import { examDetail, examForm, followUpPage, resolveFollowUp } from './views.ts';

const id = (name: string) => z.string().uuid().openapi({ param: { name, in: 'path' } });
const instant = z.iso.datetime({ offset: true }).openapi({ example: '2026-11-26T02:05:00Z' });
/** Log-chart vision (标准对数视力表), 4.0 to 5.3 in tenths. */
const vision = z
  .number()
  .min(4.0)
  .max(5.3)
  .refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9, 'must_be_tenths');

const FindingsSchema = z
  .strictObject({
    heightCm: z.number().min(50).max(260),
    vision: z.strictObject({ left: vision, right: vision, corrected: z.boolean() }),
    redGreenColourBlind: z.boolean(),
    hearing: z.strictObject({ left: z.boolean(), right: z.boolean(), aid: z.boolean() }),
    upperLimbsNormal: z.boolean(),
    lowerLimbs: z.strictObject({ normal: z.boolean(), lengthDifferenceCm: z.number().min(0).max(100) }),
    trunkAndNeckNormal: z.boolean(),
    cognitiveTest: z
      .enum(['pass', 'fail'])
      .nullable()
      .optional()
      .openapi({ description: '三力测试 (RULES.md §3): required, pass or fail, exactly when the exam form says needsCognitiveTest; otherwise leave it out (a value given is kept, and judges nothing)' }),
  })
  .openapi('ExamFindings');

/** The exam as entered (the API's body, and the console's exam form checked the same way). */
export const ExamInputSchema = z
  .strictObject({
    startedAt: instant,
    endedAt: instant,
    findings: FindingsSchema,
    certificate: z.strictObject({
      number: z.string().trim().min(4).max(40).regex(/^[0-9A-Za-z-]+$/, 'letters, digits and dashes only'),
      institution: z.string().trim().min(2).max(100).optional().openapi({ description: "Default: the examiner's organisation" }),
      issuedOn: z.string().refine(isCivilDate, 'must_be_civil_date').optional().openapi({ description: 'Default: the day of the exam' }),
    }),
  })
  .openapi('ExamInput');

const ItemSchema = z.object({ item: z.string(), pass: z.boolean(), reason: z.string().nullable() });
const ExamSchema = z
  .object({
    id: z.string(),
    visitId: z.string(),
    fileNumber: z.string(),
    examinerId: z.string(),
    recordedBy: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    pass: z.boolean(),
    classes: z.array(z.string()).openapi({ description: 'The classes the thresholds were taken from (those the driver will hold)' }),
    thresholds: z.object({ vision: z.number(), hearingAidAllowed: z.boolean() }),
    items: z.array(ItemSchema),
    findings: FindingsSchema,
    certificate: z.object({ number: z.string(), institution: z.string(), issuedOn: z.string(), validUntil: z.string() }),
    cases: z.array(
      z.object({
        caseId: z.string(),
        category: z.string(),
        outcome: z.enum(['submitted', 'follow_up']),
        reason: z.string().nullable(),
        hint: z.string().nullable(),
        resolution: z.string().nullable(),
        submission: z.object({ id: z.string(), status: z.string(), notBefore: z.string() }).nullable(),
      }),
    ),
  })
  .openapi('Exam');

const FormSchema = z
  .object({
    visit: z.object({ id: z.string(), date: z.string(), status: z.string(), windowStart: z.string(), windowEnd: z.string(), stop: z.string() }),
    driver: z.object({ name: z.string(), sex: z.enum(['M', 'F']), age: z.number().int(), idNumberMasked: z.string(), classes: z.array(z.string()), address: z.string() }),
    classesToHold: z.array(z.string()),
    thresholds: z.object({ vision: z.number(), hearingAidAllowed: z.boolean() }),
    needsCognitiveTest: z.boolean(),
    cases: z.array(
      z.object({
        id: z.string(),
        category: z.string(),
        business: z.string().nullable(),
        opensOn: z.string(),
        dueOn: z.string(),
        targetClasses: z.array(z.string()).nullable(),
        needsCognitiveTest: z.boolean(),
      }),
    ),
    certificate: z.object({ institution: z.string(), examiner: z.string(), validMonths: z.number().int() }),
  })
  .openapi('ExamForm');

const FollowUpSchema = z
  .object({
    caseId: z.string(),
    examId: z.string(),
    examinedAt: z.string(),
    examPassed: z.boolean(),
    fileNumber: z.string(),
    category: z.string(),
    dueOn: z.string(),
    lapsesOn: z.string().nullable(),
    caseStatus: z.string(),
    driver: z.object({ nameMasked: z.string(), phoneMasked: z.string() }),
    reason: z.string().nullable(),
    hint: z.string().nullable().openapi({ description: 'e.g. a downgrade that would still pass' }),
    resolvedAt: z.string().nullable(),
    resolution: z.enum(['revisit', 'handled']).nullable(),
    note: z.string().nullable(),
  })
  .openapi('FollowUp');

const ok = <T extends z.ZodTypeAny>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const formRoute = apiRoute('exams:record', {
  method: 'get',
  path: '/api/visits/{id}/exam-form',
  summary: "What the examiner's phone needs before the exam: the driver, the thresholds, the cases",
  request: { params: z.object({ id: id('id') }) },
  responses: { 200: ok('The form', FormSchema), 404: { description: 'No such visit' }, 409: { description: 'Not booked, or before its day' } },
});

const recordRoute = apiRoute('exams:record', {
  method: 'post',
  path: '/api/visits/{id}/exam',
  summary: 'Record the exam (RULES.md §5): closes the visit; a pass files each case to 12123, a fail goes to follow-up',
  request: {
    params: z.object({ id: id('id') }),
    headers: z.object({
      'idempotency-key': z
        .string()
        .regex(IDEMPOTENCY_KEY, 'idempotency_key_invalid')
        .optional()
        .openapi({ description: 'Any 1-100 visible ASCII characters, new for each exam (a UUID): sent again with the same body, the first answer comes back (Idempotent-Replayed: true); with another body, a 409 idempotency_mismatch' }),
    }),
    body: { content: { 'application/json': { schema: ExamInputSchema } }, required: true },
  },
  responses: {
    201: ok('The exam as recorded (or, for a repeated Idempotency-Key, as it was recorded then)', ExamSchema),
    404: { description: 'No such visit' },
    409: { description: 'Not booked, before its day, or recorded already; or idempotency_mismatch' },
  },
});

const examRoute = apiRoute('exams:read', {
  method: 'get',
  path: '/api/exams/{id}',
  summary: 'An exam with its findings (admins, and the examiner of the shift); every view is audited',
  request: { params: z.object({ id: id('id') }) },
  responses: { 200: ok('The exam', ExamSchema), 404: { description: 'No such exam' } },
});

const followUpsRoute = apiRoute('follow-ups:manage', {
  method: 'get',
  path: '/api/follow-ups',
  summary: 'Cases an exam could not settle: a failed exam (with any downgrade that would still pass), or a certificate expiring before the case opens',
  request: { query: z.strictObject({ status: z.enum(['open', 'resolved', 'all']).default('open'), ...pageQuery }) },
  responses: { 200: ok('A page of follow-ups', pageSchema(FollowUpSchema)) },
});

const resolveRoute = apiRoute('follow-ups:manage', {
  method: 'post',
  path: '/api/follow-ups/{caseId}/resolve',
  summary: 'Close a follow-up: `revisit` puts the driver back in the planner pool, `handled` settles it otherwise',
  request: {
    params: z.object({ caseId: id('caseId') }),
    body: { content: { 'application/json': { schema: z.strictObject({ resolution: z.enum(['revisit', 'handled']), note: z.string().trim().max(500).optional() }) } }, required: true },
  },
  responses: { 204: { description: 'Closed' }, 404: { description: 'No open follow-up for this case' } },
});

export function examRoutes() {
  return createRouter()
    .openapi(formRoute, async (c) => c.json(await examForm(c.get('deps'), c.req.valid('param').id, c.get('staff')), 200))
    .openapi(recordRoute, async (c) => {
      const answer = await recordExamOnce(c.get('deps'), c.req.valid('param').id, c.req.valid('json'), c.get('staff'), c.req.valid('header')['idempotency-key']);
      if (answer.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(answer.body, answer.status);
    })
    .openapi(examRoute, async (c) => c.json(await examDetail(c.get('deps'), c.req.valid('param').id, c.get('staff')), 200))
    .openapi(followUpsRoute, async (c) => c.json(await followUpPage(c.get('deps'), c.req.valid('query')), 200))
    .openapi(resolveRoute, async (c) => {
      const body = c.req.valid('json');
      await resolveFollowUp(c.get('deps'), c.req.valid('param').caseId, { resolution: body.resolution, note: body.note ?? null }, c.get('staff').id);
      return c.body(null, 204);
    });
}
