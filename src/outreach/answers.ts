import { sql, type CompiledQuery, type Insertable, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { AnswerChannel, AnswerIntent, AnswerOutcome, ConversationStatus, MessagesTable } from '../db/schema/outreach.ts';
import { todayIn } from '../shared/time.ts';
import { ackSms, helpSms, smsSegments, type AckKind } from './templates.ts';
import type { AppDeps } from '../http/env.ts';
import { planVisitAnswer, type VisitAnswerPlan } from '../scheduling/visit-answers.ts';

/**
 * What a driver's answer does (issue 3, RULES.md §7), whichever way it came: SMS, keypress, or
 * told to staff on the phone. Pure decision first, then the writes as one atomic batch.
 */
export interface AnswerDecision {
  outcome: AnswerOutcome;
  /** New status of the matched conversation(s); null = unchanged. */
  status: ConversationStatus | null;
  /** An SMS answer to send back, if any. */
  reply: AckKind | 'help' | null;
  optOut: boolean;
}

export interface DecisionInput {
  intent: AnswerIntent;
  channel: AnswerChannel;
  /** Statuses of the not-closed conversations the answer matched (by number, or the call's). */
  matched: readonly ConversationStatus[];
  optedOut: boolean;
  /** A help or "staff will call" reply went to this number in the last 24 hours. */
  autoReplyRecentlySent: boolean;
}

const ANSWER_STATUS = { confirm: 'confirmed', decline: 'declined', reschedule: 'reschedule' } as const;

export function decideAnswer(input: DecisionInput): AnswerDecision {
  const sms = input.channel === 'sms';
  const limited = (reply: AckKind | 'help') => (sms && !input.autoReplyRecentlySent ? reply : null);
  // Opting out works from any number, matched or not: it is about the number (RULES.md §7).
  if (input.intent === 'opt_out') {
    return { outcome: 'applied', status: 'opted_out', reply: sms && !input.optedOut ? 'opt_out' : null, optOut: true };
  }
  // After TD nothing more is sent; what the number says is kept for staff.
  if (input.optedOut) return { outcome: 'after_opt_out', status: null, reply: null, optOut: false };
  if (input.matched.length === 0) return { outcome: 'unknown_number', status: null, reply: null, optOut: false };
  if (input.matched.length > 1) {
    // A number shared by two drivers goes to staff instead of guessing whose answer it is.
    const reply = input.intent === 'help' || input.intent === 'unknown' ? limited('help') : limited('ambiguous');
    return { outcome: 'ambiguous_number', status: null, reply, optOut: false };
  }
  switch (input.intent) {
    case 'confirm':
    case 'decline':
    case 'reschedule':
      return { outcome: 'applied', status: ANSWER_STATUS[input.intent], reply: sms ? input.intent : null, optOut: false };
    case 'wrong_number':
      return { outcome: 'applied', status: 'closed', reply: null, optOut: false };
    case 'no_answer':
      return { outcome: 'recorded', status: null, reply: null, optOut: false };
    default: {
      // Anything else: one short help reply, never a loop with an auto-responder.
      const reply = limited('help');
      return { outcome: reply ? 'help_sent' : 'help_suppressed', status: null, reply, optOut: false };
    }
  }
}

export interface IncomingAnswer {
  /** E.164 number the answer came from (or the conversation's number for staff and calls). */
  phone: string;
  channel: AnswerChannel;
  intent: AnswerIntent;
  rescheduleOn?: string | undefined;
  partOfDay?: 'am' | 'pm' | undefined;
  /** The inbound SMS, stored with the answer. */
  inbound?: { sid: string; body: string };
  staffId?: string | null;
  note?: string | null;
  /** Calls and staff know the conversation; SMS are matched by number. */
  conversationId?: string;
}

export interface AnswerPlan {
  decision: AnswerDecision;
  conversationIds: string[];
  queries: CompiledQuery[];
  /** The SMS text to answer with (sent as TwiML by the webhook), or null. */
  replyText: string | null;
}

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger'>;

type MessageFields = Pick<Insertable<MessagesTable>, 'id' | 'direction' | 'purpose' | 'provider' | 'provider_sid' | 'status'> & { body: string };

const AUTO_REPLY_PURPOSES = ['help', 'ack_ambiguous'];
const DAY_MS = 86_400_000;

interface AnswerContext {
  /** The not-closed conversations the answer matched. */
  matched: Array<{ id: string; file_number: string; status: ConversationStatus }>;
  optedOut: boolean;
  autoReplyRecentlySent: boolean;
  /** A booked or confirmed visit of the matched conversation(s): the answer is about it (issue 4). */
  bookedVisitId: string | null;
}

/**
 * What the decision needs, in one query (one trip to the database instead of three): the
 * not-closed conversations matched by id or by number (as a JSON array), whether the number
 * opted out, and whether a help or "staff will call" reply went to it in the last 24 hours.
 */
async function answerContext(db: Kysely<DB>, answer: IncomingAnswer, now: Date): Promise<AnswerContext> {
  const match = answer.conversationId ? sql`id = ${answer.conversationId}` : sql`phone = ${answer.phone}`;
  const since = new Date(now.getTime() - DAY_MS).toISOString();
  const row = await db
    .selectNoFrom([
      sql<string>`(SELECT json_group_array(json_object('id', id, 'file_number', file_number, 'status', status))
        FROM conversations WHERE ${match} AND status <> 'closed')`.as('matched'),
      sql<number>`EXISTS (SELECT 1 FROM opt_outs WHERE phone = ${answer.phone})`.as('opted_out'),
      sql<number>`EXISTS (SELECT 1 FROM messages WHERE phone = ${answer.phone} AND created_at > ${since}
        AND purpose IN (${sql.join(AUTO_REPLY_PURPOSES)}))`.as('recent_auto_reply'),
      sql<string | null>`(SELECT v.id FROM visits v WHERE v.status IN ('booked', 'confirmed')
        AND v.conversation_id IN (SELECT id FROM conversations WHERE ${match} AND status <> 'closed'))`.as('booked_visit'),
    ])
    .executeTakeFirstOrThrow();
  return {
    matched: JSON.parse(row.matched) as AnswerContext['matched'],
    optedOut: row.opted_out === 1,
    autoReplyRecentlySent: row.recent_auto_reply === 1,
    bookedVisitId: row.booked_visit,
  };
}

export interface PlanOptions {
  /** Whether an SMS reply may go back (only with a live webhook answer). */
  reply: boolean;
  /** Today in China, when the caller already knows it (for dates in the reply). */
  today?: string;
}

/** Reads what the decision needs, decides, and returns the writes (to run in one atomic batch). */
export async function planAnswer(deps: Deps, answer: IncomingAnswer, options: PlanOptions = { reply: true }): Promise<AnswerPlan> {
  const now = deps.clock.now();
  const { matched, optedOut, autoReplyRecentlySent, bookedVisitId } = await answerContext(deps.db, answer, now);
  const decision = decideAnswer({
    intent: answer.intent,
    channel: answer.channel,
    matched: matched.map((m) => m.status),
    optedOut,
    autoReplyRecentlySent,
  });
  const single = matched.length === 1 ? matched[0]! : null;
  const at = now.toISOString();
  const ids = matched.map((m) => m.id);
  const messageId = answer.inbound ? deps.ids.next() : null;
  const answerId = deps.ids.next();
  const visit = single && bookedVisitId ? await visitAnswer(deps, bookedVisitId, answer, decision) : null;
  // A reply only goes back with a live webhook answer (TwiML), not when an event is replayed.
  const replyText = !options.reply ? null : (visit?.replyText ?? (decision.reply ? replyFor(deps, decision.reply, answer, now, options.today) : null));
  const message = (m: MessageFields): Insertable<MessagesTable> => ({
    ...m,
    conversation_id: single?.id ?? null,
    file_number: single?.file_number ?? null,
    channel: 'sms',
    phone: answer.phone,
    segments: smsSegments(m.body),
    created_at: at,
    updated_at: at,
  });
  // The inbound SMS and the reply, in one statement (the inbound one first: the answer refers to it).
  const messages: Insertable<MessagesTable>[] = [];
  if (answer.inbound) {
    messages.push(message({ id: messageId!, direction: 'in', purpose: 'reply', body: answer.inbound.body, provider: 'twilio', provider_sid: answer.inbound.sid, status: 'received' }));
  }
  if (replyText && (visit?.purpose || decision.reply)) {
    const purpose = visit?.purpose ?? (decision.reply === 'help' ? 'help' : `ack_${decision.reply}`);
    messages.push(message({ id: deps.ids.next(), direction: 'out', purpose, body: replyText, provider: 'twiml', provider_sid: null, status: 'replied' }));
  }
  const queries: CompiledQuery[] = [];
  if (messages.length > 0) queries.push(deps.db.insertInto('messages').values(messages).compile());
  queries.push(
    deps.db
      .insertInto('answers')
      .values({
        id: answerId,
        conversation_id: single?.id ?? null,
        file_number: single?.file_number ?? null,
        phone: answer.phone,
        channel: answer.channel,
        intent: answer.intent,
        reschedule_on: answer.rescheduleOn ?? null,
        reschedule_part: answer.partOfDay ?? null,
        outcome: decision.outcome,
        message_id: messageId,
        staff_id: answer.staffId ?? null,
        note: answer.note ?? null,
        at,
      })
      .compile(),
  );
  if (visit) queries.push(...visit.queries);
  if (decision.status && ids.length > 0 && !visit?.keepConversation) queries.push(...statusChange(deps.db, ids, decision.status, answer, at));
  if (decision.optOut) {
    queries.push(
      deps.db
        .insertInto('opt_outs')
        .values({ phone: answer.phone, at, channel: answer.channel, file_number: single?.file_number ?? null })
        .onConflict((oc) => oc.column('phone').doNothing())
        .compile(),
    );
  }
  return { decision, conversationIds: ids, queries, replyText };
}

/** A confirm, decline or reschedule SMS from a driver with a booked visit acts on the visit. */
async function visitAnswer(deps: Deps, visitId: string, answer: IncomingAnswer, decision: AnswerDecision): Promise<VisitAnswerPlan | null> {
  if (answer.channel !== 'sms' || decision.outcome !== 'applied') return null;
  const intent = answer.intent;
  if (intent !== 'confirm' && intent !== 'decline' && intent !== 'reschedule') return null;
  return planVisitAnswer(deps, visitId, { intent, rescheduleOn: answer.rescheduleOn, partOfDay: answer.partOfDay });
}

function replyFor(deps: Deps, reply: AckKind | 'help', answer: IncomingAnswer, now: Date, today = todayIn(now)): string {
  const signature = deps.config.OUTREACH_SIGNATURE;
  if (reply === 'help') return helpSms(signature);
  return ackSms(reply, signature, {
    ...(answer.rescheduleOn ? { rescheduleOn: answer.rescheduleOn, today } : {}),
    ...(answer.partOfDay ? { partOfDay: answer.partOfDay } : {}),
  });
}

/**
 * The conversation takes the answer and its pending step is cancelled: any answer, opt-out or
 * booking change stops the ladder (issue 3). Conditions live in SQL so a racing writer cannot
 * reopen a closed or opted-out conversation.
 */
export function statusChange(
  db: Kysely<DB>,
  ids: string[],
  status: ConversationStatus,
  answer: Pick<IncomingAnswer, 'channel' | 'rescheduleOn' | 'partOfDay' | 'intent'>,
  at: string,
): CompiledQuery[] {
  const closing = status === 'closed';
  const update = db
    .updateTable('conversations')
    .set({
      status,
      updated_at: at,
      ...(closing ? { closed_at: at, closed_reason: answer.intent } : { answered_at: at, answer_channel: answer.channel }),
      ...(status === 'reschedule' ? { reschedule_on: answer.rescheduleOn ?? null, reschedule_part: answer.partOfDay ?? null } : {}),
    })
    .where('id', 'in', ids)
    .where('status', 'not in', status === 'opted_out' ? ['closed'] : ['closed', 'opted_out'])
    .compile();
  return [update, cancelPendingSteps(db, ids, `${answer.channel} ${answer.intent}`, at)];
}

export function cancelPendingSteps(db: Kysely<DB>, conversationIds: string[], why: string, at: string): CompiledQuery {
  return db
    .updateTable('outreach_steps')
    .set({ status: 'cancelled', note: why, updated_at: at })
    .where('conversation_id', 'in', conversationIds)
    .where('status', '=', 'pending')
    .compile();
}
