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
  'needs_cognitive_test', 'reason', 'status', 'first_run_id', 'created_at', 'updated_at',
] as const;

const CONTENT = ['opens_on', 'due_on', 'lapses_on', 'overdue', 'target_classes', 'needs_cognitive_test', 'reason'];

// A case is identified by (file_number, category, trigger_on) (RULES.md §3). Flagging it again
// rewrites it only when its dates or flags changed, or to reopen it: an unchanged case costs no
// write, which is most of them from one day to the next. A completed case (its business accepted
// by 12123, issue 5) stays completed while the registry export has not caught up with it.
const UPSERT = ` ON CONFLICT (file_number, category, trigger_on) DO UPDATE SET
  ${CONTENT.map((c) => `${c} = excluded.${c}`).join(', ')},
  status = 'open', closed_at = NULL, updated_at = excluded.updated_at
  WHERE cases.status <> 'completed' AND (cases.status <> 'open' OR (${CONTENT.map((c) => `cases.${c}`).join(', ')}) IS NOT (${CONTENT.map((c) => `excluded.${c}`).join(', ')}))`;

export function upsertCases(
  cases: readonly ScreenedCase[],
  run: { id: string; at: string },
  newId: () => string,
): CompiledQuery[] {
  const rows = cases.map((c) => [
    newId(), c.fileNumber, c.category, c.triggerOn, c.opensOn, c.dueOn, c.lapsesOn, c.overdue ? 1 : 0,
    c.targetClasses === null ? null : JSON.stringify(c.targetClasses), c.needsCognitiveTest ? 1 : 0, c.reason,
    'open', run.id, run.at, run.at,
  ]);
  return bulkInsert('cases', CASE_COLUMNS, rows, UPSERT);
}

/** The identity of a case as one string (RULES.md §3). */
export function caseKey(c: { fileNumber: string; category: string; triggerOn: string }): string {
  return `${c.fileNumber}|${c.category}|${c.triggerOn}`;
}

/** What a run may change of a case, as one comparable string (the CONTENT columns). */
export function caseContent(c: ScreenedCase): string {
  return JSON.stringify([
    c.opensOn, c.dueOn, c.lapsesOn, c.overdue ? 1 : 0,
    c.targetClasses === null ? null : JSON.stringify(c.targetClasses), c.needsCognitiveTest ? 1 : 0, c.reason,
  ]);
}

export interface OpenCase {
  id: string;
  content: string;
  lapsesOn: string | null;
}

/** Every open case by key, with its content, read in pages of JSON (see licencePage). */
export async function openCases(db: Kysely<DB>): Promise<Map<string, OpenCase>> {
  const open = new Map<string, OpenCase>();
  let after = '';
  for (;;) {
    const { rows } = await sql<{ page: string }>`
      SELECT json_group_array(json_array(id, file_number, category, trigger_on,
        json_array(opens_on, due_on, lapses_on, overdue, target_classes, needs_cognitive_test, reason))) AS page
      FROM (SELECT * FROM cases WHERE status = 'open' AND id > ${after} ORDER BY id LIMIT 20000)`.execute(db);
    const page = JSON.parse(rows[0]?.page ?? '[]') as Array<[string, string, string, string, unknown[]]>;
    if (page.length === 0) return open;
    for (const [id, fileNumber, category, triggerOn, content] of page) {
      open.set(caseKey({ fileNumber, category, triggerOn }), { id, content: JSON.stringify(content), lapsesOn: content[2] as string | null });
    }
    after = page[page.length - 1]![0];
  }
}

/**
 * Ends a run, for one atomic batch: closes the open cases the run did not flag - as `lapsed`
 * when their lapse date has come (the driver missed it), else as `superseded` (the reason went
 * away: renewed, downgraded, certificate submitted) - and records the counts.
 */
export function finishRun(
  db: Kysely<DB>,
  run: { id: string; asOf: string; at: string; licencesScreened: number; flagged: Record<string, number> },
  stale: readonly OpenCase[],
): CompiledQuery[] {
  const lapsed = stale.filter((c) => c.lapsesOn !== null && c.lapsesOn <= run.asOf);
  const superseded = stale.filter((c) => !(c.lapsesOn !== null && c.lapsesOn <= run.asOf));
  const created = sql<number>`(SELECT count(*) FROM cases WHERE first_run_id = ${run.id})`;
  const counts = sql<string>`json_object('flagged', json(${JSON.stringify(run.flagged)}), 'created', ${created},
    'superseded', ${superseded.length}, 'lapsed', ${lapsed.length})`;
  const close = (ids: readonly OpenCase[], status: 'lapsed' | 'superseded') =>
    ids.length === 0
      ? []
      : [
          db
            .updateTable('cases')
            .set({ status, closed_at: run.at, updated_at: run.at })
            .where('status', '=', 'open')
            .where('id', 'in', sql<string>`(SELECT value FROM json_each(${JSON.stringify(ids.map((c) => c.id))}))`)
            .compile(),
        ];
  return [
    db
      .updateTable('screening_runs')
      .set({ status: 'completed', finished_at: run.at, licences_screened: run.licencesScreened, counts })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .compile(),
    ...close(lapsed, 'lapsed'),
    ...close(superseded, 'superseded'),
  ];
}
