import type { Model } from './model.ts';
import { insertJob, type Plan } from './plan.ts';

/** The cheapest feasible place found for a job: vehicle -1 when there is none. */
export interface Place {
  vehicle: number;
  position: number;
  cost: number;
}

/**
 * Greedy insertion "with blinks" (SISR): each feasible position is skipped with probability
 * `blinkRate`, which keeps the greedy recreate from always rebuilding the same routes.
 */
export class Inserter {
  readonly place: Place = { vehicle: -1, position: 0, cost: 0 };
  private readonly classSeen: Int32Array;
  private stamp = 0;

  constructor(
    private readonly model: Model,
    private readonly random: () => number,
    public blinkRate: number,
  ) {
    this.classSeen = new Int32Array(model.classes);
  }

  /** Finds the cheapest place for job j in `plan` (see `place`); returns whether there is one. */
  find(plan: Plan, j: number): boolean {
    const { model, place } = this;
    place.vehicle = -1;
    place.cost = Infinity;
    this.stamp++;
    for (let r = 0; r < model.m; r++) {
      if (model.allowed[j * model.m + r] !== 1) continue;
      if (plan.load[r]! + model.demand[j]! > model.vCapacity[r]!) continue;
      if (plan.len[r] === 0) this.tryEmpty(j, r);
      else this.tryRoute(plan, j, r);
    }
    return place.vehicle >= 0;
  }

  /** Finds and takes the cheapest place; returns false (job untouched) when there is none. */
  insert(plan: Plan, j: number): boolean {
    if (!this.find(plan, j)) return false;
    insertJob(this.model, plan, this.place.vehicle, this.place.position, j);
    return true;
  }

  private tryEmpty(j: number, r: number): void {
    const { model, place } = this;
    // Identical empty vehicles give identical routes: try one per class.
    const cls = model.vClass[r]!;
    if (this.classSeen[cls] === this.stamp) return;
    this.classSeen[cls] = this.stamp;
    const { size, travel, distance, loc } = model;
    const at = loc[j]!;
    const start = model.vStart[r]!;
    const end = model.vEnd[r]!;
    const arrival = model.vEarliest[r]! + travel[start * size + at]!;
    const begin = arrival > model.earliest[j]! ? arrival : model.earliest[j]!;
    if (begin > model.latest[j]!) return;
    if (begin + model.service[j]! + travel[at * size + end]! > model.vLatest[r]!) return;
    // An unused vehicle costs nothing, so a new route costs its whole length.
    const cost = distance[start * size + at]! + distance[at * size + end]!;
    if (cost < place.cost && this.random() >= this.blinkRate) this.take(r, 0, cost);
  }

  private tryRoute(plan: Plan, j: number, r: number): void {
    const { model, place, random, blinkRate } = this;
    const { size, travel, distance, loc } = model;
    const at = loc[j]!;
    const open = model.earliest[j]!;
    const close = model.latest[j]!;
    const busy = model.service[j]!;
    const base = r * plan.slots;
    const len = plan.len[r]!;
    const first = firstReachable(plan, base, len, open + busy);
    let prev = first > 0 ? loc[plan.jobs[base + first - 1]!]! : model.vStart[r]!;
    let leave = first > 0 ? plan.depart[base + first - 1]! : model.vEarliest[r]!;
    for (let k = first; k <= len; k++) {
      // Departures only grow along a route: once past the window, no later position can fit.
      if (leave > close) return;
      const nextJob = k < len ? plan.jobs[base + k]! : -1;
      const next = nextJob >= 0 ? loc[nextJob]! : model.vEnd[r]!;
      const nextLatest = nextJob >= 0 ? plan.latestArrival[base + k]! : model.vLatest[r]!;
      const arrival = leave + travel[prev * size + at]!;
      const begin = arrival > open ? arrival : open;
      if (begin <= close && begin + busy + travel[at * size + next]! <= nextLatest) {
        const cost = distance[prev * size + at]! + distance[at * size + next]! - distance[prev * size + next]!;
        if (cost < place.cost && random() >= blinkRate) this.take(r, k, cost);
      }
      if (nextJob >= 0) leave = plan.depart[base + k]!;
      prev = next;
    }
  }

  private take(vehicle: number, position: number, cost: number): void {
    this.place.vehicle = vehicle;
    this.place.position = position;
    this.place.cost = cost;
  }
}

/**
 * The first position whose next job could still be reached after serving a job that finishes
 * no earlier than `done`. Latest arrivals never decrease along a route, so a binary search
 * skips the hopeless head of long routes with tight windows.
 */
function firstReachable(plan: Plan, base: number, len: number, done: number): number {
  let low = 0;
  let high = len;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (plan.latestArrival[base + mid]! < done) low = mid + 1;
    else high = mid;
  }
  return low;
}
