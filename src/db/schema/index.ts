import type { AuditLogTable, StaffSessionsTable, StaffTable } from './staff.ts';
import type { ImportQueueTable, ImportRejectedRowsTable, ImportsTable, LicencesTable } from './registry.ts';
import type { CasesTable, ScreeningRunsTable } from './screening.ts';
import type {
  AnswersTable,
  ConversationsTable,
  MessagesTable,
  OptOutsTable,
  OutreachStepsTable,
  WebhookEventsTable,
} from './outreach.ts';
import type { CompletionNoticesTable, ExamCasesTable, ExamsTable, QueueControlTable, SubmissionEventsTable, SubmissionsTable } from './submissions.ts';
import type { FieldStaffTable, PlanRunsTable, ShiftsTable, VisitNoticesTable, VisitsTable } from './scheduling.ts';
import type { DataKeyCheckTable, KeyRotationProgressTable } from './data-key.ts';
import type { AuthorisationsTable, IdempotencyKeysTable } from './authorisations.ts';

/** Every table, as Kysely sees it. One file per feature beside this one. */
export interface DB {
  staff: StaffTable;
  staff_sessions: StaffSessionsTable;
  audit_log: AuditLogTable;
  imports: ImportsTable;
  import_queue: ImportQueueTable;
  import_rejected_rows: ImportRejectedRowsTable;
  licences: LicencesTable;
  screening_runs: ScreeningRunsTable;
  cases: CasesTable;
  conversations: ConversationsTable;
  outreach_steps: OutreachStepsTable;
  messages: MessagesTable;
  answers: AnswersTable;
  opt_outs: OptOutsTable;
  webhook_events: WebhookEventsTable;
  field_staff: FieldStaffTable;
  shifts: ShiftsTable;
  visits: VisitsTable;
  plan_runs: PlanRunsTable;
  visit_notices: VisitNoticesTable;
  exams: ExamsTable;
  exam_cases: ExamCasesTable;
  submissions: SubmissionsTable;
  submission_events: SubmissionEventsTable;
  queue_control: QueueControlTable;
  completion_notices: CompletionNoticesTable;
  data_key_check: DataKeyCheckTable;
  key_rotation_progress: KeyRotationProgressTable;
  authorisations: AuthorisationsTable;
  idempotency_keys: IdempotencyKeysTable;
}
