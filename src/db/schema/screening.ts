import type { Generated, Insertable, Selectable } from 'kysely';
import type { CaseCategory } from '../../screening/case.ts';

export interface ScreeningRunsTable {
  id: string;
  staff_id: string | null;
  trigger: 'api' | 'cli' | 'schedule';
  as_of: string;
  lead_days: number;
  renewal_min_age: number;
  status: 'running' | 'completed' | 'failed';
  started_at: string;
  finished_at: Generated<string | null>;
  licences_screened: Generated<number>;
  /** JSON, see the migration. */
  counts: Generated<string>;
  error: Generated<string | null>;
  /** The lease (issue 13): refreshed while the run goes on; a running run whose heartbeat is old is dead. */
  heartbeat_at: Generated<string | null>;
}
export type ScreeningRunRow = Selectable<ScreeningRunsTable>;

/** `completed`: the 12123 gateway accepted the case's business (issue 5). */
export const CASE_STATUSES = ['open', 'superseded', 'lapsed', 'completed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface CasesTable {
  id: string;
  file_number: string;
  category: CaseCategory;
  trigger_on: string;
  opens_on: string;
  due_on: string;
  lapses_on: string | null;
  overdue: number;
  /** JSON array of classes, or null. */
  target_classes: string | null;
  needs_cognitive_test: number;
  reason: string | null;
  status: CaseStatus;
  first_run_id: string;
  created_at: string;
  updated_at: string;
  closed_at: Generated<string | null>;
}
export type CaseRow = Selectable<CasesTable>;
export type NewCase = Insertable<CasesTable>;
