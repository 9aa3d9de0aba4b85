import { Inserter } from './insertion.ts';
import { aloneReason, compileModel, type Model } from './model.ts';
import { copyOut, copyPlan, copyRoute, createPlan, outWeight, planDistance, type Plan } from './plan.ts';
import { mulberry32, randomInt } from './random.ts';
import { orderKeys, recreate, sortForRecreate, type OrderKeys } from './recreate.ts';
import { createRemoval, ruinStrings, type Removal, type RuinParams } from './ruin.ts';
import { buildSolution } from './solution.ts';
import type { Problem, Solution, SolveOptions, UnassignedReason } from './types.ts';

/** Tuning of the search; the defaults were chosen on the Solomon instances (bench/README.md). */
export interface SearchParams extends RuinParams {
  readonly blinkRate: number;
  /** Simulated-annealing temperatures, in units of the initial solution's mean edge length. */
  readonly startTemperature: number;
  readonly endTemperature: number;
}

export const DEFAULT_PARAMS: SearchParams = {
  averageRemoved: 10,
  maxString: 10,
  splitRate: 0.5,
  splitDepth: 0.9,
  blinkRate: 0.01,
  startTemperature: 3,
  endTemperature: 0.01,
};

/**
 * Iterations per job that a time-limited run never exceeds: small problems converge long
 * before a budget meant for big ones, and should not keep a request waiting.
 */
const ITERATIONS_PER_JOB_CAP = 5_000;

/**
 * Solves a vehicle-routing problem with time windows by SISR (Christiaens & Vanden Berghe
 * 2020): greedy insertion, then ruin (adjacent string removal) and recreate (greedy insertion
 * with blinks) under simulated annealing. Minimises the unassigned jobs' priority first, then
 * total distance. Deterministic for a given seed and `maxIterations` unless the time runs out.
 */
export function solve(problem: Problem, options: SolveOptions, params: SearchParams = DEFAULT_PARAMS): Solution {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const model = compileModel(problem);
  const hopeless = hopelessJobs(model);
  const search = new Search(model, params, options.seed);
  const jobs = eligibleJobs(model, hopeless);
  search.start(jobs);
  // Nothing to arrange: do not spend the time budget on an empty search.
  const budget = jobs.length === 0 ? 0 : iterationBudget(jobs.length, options);
  const iterations = search.run(budget, options.timeLimitMs, options.maxIterations === undefined, () => now() - started, options.onProgress);
  return buildSolution(problem, search.best, hopeless, iterations, now() - started);
}

function hopelessJobs(model: Model): Map<number, UnassignedReason> {
  const hopeless = new Map<number, UnassignedReason>();
  for (let j = 0; j < model.n; j++) {
    const reason = aloneReason(model, j);
    if (reason !== null) hopeless.set(j, reason);
  }
  return hopeless;
}

function eligibleJobs(model: Model, hopeless: Map<number, UnassignedReason>): number[] {
  const jobs: number[] = [];
  for (let j = 0; j < model.n; j++) if (!hopeless.has(j)) jobs.push(j);
  return jobs;
}

/** Without a time limit the run must end anyway: a budget that grows with the problem. */
function iterationBudget(jobs: number, options: SolveOptions): number {
  if (options.maxIterations !== undefined) return Math.max(0, Math.floor(options.maxIterations));
  if (options.timeLimitMs !== undefined) return ITERATIONS_PER_JOB_CAP * jobs;
  return Math.max(5_000, 200 * jobs);
}

class Search {
  readonly best: Plan;
  private readonly current: Plan;
  private readonly work: Plan;
  private readonly random: () => number;
  private readonly inserter: Inserter;
  private readonly keys: OrderKeys;
  private readonly removal: Removal;
  private readonly touchedAt: Int32Array;
  private readonly touched: number[] = [];
  /** Marks of the left-out jobs during one iteration (see `pickOut`). */
  private readonly outAt: Int32Array;
  private iteration = 0;
  private currentOut = 0;
  private currentDistance = 0;
  private bestOut = 0;
  private bestDistance = 0;
  private edge = 1;

  constructor(
    private readonly model: Model,
    private readonly params: SearchParams,
    seed: number,
  ) {
    this.best = createPlan(model);
    this.current = createPlan(model);
    this.work = createPlan(model);
    this.random = mulberry32(seed);
    this.inserter = new Inserter(model, this.random, params.blinkRate);
    this.keys = orderKeys(model);
    this.removal = createRemoval(model);
    this.touchedAt = new Int32Array(model.m).fill(-1);
    this.outAt = new Int32Array(model.n);
  }

  /** The first solution: every job inserted greedily, without blinks. */
  start(jobs: number[]): void {
    const { model, work } = this;
    sortForRecreate(model, this.keys, jobs, this.random);
    const blink = this.inserter.blinkRate;
    this.inserter.blinkRate = 0;
    recreate(work, jobs, [], this.inserter, () => undefined);
    this.inserter.blinkRate = blink;
    copyPlan(work, this.current);
    copyPlan(work, this.best);
    this.currentOut = this.bestOut = outWeight(model, work);
    this.currentDistance = this.bestDistance = planDistance(work);
    const edges = countServed(work) + countRoutes(work);
    this.edge = edges > 0 && this.currentDistance > 0 ? this.currentDistance / edges : 1;
  }

