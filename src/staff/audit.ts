import type { CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { Clock, Ids } from '../ports.ts';

/**
 * Audited actions: imports, screening runs, every response showing a full ID number (issue 2);
 * sign-ins, locks, passwords, sessions, tokens and (de)activation of accounts (issue 15).
 */
export type AuditAction =
  | 'staff.add'
  | 'staff.sign_in'
  | 'staff.sign_in_failed'
  | 'staff.lock'
  | 'staff.sign_out_everywhere'
  | 'staff.password_change'
  | 'staff.password_reset'
  | 'staff.deactivate'
  | 'staff.activate'
  | 'staff.token_issue'
  | 'registry.import'
  | 'registry.rejected_rows.download'
  | 'licence.view_full_id'
  | 'screening.run'
  | 'outreach.start'
  | 'outreach.phone_outcome'
  | 'outreach.inbox_resolve'
  | 'field_staff.add'
  | 'shift.create'
  | 'shift.cancel'
  | 'shift.update'
  | 'plan.commit'
  | 'visit.change'
  | 'exam.record'
  | 'exam.view'
  | 'authorisation.record'
  | 'authorisation.view_photo'
  | 'authorisation.withdraw'
  | 'follow_up.resolve'
  | 'submissions.pause'
  | 'submissions.resume'
  | 'submissions.retry';

/**
 * One audit record as a compiled query, so it joins the atomic batch of the action it records.
 * `details` must hold no personal data.
 */
export function auditEntry(
  deps: { db: Kysely<DB>; clock: Clock; ids: Ids },
  entry: { staffId: string | null; action: AuditAction; subject?: string | null; details?: Record<string, unknown> },
): CompiledQuery {
  return deps.db
    .insertInto('audit_log')
    .values({
      id: deps.ids.next(),
      at: deps.clock.now().toISOString(),
      staff_id: entry.staffId,
      action: entry.action,
      subject: entry.subject ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .compile();
}
