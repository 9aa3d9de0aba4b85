import { CompiledQuery, sql, type Kysely } from 'kysely';
import { bulkInsert } from '../db/bulk.ts';
import type { SqlLimits } from '../db/limits.ts';
import type { DB } from '../db/schema/index.ts';
import { toPackedAt } from '../shared/civil-date.ts';
import { yieldToQueries } from '../shared/yield.ts';
import { deadBefore, failBatchIf, type LeaseTiming } from '../shared/lease.ts';
import type { ScreenedCase } from './case.ts';
import { classMaskAt, type PackedLicence } from './rules.ts';

/**
 * Fields and records of a page read as one text (licencePage, openCases): unit and record
 * separators, which no stored value holds (file numbers are 12 digits, dates ISO, classes letters
 * and spaces, case content JSON text, where SQLite escapes control characters).
 */
const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * The SQL of one page record: the columns joined by FIELD, an empty field for NULL. One printf
 * builds it: a chain of `||` copies the record once per column (0.98 s against 0.60 s for a
 * million licences in the shell).
 */
function recordOf(columns: readonly string[]): string {
  return `printf('${columns.map(() => '%s').join(FIELD)}', ${columns.join(', ')})`;
}

const LICENCE_FIELDS = ['file_number', 'birth_date', 'classes', 'first_issued_on', 'valid_until', 'extension_until', 'last_cert_submitted_on', 'status'];
const LICENCE_PAGE = `SELECT group_concat(${recordOf(LICENCE_FIELDS)}, char(30)) AS page, max(rid) AS last
  FROM (SELECT rowid AS rid, ${LICENCE_FIELDS.join(', ')} FROM licences WHERE rowid > ? ORDER BY rowid LIMIT ?)`;

/** A page of licences as read (licencePage): visit them with eachLicence. */
export interface LicencePage {
  text: string;
  lastRowid: number;
}

/**
 * A page of licences in storage (rowid) order - a sequential scan, no index look-ups - with only
 * what the rules read, as one text. A million rows turned into JS objects one by one by the
 * driver cost more than SQLite's reading them; JSON.parse of the same page as JSON, then objects
 * with date strings, cost 1.5 s a million licences; read in place (eachLicence) 0.3 s.
 */
export async function licencePage(db: Kysely<DB>, afterRowid: number, limit: number): Promise<LicencePage> {
  const { rows } = await db.executeQuery<{ page: string | null; last: number | null }>(CompiledQuery.raw(LICENCE_PAGE, [afterRowid, limit]));
  return { text: rows[0]?.page ?? '', lastRowid: rows[0]?.last ?? afterRowid };
}

/**
 * Visits every licence of a page, read in place: dates straight into packed integers, classes
 * into a mask, only the file number as a string. `visit` gets the same object each time, filled
 * with the next licence. Returns how many it visited.
 */
export function eachLicence(page: LicencePage, visit: (licence: PackedLicence) => void): number {
  const text = page.text;
  const licence: PackedLicence = { fileNumber: '', birth: 0, classes: 0, firstIssued: 0, validUntil: 0, extensionUntil: 0, lastCert: 0, active: false };
  let at = 0;
  let count = 0;
  const field = (): number => {
    const end = text.indexOf(FIELD, at);
    if (end < 0) throw new Error('a licence page record is short of fields');
    return end;
  };
  const date = (optional: boolean): number => {
    const end = field();
    const length = end - at;
    const value = length === 10 ? toPackedAt(text, at) : 0;
    if (length !== 10 && !(optional && length === 0)) throw new Error('a licence page holds a date not in YYYY-MM-DD');
    at = end + 1;
    return value;
  };
  while (at < text.length) {
    let end = field();
    licence.fileNumber = text.slice(at, end);
    at = end + 1;
    licence.birth = date(false);
    end = field();
    licence.classes = classMaskAt(text, at, end);
    at = end + 1;
    licence.firstIssued = date(false);
    licence.validUntil = date(true);
    licence.extensionUntil = date(true);
    licence.lastCert = date(true);
    end = text.indexOf(RECORD, at);
    if (end < 0) end = text.length;
    licence.active = end - at === 6 && text.startsWith('active', at);
    at = end + 1;
    visit(licence);
    count += 1;
  }
  return count;
}

const CASE_COLUMNS = [
  'id', 'file_number', 'category', 'trigger_on', 'opens_on', 'due_on', 'lapses_on', 'overdue', 'target_classes',
  'needs_cognitive_test', 'reason', 'status', 'first_run_id', 'created_at', 'updated_at',
] as const;
/** What a run stages of each case it flagged new or changed: the rest is the run's own. */
const STAGED_COLUMNS = CASE_COLUMNS.slice(0, 11);

