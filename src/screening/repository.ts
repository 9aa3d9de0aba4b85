import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { bulkInsert } from '../db/bulk.ts';
import type { DB } from '../db/schema/index.ts';
import type { LicenceClass, ScreeningLicence } from '../registry/licence.ts';
import type { ScreenedCase } from './case.ts';

/**
 * A page of licences in storage (rowid) order - a sequential scan, no index look-ups - with only
 * what the rules read. The page comes back as one JSON text: a million rows turned into JS
 * objects one by one by the driver cost more than SQLite's reading them.
 */
export async function licencePage(
  db: Kysely<DB>,
  afterRowid: number,
  limit: number,
): Promise<{ licences: ScreeningLicence[]; lastRowid: number }> {
  const { rows } = await sql<{ page: string; last: number | null }>`
    SELECT json_group_array(json_array(file_number, birth_date, classes, first_issued_on, valid_until,
      extension_until, last_cert_submitted_on, status)) AS page, max(rid) AS last
    FROM (SELECT rowid AS rid, * FROM licences WHERE rowid > ${afterRowid} ORDER BY rowid LIMIT ${limit})`.execute(db);
  const page = JSON.parse(rows[0]?.page ?? '[]') as Array<[string, string, string, string, string | null, string | null, string | null, string]>;
  const licences = page.map((r) => ({
    fileNumber: r[0],
    birthDate: r[1],
    classes: r[2].split(' ') as LicenceClass[],
    firstIssuedOn: r[3],
    validUntil: r[4],
    extensionUntil: r[5],
    lastCertSubmittedOn: r[6],
    status: r[7] as ScreeningLicence['status'],
  }));
  return { licences, lastRowid: rows[0]?.last ?? afterRowid };
}

const CASE_COLUMNS = [
  'id', 'file_number', 'category', 'trigger_on', 'opens_on', 'due_on', 'lapses_on', 'overdue', 'target_classes',
  'needs_cognitive_test', 'reason', 'status', 'first_run_id', 'run_id', 'screened_on', 'created_at', 'updated_at',
] as const;

// A case is identified by (file_number, category, trigger_on) (RULES.md §3): flagging it again
// refreshes its dates and overdue flag and reopens it if an earlier run had closed it.
const UPSERT = ` ON CONFLICT (file_number, category, trigger_on) DO UPDATE SET
  opens_on = excluded.opens_on, due_on = excluded.due_on, lapses_on = excluded.lapses_on,
  overdue = excluded.overdue, target_classes = excluded.target_classes,
  needs_cognitive_test = excluded.needs_cognitive_test, reason = excluded.reason,
  status = 'open', closed_at = NULL, run_id = excluded.run_id, screened_on = excluded.screened_on,
  updated_at = excluded.updated_at`;

export function upsertCases(
  cases: readonly ScreenedCase[],
  run: { id: string; asOf: string; at: string },
  newId: () => string,
): CompiledQuery[] {
  const rows = cases.map((c) => [
    newId(), c.fileNumber, c.category, c.triggerOn, c.opensOn, c.dueOn, c.lapsesOn, c.overdue ? 1 : 0,
    c.targetClasses === null ? null : JSON.stringify(c.targetClasses), c.needsCognitiveTest ? 1 : 0, c.reason,
    'open', run.id, run.id, run.asOf, run.at, run.at,
  ]);
  return bulkInsert('cases', CASE_COLUMNS, rows, UPSERT);
}

/**
 * Ends a run, for one atomic batch: counts what it created and what it closes, then closes every
 * open case it did not flag - as `lapsed` when its lapse date has come (the driver missed it),
 * else as `superseded` (the reason went away: renewed, downgraded, certificate submitted).
 */
export function finishRun(
  db: Kysely<DB>,
  run: { id: string; asOf: string; at: string; licencesScreened: number; flagged: Record<string, number> },
): CompiledQuery[] {
  const stale = (lapsed: boolean) =>
    sql<number>`(SELECT count(*) FROM cases WHERE status = 'open' AND run_id <> ${run.id}
      AND ${lapsed ? sql`lapses_on <= ${run.asOf}` : sql`(lapses_on IS NULL OR lapses_on > ${run.asOf})`})`;
  const created = sql<number>`(SELECT count(*) FROM cases WHERE first_run_id = ${run.id})`;
  const counts = sql<string>`json_object('flagged', json(${JSON.stringify(run.flagged)}), 'created', ${created},
    'superseded', ${stale(false)}, 'lapsed', ${stale(true)})`;
  return [
    db
      .updateTable('screening_runs')
      .set({ status: 'completed', finished_at: run.at, licences_screened: run.licencesScreened, counts })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .compile(),
    db
      .updateTable('cases')
      .set({
        status: sql`CASE WHEN lapses_on IS NOT NULL AND lapses_on <= ${run.asOf} THEN 'lapsed' ELSE 'superseded' END`,
        closed_at: run.at,
        updated_at: run.at,
      })
      .where('status', '=', 'open')
      .where('run_id', '<>', run.id)
      .compile(),
  ];
}
