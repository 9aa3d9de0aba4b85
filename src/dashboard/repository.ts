/**
 * The rows behind the dashboard (issue 15): read-only queries over the existing tables, one
 * function per figure. Period = [00:00 of `from`, 00:00 after `to`) in Asia/Shanghai.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { addDays, type CivilDate } from '../shared/civil-date.ts';
import { instantAt } from '../shared/time.ts';
import type { DashboardRows, ReachedStep } from './figures.ts';

export interface Period {
  from: CivilDate;
  to: CivilDate;
  /** ISO instants: the period's first instant and the first one after it. */
  start: string;
  end: string;
}

export function period(from: CivilDate, to: CivilDate): Period {
  return { from, to, start: instantAt(from, '00:00').toISOString(), end: instantAt(addDays(to, 1), '00:00').toISOString() };
}

/** SMS delivered (or read), call answered and completed: as the outreach statistics count them. */
const DELIVERED = ['delivered', 'read', 'completed'];
/** Anything a driver said back (by SMS, keypress or to staff) shows the notice reached them. */
const HEARD = ['confirm', 'decline', 'reschedule', 'opt_out', 'help', 'unknown'];
const NUMBER = (v: unknown) => Number(v ?? 0);

/** Licences screened: the period's largest completed run (each run screens the whole registry). */
export async function screenedLicences(db: Kysely<DB>, p: Period): Promise<number> {
  const row = await db
    .selectFrom('screening_runs')
    .select((eb) => eb.fn.max('licences_screened').as('n'))
    .where('status', '=', 'completed')
    .where('started_at', '>=', p.start)
    .where('started_at', '<', p.end)
    .executeTakeFirst();
  return NUMBER(row?.n);
}

/**
 * The period's cohort - drivers with a case first flagged in the period - by the furthest step
 * each has reached so far (outreach, visits, exams and submissions since the period began). A
 * driver who got further counts at every earlier step too (a driver examined was reached).
 */
export async function cohortFurthest(db: Kysely<DB>, p: Period): Promise<DashboardRows['furthest']> {
  const { rows } = await sql<{ step: ReachedStep; drivers: number }>`
    WITH due_cases AS (SELECT id, file_number FROM cases WHERE created_at >= ${p.start} AND created_at < ${p.end}),
    due AS (SELECT DISTINCT file_number FROM due_cases),
    convs AS (SELECT id, file_number FROM conversations WHERE started_at >= ${p.start} AND file_number IN (SELECT file_number FROM due)),
    notified AS (
      SELECT c.file_number FROM messages m JOIN convs c ON c.id = m.conversation_id
      WHERE m.direction = 'out' AND m.purpose = 'notice' AND m.status IN (${sql.join(DELIVERED)})
      UNION
      SELECT c.file_number FROM answers a JOIN convs c ON c.id = a.conversation_id WHERE a.intent IN (${sql.join(HEARD)})),
    confirmed AS (
      SELECT c.file_number FROM answers a JOIN convs c ON c.id = a.conversation_id WHERE a.intent = 'confirm' AND a.outcome = 'applied'),
    booked AS (
      SELECT file_number FROM visits WHERE date >= ${p.from} AND booked_at >= ${p.start} AND file_number IN (SELECT file_number FROM due)),
    visited AS (SELECT file_number, pass FROM exams WHERE created_at >= ${p.start} AND file_number IN (SELECT file_number FROM due)),
    subs AS (
      SELECT s.file_number, s.status,
        (s.attempts > 0 OR s.status IN ('leased', 'accepted', 'dead')
          OR EXISTS (SELECT 1 FROM submission_events e WHERE e.submission_id = s.id AND e.kind IN ('accepted', 'transient', 'dead'))) AS tried
      FROM submissions s WHERE s.case_id IN (SELECT id FROM due_cases))
    SELECT step, count(*) AS drivers FROM (
      SELECT CASE
        WHEN file_number IN (SELECT file_number FROM subs WHERE status = 'accepted') THEN 'accepted'
        WHEN file_number IN (SELECT file_number FROM subs WHERE tried) THEN 'filed'
        WHEN file_number IN (SELECT file_number FROM visited WHERE pass = 1) THEN 'passed'
        WHEN file_number IN (SELECT file_number FROM visited) THEN 'visited'
        WHEN file_number IN (SELECT file_number FROM booked) THEN 'booked'
        WHEN file_number IN (SELECT file_number FROM confirmed) THEN 'confirmed'
        WHEN file_number IN (SELECT file_number FROM notified) THEN 'notified'
        ELSE 'due' END AS step
      FROM due)
    GROUP BY step`.execute(db);
  return rows.map((r) => ({ step: r.step, drivers: NUMBER(r.drivers) }));
}

