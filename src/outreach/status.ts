import { sql } from 'kysely';

/**
 * Provider statuses of messages and calls, in the order they can follow each other. A callback
 * may only move a message to a higher rank (issue 3: a late or out-of-order status callback never
 * moves a message back from a final status); ranks from FINAL up are final.
 *
 * Every status Twilio documents (issue 13), as checked on 2026-12-07:
 * - Messages: the `MessageStatus` type of the twilio SDK 6.2 (`api/v2010/account/message.d.ts`,
 *   generated from Twilio's OpenAPI document, the same 13 values as twilio-openapi's
 *   `MessageEnumStatus`): queued, sending, sent, failed, delivered, undelivered, receiving,
 *   received, accepted, scheduled, read, partially_delivered, canceled. Twilio's guide "Outbound
 *   Message Status in Status Callbacks" (twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks):
 *   a message starts `queued`, or `accepted` / `scheduled` through a Messaging Service, then goes
 *   through sending and sent to delivered or undelivered (or failed), and "even read receipt for
 *   supporting messaging channels": `read` comes after `delivered`, so it ranks above it.
 *   `partially_delivered` is listed without being described as an end state, and a later
 *   `delivered` or `undelivered` is more complete news: it sits between sent and the final statuses.
 * - Calls: the SDK's `CallStatus` (`api/v2010/account/call.d.ts`): queued, ringing, in-progress,
 *   completed, busy, failed, no-answer, canceled; and `initiated`, which status callbacks report
 *   between queued and ringing (Twilio's "Tracking the Status of an Outbound Twilio Voice Call":
 *   queued, initiated, ringing, in-progress, completed; StatusCallbackEvent initiated, ringing,
 *   answered, completed).
 * - `replied` is ours: the TwiML answer to an inbound SMS (src/outreach/answers.ts).
 */
export const FINAL = 9;

export const STATUS_RANKS: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  receiving: 1,
  initiated: 2,
  sending: 2,
  ringing: 3,
  sent: 3,
  'in-progress': 4,
  partially_delivered: 5,
  delivered: FINAL,
  undelivered: FINAL,
  failed: FINAL,
  canceled: FINAL,
  received: FINAL,
  completed: FINAL,
  busy: FINAL,
  'no-answer': FINAL,
  replied: FINAL,
  read: FINAL + 1,
};

/** Every status Twilio documents for messages and calls, for the tests (and nothing else). */
export const TWILIO_MESSAGE_STATUSES = [
  'accepted', 'scheduled', 'canceled', 'queued', 'sending', 'sent', 'failed', 'delivered', 'undelivered',
  'receiving', 'received', 'read', 'partially_delivered',
] as const;
export const TWILIO_CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;

/** Unknown statuses rank 0 for a callback (they move nothing) and FINAL for a stored one. */
export function statusRank(status: string): number {
  // Own properties only: a status such as `constructor` must not find Object.prototype's.
  return Object.hasOwn(STATUS_RANKS, status) ? STATUS_RANKS[status]! : 0;
}

export function isFinal(status: string): boolean {
  return (Object.hasOwn(STATUS_RANKS, status) ? STATUS_RANKS[status]! : FINAL) >= FINAL;
}

/** The stored status's rank, as SQL over `messages.status`. */
export const STATUS_RANK_SQL = sql.raw(
  `(CASE status ${Object.entries(STATUS_RANKS)
    .map(([s, r]) => `WHEN '${s}' THEN ${r}`)
    .join(' ')} ELSE ${FINAL} END)`,
);
