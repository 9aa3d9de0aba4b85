import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';

/** A driver's outreach in time order: every message, call, status, step and answer (issue 3). */
export const TimelineItemSchema = z
  .object({
    at: z.string(),
    kind: z.enum(['message', 'step', 'answer']),
    conversationId: z.string().nullable(),
    channel: z.string(),
    direction: z.enum(['out', 'in']).optional(),
    purpose: z.string().optional(),
    body: z.string().nullable().optional(),
    status: z.string().optional(),
    statusAt: z.string().optional().openapi({ description: 'When the status last changed' }),
    seq: z.number().int().optional(),
    dueAt: z.string().optional(),
    note: z.string().nullable().optional(),
    intent: z.string().optional(),
    outcome: z.string().optional(),
    rescheduleOn: z.string().nullable().optional(),
    staffId: z.string().nullable().optional(),
  })
  .openapi('TimelineItem');

export type TimelineItem = z.infer<typeof TimelineItemSchema>;

export async function driverTimeline(db: Kysely<DB>, fileNumber: string): Promise<TimelineItem[]> {
  const conversationIds = db.selectFrom('conversations').select('id').where('file_number', '=', fileNumber);
  const [messages, steps, answers] = await Promise.all([
    db.selectFrom('messages').selectAll().where('file_number', '=', fileNumber).execute(),
    db.selectFrom('outreach_steps').selectAll().where('conversation_id', 'in', conversationIds).execute(),
    db.selectFrom('answers').selectAll().where('file_number', '=', fileNumber).execute(),
  ]);
  const items: TimelineItem[] = [
    ...messages.map((m) => ({
      at: m.created_at,
      kind: 'message' as const,
      conversationId: m.conversation_id,
      channel: m.channel,
      direction: m.direction,
      purpose: m.purpose,
      body: m.body,
      status: m.status,
      statusAt: m.updated_at,
    })),
    ...steps.map((s) => ({ at: s.updated_at, kind: 'step' as const, conversationId: s.conversation_id, channel: s.channel, seq: s.seq, dueAt: s.due_at, status: s.status, note: s.note })),
    ...answers.map((a) => ({
      at: a.at,
      kind: 'answer' as const,
      conversationId: a.conversation_id,
      channel: a.channel,
      intent: a.intent,
      outcome: a.outcome,
      rescheduleOn: a.reschedule_on,
      note: a.note,
      staffId: a.staff_id,
    })),
  ];
  // At the same instant, an answer comes before the step it cancelled.
  const rank = { message: 0, answer: 1, step: 2 };
  return items.sort((a, b) => a.at.localeCompare(b.at) || rank[a.kind] - rank[b.kind]);
}
