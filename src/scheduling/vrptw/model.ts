import type { Problem, UnassignedReason } from './types.ts';

/**
 * The problem compiled to flat typed arrays: the search reads these millions of times, and
 * indexed numeric arrays are what V8 runs fastest. Hot loops use `!` on typed-array reads
 * because every index is in range by construction (noUncheckedIndexedAccess cannot see that).
 */
export interface Model {
  /** Number of jobs and vehicles, and the matrices' side. */
  readonly n: number;
  readonly m: number;
  readonly size: number;
  readonly distance: Float64Array;
  readonly travel: Float64Array;
  readonly loc: Int32Array;
  readonly service: Float64Array;
  readonly earliest: Float64Array;
  readonly latest: Float64Array;
  readonly demand: Float64Array;
  /** Cost of leaving the job out: its priority, or more than all others together when pinned. */
  readonly weight: Float64Array;
  /** `allowed[job * m + vehicle]` is 1 when the vehicle may serve the job. */
  readonly allowed: Uint8Array;
  readonly vStart: Int32Array;
  readonly vEnd: Int32Array;
  readonly vEarliest: Float64Array;
  readonly vLatest: Float64Array;
  readonly vCapacity: Float64Array;
  /** Identical vehicles share a class, so that only one empty route per class is tried. */
  readonly vClass: Int32Array;
  readonly classes: number;
  /** Each job's nearest other jobs, `stride` per job, nearest first: the ruin's neighbourhoods. */
  readonly neighbours: Int32Array;
  readonly stride: number;
}

/** A ruin rarely looks further than this; the cap keeps memory linear on large problems. */
const MAX_NEIGHBOURS = 200;

export function compileModel(problem: Problem): Model {
  const { matrices, jobs, vehicles } = problem;
  const size = matrices.size;
  if (matrices.distance.length !== size * size || matrices.travel.length !== size * size) {
    throw new RangeError(`matrices must hold size * size = ${size * size} entries`);
  }
  const checkLocation = (where: string, location: number): number => {
    if (!Number.isInteger(location) || location < 0 || location >= size) {
      throw new RangeError(`${where}: location ${location} is outside the matrices (size ${size})`);
    }
    return location;
  };
  const n = jobs.length;
  const m = vehicles.length;
  const vClassOf = vehicleClasses(problem);
  const model: Model = {
    n,
    m,
    size,
    distance: matrices.distance,
    travel: matrices.travel,
    loc: Int32Array.from(jobs, (job) => checkLocation(`job ${job.id}`, job.location)),
    service: Float64Array.from(jobs, (job) => job.service),
    earliest: Float64Array.from(jobs, (job) => job.earliest),
    latest: Float64Array.from(jobs, (job) => job.latest),
    demand: Float64Array.from(jobs, (job) => job.demand),
    weight: jobWeights(problem),
    allowed: allowedMatrix(problem),
    vStart: Int32Array.from(vehicles, (v) => checkLocation(`vehicle ${v.id}`, v.start)),
    vEnd: Int32Array.from(vehicles, (v) => checkLocation(`vehicle ${v.id}`, v.end)),
    vEarliest: Float64Array.from(vehicles, (v) => v.earliest),
    vLatest: Float64Array.from(vehicles, (v) => v.latest),
    vCapacity: Float64Array.from(vehicles, (v) => v.capacity),
    vClass: vClassOf.classOf,
    classes: vClassOf.count,
    neighbours: new Int32Array(0),
    stride: Math.min(Math.max(0, n - 1), MAX_NEIGHBOURS),
  };
  return { ...model, neighbours: neighbourLists(model) };
}

function jobWeights(problem: Problem): Float64Array {
  const free = problem.jobs.reduce((sum, job) => (job.pinned ? sum : sum + (job.priority ?? 1)), 0);
  // A pinned job outweighs every unpinned job together, so nothing ever displaces it.
  return Float64Array.from(problem.jobs, (job) => (job.pinned ? free + 1 + (job.priority ?? 1) : (job.priority ?? 1)));
}

function allowedMatrix(problem: Problem): Uint8Array {
  const m = problem.vehicles.length;
  const allowed = new Uint8Array(problem.jobs.length * m);
  problem.jobs.forEach((job, j) => {
    if (job.allowedVehicles === undefined) allowed.fill(1, j * m, (j + 1) * m);
    else for (const v of job.allowedVehicles) if (Number.isInteger(v) && v >= 0 && v < m) allowed[j * m + v] = 1;
  });
  return allowed;
}

function vehicleClasses(problem: Problem): { classOf: Int32Array; count: number } {
  const keys = new Map<string, number>();
  const classOf = Int32Array.from(problem.vehicles, (v) => {
    const key = `${v.start}|${v.end}|${v.earliest}|${v.latest}|${v.capacity}`;
    const known = keys.get(key);
    if (known !== undefined) return known;
    keys.set(key, keys.size);
    return keys.size - 1;
  });
  return { classOf, count: keys.size };
}

function neighbourLists(model: Model): Int32Array {
  const { n, size, distance, loc, stride } = model;
  const lists = new Int32Array(n * stride);
  const others: number[] = [];
  const gap = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    others.length = 0;
    for (let b = 0; b < n; b++) {
      if (b === a) continue;
      others.push(b);
      gap[b] = distance[loc[a]! * size + loc[b]!]! + distance[loc[b]! * size + loc[a]!]!;
    }
    others.sort((x, y) => gap[x]! - gap[y]! || x - y);
    lists.set(others.slice(0, stride), a * stride);
  }
  return lists;
}

/**
 * Why a job could not be served even alone, or null when some allowed vehicle can serve it
 * alone. Precomputed so that the search never spends effort on hopeless jobs.
 */
export function aloneReason(model: Model, j: number): UnassignedReason | null {
  let allowedAny = false;
  let roomAny = false;
  for (let v = 0; v < model.m; v++) {
    if (model.allowed[j * model.m + v] !== 1) continue;
    allowedAny = true;
    if (model.demand[j]! > model.vCapacity[v]!) continue;
    roomAny = true;
    if (servesAlone(model, j, v)) return null;
  }
  if (!allowedAny) return 'no_vehicle';
  return roomAny ? 'time_window' : 'capacity';
}

/** Whether vehicle `v` can serve job `j` on a route of its own, in time. */
export function servesAlone(model: Model, j: number, v: number): boolean {
  const { size, travel, loc } = model;
  const arrival = model.vEarliest[v]! + travel[model.vStart[v]! * size + loc[j]!]!;
  const start = Math.max(arrival, model.earliest[j]!);
  if (start > model.latest[j]!) return false;
  return start + model.service[j]! + travel[loc[j]! * size + model.vEnd[v]!]! <= model.vLatest[v]!;
}
