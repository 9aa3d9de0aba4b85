import type { Inserter } from './insertion.ts';
import type { Model } from './model.ts';
import type { Plan } from './plan.ts';
import { randomInt } from './random.ts';

/** Per-job keys for SISR's recreate orders, computed once. */
export interface OrderKeys {
  /** Distance from the nearest vehicle start. */
  readonly depotGap: Float64Array;
  /** Whether priorities differ, so that heavier jobs must go first. */
  readonly weighted: boolean;
}

export function orderKeys(model: Model): OrderKeys {
  const depotGap = new Float64Array(model.n);
  for (let j = 0; j < model.n; j++) {
    let gap = Infinity;
    for (let v = 0; v < model.m; v++) gap = Math.min(gap, model.distance[model.vStart[v]! * model.size + model.loc[j]!]!);
    depotGap[j] = gap;
  }
  let weighted = false;
  for (let j = 1; j < model.n; j++) if (model.weight[j] !== model.weight[0]) weighted = true;
  return { depotGap, weighted };
}

/**
 * Sorts the jobs to reinsert by one of SISR's orders, drawn with weights random 4, demand 4,
 * far 2, close 1; then, when priorities differ, heavier jobs first (stable), so that a full
 * fleet keeps the jobs that matter most.
 */
export function sortForRecreate(model: Model, keys: OrderKeys, jobs: number[], random: () => number): void {
  const draw = randomInt(random, 11);
  if (draw < 4) shuffle(jobs, random);
  else if (draw < 8) jobs.sort((a, b) => model.demand[b]! - model.demand[a]! || a - b);
  else if (draw < 10) jobs.sort((a, b) => keys.depotGap[b]! - keys.depotGap[a]! || a - b);
  else jobs.sort((a, b) => keys.depotGap[a]! - keys.depotGap[b]! || a - b);
  if (keys.weighted) jobs.sort((a, b) => model.weight[b]! - model.weight[a]!);
}

function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const k = randomInt(random, i + 1);
    const t = items[i]!;
    items[i] = items[k]!;
    items[k] = t;
  }
}

/**
 * Greedy recreate: inserts each job at its cheapest place, in order; the jobs that fit nowhere,
 * and the `untried` ones, become the plan's out list. Calls `touched` with each route that
 * received a job.
 */
export function recreate(
  plan: Plan,
  jobs: readonly number[],
  untried: readonly number[],
  inserter: Inserter,
  touched: (r: number) => void,
): void {
  plan.outCount = 0;
  for (const j of untried) plan.out[plan.outCount++] = j;
  for (const j of jobs) {
    if (inserter.insert(plan, j)) touched(inserter.place.vehicle);
    else {
      plan.out[plan.outCount++] = j;
      plan.routeOf[j] = -1;
      plan.posOf[j] = -1;
    }
  }
}
