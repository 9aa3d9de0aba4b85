/**
 * Growth benchmark (issue 18): the registry benchmark (bench/run.ts) at 250,000, 500,000,
 * 1,000,000 and 2,000,000 licences, one after the other, and a table of the time per licence and
 * the process's peak memory after each step (peaks so far: each includes the steps before), so
 * that a cost growing faster than the registry shows.
 *
 *   npm run bench:growth                         # the four sizes
 *   npm run bench:growth -- --sizes 100000,200000
 *
 * Each size generates its file once (bench/out/registry-N.csv, 2M rows = 410 MB) and needs the
 * sqlite3 shell, as bench/run.ts does.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '250000,500000,1000000,2000000' } } });
const sizes = values.sizes!.split(',').map(Number);

interface Result {
  rows: number;
  shellSeconds: number;
  importSeconds: number;
  importPeakMb: number;
  screenSeconds: number;
  screenPeakMb: number;
  rescreenSeconds: number;
  reimportSeconds: number;
  overallPeakMb: number;
}

const results: Result[] = [];
for (const size of sizes) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'run.ts'), '--rows', String(size)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    process.exit(1);
  }
  const line = run.stdout.split('\n').find((l) => l.startsWith('result '));
  results.push(JSON.parse(line!.slice('result '.length)) as Result);
  console.error(`${size} licences done`);
}

const perLicence = (seconds: number, rows: number) => `${((seconds / rows) * 1e6).toFixed(1)} µs`;
console.log('| licences | shell `.import` | import | RSS after import | screening | RSS after screening | same date again | re-import | RSS after re-import |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.rows.toLocaleString('en')} | ${perLicence(r.shellSeconds, r.rows)} | ${perLicence(r.importSeconds, r.rows)} (${r.importSeconds.toFixed(1)} s) | ${r.importPeakMb} MB | ` +
      `${perLicence(r.screenSeconds, r.rows)} (${r.screenSeconds.toFixed(2)} s) | ${r.screenPeakMb} MB | ${perLicence(r.rescreenSeconds, r.rows)} (${r.rescreenSeconds.toFixed(2)} s) | ` +
      `${perLicence(r.reimportSeconds, r.rows)} (${r.reimportSeconds.toFixed(1)} s) | ${r.overallPeakMb} MB |`,
  );
}
