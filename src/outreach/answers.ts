import type { CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { AnswerChannel, AnswerIntent, AnswerOutcome, ConversationStatus } from '../db/schema/outreach.ts';
import type { Clock, Ids } from '../ports.ts';
import { todayIn } from '../shared/time.ts';
import { ackSms, helpSms, smsSegments, type AckKind } from './templates.ts';

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

type Deps = { db: Kysely<DB>; clock: Clock; ids: Ids; config: { OUTREACH_SIGNATURE: string } };

const AUTO_REPLY_PURPOSES = ['help', 'ack_ambiguous'];
const DAY_MS = 86_400_000;

async function matchConversations(db: Kysely<DB>, answer: IncomingAnswer) {
  let q = db.selectFrom('conversations').select(['id', 'file_number', 'status']).where('status', '<>', 'closed');
  q = answer.conversationId ? q.where('id', '=', answer.conversationId) : q.where('phone', '=', answer.phone);
  return q.execute();
}

/** Reads what the decision needs, decides, and returns the writes (to run in one atomic batch). */
export async function planAnswer(deps: Deps, answer: IncomingAnswer, options: { reply: boolean } = { reply: true }): Promise<AnswerPlan> {
  const now = deps.clock.now();
  const [matched, optOut, recent] = await Promise.all([
    matchConversations(deps.db, answer),
    deps.db.selectFrom('opt_outs').select('phone').where('phone', '=', answer.phone).executeTakeFirst(),
    deps.db
      .selectFrom('messages')
      .select('id')
      .where('phone', '=', answer.phone)
      .where('created_at', '>', new Date(now.getTime() - DAY_MS).toISOString())
      .where('purpose', 'in', AUTO_REPLY_PURPOSES)
      .executeTakeFirst(),
  ]);
  const decision = decideAnswer({
    intent: answer.intent,
    channel: answer.channel,
    matched: matched.map((m) => m.status),
    optedOut: optOut !== undefined,
    autoReplyRecentlySent: recent !== undefined,
  });
  const single = matched.length === 1 ? matched[0]! : null;
  const at = now.toISOString();
  const ids = matched.map((m) => m.id);
  const queries: CompiledQuery[] = [];
  const messageId = answer.inbound ? deps.ids.next() : null;
  if (answer.inbound) {
    queries.push(
      deps.db
        .insertInto('messages')
        .values({
          id: messageId!,
          conversation_id: single?.id ?? null,
          file_number: single?.file_number ?? null,
          direction: 'in',
          channel: 'sms',
          phone: answer.phone,
          purpose: 'reply',
          body: answer.inbound.body,
          segments: smsSegments(answer.inbound.body),
          provider: 'twilio',
          provider_sid: answer.inbound.sid,
          status: 'received',
          created_at: at,
          updated_at: at,
        })
        .compile(),
    );
  }
  queries.push(
    deps.db
      .insertInto('answers')
      .values({
        id: deps.ids.next(),
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
  if (decision.status && ids.length > 0) queries.push(...statusChange(deps.db, ids, decision.status, answer, at));
  if (decision.optOut) {
    queries.push(
      deps.db
        .insertInto('opt_outs')
        .values({ phone: answer.phone, at, channel: answer.channel, file_number: single?.file_number ?? null })
        .onConflict((oc) => oc.column('phone').doNothing())
        .compile(),
    );
  }
  // A reply only goes back with a live webhook answer (TwiML), not when an event is replayed.
  const replyText = decision.reply && options.reply ? replyFor(deps, decision.reply, answer, now) : null;
  if (replyText && decision.reply) {
    queries.push(
      deps.db
        .insertInto('messages')
        .values({
          id: deps.ids.next(),
          conversation_id: single?.id ?? null,
          file_number: single?.file_number ?? null,
          direction: 'out',
          channel: 'sms',
          phone: answer.phone,
          purpose: decision.reply === 'help' ? 'help' : `ack_${decision.reply}`,
          body: replyText,
          segments: smsSegments(replyText),
          provider: 'twiml',
          provider_sid: null,
          status: 'replied',
          created_at: at,
          updated_at: at,
        })
        .compile(),
    );
  }
  return { decision, conversationIds: ids, queries, replyText };
}

function replyFor(deps: Deps, reply: AckKind | 'help', answer: IncomingAnswer, now: Date): string {
  const signature = deps.config.OUTREACH_SIGNATURE;
  if (reply === 'help') return helpSms(signature);
  const today = todayIn(now);
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
