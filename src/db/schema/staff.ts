import type { Insertable, Selectable } from 'kysely';

export interface StaffTable {
  id: string;
  name: string;
  role: 'admin' | 'dispatcher' | 'examiner';
  token_hash: string;
  active: number;
  created_at: string;
}
export type StaffRow = Selectable<StaffTable>;
export type NewStaff = Insertable<StaffTable>;

export interface AuditLogTable {
  id: string;
  at: string;
  staff_id: string | null;
  action: string;
  subject: string | null;
  /** JSON object, never personal data. */
  details: string;
}
export type NewAuditEntry = Insertable<AuditLogTable>;
