import { z } from '@hono/zod-openapi';
import { fieldIssue, validationError } from '../errors.ts';
import { afterCursor, page, pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { CASE_CATEGORIES } from '../screening/case.ts';
import { addDays } from '../shared/civil-date.ts';
import { dateInput, dateOf } from '../http/date-input.ts';
import { formatPhone } from '../shared/phone-display.ts';
import { todayIn } from '../shared/time.ts';
import { CONVERSATION_STATUSES, ConversationSchema, listCallList, listConversations, PhoneOutcomeBodySchema, recordPhoneOutcome, StartBodySchema } from './conversations.ts';
import { INBOX_MEANINGS, listInbox, ResolveInboxBodySchema, resolveInboxItem } from './inbox.ts';
import { listOptOuts } from './opt-outs.ts';
import { outreachStats } from './stats.ts';
import { startOutreach } from './start.ts';
import { runDueSteps } from './steps.ts';
import { driverTimeline, TimelineItemSchema } from './timeline.ts';

const start = apiRoute('outreach:run', {
  method: 'post',
  path: '/api/outreach/start',
  summary: 'Start outreach for drivers with open cases',
  description: 'One conversation per driver covering all open cases, earliest due first. Drivers already in a conversation or opted out are left out.',
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: StartBodySchema,
        },
      },
    },
  },
  responses: { 201: { description: 'How many started', content: { 'application/json': { schema: z.object({ started: z.number().int(), remaining: z.number().int() }) } } } },
});

const runNow = apiRoute('outreach:run', {
  method: 'post',
  path: '/api/outreach/run',
  summary: 'Run the due outreach steps now (the server also does it every OUTREACH_TICK_SECONDS)',
  responses: {
    200: {
      description: 'What happened to the due steps',
      content: {
        'application/json': {
          schema: z.object({ sent: z.number(), skipped: z.number(), deferred: z.number(), failed: z.number(), listed: z.number(), retrying: z.number() }),
        },
      },
    },
  },
});

const conversations = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/conversations',
  summary: 'Conversations, latest change first',
  request: { query: z.strictObject({ ...pageQuery, status: z.enum(CONVERSATION_STATUSES).optional(), fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').optional() }) },
  responses: { 200: { description: 'A page of conversations', content: { 'application/json': { schema: pageSchema(ConversationSchema) } } } },
});

const callList = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/call-list',
  summary: 'Drivers no SMS or call reached: staff call them',
  request: { query: z.strictObject(pageQuery) },
  responses: { 200: { description: 'A page of unreachable conversations, longest waiting first', content: { 'application/json': { schema: pageSchema(ConversationSchema) } } } },
});

const phoneOutcome = apiRoute('outreach:call', {
  method: 'post',
  path: '/api/outreach/conversations/{id}/phone-outcome',
  summary: 'Record what the driver said when staff called',
  request: {
    params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: PhoneOutcomeBodySchema,
        },
      },
    },
  },
  responses: {
    200: { description: 'The conversation after the outcome', content: { 'application/json': { schema: ConversationSchema } } },
    404: { description: 'No such conversation' },
    409: { description: 'The conversation is closed' },
  },
});

const timeline = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/drivers/{fileNumber}/timeline',
  summary: "Every message, call, status, step and answer of a driver's outreach, in time order",
  request: { params: z.object({ fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').openapi({ param: { name: 'fileNumber', in: 'path' } }) }) },
  responses: { 200: { description: 'The timeline', content: { 'application/json': { schema: z.object({ fileNumber: z.string(), items: z.array(TimelineItemSchema) }) } } } },
});

const MessageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string().nullable(),
    fileNumber: z.string().nullable(),
    direction: z.enum(['out', 'in']),
    channel: z.enum(['sms', 'voice']),
    phone: z.string().openapi({ description: 'E.164, for programs' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it: 138 0000 0001, 0635-2904665' }),
    purpose: z.string(),
    body: z.string().nullable(),
    segments: z.number().int().nullable(),
    provider: z.enum(['twilio', 'recording', 'twiml']),
    providerSid: z.string().nullable(),
    status: z.string(),
    errorCode: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Message');

const messages = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/messages',
  summary: 'SMS and calls in both directions, newest first (with the recording adapter: what would have been sent)',
  request: { query: z.strictObject({ ...pageQuery, direction: z.enum(['out', 'in']).optional(), channel: z.enum(['sms', 'voice']).optional() }) },
  responses: { 200: { description: 'A page of messages', content: { 'application/json': { schema: pageSchema(MessageSchema) } } } },
});

const InboxItemSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    channel: z.string(),
    body: z.string().nullable(),
    phone: z.string().openapi({ description: 'E.164, for programs (masked for a role without outreach:read)' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it; masked for a role without outreach:read' }),
    intent: z.string(),
    outcome: z.string(),
    reason: z.enum(['unknown_number', 'shared_number', 'not_understood']),
    status: z.enum(['open', 'resolved']),
    drivers: z
      .array(
        z.object({
          fileNumberMasked: z.string(),
          name: z.string(),
          caseId: z.string().nullable().openapi({ description: "The driver's earliest open case: name it to resolve a shared number's reply" }),
          conversationId: z.string(),
          conversationStatus: z.string(),
        }),
      )
      .openapi({ description: 'The drivers with an open conversation on the number (a known driver: that driver)' }),
    resolution: z.object({ meaning: z.enum(INBOX_MEANINGS), by: z.string().nullable(), at: z.string() }).nullable(),
  })
  .openapi('InboxItem');

const inbox = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/inbox',
  summary: 'Replies staff must decide: unknown or shared numbers, and text the parser did not understand',
  request: { query: z.strictObject({ ...pageQuery, status: z.enum(['open', 'resolved', 'all']).default('open').openapi({ description: 'Default open' }) }) },
  responses: { 200: { description: 'A page of replies, oldest first', content: { 'application/json': { schema: pageSchema(InboxItemSchema) } } } },
});

