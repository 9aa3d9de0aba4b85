import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { addDays, type CivilDate } from '../shared/civil-date.ts';
import { instantAt, todayIn } from '../shared/time.ts';

/**
 * The queue's figures per day (issue 5, Asia/Shanghai days): how long from the start of the exam
 * to 12123's acceptance - the service promises under ten minutes - and the retries and dead
 * letters of the day; plus the queue as it stands.
 *
 * A submission that had to wait for its case to open (an annual certificate examined before the
 * cycle ended, RULES.md §5) is counted apart: its wait is the law's, not the queue's.
 */
export const PROMISE_MINUTES = 10;

export interface DayFigures {
  date: CivilDate;
  accepted: number;
  /** Accepted submissions that could be filed at once (their case open on the day of the exam). */
  filedAtOnce: number;
  examToAcceptanceMinutes: { p50: number | null; p95: number | null; max: number | null };
  withinPromise: number;
  /** Accepted after waiting for the case to open. */
  waitedForOpening: number;
  /** Transient failures (each one a retry scheduled). */
  retries: number;
  deadLettered: number;
  cancelled: number;
}

export interface QueueFigures {
  paused: boolean;
  /** Due now or in backoff. */
  pending: number;
  /** Of those, waiting for their case to open. */
  waitingForOpening: number;
  /** Of those, held until the driver's 委托书 is recorded (Art 105, src/scheduling/authorisation.ts). */
  waitingForAuthorisation: number;
  /** Pending, neither waiting for its opening day nor held: the next to be sent. */
  ready: number;
  leased: number;
  dead: number;
}

/** The value below which `q` of the sorted values lie (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const minutes = (ms: number) => Math.round(ms / 6000) / 10;

export async function dailyFigures(db: Kysely<DB>, from: CivilDate, to: CivilDate): Promise<DayFigures[]> {
  const start = instantAt(from, '00:00').toISOString();
  const end = instantAt(addDays(to, 1), '00:00').toISOString();
  const [accepted, events] = await Promise.all([
    db
      .selectFrom('submissions')
      .select(['accepted_at', 'exam_started_at', 'not_before'])
      .where('status', '=', 'accepted')
      .where('accepted_at', '>=', start)
      .where('accepted_at', '<', end)
      .execute(),
    db
      .selectFrom('submission_events')
      .select(['at', 'kind'])
      .where('at', '>=', start)
      .where('at', '<', end)
      .where('kind', 'in', ['transient', 'dead', 'cancelled'])
      .execute(),
  ]);
  const days = new Map<CivilDate, { atOnce: number[]; waited: number; retries: number; dead: number; cancelled: number }>();
  for (let d = from; d <= to; d = addDays(d, 1)) days.set(d, { atOnce: [], waited: 0, retries: 0, dead: 0, cancelled: 0 });
  for (const s of accepted) {
    const day = days.get(todayIn(new Date(s.accepted_at!)))!;
    if (s.not_before > todayIn(new Date(s.exam_started_at))) day.waited++;
    else day.atOnce.push(Date.parse(s.accepted_at!) - Date.parse(s.exam_started_at));
  }
  for (const e of events) {
    const day = days.get(todayIn(new Date(e.at)))!;
    if (e.kind === 'transient') day.retries++;
    else if (e.kind === 'dead') day.dead++;
    else day.cancelled++;
  }
  return [...days].map(([date, d]) => {
    const sorted = d.atOnce.sort((a, b) => a - b);
    const p = (q: number) => {
      const v = percentile(sorted, q);
      return v === null ? null : minutes(v);
    };
    return {
      date,
      accepted: sorted.length + d.waited,
      filedAtOnce: sorted.length,
      examToAcceptanceMinutes: { p50: p(0.5), p95: p(0.95), max: p(1) },
      withinPromise: sorted.filter((ms) => ms < PROMISE_MINUTES * 60_000).length,
      waitedForOpening: d.waited,
      retries: d.retries,
      deadLettered: d.dead,
      cancelled: d.cancelled,
    };
  });
}

export async function queueFigures(db: Kysely<DB>, today: CivilDate): Promise<QueueFigures> {
  const { rows } = await sql<{ status: string; waiting: number; held: number; n: number }>`
    SELECT status, not_before > ${today} AS waiting, held_for IS NOT NULL AS held, count(*) AS n FROM submissions
    WHERE status IN ('pending', 'leased', 'dead') GROUP BY 1, 2, 3`.execute(db);
  const count = (status: string, waiting?: number) => rows.filter((r) => r.status === status && (waiting === undefined || r.waiting === waiting)).reduce((n, r) => n + r.n, 0);
  const held = rows.filter((r) => r.status === 'pending' && r.held === 1).reduce((n, r) => n + r.n, 0);
  const ready = rows.filter((r) => r.status === 'pending' && r.held === 0 && r.waiting === 0).reduce((n, r) => n + r.n, 0);
  const control = await db.selectFrom('queue_control').select('paused').where('queue', '=', 'submissions').executeTakeFirst();
  return { paused: control?.paused === 1, pending: count('pending'), ready, waitingForOpening: count('pending', 1), waitingForAuthorisation: held, leased: count('leased'), dead: count('dead') };
}