const CONTENT = ['opens_on', 'due_on', 'lapses_on', 'overdue', 'target_classes', 'needs_cognitive_test', 'reason'];

// A case is identified by (file_number, category, trigger_on) (RULES.md §3). Flagging it again
// rewrites it only when its dates or flags changed, or to reopen it: an unchanged case costs no
// write, which is most of them from one day to the next. A completed case (its business accepted
// by 12123, issue 5) stays completed while the registry export has not caught up with it.
const UPSERT = ` ON CONFLICT (file_number, category, trigger_on) DO UPDATE SET
  ${CONTENT.map((c) => `${c} = excluded.${c}`).join(', ')},
  status = 'open', closed_at = NULL, updated_at = excluded.updated_at
  WHERE cases.status <> 'completed' AND (cases.status <> 'open' OR (${CONTENT.map((c) => `cases.${c}`).join(', ')}) IS NOT (${CONTENT.map((c) => `excluded.${c}`).join(', ')}))`;

/**
 * A run gathers the cases it will write in a table of its own, `screening_staging_<run id>`
 * (issue 13): `cases` changes only in the run's last batch, all or nothing (RULES.md §3, one run's
 * result), and the gathered cases stay on disk, not in memory. Dropped by that batch, or with the
 * run when it fails or its process dies.
 */
export function runStagingTable(runId: string): string {
  if (!/^[\w-]{1,64}$/.test(runId)) throw new Error('a run id is a UUID');
  return `${RUN_STAGING_PREFIX}${runId.replaceAll('-', '_')}`;
}

const RUN_STAGING_PREFIX = 'screening_staging_';

/** The staging table of a run, created in the batch that records its start, typed like `cases`. */
export function createRunStaging(runId: string): CompiledQuery {
  return CompiledQuery.raw(`CREATE TABLE "${runStagingTable(runId)}" AS SELECT ${STAGED_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM cases WHERE false`);
}

export function dropRunStaging(table: string): CompiledQuery {
  return CompiledQuery.raw(`DROP TABLE IF EXISTS "${table}"`);
}

