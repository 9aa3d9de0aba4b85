/**
 * Lets the queries just started reach the database before synchronous work goes on. A Kysely
 * query hands its statement to the driver only after a few promise turns, so a page read ahead
 * and then a page screened meant the read began only when the screening was done: no overlap at
 * all (measured: 200 pages of a million licences, 2.15 s read ahead against 1.47 s with this).
 */
export function yieldToQueries(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
