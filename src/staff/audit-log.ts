import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { addDays, type CivilDate } from '../shared/civil-date.ts';
import { instantAt } from '../shared/time.ts';

/** One audit record as read back (GET /api/audit and the console's 审计日志). */
export interface AuditEntryView {
  id: string;
  at: string;
  staffId: string | null;
  action: string;
  subject: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilters {
  limit: number;
  cursor?: string | undefined;
  action?: string | undefined;
  /** Who acted. */
  staffId?: string | undefined;
  /** What was acted on (an account, an import, a file number...), exactly. */
  subject?: string | undefined;
  /** Entries on or after this day (Asia/Shanghai). */
  from?: CivilDate | undefined;
  /** Entries on or before this day (Asia/Shanghai). */
  to?: CivilDate | undefined;
}

/** The audit log, newest first, filtered, in keyset pages of `limit`. */
export async function listAuditEntries(db: Kysely<DB>, filters: AuditFilters): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
  const { limit, cursor, action, staffId, subject, from, to } = filters;
  let q = db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (action) q = q.where('action', '=', action);
  if (staffId) q = q.where('staff_id', '=', staffId);
  if (subject) q = q.where('subject', '=', subject);
  // Days in Asia/Shanghai, as every date of the service: from its first instant, to the next day's.
  if (from) q = q.where('at', '>=', instantAt(from, '00:00').toISOString());
  if (to) q = q.where('at', '<', instantAt(addDays(to, 1), '00:00').toISOString());
  if (cursor) q = q.where(afterCursor(cursor, ['at', 'id'], 'desc'));
  const rows = await q.execute();
  const { items, nextCursor } = page(rows, limit, (r) => [r.at, r.id]);
  return {
    items: items.map((r) => ({
      id: r.id,
      at: r.at,
      staffId: r.staff_id,
      action: r.action,
      subject: r.subject,
      details: JSON.parse(r.details) as Record<string, unknown>,
    })),
    nextCursor,
  };
}
