import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/scheduling/vrptw/random.ts';
import { solve } from '../../src/scheduling/vrptw/solve.ts';
import { parseSolomon } from '../../src/scheduling/vrptw/solomon.ts';
import type { Job, Problem, Solution, Vehicle } from '../../src/scheduling/vrptw/types.ts';
import { verifySolution } from '../../src/scheduling/vrptw/verify.ts';

type Point = readonly [number, number];

/** A problem on the plane: location 0.. are `points`, travel = distance = Euclidean. */
function planar(points: readonly Point[], jobs: Job[], vehicles: Vehicle[]): Problem {
  const size = points.length;
  const distance = new Float64Array(size * size);
  points.forEach(([ax, ay], i) => points.forEach(([bx, by], k) => (distance[i * size + k] = Math.hypot(ax - bx, ay - by))));
  return { matrices: { size, distance, travel: distance }, jobs, vehicles };
}

function job(id: string, location: number, extra: Partial<Job> = {}): Job {
  return { id, location, service: 0, earliest: 0, latest: 1_000, demand: 1, ...extra };
}

function vehicle(id: string, extra: Partial<Vehicle> = {}): Vehicle {
  return { id, start: 0, end: 0, earliest: 0, latest: 1_000, capacity: 100, ...extra };
}

/** Re-checks a solution with its own arithmetic, independent of the engine's code. */
function expectFeasible(problem: Problem, solution: Solution): void {
  const { size, travel, distance } = problem.matrices;
  const served = new Set<number>();
  let total = 0;
  for (const route of solution.routes) {
    const v = problem.vehicles[route.vehicle]!;
    expect(route.visits.length).toBeGreaterThan(0);
    expect(route.departure).toBeGreaterThanOrEqual(v.earliest);
    let time = route.departure;
    let at = v.start;
    let load = 0;
    let length = 0;
    for (const visit of route.visits) {
      const j = problem.jobs[visit.job]!;
      expect(served.has(visit.job)).toBe(false);
      served.add(visit.job);
      if (j.allowedVehicles) expect(j.allowedVehicles).toContain(route.vehicle);
      const arrival = time + travel[at * size + j.location]!;
      expect(visit.arrival).toBeCloseTo(arrival, 6);
      expect(visit.start).toBeCloseTo(Math.max(arrival, j.earliest), 6);
      expect(visit.start).toBeLessThanOrEqual(j.latest + 1e-9);
      expect(visit.end).toBeCloseTo(visit.start + j.service, 6);
      length += distance[at * size + j.location]!;
      time = visit.end;
      at = j.location;
      load += j.demand;
    }
    length += distance[at * size + v.end]!;
    expect(time + travel[at * size + v.end]!).toBeLessThanOrEqual(v.latest + 1e-9);
    expect(route.returnAt).toBeCloseTo(time + travel[at * size + v.end]!, 6);
    expect(load).toBeLessThanOrEqual(v.capacity);
    expect(route.load).toBeCloseTo(load, 9);
    expect(route.distance).toBeCloseTo(length, 6);
    total += length;
  }
  for (const { job: j } of solution.unassigned) {
    expect(served.has(j)).toBe(false);
    served.add(j);
  }
  expect(served.size).toBe(problem.jobs.length);
  expect(solution.distance).toBeCloseTo(total, 6);
  const vehicles = solution.routes.map((r) => r.vehicle);
  expect(vehicles).toEqual([...new Set(vehicles)].sort((a, b) => a - b));
}

/** A random city-like instance: mixed windows, some jobs tied to vehicles, unequal shifts. */
function randomProblem(seed: number, jobCount: number): Problem {
  const random = mulberry32(seed);
  const points: Point[] = [[50, 50], [10, 10], [90, 90]];
  const jobs: Job[] = [];
  for (let i = 0; i < jobCount; i++) {
    points.push([random() * 100, random() * 100]);
    const earliest = Math.floor(random() * 300);
    const extra: Partial<Job> = { service: 5, earliest, latest: earliest + 30 + Math.floor(random() * 200), demand: 1 + Math.floor(random() * 3) };
    if (i % 7 === 0) jobs.push(job(`j${i}`, points.length - 1, { ...extra, allowedVehicles: [i % 4] }));
    else jobs.push(job(`j${i}`, points.length - 1, extra));
  }
  const vehicles = [
    vehicle('a', { latest: 500, capacity: 30 }),
    vehicle('b', { start: 1, end: 1, earliest: 60, latest: 600, capacity: 25 }),
    vehicle('c', { start: 2, end: 0, earliest: 0, latest: 400, capacity: 40 }),
    vehicle('d', { start: 1, end: 2, earliest: 100, latest: 700, capacity: 20 }),
  ];
  return planar(points, jobs, vehicles);
}

