/**
 * City-sized planning benchmark (issue 4): 400 confirmed drivers of the demo city and 12 crew
 * shifts, planned through the same code as `POST /api/plans/{date}/preview` over a real SQLite
 * file (read the pool, travel table, solve within PLANNER_TIME_BUDGET_MS, write the drafts).
 *
 *   npm run bench:city                       # 400 drivers, 12 shifts, 2 s solver budget
 *   npm run bench:city -- --drivers 400 --shifts 12 --budget-ms 2000 --runs 3
 *
 * The day itself (registry, screening, confirmed drivers, crews) is built by bench/city-day.ts.
 */
import { parseArgs } from 'node:util';
import { previewPlan } from '../src/scheduling/planning.ts';
import { buildCityDay, DATE } from './city-day.ts';

const { values } = parseArgs({
  options: {
    drivers: { type: 'string', default: '400' },
    shifts: { type: 'string', default: '12' },
    'budget-ms': { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    rows: { type: 'string', default: '30000' },
  },
});
const DRIVERS = Number(values.drivers);
const SHIFTS = Number(values.shifts);
const RUNS = Number(values.runs);

const day = await buildCityDay({ drivers: DRIVERS, shifts: SHIFTS, rows: Number(values.rows), budgetMs: values['budget-ms'] });
const { deps, config } = day;

try {
  console.log(`drivers confirmed: ${day.confirmed}, shifts: ${SHIFTS}, communities of the city proper: ${day.communities}, solver budget ${config.PLANNER_TIME_BUDGET_MS} ms`);
  console.log('run | total ms | solver ms | iterations | planned | unplanned (reasons) | km');
  for (let run = 1; run <= RUNS; run++) {
    const started = performance.now();
    const r = await previewPlan(deps, DATE, { staffId: null, seed: 2026 + run });
    const total = performance.now() - started;
    const reasons = Object.entries(r.unplanned.reduce<Record<string, number>>((m, u) => ({ ...m, [u.reason]: (m[u.reason] ?? 0) + 1 }), {}))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(`${run} | ${total.toFixed(0)} | ${r.elapsedMs} | ${r.iterations} | ${r.planned} | ${r.unplanned.length}${reasons ? ` (${reasons})` : ''} | ${r.km}`);
  }
} finally {
  await day.close();
}
