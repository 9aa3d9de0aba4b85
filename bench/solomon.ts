/**
 * Visit-planner benchmark (issue 4): the 56 Solomon VRPTW instances, one at a time on one core,
 * each with a wall-clock budget; every solution re-checked from scratch; gap to the best-known
 * total distance (`NAME_distance`, fleet free).
 *
 *   npm run bench:solomon
 *   npm run bench:solomon -- --time-ms 1000 --only C1,R2 --seed 7
 *   npm run bench:solomon -- --param averageRemoved=15     # try a search setting
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PARAMS, solve, type SearchParams } from '../src/scheduling/vrptw/solve.ts';
import { parseSolomon } from '../src/scheduling/vrptw/solomon.ts';
import { verifySolution } from '../src/scheduling/vrptw/verify.ts';

const { values } = parseArgs({
  options: {
    'time-ms': { type: 'string', default: '2000' },
    only: { type: 'string' },
    seed: { type: 'string', default: '1' },
    param: { type: 'string', multiple: true, default: [] },
  },
});
const timeLimitMs = Number(values['time-ms']);
const seed = Number(values.seed);
const params = withOverrides(DEFAULT_PARAMS, values.param);
const families = values.only?.split(',').map((f) => f.trim().toUpperCase());

const dataDir = join(import.meta.dirname, '..', '..', 'shared', 'bench-data', 'vrptw');
const bestKnown = JSON.parse(readFileSync(join(dataDir, 'solomon-best-known.json'), 'utf8')) as Record<string, { best_known_cost: number }>;
const files = readdirSync(join(dataDir, 'solomon'))
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .filter((f) => families === undefined || families.includes(familyOf(f.replace('.txt', ''))));

interface Row {
  name: string;
  family: string;
  vehicles: number;
  distance: number;
  best: number;
  gap: number;
  ms: number;
  feasible: boolean;
  iterations: number;
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
console.log(`time limit ${timeLimitMs} ms per instance, seed ${seed}, params ${JSON.stringify(params)}\n`);
console.log('| instance | vehicles | distance | best known | gap % | time ms | iterations | feasible |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
const rows = files.map((file) => {
  const row = runInstance(readFileSync(join(dataDir, 'solomon', file), 'utf8'));
  console.log(
    `| ${row.name} | ${row.vehicles} | ${row.distance.toFixed(2)} | ${row.best.toFixed(2)} | ${row.gap.toFixed(2)} | ${row.ms.toFixed(0)} | ${row.iterations} | ${row.feasible ? 'yes' : '**no**'} |`,
  );
  return row;
});
printSummary(rows);

function runInstance(text: string): Row {
  const { name, problem } = parseSolomon(text);
  const solution = solve(problem, { seed, timeLimitMs }, params);
  const violations = verifySolution(problem, solution);
  if (solution.unassigned.length > 0) violations.push(`${solution.unassigned.length} customers not served`);
  for (const v of violations.slice(0, 5)) console.error(`${name}: ${v}`);
  const best = bestKnown[`${name}_distance`]?.best_known_cost ?? NaN;
  return {
    name,
    family: familyOf(name),
    vehicles: solution.routes.length,
    distance: solution.distance,
    best,
    gap: ((solution.distance - best) / best) * 100,
    ms: solution.elapsedMs,
    feasible: violations.length === 0,
    iterations: solution.iterations,
  };
}

function familyOf(name: string): string {
  return name.replace(/\d\d$/, '');
}

function printSummary(all: Row[]): void {
  console.log('\n| family | instances | mean vehicles | mean gap % | worst gap % | max time ms | feasible |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const groups = [...new Set(all.map((r) => r.family))].map((family) => [family, all.filter((r) => r.family === family)] as const);
  for (const [family, rows] of [...groups, ['all', all] as const]) {
    const mean = (f: (r: Row) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;
    console.log(
      `| ${family} | ${rows.length} | ${mean((r) => r.vehicles).toFixed(1)} | ${mean((r) => r.gap).toFixed(2)} | ${Math.max(...rows.map((r) => r.gap)).toFixed(2)} | ${Math.max(...rows.map((r) => r.ms)).toFixed(0)} | ${rows.filter((r) => r.feasible).length}/${rows.length} |`,
    );
  }
}

function withOverrides(base: SearchParams, overrides: readonly string[]): SearchParams {
  const params: Record<string, number> = { ...base };
  for (const item of overrides) {
    const [key, value] = item.split('=');
    if (key === undefined || !(key in params) || value === undefined) throw new Error(`unknown --param ${item}`);
    params[key] = Number(value);
  }
  return params as unknown as SearchParams;
}
