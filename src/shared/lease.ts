import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import type { Config } from '../config.ts';
import type { DB } from '../db/schema/index.ts';
import { AppError } from '../errors.ts';
import type { Atomic, Clock } from '../ports.ts';
import type { Logger } from './logger.ts';

/**
 * Leases of long jobs (issue 13): an import or a screening run refreshes a heartbeat while it
 * goes on; one whose heartbeat is older than the lease died with its process and is taken over
 * (marked failed, its staging table dropped) by the next job or the start-up recovery.
 */
export interface LeaseTiming {
  /** A heartbeat older than this means its holder is dead. */
  leaseMs: number;
  /** How often the holder refreshes it: six beats per lease, so a few missed ones do not lose it. */
  heartbeatMs: number;
}

export function leaseTiming(config: Pick<Config, 'RUN_LEASE_SECONDS'>): LeaseTiming {
  const leaseMs = config.RUN_LEASE_SECONDS * 1000;
  return { leaseMs, heartbeatMs: Math.max(100, Math.floor(leaseMs / 6)) };
}

/** Heartbeats before this instant (ISO, comparable as text) belong to dead holders. */
export function deadBefore(now: Date, timing: LeaseTiming): string {
  return new Date(now.getTime() - timing.leaseMs).toISOString();
}

/** The error of a job that was taken over while it ran (its heartbeat stalled for a whole lease). */
export function leaseLost(what: string): AppError {
  return AppError.keyed('conflict', { key: 'lease_lost', params: { what } });
}

export interface Heartbeat {
  /** Whether a heartbeat found the lease gone (taken over). */
  readonly lost: boolean;
  /** Throws the lease-lost error once a heartbeat found the lease gone: the holder must stop. */
  check(): void;
  /** Stops beating; waits for a beat in flight. */
  stop(): Promise<void>;
}

/**
 * Refreshes a lease every `timing.heartbeatMs` with `beat(at)`: an UPDATE of the holder's row
 * conditioned on its still holding the lease. An UPDATE that changes no row means it was taken
 * over. A beat that fails (a busy database) is tried again at the next tick.
 */
export function startHeartbeat(
  deps: { atomic: Atomic; clock: Clock; logger: Logger },
  what: string,
  timing: LeaseTiming,
  beat: (at: string) => CompiledQuery,
): Heartbeat {
  let lost = false;
  let inFlight: Promise<void> | null = null;
  const tick = () => {
    if (inFlight || lost) return;
    inFlight = deps
      .atomic([beat(deps.clock.now().toISOString())])
      .then(
        ([result]) => {
          if (Number(result?.numAffectedRows ?? 0n) === 0) lost = true;
        },
        (err: unknown) => deps.logger.warn('heartbeat not written', { what, error: (err as Error).message }),
      )
      .finally(() => {
        inFlight = null;
      });
  };
  const timer = setInterval(tick, timing.heartbeatMs);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    check() {
      if (lost) throw leaseLost(what);
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

/**
 * A statement that makes its whole batch fail when `condition` holds: it inserts a row into
 * `lease_guard`, whose CHECK refuses every row (migration 0008). The batch's first statement, so
 * that a batch of a job that lost its lease writes nothing (D1 has no interactive transaction in
 * which to test the lease first).
 */
export function failBatchIf(db: Kysely<DB>, reason: string, condition: RawBuilder<unknown>): CompiledQuery {
  return sql`INSERT INTO lease_guard (lost) SELECT ${reason} WHERE ${condition}`.compile(db);
}

/** Whether a batch failed on `failBatchIf`. */
export function isGuardFailure(err: unknown): boolean {
  return err instanceof Error && /CHECK constraint failed: lease_lost/.test(err.message);
}
