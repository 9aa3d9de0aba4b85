import type { Model } from './model.ts';

/**
 * A solution under search: one fixed-size slot array per vehicle, with each position's departure
 * time (earliest-start schedule) and latest feasible arrival cached, so that an insertion is
 * checked in O(1) and a route is refreshed in O(length) after a change.
 */
export interface Plan {
  /** Room per route: every job could ride one vehicle. */
  readonly slots: number;
  readonly len: Int32Array;
  /** `jobs[r * slots + k]`: the k-th job of vehicle r. */
  readonly jobs: Int32Array;
  /** When the vehicle leaves the k-th job (service start + service). */
  readonly depart: Float64Array;
  /** The latest arrival at the k-th job that keeps the rest of the route feasible. */
  readonly latestArrival: Float64Array;
  readonly load: Float64Array;
  readonly distance: Float64Array;
  /** Vehicle and position of each job, -1 when it is out. */
  readonly routeOf: Int32Array;
  readonly posOf: Int32Array;
  /** Jobs out of every route that could be served alone (hopeless jobs are never listed). */
  readonly out: Int32Array;
  outCount: number;
}

export function createPlan(model: Model): Plan {
  const slots = Math.max(1, model.n);
  return {
    slots,
    len: new Int32Array(model.m),
    jobs: new Int32Array(model.m * slots),
    depart: new Float64Array(model.m * slots),
    latestArrival: new Float64Array(model.m * slots),
    load: new Float64Array(model.m),
    distance: new Float64Array(model.m),
    routeOf: new Int32Array(model.n).fill(-1),
    posOf: new Int32Array(model.n).fill(-1),
    out: new Int32Array(model.n),
    outCount: 0,
  };
}

/**
 * Recomputes route r's schedule, load and distance from its job order; returns whether it is
 * time-feasible (capacity is checked by the callers before they change a route).
 */
export function refreshRoute(model: Model, plan: Plan, r: number): boolean {
  const { size, travel, distance, loc, service, earliest, latest, demand } = model;
  const base = r * plan.slots;
  const len = plan.len[r]!;
  let time = model.vEarliest[r]!;
  let at = model.vStart[r]!;
  let load = 0;
  let dist = 0;
  let feasible = true;
  for (let k = 0; k < len; k++) {
    const j = plan.jobs[base + k]!;
    const to = loc[j]!;
    const arrival = time + travel[at * size + to]!;
    const start = arrival > earliest[j]! ? arrival : earliest[j]!;
    if (start > latest[j]!) feasible = false;
    dist += distance[at * size + to]!;
    time = start + service[j]!;
    plan.depart[base + k] = time;
    load += demand[j]!;
    plan.routeOf[j] = r;
    plan.posOf[j] = k;
    at = to;
  }
  const end = model.vEnd[r]!;
  if (len > 0) {
    dist += distance[at * size + end]!;
    if (time + travel[at * size + end]! > model.vLatest[r]!) feasible = false;
  }
  plan.load[r] = load;
  plan.distance[r] = dist;
  refreshLatest(model, plan, r);
  return feasible;
}

function refreshLatest(model: Model, plan: Plan, r: number): void {
  const { size, travel, loc, service, latest } = model;
  const base = r * plan.slots;
  let next = model.vEnd[r]!;
  let nextLatest = model.vLatest[r]!;
  for (let k = plan.len[r]! - 1; k >= 0; k--) {
    const j = plan.jobs[base + k]!;
    const byNext = nextLatest - travel[loc[j]! * size + next]! - service[j]!;
    nextLatest = byNext < latest[j]! ? byNext : latest[j]!;
    plan.latestArrival[base + k] = nextLatest;
    next = loc[j]!;
  }
}

/** Puts job j at position k of route r (0 = first) and refreshes the route. */
export function insertJob(model: Model, plan: Plan, r: number, k: number, j: number): void {
  const base = r * plan.slots;
  const len = plan.len[r]!;
  plan.jobs.copyWithin(base + k + 1, base + k, base + len);
  plan.jobs[base + k] = j;
  plan.len[r] = len + 1;
  refreshRoute(model, plan, r);
}

/** Copies route r from one plan to another, with the positions of its jobs. */
export function copyRoute(from: Plan, to: Plan, r: number): void {
  const base = r * from.slots;
  const len = from.len[r]!;
  to.len[r] = len;
  to.jobs.set(from.jobs.subarray(base, base + len), base);
  to.depart.set(from.depart.subarray(base, base + len), base);
  to.latestArrival.set(from.latestArrival.subarray(base, base + len), base);
  to.load[r] = from.load[r]!;
  to.distance[r] = from.distance[r]!;
  for (let k = 0; k < len; k++) {
    const j = from.jobs[base + k]!;
    to.routeOf[j] = r;
    to.posOf[j] = k;
  }
}

/** Copies the list of jobs left out (call after the routes, which may have held them). */
export function copyOut(from: Plan, to: Plan): void {
  to.outCount = from.outCount;
  to.out.set(from.out.subarray(0, from.outCount));
  for (let i = 0; i < from.outCount; i++) {
    const j = from.out[i]!;
    to.routeOf[j] = -1;
    to.posOf[j] = -1;
  }
}

export function copyPlan(from: Plan, to: Plan): void {
  for (let r = 0; r < from.len.length; r++) copyRoute(from, to, r);
  copyOut(from, to);
}

export function planDistance(plan: Plan): number {
  let sum = 0;
  for (let r = 0; r < plan.distance.length; r++) sum += plan.distance[r]!;
  return sum;
}

export function outWeight(model: Model, plan: Plan): number {
  let sum = 0;
  for (let i = 0; i < plan.outCount; i++) sum += model.weight[plan.out[i]!]!;
  return sum;
}
