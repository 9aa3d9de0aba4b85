import type { Generated, Selectable } from 'kysely';

export type ConversationStatus = 'active' | 'unreachable' | 'confirmed' | 'declined' | 'reschedule' | 'opted_out' | 'closed';
export type AnswerChannel = 'sms' | 'voice' | 'phone';
export type StepChannel = 'sms' | 'voice' | 'call_list';
export type StepStatus = 'pending' | 'sending' | 'done' | 'failed' | 'cancelled' | 'skipped';

export interface ConversationsTable {
  id: string;
  file_number: string;
  phone: string;
  phone_kind: 'mobile' | 'landline';
  status: ConversationStatus;
  /** JSON array of case categories at the start. */
  categories: string;
  started_by: string | null;
  started_at: string;
  updated_at: string;
  answered_at: Generated<string | null>;
  answer_channel: Generated<AnswerChannel | null>;
  reschedule_on: Generated<string | null>;
  reschedule_part: Generated<'am' | 'pm' | null>;
  closed_at: Generated<string | null>;
  closed_reason: Generated<string | null>;
}
export type ConversationRow = Selectable<ConversationsTable>;

export interface OutreachStepsTable {
  id: string;
  conversation_id: string;
  seq: number;
  channel: StepChannel;
  due_at: string;
  status: StepStatus;
  attempts: Generated<number>;
  claimed_at: Generated<string | null>;
  message_id: Generated<string | null>;
  note: Generated<string | null>;
  created_at: string;
  updated_at: string;
  /** Number and exact text handed to the provider, set by the claim (reconciliation, issue 13). */
  send_to: Generated<string | null>;
  send_body: Generated<string | null>;
}
export type OutreachStepRow = Selectable<OutreachStepsTable>;

export interface MessagesTable {
  id: string;
  conversation_id: string | null;
  file_number: string | null;
  direction: 'out' | 'in';
  channel: 'sms' | 'voice';
  phone: string;
  purpose: string;
  body: string | null;
  segments: number | null;
  provider: 'twilio' | 'recording' | 'twiml';
  provider_sid: string | null;
  status: string;
  error_code: Generated<string | null>;
  created_at: string;
  updated_at: string;
}
export type MessageRow = Selectable<MessagesTable>;

export type AnswerIntent = 'confirm' | 'decline' | 'reschedule' | 'opt_out' | 'help' | 'unknown' | 'no_answer' | 'wrong_number';
export type AnswerOutcome = 'applied' | 'help_sent' | 'help_suppressed' | 'unknown_number' | 'ambiguous_number' | 'after_opt_out' | 'recorded';

export interface AnswersTable {
  id: string;
  conversation_id: string | null;
  file_number: string | null;
  phone: string;
  channel: AnswerChannel;
  intent: AnswerIntent;
  reschedule_on: string | null;
  reschedule_part: string | null;
  outcome: AnswerOutcome;
  message_id: string | null;
  staff_id: string | null;
  note: string | null;
  handled_by: Generated<string | null>;
  handled_at: Generated<string | null>;
  at: string;
}
export type AnswerRow = Selectable<AnswersTable>;

export interface OptOutsTable {
  phone: string;
  at: string;
  channel: AnswerChannel;
  file_number: string | null;
}

export type WebhookKind = 'sms' | 'message_status' | 'voice' | 'gather' | 'call_status';

export interface WebhookEventsTable {
  id: string;
  kind: WebhookKind;
  dedupe_key: string;
  /** JSON of the form fields as received. */
  params: string;
  received_at: string;
  processed_at: Generated<string | null>;
  error: Generated<string | null>;
  /** Digest of (URL, X-Twilio-Signature), unique: a signature is accepted once (issue 13). */
  signature: Generated<string | null>;
}
