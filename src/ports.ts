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

export const randomIds: Ids = { next: () => crypto.randomUUID() };

/**
 * Runs compiled queries all-or-nothing: one SQLite transaction on Node, one D1 `batch()` on
 * Workers. Conditional writes are expressed in SQL, never as read-then-write in JavaScript.
 */
export type Atomic = (queries: readonly CompiledQuery[]) => Promise<QueryResult<unknown>[]>;