/** The staging tables of runs present (a run's while it goes on, or one left by a stopped process). */
export async function runStagingTables(db: Kysely<DB>): Promise<string[]> {
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ${RUN_STAGING_PREFIX.length}) = ${RUN_STAGING_PREFIX} ORDER BY name`.execute(db);
  return tables.rows.map((t) => t.name);
}

/** Stages flagged cases (new ones, or ones whose content changed) for the run's last batch. */
export function stageCases(limits: SqlLimits, runId: string, cases: readonly ScreenedCase[], newId: () => string): CompiledQuery[] {
  const rows = cases.map((c) => [
    newId(), c.fileNumber, c.category, c.triggerOn, c.opensOn, c.dueOn, c.lapsesOn, c.overdue ? 1 : 0,
    c.targetClasses === null ? null : JSON.stringify(c.targetClasses), c.needsCognitiveTest ? 1 : 0, c.reason,
  ]);
  return bulkInsert(limits, runStagingTable(runId), STAGED_COLUMNS, rows);
}

/** Writes every staged case of the run into `cases` (for the run's last batch). */
function publishStaged(db: Kysely<DB>, run: { id: string; at: string }): CompiledQuery {
  const staged = sql.raw(STAGED_COLUMNS.map((c) => `"${c}"`).join(', '));
  const columns = sql.raw(CASE_COLUMNS.map((c) => `"${c}"`).join(', '));
  return sql`INSERT INTO cases (${columns})
    SELECT ${staged}, 'open', ${run.id}, ${run.at}, ${run.at} FROM ${sql.table(runStagingTable(run.id))} WHERE true
    ${sql.raw(UPSERT)}`.compile(db);
}

/** The UPDATE that refreshes a run's heartbeat: changes no row once the run lost its lease. */
export function runHeartbeat(db: Kysely<DB>, runId: string, at: string): CompiledQuery {
  return db.updateTable('screening_runs').set({ heartbeat_at: at }).where('id', '=', runId).where('status', '=', 'running').compile();
}

/** Fails its batch unless the run still holds the lease (its row is the running one). */
function runStillRunning(db: Kysely<DB>, runId: string): CompiledQuery {
  return failBatchIf(db, 'screening lease lost', sql`NOT EXISTS (SELECT 1 FROM screening_runs WHERE id = ${runId} AND status = 'running')`);
}

/** Ends a run that stopped on an error: nothing of it stays but the record (a run taken over keeps the takeover's). */
export function failRun(db: Kysely<DB>, run: { id: string; at: string; error: string }): CompiledQuery[] {
  return [
    db
      .updateTable('screening_runs')
      .set({ status: 'failed', finished_at: run.at, error: run.error })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .compile(),
    dropRunStaging(runStagingTable(run.id)),
  ];
}

/** What a takeover of dead runs does: its statements (one atomic batch) and what they clean up. */
export interface RunTakeover {
  queries: CompiledQuery[];
  /** Runs marked failed. */
  failed: string[];
  /** Staging tables dropped. */
  dropped: string[];
}

/**
 * Takes over the screening run whose process died (issue 13): a running run whose heartbeat is
 * older than the lease is marked failed, and every run staging table but the live run's is
 * dropped. Reads first; the batch fails as a whole (`isGuardFailure`) if a run found dead beat
 * meanwhile: read again and retry.
 */
export async function takeOverDeadRuns(db: Kysely<DB>, now: Date, timing: LeaseTiming): Promise<RunTakeover> {
  const before = deadBefore(now, timing);
  const running = await db.selectFrom('screening_runs').select(['id', 'started_at', 'heartbeat_at']).where('status', '=', 'running').execute();
  const dead = running.filter((r) => (r.heartbeat_at ?? r.started_at) < before).map((r) => r.id);
  const owned = new Set(running.filter((r) => !dead.includes(r.id)).map((r) => runStagingTable(r.id)));
  const dropped = (await runStagingTables(db)).filter((name) => !owned.has(name));
  const ids = sql<string>`(SELECT value FROM json_each(${JSON.stringify(dead)}))`;
  const queries =
    dead.length === 0
      ? []
      : [
          db
            .updateTable('screening_runs')
            .set({ status: 'failed', finished_at: now.toISOString(), error: 'abandoned: the process running it stopped (its heartbeat stopped)' })
            .where('id', 'in', ids)
            .where('status', '=', 'running')
            .where(sql<string>`coalesce(heartbeat_at, started_at)`, '<', before)
            .compile(),
          failBatchIf(db, 'a dead screening run beat again', sql`EXISTS (SELECT 1 FROM screening_runs WHERE id IN ${ids} AND status = 'running')`),
        ];
  return { queries: [...queries, ...dropped.map(dropRunStaging)], failed: dead, dropped };
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

/** An open case a run did not flag: closed at its end (finishRun). */
export interface OpenCase {
  id: string;
  lapsesOn: string | null;
}

// Record layout of an open-case page: key, id, lapses_on, content (the content last, up to the
// record's end).
const OPEN_CASE_PAGE = `SELECT group_concat(${recordOf([
  "printf('%s|%s|%s', file_number, category, trigger_on)", // caseKey
  'id',
  'lapses_on',
  'json_array(opens_on, due_on, lapses_on, overdue, target_classes, needs_cognitive_test, reason)', // caseContent
])}, char(30)) AS page, max(rid) AS last
  FROM (SELECT rowid AS rid, * FROM cases NOT INDEXED WHERE rowid > ? AND status = 'open' ORDER BY rowid LIMIT ?)`;

/**
 * The open cases before a run, by key: the run takes out each case it flags, and the rest were
 * not flagged. Held as the page texts as read, with a map from each key to where its record
 * starts: one string object per case instead of five (a run over 2,000,000 licences holds
 * 340,000 open cases, and the garbage collector walks them all at every major collection).
 */
export class OpenCases {
  readonly #pages: string[] = [];
  /** Entry number by key; an entry is a page (#page) and the offset of its record's id field (#at). */
  readonly #entries = new Map<string, number>();
  readonly #page: number[] = [];
  readonly #at: number[] = [];

  /** Takes in a page: records of key, id, lapses_on and content. */
  add(text: string): void {
    const page = this.#pages.push(text) - 1;
    let start = 0;
    while (start < text.length) {
      const keyEnd = text.indexOf(FIELD, start);
      let end = text.indexOf(RECORD, keyEnd);
      if (end < 0) end = text.length;
      this.#entries.set(text.slice(start, keyEnd), this.#page.length);
      this.#page.push(page);
      this.#at.push(keyEnd + 1);
      start = end + 1;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Takes out the open case of `c`'s key, if any: 'same' when its content is `c`'s, 'changed' when
   * not, 'new' when no open case has the key.
   */
  take(c: ScreenedCase): 'same' | 'changed' | 'new' {
    const key = caseKey(c);
    const entry = this.#entries.get(key);
    if (entry === undefined) return 'new';
    this.#entries.delete(key);
    const text = this.#pages[this.#page[entry]!]!;
    const [, , contentAt] = this.#fields(text, this.#at[entry]!);
    const content = caseContent(c);
    const end = contentAt + content.length;
    return text.startsWith(content, contentAt) && (end === text.length || text.charCodeAt(end) === RECORD_CODE) ? 'same' : 'changed';
  }

  /** The open cases not taken out. */
  rest(): OpenCase[] {
    return [...this.#entries.values()].map((entry) => {
      const text = this.#pages[this.#page[entry]!]!;
      const at = this.#at[entry]!;
      const [idEnd, lapsesEnd] = this.#fields(text, at);
      return { id: text.slice(at, idEnd), lapsesOn: text.slice(idEnd + 1, lapsesEnd) || null };
    });
  }

  /** From a record's id field: where the id and lapses_on fields end, and where the content starts. */
  #fields(text: string, at: number): [number, number, number] {
    const idEnd = text.indexOf(FIELD, at);
    const lapsesEnd = text.indexOf(FIELD, idEnd + 1);
    return [idEnd, lapsesEnd, lapsesEnd + 1];
  }
}

const RECORD_CODE = RECORD.charCodeAt(0);

/**
 * Every open case, read in pages as licencePage reads licences: in storage order, the next page
 * read while this one is taken in. A page is one value: 5,000 cases are about 0.6 MB, under D1's
 * 2 MB for a string (20,000 were refused). Not through the status index: its order is not the
 * table's, and the look-up of each row cost 0.6 s for 170,000 open cases, where the scan of the
 * whole table, closed cases included, took 0.08 s. The content is SQLite's JSON text of the
 * columns, which is caseContent's JSON.stringify of the same values.
 */
export async function openCases(db: Kysely<DB>): Promise<OpenCases> {
  const open = new OpenCases();
  const read = (afterRowid: number) =>
    db.executeQuery<{ page: string | null; last: number | null }>(CompiledQuery.raw(OPEN_CASE_PAGE, [afterRowid, 5000]));
  let next = read(0);
  for (;;) {
    const { rows } = await next;
    const page = rows[0]?.page;
    const last = rows[0]?.last;
    if (!page || last == null) return open;
    next = read(last);
    next.catch(() => undefined); // awaited at the next turn
    await yieldToQueries();
    open.add(page);
  }
}

/**
 * Ends a run, for one atomic batch - the only one in which a run writes cases, so a run's result
 * is published all or nothing (RULES.md §3): writes the cases it staged, closes the open cases the run did not flag - as `lapsed`
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
  const flaggedTotal = Object.values(run.flagged).reduce((n, k) => n + k, 0);
  const staging = sql.table(runStagingTable(run.id));
  // What each staged case meets before the publish (read back by the counts after it).
  const meets = (statuses: string) =>
    sql<number>`(SELECT count(*) FROM ${staging} s JOIN cases c ON c.file_number = s.file_number AND c.category = s.category
      AND c.trigger_on IS s.trigger_on WHERE c.status IN (${sql.raw(statuses)}))`;
  const before = sql<string>`json_object('updated', ${meets("'open'")}, 'reopened', ${meets("'superseded', 'lapsed'")}, 'alreadyCompleted', ${meets("'completed'")})`;
  const was = (key: string) => sql<number>`json_extract(counts, ${`$.${key}`})`;
  // The figures add up (issue 14): flagged = created + reopened + updated + unchanged + alreadyCompleted;
  // open before the run = updated + unchanged + superseded + lapsed.
  const counts = sql<string>`json_object('flagged', json(${JSON.stringify(run.flagged)}), 'flaggedTotal', ${flaggedTotal},
    'created', ${created}, 'reopened', ${was('reopened')}, 'updated', ${was('updated')},
    'unchanged', ${flaggedTotal} - (SELECT count(*) FROM ${staging}), 'alreadyCompleted', ${was('alreadyCompleted')},
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
    // A run taken over (its heartbeat stalled for a whole lease) must publish nothing.
    runStillRunning(db, run.id),
    db.updateTable('screening_runs').set({ counts: before }).where('id', '=', run.id).where('status', '=', 'running').compile(),
    publishStaged(db, run),
    db
      .updateTable('screening_runs')
      .set({ status: 'completed', finished_at: run.at, licences_screened: run.licencesScreened, counts })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .compile(),
    ...close(lapsed, 'lapsed'),
    ...close(superseded, 'superseded'),
    dropRunStaging(runStagingTable(run.id)),
  ];
}
