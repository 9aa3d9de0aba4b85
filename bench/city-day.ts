/**
 * The city day of the planning benchmarks (bench/README.md): a demo registry imported and
 * screened, outreach started, DRIVERS of the city proper confirmed, SHIFTS crews of post offices
 * spread over it, over a real SQLite file. Shared by bench/city-plan.ts (the planner) and
 * bench/board.ts (the planning board page).
 *
 * The drivers are confirmed by setting their conversations' status directly (the SMS path is
 * measured by the webhook benchmark); everything after that is the product's code.
 */
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config.ts';
import { demoCommunities, writeRegistryCsv } from '../src/demo/demo-data.ts';
import { composeNode } from '../src/entry/compose-node.ts';
import { startOutreach } from '../src/outreach/start.ts';
import { importRegistry } from '../src/registry/import-service.ts';
import { createDemoCrews } from '../src/scheduling/demo-crews.ts';
import { runScreening } from '../src/screening/run.ts';
import { createLogger } from '../src/shared/logger.ts';
import { fixedClock } from '../src/ports.ts';

export const AS_OF = '2026-11-26';
export const DATE = '2026-11-27';

export interface CityDayOptions {
  drivers: number;
  shifts: number;
  rows: number;
  budgetMs: string;
}

export async function buildCityDay(options: CityDayOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'city-plan-'));
  const config: Config = loadConfig({
    DATA_DIR: dir,
    DATA_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'error',
    OUTREACH_TICK_SECONDS: '0',
    SCREENING_DAILY_AT: 'off',
    PLANNER_TIME_BUDGET_MS: options.budgetMs,
  });
  const node = await composeNode(config, createLogger({ level: 'error' }));
  // The demo registry is generated as of 2026-11-26; plan from that morning.
  const deps = { ...node, clock: fixedClock('2026-11-26T02:00:00Z') };
  const close = async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A demo registry, screened, with outreach started; then DRIVERS of the city proper confirm.
    const csv = join(dir, 'registry.csv');
    await writeRegistryCsv({ count: options.rows, seed: 2026, today: AS_OF, out: csv });
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
      .limit(options.drivers)
      .execute();
    await deps.db.updateTable('conversations').set({ status: 'confirmed' }).where('id', 'in', chosen.map((c) => c.id)).execute();

    // Crews from post offices spread over the city proper, full-day shifts of up to 40 visits.
    await createDemoCrews(deps, DATE, options.shifts, { capacity: 40 });
    return { deps, config, confirmed: chosen.length, communities: city.length, close };
  } catch (err) {
    await close();
    throw err;
  }
}
