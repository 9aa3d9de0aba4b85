/**
 * Pacing towards the 12123 gateway (issue 5): capped exponential backoff with jitter, and a rate
 * limit. Pure: the time and the random draw are passed in.
 */

export interface BackoffSettings {
  baseMs: number;
  capMs: number;
}

/**
 * The wait after the `failures`-th failure in a row: min(cap, base x 2^(failures-1)), jittered
 * down to between half and all of it ("equal jitter") so that submissions failed by one outage
 * do not all come back in the same second. Never more than the cap.
 */
export function backoffMs(failures: number, s: BackoffSettings, random: () => number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 40);
  const ceiling = Math.min(s.capMs, s.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * At most `perSecond` sends in any window of one second (a sliding log, not a bucket: a bucket
 * lets twice the rate through across the edge of a burst).
 */
export class RateLimiter {
  private readonly sent: number[] = [];

  constructor(readonly perSecond: number) {}

  private forget(nowMs: number): void {
    let drop = 0;
    while (drop < this.sent.length && this.sent[drop]! <= nowMs - 1000) drop++;
    if (drop > 0) this.sent.splice(0, drop);
  }

  /** How many sends may start now. */
  allowance(nowMs: number): number {
    this.forget(nowMs);
    return Math.max(0, this.perSecond - this.sent.length);
  }

  take(nowMs: number, count = 1): void {
    for (let i = 0; i < count; i++) this.sent.push(nowMs);
  }

  /** Returns sends reserved but not made (the latest ones). */
  giveBack(count: number): void {
    if (count > 0) this.sent.splice(Math.max(0, this.sent.length - count), count);
  }

  /** Milliseconds until the next send may start (0 if one may start now). */
  waitMs(nowMs: number): number {
    if (this.allowance(nowMs) > 0) return 0;
    return Math.max(1, this.sent[0]! + 1000 - nowMs);
  }
}