const resolveInbox = apiRoute('outreach:call', {
  method: 'post',
  path: '/api/outreach/inbox/{id}/resolve',
  summary: 'Decide what an inbox reply meant; applied as the reply parser would have (no SMS back), once, audited',
  request: {
    params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: ResolveInboxBodySchema,
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The item, resolved, and the outcome of the applied answer (null for ignore)',
      content: { 'application/json': { schema: z.object({ item: InboxItemSchema, outcome: z.string().nullable() }) } },
    },
    404: { description: 'No such reply in the inbox' },
    409: { description: 'Already resolved, or the named driver has no open conversation' },
  },
});

const optOuts = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/opt-outs',
  summary: 'Numbers that opted out: who, when, by which channel; newest first',
  request: { query: z.strictObject(pageQuery) },
  responses: {
    200: {
      description: 'A page of opt-outs',
      content: {
        'application/json': {
          schema: pageSchema(
            z.object({
              phone: z.string(),
              phoneDisplay: z.string(),
              at: z.string(),
              channel: z.enum(['sms', 'voice', 'phone']),
              fileNumber: z.string().nullable().openapi({ description: 'The driver the opt-out was matched to, if one' }),
              name: z.string().nullable(),
            }),
          ),
        },
      },
    },
  },
});

const StatsRow = z.object({
  day: z.string(),
  channel: z.enum(['sms', 'voice', 'phone']),
  category: z.enum(CASE_CATEGORIES),
  sent: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
  answered: z.number().int(),
  confirmed: z.number().int(),
  declined: z.number().int(),
  optedOut: z.number().int(),
});

const stats = apiRoute('outreach:read', {
  method: 'get',
  path: '/api/outreach/stats',
  summary: 'Daily figures per channel and case category',
  description: 'Days in Asia/Shanghai. A conversation counts under each category it covers.',
  request: { query: z.strictObject({ from: dateInput().optional().openapi({ description: 'Default 7 days ago' }), to: dateInput().optional().openapi({ description: 'Default today' }) }) },
  responses: { 200: { description: 'One row per day, channel and category with any activity', content: { 'application/json': { schema: z.object({ from: z.string(), to: z.string(), rows: z.array(StatsRow) }) } } } },
});

export function outreachRoutes() {
  return createRouter()
    .openapi(start, async (c) => {
      const body = c.req.valid('json') ?? { limit: 100 };
      const result = await startOutreach(c.get('deps'), { staffId: c.get('staff').id, limit: body.limit ?? 100, category: body.category, community: body.community });
      return c.json(result, 201);
    })
    .openapi(runNow, async (c) => {
      const deps = c.get('deps');
      return c.json(await runDueSteps(deps, deps.config.OUTREACH_RATE_PER_MINUTE), 200);
    })
    .openapi(conversations, async (c) => c.json(await listConversations(c.get('deps'), c.req.valid('query'), c.get('staff').role), 200))
    .openapi(callList, async (c) => c.json(await listCallList(c.get('deps'), c.req.valid('query'), c.get('staff').role), 200))
    .openapi(phoneOutcome, async (c) => {
      const staff = c.get('staff');
      return c.json(await recordPhoneOutcome(c.get('deps'), c.req.valid('param').id, c.req.valid('json'), { id: staff.id, role: staff.role }), 200);
    })
    .openapi(timeline, async (c) => {
      const { fileNumber } = c.req.valid('param');
      return c.json({ fileNumber, items: await driverTimeline(c.get('deps').db, fileNumber) }, 200);
    })
    .openapi(messages, async (c) => {
      const { limit, cursor, direction, channel } = c.req.valid('query');
      let q = c.get('deps').db.selectFrom('messages').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (direction) q = q.where('direction', '=', direction);
      if (channel) q = q.where('channel', '=', channel);
      if (cursor) q = q.where(afterCursor(cursor, ['created_at', 'id'], 'desc'));
      const { items, nextCursor } = page(await q.execute(), limit, (r) => [r.created_at, r.id]);
      return c.json(
        {
          items: items.map((m) => ({
            id: m.id,
            conversationId: m.conversation_id,
            fileNumber: m.file_number,
            direction: m.direction,
            channel: m.channel,
            phone: m.phone,
            phoneDisplay: formatPhone(m.phone),
            purpose: m.purpose,
            body: m.body,
            segments: m.segments,
            provider: m.provider,
            providerSid: m.provider_sid,
            status: m.status,
            errorCode: m.error_code,
            createdAt: m.created_at,
            updatedAt: m.updated_at,
          })),
          nextCursor,
        },
        200,
      );
    })
    .openapi(inbox, async (c) => c.json(await listInbox(c.get('deps'), c.req.valid('query'), c.get('staff').role), 200))
    .openapi(resolveInbox, async (c) => {
      const staff = c.get('staff');
      return c.json(await resolveInboxItem(c.get('deps'), c.req.valid('param').id, c.req.valid('json'), { id: staff.id, role: staff.role }), 200);
    })
    .openapi(optOuts, async (c) => c.json(await listOptOuts(c.get('deps').db, c.req.valid('query'), c.get('staff').role), 200))
    .openapi(stats, async (c) => {
      const deps = c.get('deps');
      const query = c.req.valid('query');
      const to = dateOf(deps, query.to) ?? todayIn(deps.clock.now());
      const from = dateOf(deps, query.from) ?? addDays(to, -6);
      if (from > to) throw validationError([fieldIssue('from', 'after_to', { key: 'after_to' })]);
      return c.json({ from, to, rows: await outreachStats(deps.db, from, to) }, 200);
    });
}
