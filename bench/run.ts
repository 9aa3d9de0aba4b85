/**
 * Registry benchmark (issue 2): generate a 1,000,000-row synthetic registry, import and screen it
 * with the service, and load the same file with the sqlite3 shell's `.import` as the reference.
 *
 *   npm run bench                 # 1,000,000 rows
 *   npm run bench -- --rows 100000
 *
 * Needs the `sqlite3` command-line shell (Debian package sqlite3) for the reference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeRegistryCsv } from '../src/demo/demo-data.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, 'as-of': { type: 'string', default: '2026-11-26' } } });
const rows = Number(values.rows);
const asOf = values['as-of']!;
const out = join(import.meta.dirname, 'out');
mkdirSync(out, { recursive: true });
const file = join(out, `registry-${rows}.csv`);

if (!existsSync(file)) {
  const t = performance.now();
  const written = await writeRegistryCsv({ count: rows, seed: 2026, today: asOf, out: file });
  console.log(`generated ${written.rows} rows, ${(written.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const megabytes = statSync(file).size / 1e6;

// Reference: the sqlite3 shell loading the same file into a fresh database (table from the header).
const refDb = join(out, 'reference.db');
rmSync(refDb, { force: true });
let t = performance.now();
execFileSync('sqlite3', [refDb, '.mode csv', `.import ${file} licences`]);
const shellSeconds = (performance.now() - t) / 1000;
rmSync(refDb, { force: true });

const dataDir = join(out, 'service-data');
rmSync(dataDir, { recursive: true, force: true });
const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'registry-child.ts'), file, dataDir, asOf], {
  encoding: 'utf8',
  maxBuffer: 1 << 20,
});
if (child.status !== 0) {
  console.error(child.stderr);
  process.exit(1);
}
const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, number> & { counts: unknown };
rmSync(dataDir, { recursive: true, force: true });

const sqliteVersion = execFileSync('sqlite3', ['--version'], { encoding: 'utf8' }).split(' ')[0];
console.log(`\nmachine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, sqlite3 shell ${sqliteVersion}`);
console.log(`file: ${rows} rows, ${megabytes.toFixed(1)} MB`);
const table = [
  ['sqlite3 shell .import (reference)', `${shellSeconds.toFixed(2)} s`],
  ['service import', `${r.importSeconds!.toFixed(2)} s (${(r.importSeconds! / shellSeconds).toFixed(1)}x the shell; issue 18: <= 3x)`],
  ['service import peak RSS', `${r.importPeakMb} MB (target <= 400 MB)`],
  ['rows imported / rejected', `${r.inserted} / ${r.rejected}`],
  ['screening of all licences', `${r.screenSeconds!.toFixed(2)} s (issue 18: <= 3 s for a million)`],
  ['screening again, same date', `${r.rescreenSeconds!.toFixed(2)} s, ${r.rescreenCreated} cases created (issue 18: <= 1 s for a million)`],
  ['re-import of the same file', `${r.reimportSeconds!.toFixed(2)} s (${(r.reimportSeconds! / shellSeconds).toFixed(1)}x the shell; issue 18: <= 2x), ${r.reimportUnchanged} unchanged`],
  ['peak RSS after screening / re-import', `${r.screenPeakMb} MB / ${r.overallPeakMb} MB (the process's peak so far, each)`],
];
for (const [k, v] of table) console.log(`${k!.padEnd(36)} ${v}`);
console.log(`cases flagged: ${JSON.stringify(r.counts)}`);
// One line for bench/growth.ts.
console.log(`result ${JSON.stringify({ rows, megabytes, shellSeconds, ...r })}`);
