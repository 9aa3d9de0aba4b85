import type { Generated, Selectable } from 'kysely';

export type FieldStaffKind = 'postal' | 'examiner';

export interface FieldStaffTable {
  id: string;
  kind: FieldStaffKind;
  name: string;
  phone: string;
  organisation: string;
  staff_id: string | null;
  active: Generated<number>;
  created_at: string;
  updated_at: string;
}
export type FieldStaffRow = Selectable<FieldStaffTable>;

export interface ShiftsTable {
  id: string;
  date: string;
  starts_at: string;
  ends_at: string;
  postal_id: string;
  examiner_id: string;
  start_label: string;
  start_lat: number;
  start_lng: number;
  end_label: string;
  end_lat: number;
  end_lng: number;
  /** JSON array of community names, or null. */
  area_communities: string | null;
  area_lat: number | null;
  area_lng: number | null;
  area_radius_km: number | null;
  capacity: number;
  status: 'open' | 'cancelled';
  created_by: string | null;
  created_at: string;
  updated_at: string;
}
export type ShiftRow = Selectable<ShiftsTable>;

/** The visit life cycle's states (issue 14): the table and its words are in src/scheduling/visit-lifecycle.ts. */
export const ACTIVE_VISIT_STATUSES = ['planned', 'booked', 'confirmed', 'en_route', 'arrived'] as const;
export const VISIT_STATUSES = ['planned', 'booked', 'confirmed', 'en_route', 'arrived', 'exam_recorded', 'no_show', 'cancelled'] as const;
export type VisitStatus = (typeof VISIT_STATUSES)[number];

export interface VisitsTable {
  id: string;
  file_number: string;
  conversation_id: string | null;
  shift_id: string;
  date: string;
  status: VisitStatus;
  seq: number;
  starts_at: string;
  service_minutes: number;
  window_start: string;
  window_end: string;
  stop_key: string;
  stop_label: string;
  lat: number;
  lng: number;
  part_of_day: 'am' | 'pm' | null;
  /** JSON array of case ids. */
  cases: string;
  needs_cognitive_test: number;
  pinned: Generated<number>;
  revision: Generated<number>;
  created_at: string;
  updated_at: string;
  booked_at: Generated<string | null>;
  confirmed_at: Generated<string | null>;
  closed_at: Generated<string | null>;
  closed_reason: Generated<string | null>;
  closed_by: Generated<string | null>;
  /** A no-show's reason (NO_SHOW_REASONS) and note, sealed with DATA_KEY (db/migrations/0013). */
  no_show_reason: Generated<string | null>;
  no_show_note: Generated<string | null>;
}
export type VisitRow = Selectable<VisitsTable>;

export interface PlanRunsTable {
  id: string;
  date: string;
  staff_id: string | null;
  created_at: string;
  seed: number;
  elapsed_ms: number;
  iterations: number;
  unassigned: string;
  figures: string;
}

export type VisitNoticeKind = 'appointment' | 'reminder' | 'cancelled';

export interface VisitNoticesTable {
  id: string;
  visit_id: string;
  kind: VisitNoticeKind;
  revision: number;
  due_at: string;
  status: 'pending' | 'sending' | 'done' | 'failed' | 'skipped';
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
export type VisitNoticeRow = Selectable<VisitNoticesTable>;
