import { z } from '@hono/zod-openapi';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { DriverSummarySchema, driverSummary } from '../registry/licence-view.ts';
import { CASE_CATEGORIES } from '../screening/case.ts';
import { isCivilDate } from '../shared/civil-date.ts';
import { auditEntry } from '../staff/audit.ts';
import type { Role } from '../staff/permissions.ts';
import { planAnswer } from './answers.ts';

/**
 * Conversations as staff and programs see them (issue 3, issue 15 "Outreach"): the list with each
 * driver's place on the ladder, the call list of drivers no SMS or call reached, and what staff
 * heard on a hand call. The API routes (routes.ts) and the console pages both call these.
 */
export const CONVERSATION_STATUSES = ['active', 'unreachable', 'confirmed', 'declined', 'reschedule', 'opted_out', 'closed'] as const;
export type ConversationStatusFilter = (typeof CONVERSATION_STATUSES)[number];
const civilDate = z.string().refine(isCivilDate, 'must_be_civil_date');

const NoticeSchema = z.object({ status: z.string().openapi({ description: "The provider's status (queued, sent, delivered, no-answer, completed...)" }), at: z.string() });

export const ConversationSchema = z
  .object({
    id: z.string(),
    fileNumber: z.string(),
    status: z.enum(CONVERSATION_STATUSES),
    categories: z.array(z.enum(CASE_CATEGORIES)),
    startedAt: z.string(),
    updatedAt: z.string(),
    answeredAt: z.string().nullable(),
    answerChannel: z.enum(['sms', 'voice', 'phone']).nullable(),
    rescheduleOn: z.string().nullable(),
    reschedulePart: z.enum(['am', 'pm']).nullable(),
    closedReason: z.string().nullable(),
    nextStep: z.object({ seq: z.number().int(), channel: z.enum(['sms', 'voice', 'call_list']), dueAt: z.string() }).nullable(),
    attempts: z.number().int().openapi({ description: 'SMS and calls sent so far' }),
    lastSms: NoticeSchema.nullable().openapi({ description: 'The latest notice SMS and its status, if one was sent' }),
    lastCall: NoticeSchema.nullable().openapi({ description: 'The latest notice call and its status, if one was made' }),
    calls: z.number().int().openapi({ description: 'Notice calls made so far' }),
    driver: DriverSummarySchema,
  })
  .openapi('Conversation');

export type ConversationView = z.infer<typeof ConversationSchema>;

export const PHONE_OUTCOMES = ['confirmed', 'declined', 'reschedule', 'opted_out', 'no_answer', 'wrong_number'] as const;
export type PhoneOutcome = (typeof PHONE_OUTCOMES)[number];

/** The body of POST /api/outreach/conversations/{id}/phone-outcome (the console's form parses with it too). */
export const PhoneOutcomeBodySchema = z.strictObject({
  outcome: z.enum(PHONE_OUTCOMES),
  rescheduleOn: civilDate.optional(),
  partOfDay: z.enum(['am', 'pm']).optional(),
  note: z.string().trim().max(200).optional().openapi({ description: 'No ID numbers or medical data' }),
});
export type PhoneOutcomeInput = z.infer<typeof PhoneOutcomeBodySchema>;

/** The body of POST /api/outreach/start (the console's form parses with it too). */
export const StartBodySchema = z.strictObject({
  limit: z.number().int().min(1).max(100000).default(100).openapi({ description: 'At most this many drivers (default 100)' }),
  category: z.enum(CASE_CATEGORIES).optional(),
  community: z.string().trim().min(1).max(100).optional(),
});

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger'>;

/** The latest notice of a channel as `{status, at}` JSON (messages_conversation index). */
function lastNotice(channel: 'sms' | 'voice') {
  return sql<string | null>`(SELECT json_object('status', m.status, 'at', m.updated_at) FROM messages m
    WHERE m.conversation_id = v.id AND m.direction = 'out' AND m.purpose = 'notice' AND m.channel = ${channel} AND m.provider_sid IS NOT NULL
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1)`;
}

