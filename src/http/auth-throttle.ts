import type { Clock } from '../ports.ts';
import type { AppDeps } from './env.ts';

/**
 * Failed token attempts per client (issue 13): a client that failed `limit` times within a
 * window (starting at its first failure) gets 429 on every authenticated route, a valid token
 * or not, until the window ends. A success clears nothing, neither its own count nor anyone
 * else's: a valid token must not buy further guesses. Memory is bounded: at most `maxClients`
 * are remembered, and the one whose last failure is oldest is forgotten first.
 */
export interface AuthThrottle {
  /** Seconds `client` must still wait, or 0 when it may try. */
  blockedFor(client: string): number;
  /** Counts one failed attempt: the client's failures in this window, and the seconds to wait when this one was beyond the limit (else 0). */
  fail(client: string): { failures: number; retryAfter: number };
  /** Clients remembered now (for the memory bound). */
  readonly size: number;
}

interface Entry {
  count: number;
  windowEnds: number;
}

export function createAuthThrottle(options: { limit: number; windowSeconds: number; maxClients: number; clock: Clock }): AuthThrottle {
  const { limit, windowSeconds, maxClients, clock } = options;
  // A Map iterates in insertion order: re-inserting on each failure keeps the stalest first.
  const entries = new Map<string, Entry>();
  const secondsLeft = (entry: Entry, now: number) => Math.max(1, Math.ceil((entry.windowEnds - now) / 1000));
  const current = (client: string, now: number): Entry | undefined => {
    const entry = entries.get(client);
    if (entry && entry.windowEnds <= now) {
      entries.delete(client);
      return undefined;
    }
    return entry;
  };
  return {
    blockedFor(client) {
      const now = clock.now().getTime();
      const entry = current(client, now);
      return entry && entry.count >= limit ? secondsLeft(entry, now) : 0;
    },
    fail(client) {
      const now = clock.now().getTime();
      const entry = current(client, now) ?? { count: 0, windowEnds: now + windowSeconds * 1000 };
      entry.count++;
      entries.delete(client);
      entries.set(client, entry);
      while (entries.size > maxClients) entries.delete(entries.keys().next().value!);
      return { failures: entry.count, retryAfter: entry.count > limit ? secondsLeft(entry, now) : 0 };
    },
    get size() {
      return entries.size;
    },
  };
}

// One throttle per app (per composition root), made on first use from its settings and clock:
// the route middleware is built at import time, before any app exists.
const throttles = new WeakMap<AppDeps, AuthThrottle>();

export function authThrottleOf(deps: AppDeps): AuthThrottle {
  let throttle = throttles.get(deps);
  if (!throttle) {
    throttle = createAuthThrottle({
      limit: deps.config.AUTH_FAILURE_LIMIT,
      windowSeconds: deps.config.AUTH_FAILURE_WINDOW_SECONDS,
      maxClients: deps.config.AUTH_THROTTLE_MAX_CLIENTS,
      clock: deps.clock,
    });
    throttles.set(deps, throttle);
  }
  return throttle;
}