/** Numbers that opted out (TD / 退订 / STOP, or to staff) in the period. */
export async function optOuts(db: Kysely<DB>, p: Period): Promise<number> {
  const row = await db.selectFrom('opt_outs').select((eb) => eb.fn.countAll().as('n')).where('at', '>=', p.start).where('at', '<', p.end).executeTakeFirst();
  return NUMBER(row?.n);
}

/** Visits of the period's dates the driver was not there for. */
export async function noShows(db: Kysely<DB>, p: Period): Promise<number> {
  const row = await db
    .selectFrom('visits')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('date', '>=', p.from)
    .where('date', '<=', p.to)
    .where('status', '=', 'no_show')
    .executeTakeFirst();
  return NUMBER(row?.n);
}

/** Drivers put on the staff call list in the period: every SMS and call of the ladder failed. */
export async function unreachableDrivers(db: Kysely<DB>, p: Period): Promise<number> {
  const row = await db
    .selectFrom('outreach_steps as s')
    .innerJoin('conversations as c', 'c.id', 's.conversation_id')
    .select(sql<number>`count(DISTINCT c.file_number)`.as('n'))
    .where('s.channel', '=', 'call_list')
    .where('s.status', '=', 'done')
    .where('s.updated_at', '>=', p.start)
    .where('s.updated_at', '<', p.end)
    .executeTakeFirst();
  return NUMBER(row?.n);
}

/**
 * Crew-days of the period's dates (one postal worker and one examiner on one date, whatever the
 * number of their shifts) on which the crew went to at least one door (exam recorded or no-show).
 */
export async function crewDays(db: Kysely<DB>, p: Period): Promise<DashboardRows['crewDays']> {
  const { rows } = await sql<{ exams: number }>`
    SELECT SUM(v.status = 'exam_recorded') AS exams FROM visits v JOIN shifts s ON s.id = v.shift_id
    WHERE v.date >= ${p.from} AND v.date <= ${p.to} AND v.status IN ('exam_recorded', 'no_show')
    GROUP BY v.date, s.postal_id, s.examiner_id`.execute(db);
  return rows.map((r) => ({ examsRecorded: NUMBER(r.exams) }));
}

export async function acceptedSubmissions(db: Kysely<DB>, p: Period): Promise<DashboardRows['accepted']> {
  const rows = await db
    .selectFrom('submissions')
    .select(['exam_started_at', 'accepted_at', 'not_before'])
    .where('status', '=', 'accepted')
    .where('accepted_at', '>=', p.start)
    .where('accepted_at', '<', p.end)
    .execute();
  return rows.map((r) => ({ examStartedAt: r.exam_started_at, acceptedAt: r.accepted_at!, notBefore: r.not_before }));
}

/** Open overdue cases now (as of the latest screening run), per community of the licence. */
export async function overdueByCommunity(db: Kysely<DB>, top: number): Promise<Pick<DashboardRows, 'overdueTop' | 'overdueTotal'>> {
  const { rows } = await sql<{ community: string | null; cases: number }>`
    SELECT l.community AS community, count(*) AS cases FROM cases c JOIN licences l ON l.file_number = c.file_number
    WHERE c.status = 'open' AND c.overdue = 1 GROUP BY l.community ORDER BY cases DESC, community`.execute(db);
  return {
    overdueTop: rows.slice(0, top).map((r) => ({ community: r.community, cases: NUMBER(r.cases) })),
    overdueTotal: rows.reduce((n, r) => n + NUMBER(r.cases), 0),
  };
}

export async function dashboardRows(db: Kysely<DB>, p: Period, top: number): Promise<DashboardRows> {
  const [screened, furthest, opted, missed, unreachable, days, accepted, overdue] = await Promise.all([
    screenedLicences(db, p),
    cohortFurthest(db, p),
    optOuts(db, p),
    noShows(db, p),
    unreachableDrivers(db, p),
    crewDays(db, p),
    acceptedSubmissions(db, p),
    overdueByCommunity(db, top),
  ]);
  return { screened, furthest, optOuts: opted, noShows: missed, unreachable, crewDays: days, accepted, ...overdue };
}
