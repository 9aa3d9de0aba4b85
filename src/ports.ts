import type { CompiledQuery, QueryResult } from 'kysely';

/**
 * The small interfaces behind which every outside system sits (DESIGN.md "Ports and adapters").
 */

/** Wall-clock time, injected so that tests and rules never read the system clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let current = new Date(iso);
  return { now: () => new Date(current), set: (next) => (current = new Date(next)) };
}

/** Identifiers are generated in the app (D1 batches cannot read back generated keys). */
export interface Ids {
  next(): string;
}

/**
 * UUID version 7: a millisecond timestamp, then random bits. Ids made one after another sort
 * together, so a run that inserts a quarter of a million cases appends to the primary-key index
 * instead of writing all over it.
 */
export function uuidv7(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(now);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const randomIds: Ids = { next: () => uuidv7() };

/**
 * Runs compiled queries all-or-nothing: one SQLite transaction on Node, one D1 `batch()` on
 * Workers. Conditional writes are expressed in SQL, never as read-then-write in JavaScript.
 */
export type Atomic = (queries: readonly CompiledQuery[]) => Promise<QueryResult<unknown>[]>;