function conversationQuery(db: Kysely<DB>) {
  return db
    .selectFrom('conversations as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .leftJoin('outreach_steps as s', (j) => j.onRef('s.conversation_id', '=', 'v.id').on('s.status', '=', 'pending'))
    .select([
      'v.id',
      'v.file_number',
      'v.status',
      'v.categories',
      'v.started_at',
      'v.updated_at',
      'v.answered_at',
      'v.answer_channel',
      'v.reschedule_on',
      'v.reschedule_part',
      'v.closed_reason',
      's.seq',
      's.channel',
      's.due_at',
      'l.name',
      'l.phone',
      'l.address',
      'l.community',
      'l.id_masked',
      'l.birth_date',
      'l.sex',
      'l.classes',
      sql<number>`(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = v.id AND m.purpose = 'notice' AND m.provider_sid IS NOT NULL)`.as('attempts'),
      sql<number>`(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = v.id AND m.purpose = 'notice' AND m.channel = 'voice' AND m.provider_sid IS NOT NULL)`.as('calls'),
      lastNotice('sms').as('last_sms'),
      lastNotice('voice').as('last_call'),
    ]);
}

type ConversationJoin = Awaited<ReturnType<ReturnType<typeof conversationQuery>['execute']>>[number];

function notice(json: string | null): z.infer<typeof NoticeSchema> | null {
  return json === null ? null : (JSON.parse(json) as z.infer<typeof NoticeSchema>);
}

function conversationView(r: ConversationJoin, role: Role): ConversationView {
  return {
    id: r.id,
    fileNumber: r.file_number,
    status: r.status,
    categories: JSON.parse(r.categories) as ConversationView['categories'],
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    answeredAt: r.answered_at,
    answerChannel: r.answer_channel,
    rescheduleOn: r.reschedule_on,
    reschedulePart: r.reschedule_part,
    closedReason: r.closed_reason,
    nextStep: r.seq !== null && r.channel !== null && r.due_at !== null ? { seq: r.seq, channel: r.channel, dueAt: r.due_at } : null,
    attempts: Number(r.attempts),
    lastSms: notice(r.last_sms),
    lastCall: notice(r.last_call),
    calls: Number(r.calls),
    driver: driverSummary(r, role),
  };
}

export interface ConversationFilter {
  limit: number;
  cursor?: string | undefined;
  status?: ConversationStatusFilter | undefined;
  fileNumber?: string | undefined;
}

/** Conversations, latest change first. */
export async function listConversations(deps: Pick<Deps, 'db'>, filter: ConversationFilter, role: Role) {
  let q = conversationQuery(deps.db).orderBy('v.updated_at', 'desc').orderBy('v.id', 'desc').limit(filter.limit + 1);
  if (filter.status) q = q.where('v.status', '=', filter.status);
  if (filter.fileNumber) q = q.where('v.file_number', '=', filter.fileNumber);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['v.updated_at', 'v.id'], 'desc'));
  const { items, nextCursor } = page(await q.execute(), filter.limit, (r) => [r.updated_at, r.id]);
  return { items: items.map((r) => conversationView(r, role)), nextCursor };
}

/** Drivers no SMS or call reached, longest waiting first: staff phone them by hand. */
export async function listCallList(deps: Pick<Deps, 'db'>, filter: { limit: number; cursor?: string | undefined }, role: Role) {
  let q = conversationQuery(deps.db).where('v.status', '=', 'unreachable').orderBy('v.updated_at').orderBy('v.id').limit(filter.limit + 1);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['v.updated_at', 'v.id'], 'asc'));
  const { items, nextCursor } = page(await q.execute(), filter.limit, (r) => [r.updated_at, r.id]);
  return { items: items.map((r) => conversationView(r, role)), nextCursor };
}

/** How many conversations there are, of every status (the console's tab count). */
export async function conversationCount(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many drivers wait on the call list (the console's tab count). */
export async function callListCount(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'unreachable').executeTakeFirstOrThrow();
  return Number(row.n);
}

const OUTCOME_INTENT = {
  confirmed: 'confirm',
  declined: 'decline',
  reschedule: 'reschedule',
  opted_out: 'opt_out',
  no_answer: 'no_answer',
  wrong_number: 'wrong_number',
} as const;

/** What the driver said when staff called, applied as an answer on the phone channel; audited. */
export async function recordPhoneOutcome(deps: Deps, id: string, input: PhoneOutcomeInput, staff: { id: string; role: Role }): Promise<ConversationView> {
  const conversation = await deps.db.selectFrom('conversations').select(['phone', 'status']).where('id', '=', id).executeTakeFirst();
  if (!conversation) throw AppError.keyed('not_found', { key: 'conversation_not_found' });
  if (conversation.status === 'closed') throw AppError.keyed('conflict', { key: 'conversation_closed' });
  const plan = await planAnswer(
    deps,
    {
      phone: conversation.phone,
      channel: 'phone',
      intent: OUTCOME_INTENT[input.outcome],
      rescheduleOn: input.rescheduleOn,
      partOfDay: input.partOfDay,
      staffId: staff.id,
      note: input.note ?? null,
      conversationId: id,
    },
    { reply: false },
  );
  await deps.atomic([...plan.queries, auditEntry(deps, { staffId: staff.id, action: 'outreach.phone_outcome', subject: id, details: { outcome: input.outcome } })]);
  const row = await conversationQuery(deps.db).where('v.id', '=', id).executeTakeFirstOrThrow();
  return conversationView(row, staff.role);
}
