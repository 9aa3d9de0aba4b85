import type { Generated, Insertable, Selectable } from 'kysely';

export interface StaffTable {
  id: string;
  name: string;
  role: 'admin' | 'dispatcher' | 'examiner' | 'postal';
  token_hash: string;
  active: number;
  created_at: string;
  /** Lower-case; null for an account with an API token only. */
  username: string | null;
  /** `pbkdf2-sha256$<iterations>$<salt>$<hash>` (src/staff/passwords.ts); null = no password sign-in. */
  password_hash: string | null;
  /** Failed sign-ins in a row since the last success or lock. */
  failed_sign_ins: Generated<number>;
  locked_until: string | null;
  password_changed_at: string | null;
  last_sign_in_at: string | null;
}
export type StaffRow = Selectable<StaffTable>;
export type NewStaff = Insertable<StaffTable>;

/** A browser session (src/staff/sessions.ts): stored by the SHA-256 of its token only. */
export interface StaffSessionsTable {
  token_hash: string;
  id: string;
  staff_id: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end; the idle end is last_seen_at + SESSION_IDLE_MINUTES. */
  expires_at: string;
  ended_at: string | null;
  user_agent: string | null;
}
export type StaffSessionRow = Selectable<StaffSessionsTable>;

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
