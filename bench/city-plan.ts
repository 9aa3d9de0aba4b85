/**
 * City-sized planning benchmark (issue 4): 400 confirmed drivers of the demo city and 12 crew
 * shifts, planned through the same code as `POST /api/plans/{date}/preview` over a real SQLite
 * file (read the pool, travel table, solve within PLANNER_TIME_BUDGET_MS, write the drafts).
 *
 *   npm run bench:city                       # 400 drivers, 12 shifts, 2 s solver budget
 *   npm run bench:city -- --drivers 400 --shifts 12 --budget-ms 2000 --runs 3
 *
 * The drivers are confirmed by setting their conversations' status directly (the SMS path is
 * measured by the webhook benchmark); everything after that is the product's code.
 */
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { demoCommunities, writeRegistryCsv } from '../src/demo/demo-data.ts';
import { composeNode } from '../src/entry/compose-node.ts';
import { startOutreach } from '../src/outreach/start.ts';
import { importRegistry } from '../src/registry/import-service.ts';
import { previewPlan } from '../src/scheduling/planning.ts';
import { createDemoCrews } from '../src/scheduling/demo-crews.ts';
import { runScreening } from '../src/screening/run.ts';
import { createLogger } from '../src/shared/logger.ts';
import { fixedClock } from '../src/ports.ts';

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
const AS_OF = '2026-11-26';
const DATE = '2026-11-27';

const dir = mkdtempSync(join(tmpdir(), 'city-plan-'));
const config = loadConfig({
  DATA_DIR: dir,
  DATA_KEY: Buffer.alloc(32, 9).toString('base64'),
  LOG_LEVEL: 'error',
  OUTREACH_TICK_SECONDS: '0',
  SCREENING_DAILY_AT: 'off',
  PLANNER_TIME_BUDGET_MS: values['budget-ms'],
});
const node = await composeNode(config, createLogger({ level: 'error' }));
// The demo registry is generated as of 2026-11-26; plan from that morning.
const deps = { ...node, clock: fixedClock('2026-11-26T02:00:00Z') };

try {
  // A demo registry, screened, with outreach started; then DRIVERS of the city proper confirm.
  const csv = join(dir, 'registry.csv');
  await writeRegistryCsv({ count: Number(values.rows), seed: 2026, today: AS_OF, out: csv });
  await importRegistry(deps, { source: createReadStream(csv), staffId: null, origin: 'cli', filename: csv });
  await runScreening(deps, { asOf: AS_OF, staffId: null, trigger: 'cli' });
  await startOutreach(deps, { staffId: null, limit: 1_000_000 });
  const city = demoCommunities().filter((c) => c.district.code === '371502');
  const chosen = await deps.db
    .selectFrom('conversations as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .select('v.id')
    .where('l.community', 'in', city.map((c) => c.name))
    .where('l.lat', 'is not', null)
    .where((eb) => eb.exists(eb.selectFrom('cases as c').select('c.id').whereRef('c.file_number', '=', 'v.file_number').where('c.status', '=', 'open').where('c.category', '<>', 'cancellation_notice')))
    .orderBy('v.id')
    .limit(DRIVERS)
    .execute();
  await deps.db.updateTable('conversations').set({ status: 'confirmed' }).where('id', 'in', chosen.map((c) => c.id)).execute();

  // Crews from post offices spread over the city proper, full-day shifts of up to 40 visits.
  await createDemoCrews(deps, DATE, SHIFTS, { capacity: 40 });

  console.log(`drivers confirmed: ${chosen.length}, shifts: ${SHIFTS}, communities of the city proper: ${city.length}, solver budget ${config.PLANNER_TIME_BUDGET_MS} ms`);
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
  await node.close();
  rmSync(dir, { recursive: true, force: true });
}
