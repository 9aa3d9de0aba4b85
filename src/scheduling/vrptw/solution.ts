import type { Plan } from './plan.ts';
import type { Problem, Route, Solution, UnassignedReason, Visit } from './types.ts';

/** Turns the search's best plan into the public solution, recomputing every time from the problem. */
export function buildSolution(
  problem: Problem,
  plan: Plan,
  hopeless: ReadonlyMap<number, UnassignedReason>,
  iterations: number,
  elapsedMs: number,
): Solution {
  const routes: Route[] = [];
  for (let r = 0; r < plan.len.length; r++) {
    const len = plan.len[r]!;
    if (len > 0) routes.push(scheduleRoute(problem, r, Array.from(plan.jobs.subarray(r * plan.slots, r * plan.slots + len))));
  }
  const unassigned: { job: number; reason: UnassignedReason }[] = [];
  for (const [job, reason] of hopeless) unassigned.push({ job, reason });
  for (let i = 0; i < plan.outCount; i++) unassigned.push({ job: plan.out[i]!, reason: 'no_room' });
  unassigned.sort((a, b) => a.job - b.job);
  const distance = routes.reduce((sum, route) => sum + route.distance, 0);
  return { routes, unassigned, distance, iterations, elapsedMs };
}

/** Earliest-start schedule of one route: leave at the vehicle's earliest, wait where early. */
export function scheduleRoute(problem: Problem, vehicle: number, jobs: readonly number[]): Route {
  const { matrices } = problem;
  const v = problem.vehicles[vehicle]!;
  const visits: Visit[] = [];
  let time = v.earliest;
  let at = v.start;
  let distance = 0;
  let load = 0;
  for (const j of jobs) {
    const job = problem.jobs[j]!;
    const arrival = time + matrices.travel[at * matrices.size + job.location]!;
    const start = Math.max(arrival, job.earliest);
    time = start + job.service;
    visits.push({ job: j, arrival, start, end: time });
    distance += matrices.distance[at * matrices.size + job.location]!;
    load += job.demand;
    at = job.location;
  }
  distance += matrices.distance[at * matrices.size + v.end]!;
  const returnAt = time + matrices.travel[at * matrices.size + v.end]!;
  return { vehicle, visits, departure: v.earliest, returnAt, distance, load };
}
