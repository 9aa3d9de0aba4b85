import { sql } from 'kysely';

/**
 * Provider statuses of messages and calls, in the order they can follow each other. Rank 9 is
 * final. A callback may only move a message to a higher rank (issue 3: a late or out-of-order
 * status callback never moves a message back from a final status).
 */
const RANK: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  initiated: 2,
  sending: 2,
  ringing: 3,
  sent: 3,
  'in-progress': 4,
  delivered: 9,
  undelivered: 9,
  failed: 9,
  read: 9,
  canceled: 9,
  completed: 9,
  busy: 9,
  'no-answer': 9,
  received: 9,
  replied: 9,
};

/** Unknown statuses rank 0 for a callback (they move nothing) and 9 for a stored one. */
export function statusRank(status: string): number {
  return RANK[status] ?? 0;
}

export function isFinal(status: string): boolean {
  return (RANK[status] ?? 9) === 9;
}

/** The stored status's rank, as SQL over `messages.status`. */
export const STATUS_RANK_SQL = sql.raw(
  `(CASE status ${Object.entries(RANK)
    .map(([s, r]) => `WHEN '${s}' THEN ${r}`)
    .join(' ')} ELSE 9 END)`,
);
