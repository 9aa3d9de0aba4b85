/**
 * The vehicle-routing-with-time-windows engine's contract. Pure data in, pure data out: the
 * engine knows nothing of drivers, shifts or dates. Times and distances are plain numbers in
 * whatever unit the caller chose (minutes for the city planner, Solomon's units for the benchmark).
 */

/** Square matrices over location indices, row-major: `m[from * size + to]`. */
export interface Matrices {
  readonly size: number
  /** What the objective minimises (Solomon: Euclidean distance). */
  readonly distance: Float64Array
  /** What time windows are checked against (Solomon: the same as distance). */
  readonly travel: Float64Array
}

export interface Job {
  readonly id: string
  readonly location: number
  /** Time spent at the job once service starts. */
  readonly service: number
  /** Service must start inside [earliest, latest]; arriving earlier means waiting. */
  readonly earliest: number
  readonly latest: number
  readonly demand: number
  /**
   * Weight of leaving the job unassigned (default 1). Unassigned weight is minimised before
   * distance, so a heavier job is kept in preference to any number of lighter ones' distance.
   */
  readonly priority?: number
  /** Vehicle indices allowed to serve this job (default: every vehicle). */
  readonly allowedVehicles?: readonly number[]
  /** The job must be served, by one of `allowedVehicles` (a dispatcher's pin). */
  readonly pinned?: boolean
}

export interface Vehicle {
  readonly id: string
  readonly start: number
  readonly end: number
  /** The vehicle leaves `start` no earlier than this and is back at `end` no later than `latest`. */
  readonly earliest: number
  readonly latest: number
  readonly capacity: number
}

export interface Problem {
  readonly matrices: Matrices
  readonly jobs: readonly Job[]
  readonly vehicles: readonly Vehicle[]
}

export interface SolveOptions {
  /** Same problem + same seed + same maxIterations (and no time limit reached) = same solution. */
  readonly seed: number
  readonly maxIterations?: number
  /** Wall-clock budget in milliseconds; the best solution found so far is returned. */
  readonly timeLimitMs?: number
  /** Injected clock for the time budget (default `performance.now`). */
  readonly now?: () => number
  /** Told how far the search is (0-1, by iterations or time) every few hundred iterations: the CLI's bar. */
  readonly onProgress?: (share: number) => void
}

export interface Visit {
  /** Index into `problem.jobs`. */
  readonly job: number
  readonly arrival: number
  /** Service start (>= arrival, inside the job's window). */
  readonly start: number
  readonly end: number
}

export interface Route {
  /** Index into `problem.vehicles`. */
  readonly vehicle: number
  readonly visits: readonly Visit[]
  readonly departure: number
  readonly returnAt: number
  readonly distance: number
  readonly load: number
}

/**
 * Why a job is left out:
 * - `no_vehicle`: no allowed vehicle exists;
 * - `time_window`: no allowed vehicle can reach it inside its window and get back in time, even alone;
 * - `capacity`: its demand exceeds every allowed vehicle's capacity;
 * - `no_room`: feasible alone, but the routes are full of jobs of equal or higher priority.
 */
export type UnassignedReason = 'no_vehicle' | 'time_window' | 'capacity' | 'no_room'

export interface Solution {
  /** Only vehicles that serve at least one job, in vehicle order. */
  readonly routes: readonly Route[]
  readonly unassigned: readonly { readonly job: number; readonly reason: UnassignedReason }[]
  readonly distance: number
  readonly iterations: number
  readonly elapsedMs: number
}