function routeOrders(solution: Solution): string {
  return JSON.stringify(solution.routes.map((r) => [r.vehicle, r.visits.map((v) => v.job)]));
}

function solomon(name: string): Problem {
  const url = new URL(`../fixtures/solomon/${name}.txt`, import.meta.url);
  return parseSolomon(readFileSync(url, 'utf8')).problem;
}

describe('the VRPTW engine', () => {
  it('finds the only feasible order when windows force a detour', () => {
    // On a line from the depot at 0: the job at 3 must come first, then 1, then 2.
    const problem = planar(
      [[0, 0], [1, 0], [2, 0], [3, 0]],
      [job('one', 1, { earliest: 5, latest: 6 }), job('two', 2, { earliest: 6, latest: 10 }), job('three', 3, { earliest: 0, latest: 3 })],
      [vehicle('v', { latest: 20 }), vehicle('w', { latest: 20 })],
    );
    const solution = solve(problem, { seed: 1, maxIterations: 500 });
    expect(solution.distance).toBeCloseTo(8, 9);
    expect(solution.routes.map((r) => r.visits.map((v) => v.job))).toEqual([[2, 0, 1]]);
    expect(solution.routes[0]!.visits.map((v) => v.start)).toEqual([3, 5, 6]);
    expectFeasible(problem, solution);
  });

  it('splits two far clusters between two vehicles when capacity forces it', () => {
    const problem = planar(
      [[0, 0], [10, 0], [10, 1], [-10, 0], [-10, 1]],
      [job('a', 1), job('b', 2), job('c', 3), job('d', 4)],
      [vehicle('v', { capacity: 2 }), vehicle('w', { capacity: 2 }), vehicle('x', { capacity: 2 })],
    );
    const solution = solve(problem, { seed: 3, maxIterations: 1_000 });
    expect(solution.distance).toBeCloseTo(2 * (10 + 1 + Math.hypot(10, 1)), 9);
    expect(solution.routes).toHaveLength(2);
    expectFeasible(problem, solution);
  });

  it('returns feasible routes on mixed shifts, windows, capacities and allowed vehicles', () => {
    for (const seed of [1, 2, 3]) {
      const problem = randomProblem(seed, 60);
      const solution = solve(problem, { seed, maxIterations: 3_000 });
      expectFeasible(problem, solution);
      expect(verifySolution(problem, solution)).toEqual([]);
    }
  });

  it('repeats itself exactly for the same seed and iterations', () => {
    const problem = randomProblem(7, 50);
    const first = solve(problem, { seed: 42, maxIterations: 2_000 });
    const again = solve(problem, { seed: 42, maxIterations: 2_000 });
    expect({ ...again, elapsedMs: 0 }).toEqual({ ...first, elapsedMs: 0 });
    expect(first.iterations).toBe(2_000);
    const others = [1, 2, 3, 4].map((seed) => routeOrders(solve(problem, { seed, maxIterations: 300 })));
    expect(new Set(others).size).toBeGreaterThan(1);
  });

  it('tells how far its search is as it goes, and finds the same solution as without being told', () => {
    const problem = randomProblem(7, 50);
    const shares: number[] = [];
    const told = solve(problem, { seed: 42, maxIterations: 2_000, onProgress: (share) => shares.push(share) });
    // Every 256 iterations: 0, 256, ..., 1792 of 2,000.
    expect(shares).toEqual(Array.from({ length: 8 }, (_, i) => (i * 256) / 2000));
    expect({ ...told, elapsedMs: 0 }).toEqual({ ...solve(problem, { seed: 42, maxIterations: 2_000 }), elapsedMs: 0 });
  });

  it('reports why a job cannot be served at all', () => {
    const problem = planar(
      [[0, 0], [50, 0], [5, 0]],
      [
        job('fine', 2),
        job('too early to reach', 1, { earliest: 0, latest: 10 }),
        job('too heavy', 2, { demand: 500 }),
        job('nobody allowed', 2, { allowedVehicles: [] }),
        job('unknown vehicle only', 2, { allowedVehicles: [9] }),
        job('cannot get back in time', 1, { earliest: 0, latest: 60, service: 40 }),
      ],
      [vehicle('v', { latest: 100 }), vehicle('w', { latest: 100, capacity: 10 })],
    );
    const solution = solve(problem, { seed: 1, maxIterations: 200 });
    expect(solution.unassigned).toEqual([
      { job: 1, reason: 'time_window' },
      { job: 2, reason: 'capacity' },
      { job: 3, reason: 'no_vehicle' },
      { job: 4, reason: 'no_vehicle' },
      { job: 5, reason: 'time_window' },
    ]);
    expect(solution.routes.flatMap((r) => r.visits.map((v) => v.job))).toEqual([0]);
  });

  it('keeps the higher-priority jobs when there is no room for all', () => {
    const jobs = [1, 1, 5, 1, 5, 5].map((priority, i) => job(`j${i}`, i + 1, { priority }));
    const points: Point[] = [[0, 0], [1, 0], [2, 0], [3, 0], [40, 0], [41, 0], [42, 0]];
    const problem = planar(points, jobs, [vehicle('v', { capacity: 4 })]);
    const solution = solve(problem, { seed: 5, maxIterations: 2_000 });
    const kept = solution.routes.flatMap((r) => r.visits.map((v) => v.job)).sort();
    expect(kept).toHaveLength(4);
    expect(kept).toEqual(expect.arrayContaining([2, 4, 5]));
    expect(solution.unassigned.every((u) => u.reason === 'no_room' && jobs[u.job]!.priority === 1)).toBe(true);
    expectFeasible(problem, solution);
  });

  it('keeps a pinned job even against heavier jobs and a long detour', () => {
    const points: Point[] = [[0, 0], [1, 0], [2, 0], [300, 0]];
    const jobs = [job('a', 1, { priority: 10 }), job('b', 2, { priority: 10 }), job('pinned', 3, { pinned: true, allowedVehicles: [1] })];
    // Room for two jobs in all: only vehicle 1 may take the pinned job, vehicle 0 is too small for any.
    const vehicles = [vehicle('v', { capacity: 0.5 }), vehicle('w', { capacity: 2 })];
    const problem = planar(points, jobs, vehicles);
    // With no search at all, the first construction must already place it.
    for (const [seed, maxIterations] of [[1, 0], [2, 0], [3, 0], [4, 0], [2, 1_000]] as const) {
      const solution = solve(problem, { seed, maxIterations });
      const pinnedRoute = solution.routes.find((r) => r.visits.some((v) => v.job === 2));
      expect(pinnedRoute?.vehicle).toBe(1);
      expect(solution.unassigned).toEqual([{ job: expect.any(Number), reason: 'no_room' }]);
      expectFeasible(problem, solution);
    }
  });

  it('reports a pinned job it cannot place at all, with the reason', () => {
    const problem = planar([[0, 0], [5, 0]], [job('pinned', 1, { pinned: true, demand: 9 })], [vehicle('v', { capacity: 5 })]);
    expect(solve(problem, { seed: 1, maxIterations: 10 }).unassigned).toEqual([{ job: 0, reason: 'capacity' }]);
  });

  it('serves the jobs sharing one location one after another', () => {
    const random = mulberry32(11);
    const gates: Point[] = [[0, 0], [20, 5], [-15, 30], [35, -20], [-30, -25], [10, 40]];
    const jobs = Array.from({ length: 40 }, (_, i) => {
      const earliest = Math.floor(random() * 120);
      return job(`d${i}`, 1 + (i % 5), { service: 10, earliest, latest: earliest + 240 });
    });
    const problem = planar(gates, jobs, [vehicle('v', { latest: 480 }), vehicle('w', { start: 3, end: 3, latest: 480 })]);
    const solution = solve(problem, { seed: 1, maxIterations: 5_000 });
    expect(solution.unassigned).toEqual([]);
    for (const route of solution.routes) {
      const stops = route.visits.map((v) => problem.jobs[v.job]!.location);
      const runs = stops.filter((loc, i) => i === 0 || stops[i - 1] !== loc);
      expect(new Set(runs).size).toBe(runs.length);
    }
    expectFeasible(problem, solution);
  });

  it('stops when the injected clock says the time is up', () => {
    let clock = 0;
    const now = (): number => (clock += 1);
    const solution = solve(randomProblem(3, 40), { seed: 1, timeLimitMs: 100, now });
    expect(solution.elapsedMs).toBeGreaterThanOrEqual(99);
    expect(solution.elapsedMs).toBeLessThanOrEqual(101);
    expect(solution.iterations).toBeGreaterThan(0);
    expect(solution.iterations).toBeLessThan(100);
  });

  it('ends a time-limited run of a small problem without waiting for the clock', () => {
    const problem = planar([[0, 0], [1, 0], [2, 0]], [job('a', 1), job('b', 2)], [vehicle('v')]);
    const solution = solve(problem, { seed: 1, timeLimitMs: 2_000, now: () => 0 });
    expect(solution.iterations).toBeGreaterThan(0);
    expect(solution.distance).toBeCloseTo(4, 9);
  });

  it('handles a problem with no jobs, and returns at once when no job can be served', () => {
    const solution = solve(planar([[0, 0]], [], [vehicle('v')]), { seed: 1 });
    expect(solution).toMatchObject({ routes: [], unassigned: [], distance: 0 });
    let clock = 0;
    const hopeless = planar([[0, 0], [1, 0]], [job('heavy', 1, { demand: 999 })], [vehicle('v')]);
    const none = solve(hopeless, { seed: 1, timeLimitMs: 1_000, now: () => (clock += 1) });
    expect(none).toMatchObject({ routes: [], unassigned: [{ job: 0, reason: 'capacity' }], iterations: 0 });
  });

  it('has an independent check that catches a broken schedule', () => {
    const problem = planar([[0, 0], [10, 0]], [job('a', 1, { earliest: 0, latest: 5 })], [vehicle('v')]);
    const late = {
      routes: [{ vehicle: 0, visits: [{ job: 0, arrival: 10, start: 10, end: 10 }], departure: 0, returnAt: 20, distance: 20, load: 1 }],
      unassigned: [],
      distance: 20,
      iterations: 0,
      elapsedMs: 0,
    };
    expect(verifySolution(problem, late)).toEqual(['job 0 starts at 10, after 5']);
    expect(verifySolution(problem, { ...late, routes: [] })).toEqual(['job 0 is missing', 'total distance 20 != 0']);
  });
});

describe('the Solomon instances', () => {
  it('parses C101 into 100 jobs and 25 identical vehicles at the depot', () => {
    const problem = solomon('C101');
    expect(problem.jobs).toHaveLength(100);
    expect(problem.vehicles).toHaveLength(25);
    expect(problem.vehicles[0]).toEqual({ id: 'v1', start: 0, end: 0, earliest: 0, latest: 1236, capacity: 200 });
    expect(problem.jobs[0]).toEqual({ id: '1', location: 1, service: 90, earliest: 912, latest: 967, demand: 10 });
    expect(problem.matrices.distance[0 * 101 + 1]).toBeCloseTo(Math.hypot(5, 18), 12);
  });

  it.each([
    { name: 'C101', bestKnown: 828.94 },
    { name: 'R101', bestKnown: 1642.88 },
    { name: 'RC201', bestKnown: 1265.56 },
  ])('solves $name feasibly within 5% of the best known distance', ({ name, bestKnown }) => {
    const problem = solomon(name);
    const solution = solve(problem, { seed: 1, maxIterations: 20_000 });
    expect(solution.unassigned).toEqual([]);
    expectFeasible(problem, solution);
    expect(solution.distance).toBeLessThan(bestKnown * 1.05);
  });
});
