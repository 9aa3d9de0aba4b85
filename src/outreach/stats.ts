import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { CaseCategory } from '../screening/case.ts';
import { addDays } from '../shared/civil-date.ts';
import { instantAt } from '../shared/time.ts';

/**
 * Daily outreach figures per channel and case category (issue 3): notices sent, delivered
 * (SMS delivered, call answered and completed), failed, and drivers' answers. Days are dates in
 * Asia/Shanghai; a conversation counts under each category it covers.
 */
export interface StatsRow {
  day: string;
  channel: 'sms' | 'voice' | 'phone';
  category: CaseCategory;
  sent: number;
  delivered: number;
  failed: number;
  answered: number;
  confirmed: number;
  declined: number;
  optedOut: number;
}

const DELIVERED = ['delivered', 'read', 'completed'];
const FAILED = ['failed', 'undelivered', 'busy', 'no-answer', 'canceled'];
const SHANGHAI_DAY = (column: string) => sql.raw(`date(${column}, '+8 hours')`);

export async function outreachStats(db: Kysely<DB>, from: string, to: string): Promise<StatsRow[]> {
  const start = instantAt(from, '00:00').toISOString();
  const end = instantAt(addDays(to, 1), '00:00').toISOString();
  const sends = await sql<{ day: string; channel: 'sms' | 'voice'; category: CaseCategory; sent: number; delivered: number; failed: number }>`
    SELECT ${SHANGHAI_DAY('m.created_at')} AS day, m.channel, j.value AS category,
           SUM(m.provider_sid IS NOT NULL) AS sent,
           SUM(m.status IN (${sql.join(DELIVERED)})) AS delivered,
           SUM(m.status IN (${sql.join(FAILED)})) AS failed
    FROM messages m JOIN conversations v ON v.id = m.conversation_id, json_each(v.categories) j
    WHERE m.direction = 'out' AND m.purpose = 'notice' AND m.created_at >= ${start} AND m.created_at < ${end}
    GROUP BY 1, 2, 3`.execute(db);
  const answers = await sql<{ day: string; channel: StatsRow['channel']; category: CaseCategory; answered: number; confirmed: number; declined: number; opted_out: number }>`
    SELECT ${SHANGHAI_DAY('a.at')} AS day, a.channel, j.value AS category,
           COUNT(*) AS answered,
           SUM(a.intent = 'confirm') AS confirmed,
           SUM(a.intent = 'decline') AS declined,
           SUM(a.intent = 'opt_out') AS opted_out
    FROM answers a JOIN conversations v ON v.id = a.conversation_id, json_each(v.categories) j
    WHERE a.outcome = 'applied' AND a.intent IN ('confirm', 'decline', 'reschedule', 'opt_out') AND a.at >= ${start} AND a.at < ${end}
    GROUP BY 1, 2, 3`.execute(db);
  const rows = new Map<string, StatsRow>();
  const row = (day: string, channel: StatsRow['channel'], category: CaseCategory) => {
    const key = `${day}|${channel}|${category}`;
    let r = rows.get(key);
    if (!r) {
      r = { day, channel, category, sent: 0, delivered: 0, failed: 0, answered: 0, confirmed: 0, declined: 0, optedOut: 0 };
      rows.set(key, r);
    }
    return r;
  };
  for (const s of sends.rows) Object.assign(row(s.day, s.channel, s.category), { sent: Number(s.sent), delivered: Number(s.delivered), failed: Number(s.failed) });
  for (const a of answers.rows) {
    Object.assign(row(a.day, a.channel, a.category), { answered: Number(a.answered), confirmed: Number(a.confirmed), declined: Number(a.declined), optedOut: Number(a.opted_out) });
  }
  return [...rows.values()].sort((a, b) => a.day.localeCompare(b.day) || a.channel.localeCompare(b.channel) || a.category.localeCompare(b.category));
}
