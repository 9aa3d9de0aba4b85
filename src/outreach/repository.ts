import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { ConversationRow } from '../db/schema/outreach.ts';
import type { NoticeCase } from './templates.ts';

/** A conversation with what a notice needs: the driver's current number and open cases. */
export interface ConversationContext {
  conversation: ConversationRow;
  licence: { name: string; sex: 'M' | 'F'; phone: string; phone_kind: 'mobile' | 'landline'; status: string };
  cases: NoticeCase[];
  optedOut: boolean;
}

export async function conversationContext(db: Kysely<DB>, conversationId: string): Promise<ConversationContext | null> {
  const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
  if (!conversation) return null;
  const licence = await db
    .selectFrom('licences')
    .select(['name', 'sex', 'phone', 'phone_kind', 'status'])
    .where('file_number', '=', conversation.file_number)
    .executeTakeFirstOrThrow();
  const [cases, optOut] = await Promise.all([
    openCasesOf(db, conversation.file_number),
    db.selectFrom('opt_outs').select('phone').where('phone', 'in', [licence.phone, conversation.phone]).executeTakeFirst(),
  ]);
  return { conversation, licence, cases, optedOut: optOut !== undefined };
}

export async function openCasesOf(db: Kysely<DB>, fileNumber: string): Promise<NoticeCase[]> {
  const rows = await db
    .selectFrom('cases')
    .select(['category', 'due_on', 'overdue', 'reason'])
    .where('file_number', '=', fileNumber)
    .where('status', '=', 'open')
    .orderBy('due_on')
    .execute();
  return rows.map((r) => ({
    category: r.category,
    dueOn: r.due_on,
    overdue: r.overdue === 1,
    reason: r.reason as NoticeCase['reason'],
  }));
}
