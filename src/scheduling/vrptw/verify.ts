import type { Problem, Solution } from './types.ts';

/** Slack for floating-point sums when comparing times and loads. */
const EPSILON = 1e-6;

/**
 * Checks a solution against its problem from scratch, independently of the solver's caches:
 * every job served once or reported unassigned, allowed vehicles, loads, and the earliest-start
 * schedule inside every window and shift. Returns the violations found (empty when feasible).
 */
export function verifySolution(problem: Problem, solution: Solution): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  const note = (job: number, where: string): void => {
    const before = seen.get(job);
    if (before !== undefined) problems.push(`job ${job} appears in ${before} and ${where}`);
    seen.set(job, where);
  };
  for (const route of solution.routes) {
    problems.push(...verifyRoute(problem, route));
    for (const visit of route.visits) note(visit.job, `route of vehicle ${route.vehicle}`);
  }
  for (const { job } of solution.unassigned) note(job, 'unassigned');
  for (let j = 0; j < problem.jobs.length; j++) if (!seen.has(j)) problems.push(`job ${j} is missing`);
  const total = solution.routes.reduce((sum, route) => sum + route.distance, 0);
  if (Math.abs(total - solution.distance) > EPSILON * Math.max(1, total)) problems.push(`total distance ${solution.distance} != ${total}`);
  return problems;
}

function verifyRoute(problem: Problem, route: Solution['routes'][number]): string[] {
  const { matrices } = problem;
  const vehicle = problem.vehicles[route.vehicle];
  if (vehicle === undefined) return [`route of unknown vehicle ${route.vehicle}`];
  const problems: string[] = [];
  const at = (from: number, to: number, m: Float64Array): number => m[from * matrices.size + to] ?? NaN;
  let time = route.departure;
  let place = vehicle.start;
  let load = 0;
  let distance = 0;
  if (route.departure < vehicle.earliest - EPSILON) problems.push(`vehicle ${route.vehicle} leaves before its start`);
  for (const visit of route.visits) {
    const job = problem.jobs[visit.job];
    if (job === undefined) return [...problems, `unknown job ${visit.job}`];
    const arrival = time + at(place, job.location, matrices.travel);
    const start = Math.max(arrival, job.earliest);
    if (start > job.latest + EPSILON) problems.push(`job ${visit.job} starts at ${start}, after ${job.latest}`);
    if (Math.abs(visit.arrival - arrival) > EPSILON || Math.abs(visit.start - start) > EPSILON) {
      problems.push(`job ${visit.job}: reported times differ from the schedule`);
    }
    if (job.allowedVehicles !== undefined && !job.allowedVehicles.includes(route.vehicle)) {
      problems.push(`job ${visit.job} is not allowed on vehicle ${route.vehicle}`);
    }
    distance += at(place, job.location, matrices.distance);
    load += job.demand;
    time = start + job.service;
    place = job.location;
  }
  distance += at(place, vehicle.end, matrices.distance);
  const back = time + at(place, vehicle.end, matrices.travel);
  if (back > vehicle.latest + EPSILON) problems.push(`vehicle ${route.vehicle} is back at ${back}, after ${vehicle.latest}`);
  if (load > vehicle.capacity + EPSILON) problems.push(`vehicle ${route.vehicle} carries ${load} > ${vehicle.capacity}`);
  if (Math.abs(distance - route.distance) > EPSILON * Math.max(1, distance)) problems.push(`vehicle ${route.vehicle}: distance differs`);
  return problems;
}