  /**
   * Ruin-and-recreate until the budget or the time runs out; returns the iterations done. The
   * temperature follows the iterations, or whichever of time and iterations is further along
   * when `byTime` (no explicit iteration budget, so no promise to repeat exactly).
   */
  run(budget: number, timeLimitMs: number | undefined, byTime: boolean, elapsed: () => number, onProgress?: (share: number) => void): number {
    const { startTemperature, endTemperature } = this.params;
    // Stop a little early: building the solution and a last slow iteration must fit too.
    const stopAt = timeLimitMs === undefined ? Infinity : timeLimitMs - Math.min(5, timeLimitMs / 100);
    for (this.iteration = 0; this.iteration < budget; this.iteration++) {
      let progress = this.iteration / budget;
      // Reading the clock costs far less than an iteration, so it is read every time.
      if (timeLimitMs !== undefined) {
        const spent = elapsed();
        if (spent >= stopAt) break;
        if (byTime) progress = Math.max(progress, spent / timeLimitMs);
      }
      if (onProgress && (this.iteration & 255) === 0) onProgress(progress);
      this.step(this.edge * startTemperature * Math.pow(endTemperature / startTemperature, progress));
    }
    return this.iteration;
  }

  private step(temperature: number): void {
    const { model, work, removal } = this;
    this.touched.length = 0;
    ruinStrings(model, work, this.params, this.random, removal);
    for (let i = 0; i < removal.routeCount; i++) this.touch(removal.routes[i]!);
    const jobs = Array.from(removal.jobs.subarray(0, removal.count));
    const untried = this.pickOut(jobs, removal.seed);
    sortForRecreate(model, this.keys, jobs, this.random);
    recreate(work, jobs, untried, this.inserter, (r) => this.touch(r));
    const out = outWeight(model, work);
    const distance = planDistance(work);
    if (this.accepts(out, distance, temperature)) this.commit(out, distance);
    else this.revert();
  }

  /**
   * Adds to `jobs` the left-out jobs worth retrying now and returns the others. When many jobs
   * are out (an overbooked day), retrying all of them every iteration would dominate the run:
   * retry those near the ruined area, where room was just made, and a few at random.
   */
  private pickOut(jobs: number[], seed: number): number[] {
    const { model, work, outAt } = this;
    const limit = 2 * this.params.averageRemoved;
    if (work.outCount <= limit) {
      for (let i = 0; i < work.outCount; i++) jobs.push(work.out[i]!);
      return [];
    }
    const mark = this.iteration + 1;
    for (let i = 0; i < work.outCount; i++) outAt[work.out[i]!] = mark;
    const stride = model.stride;
    const reach = Math.min(stride, 4 * limit);
    let picked = 0;
    for (let i = 0; seed >= 0 && i < reach && picked < limit / 2; i++) {
      const j = model.neighbours[seed * stride + i]!;
      if (outAt[j] === mark) {
        outAt[j] = -mark;
        jobs.push(j);
        picked++;
      }
    }
    for (let tries = 0; picked < limit && tries < 4 * limit; tries++) {
      const j = work.out[randomInt(this.random, work.outCount)]!;
      if (outAt[j] === mark) {
        outAt[j] = -mark;
        jobs.push(j);
        picked++;
      }
    }
    const untried: number[] = [];
    for (let i = 0; i < work.outCount; i++) if (outAt[work.out[i]!] === mark) untried.push(work.out[i]!);
    return untried;
  }

  private touch(r: number): void {
    if (this.touchedAt[r] === this.iteration) return;
    this.touchedAt[r] = this.iteration;
    this.touched.push(r);
  }

  /** Fewer unassigned first; then simulated annealing on distance. */
  private accepts(out: number, distance: number, temperature: number): boolean {
    if (out < this.currentOut - 1e-9) return true;
    if (out > this.currentOut + 1e-9) return false;
    return distance < this.currentDistance - temperature * Math.log(this.random());
  }

  private commit(out: number, distance: number): void {
    for (const r of this.touched) copyRoute(this.work, this.current, r);
    copyOut(this.work, this.current);
    this.currentOut = out;
    this.currentDistance = distance;
    const better = out < this.bestOut - 1e-9 || (out <= this.bestOut + 1e-9 && distance < this.bestDistance - 1e-9);
    if (!better) return;
    copyPlan(this.work, this.best);
    this.bestOut = out;
    this.bestDistance = distance;
  }

  private revert(): void {
    for (const r of this.touched) copyRoute(this.current, this.work, r);
    copyOut(this.current, this.work);
  }
}

function countServed(plan: Plan): number {
  let served = 0;
  for (let r = 0; r < plan.len.length; r++) served += plan.len[r]!;
  return served;
}

function countRoutes(plan: Plan): number {
  let routes = 0;
  for (let r = 0; r < plan.len.length; r++) if (plan.len[r]! > 0) routes++;
  return routes;
}
