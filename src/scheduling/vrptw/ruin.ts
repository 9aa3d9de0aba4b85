import type { Model } from './model.ts';
import { refreshRoute, type Plan } from './plan.ts';
import { randomInt } from './random.ts';

export interface RuinParams {
  /** Average number of jobs removed per ruin (SISR's c-bar). */
  readonly averageRemoved: number;
  /** Longest string removed from one route (SISR's L_max). */
  readonly maxString: number;
  /** Probability of a split string (a removed string keeping a substring in place). */
  readonly splitRate: number;
  /** Probability of keeping one more job in a split string's kept substring. */
  readonly splitDepth: number;
}

/** The jobs removed by the last ruin, and the routes it touched. */
export interface Removal {
  /** The job the removal started from, -1 when no job was served. */
  seed: number;
  readonly jobs: Int32Array;
  count: number;
  readonly routes: Int32Array;
  routeCount: number;
  /** A route's order before a removal, to undo it. */
  readonly backup: Int32Array;
}

export function createRemoval(model: Model): Removal {
  return {
    seed: -1,
    jobs: new Int32Array(model.n),
    count: 0,
    routes: new Int32Array(model.m),
    routeCount: 0,
    backup: new Int32Array(model.n),
  };
}

/**
 * SISR's adjacent string removal (Christiaens & Vanden Berghe 2020): around a random seed job,
 * remove one string of consecutive jobs from each of a few nearby routes. Removing neighbours
 * together frees the slack that lets them be rebuilt into better routes.
 */
export function ruinStrings(model: Model, plan: Plan, params: RuinParams, random: () => number, removal: Removal): void {
  removal.count = 0;
  removal.routeCount = 0;
  const seed = randomServedJob(model, plan, random);
  removal.seed = seed;
  if (seed < 0) return;
  const { served, routes } = servedCounts(plan);
  const stringMax = Math.min(params.maxString, served / routes);
  const routesMax = (4 * params.averageRemoved) / (1 + stringMax) - 1;
  const routesToRuin = Math.floor(random() * Math.max(1, routesMax)) + 1;
  const stride = model.stride;
  for (let i = -1; i < stride && removal.routeCount < routesToRuin; i++) {
    const c = i < 0 ? seed : model.neighbours[seed * stride + i]!;
    const r = plan.routeOf[c]!;
    if (r < 0 || wasRuined(removal, r)) continue;
    const length = Math.floor(random() * Math.min(plan.len[r]!, stringMax)) + 1;
    removal.routes[removal.routeCount++] = r;
    if (random() < params.splitRate && length < plan.len[r]!) removeSplitString(model, plan, r, c, length, params, random, removal);
    else removeString(model, plan, r, plan.posOf[c]!, length, 0, random, removal);
  }
}

function randomServedJob(model: Model, plan: Plan, random: () => number): number {
  for (let tries = 0; tries < 16; tries++) {
    const j = randomInt(random, model.n);
    if (plan.routeOf[j]! >= 0) return j;
  }
  let served = 0;
  for (let j = 0; j < model.n; j++) if (plan.routeOf[j]! >= 0) served++;
  let pick = randomInt(random, served);
  for (let j = 0; j < model.n; j++) if (plan.routeOf[j]! >= 0 && pick-- === 0) return j;
  return -1;
}

function servedCounts(plan: Plan): { served: number; routes: number } {
  let served = 0;
  let routes = 0;
  for (let r = 0; r < plan.len.length; r++) {
    if (plan.len[r]! === 0) continue;
    served += plan.len[r]!;
    routes++;
  }
  return { served, routes: Math.max(1, routes) };
}

function wasRuined(removal: Removal, r: number): boolean {
  for (let i = 0; i < removal.routeCount; i++) if (removal.routes[i] === r) return true;
  return false;
}

function removeSplitString(
  model: Model,
  plan: Plan,
  r: number,
  c: number,
  length: number,
  params: RuinParams,
  random: () => number,
  removal: Removal,
): void {
  let kept = 1;
  while (length + kept < plan.len[r]! && random() < params.splitDepth) kept++;
  removeString(model, plan, r, plan.posOf[c]!, length + kept, kept, random, removal);
}

/**
 * Removes a window of `span` consecutive jobs containing position `pos`, widened to whole stops,
 * except a random inner substring of `kept` jobs. Restores the route if the removal broke it,
 * which only happens when travel times violate the triangle inequality.
 */
function removeString(
  model: Model,
  plan: Plan,
  r: number,
  pos: number,
  span: number,
  kept: number,
  random: () => number,
  removal: Removal,
): void {
  const base = r * plan.slots;
  const len = plan.len[r]!;
  const chosen = Math.max(0, pos - span + 1) + randomInt(random, Math.min(pos, len - span) - Math.max(0, pos - span + 1) + 1);
  const keepFrom = chosen + randomInt(random, span - kept + 1);
  // Whole stops: jobs sharing a location (a community gate) leave together, else the string
  // would only take some of them and they would slip straight back at no cost.
  const first = stopStart(model, plan, base, chosen);
  const end = stopEnd(model, plan, base, len, chosen + span - 1) + 1;
  const before = removal.count;
  removal.backup.set(plan.jobs.subarray(base, base + len));
  let write = base + first;
  for (let k = first; k < len; k++) {
    const j = plan.jobs[base + k]!;
    const inWindow = k < end && (k < keepFrom || k >= keepFrom + kept);
    if (inWindow) removal.jobs[removal.count++] = j;
    else plan.jobs[write++] = j;
  }
  plan.len[r] = write - base;
  if (refreshRoute(model, plan, r)) {
    for (let i = before; i < removal.count; i++) plan.routeOf[removal.jobs[i]!] = -1;
    return;
  }
  removal.count = before;
  plan.jobs.set(removal.backup.subarray(0, len), base);
  plan.len[r] = len;
  refreshRoute(model, plan, r);
}

function stopStart(model: Model, plan: Plan, base: number, k: number): number {
  const at = model.loc[plan.jobs[base + k]!]!;
  while (k > 0 && model.loc[plan.jobs[base + k - 1]!] === at) k--;
  return k;
}

function stopEnd(model: Model, plan: Plan, base: number, len: number, k: number): number {
  const at = model.loc[plan.jobs[base + k]!]!;
  while (k + 1 < len && model.loc[plan.jobs[base + k + 1]!] === at) k++;
  return k;
}
