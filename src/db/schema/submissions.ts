import type { Generated, Selectable } from 'kysely';

/** Exams at the door and the 12123 submission queue (issue 5); see db/migrations/0004. */

export interface ExamsTable {
  id: string;
  visit_id: string;
  file_number: string;
  examiner_id: string;
  recorded_by: string;
  started_at: string;
  ended_at: string;
  pass: number;
  /** JSON array of the classes the thresholds were taken from. */
  classes: string;
  /** Sealed JSON {findings, items, thresholds}: medical data, admins and the examiner only. */
  medical: string;
  certificate_number: string;
  institution: string;
  issued_on: string;
  valid_until: string;
  created_at: string;
}
export type ExamRow = Selectable<ExamsTable>;

export type ExamCaseOutcome = 'submitted' | 'follow_up';

export interface ExamCasesTable {
  exam_id: string;
  case_id: string;
  outcome: ExamCaseOutcome;
  reason: string | null;
  hint: string | null;
  resolved_at: Generated<string | null>;
  resolved_by: Generated<string | null>;
  resolution: Generated<'revisit' | 'handled' | null>;
  resolution_note: Generated<string | null>;
}

export const BUSINESSES = ['submit_certificate', 'age_downgrade', 'expiry_renewal'] as const;
export type Business = (typeof BUSINESSES)[number];

export const SUBMISSION_STATUSES = ['pending', 'leased', 'accepted', 'dead', 'cancelled'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export interface SubmissionsTable {
  id: string;
  case_id: string;
  exam_id: string;
  file_number: string;
  business: Business;
  payload: string;
  idempotency_key: string;
  not_before: string;
  status: SubmissionStatus;
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_token: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  reference: string | null;
  exam_started_at: string;
  accepted_at: string | null;
  dead_at: string | null;
  created_at: string;
  updated_at: string;
  /** 'authorisation': waits for the driver's 委托书 (db/migrations/0012); never claimed while set. */
  held_for: Generated<'authorisation' | null>;
}
export type SubmissionRow = Selectable<SubmissionsTable>;

/** transient: failed, tried again later; dead: a permanent failure or the last try. */
export type SubmissionEventKind = 'accepted' | 'transient' | 'dead' | 'retried' | 'cancelled';

export interface SubmissionEventsTable {
  id: string;
  submission_id: string;
  at: string;
  kind: SubmissionEventKind;
  http_status: number | null;
  error: string | null;
  staff_id: string | null;
}

export interface QueueControlTable {
  queue: string;
  paused: number;
  changed_by: string | null;
  changed_at: string;
}

export interface CompletionNoticesTable {
  id: string;
  submission_id: string;
  file_number: string;
  due_at: string;
  status: 'pending' | 'sending' | 'done' | 'failed' | 'skipped';
  attempts: Generated<number>;
  claimed_at: string | null;
  message_id: string | null;
  note: string | null;
  created_at: string;
  updated_at: string;
  /** Number and exact text handed to the provider, set by the claim (reconciliation, issue 13). */
  send_to: Generated<string | null>;
  send_body: Generated<string | null>;
}
export type CompletionNoticeRow = Selectable<CompletionNoticesTable>;
