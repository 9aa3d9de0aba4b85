/**
 * Child process of the registry benchmark: imports FILE into a fresh SQLite file and screens it,
 * printing one JSON line of timings and peak memory. Run apart so its peak RSS is its own.
 */
import { createReadStream } from 'node:fs';
import { loadConfig } from '../src/config.ts';
import { composeNode } from '../src/entry/compose-node.ts';
import { importRegistry } from '../src/registry/import-service.ts';
import { getImport } from '../src/registry/repository.ts';
import { runScreening } from '../src/screening/run.ts';
import { createLogger } from '../src/shared/logger.ts';

const [file, dataDir, asOf] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({ DATA_DIR: dataDir, DATA_KEY: Buffer.alloc(32, 1).toString('base64'), SCREENING_DAILY_AT: 'off' });
// Progress and timings go to stderr; stdout carries the one JSON result line.
const deps = await composeNode(config, createLogger({ write: (line) => process.stderr.write(line + '\n') }));
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

let t = performance.now();
const outcome = await importRegistry(deps, { source: createReadStream(file, { highWaterMark: 1 << 20 }), staffId: null, origin: 'cli', filename: file });
const importSeconds = (performance.now() - t) / 1000;
const importPeakMb = peakMb();
const imported = await getImport(deps.db, outcome.id);

t = performance.now();
const run = await runScreening(deps, { asOf, staffId: null, trigger: 'cli' });
const screenSeconds = (performance.now() - t) / 1000;
const screenPeakMb = peakMb();

t = performance.now();
const again = await runScreening(deps, { asOf, staffId: null, trigger: 'cli' });
const rescreenSeconds = (performance.now() - t) / 1000;
const rescreenPeakMb = peakMb();

t = performance.now();
const reimport = await importRegistry(deps, { source: createReadStream(file, { highWaterMark: 1 << 20 }), staffId: null, origin: 'cli', filename: file });
const reimportSeconds = (performance.now() - t) / 1000;
const reimported = await getImport(deps.db, reimport.id);

await deps.close();
console.log(
  JSON.stringify({
    importSeconds,
    importPeakMb,
    rows: imported?.total_rows,
    inserted: imported?.inserted,
    rejected: imported?.rejected,
    screenSeconds,
    screenPeakMb,
    rescreenSeconds,
    rescreenPeakMb,
    screened: run.licences_screened,
    counts: JSON.parse(run.counts),
    rescreenCreated: (JSON.parse(again.counts) as { created: number }).created,
    reimportSeconds,
    reimportUnchanged: reimported?.unchanged,
    overallPeakMb: peakMb(),
  }),
);
