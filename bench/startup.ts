/**
 * Start-up time of the CLI and the server (issue 14): the TypeScript sources through tsx (how
 * every start worked before the build) against the build in dist/ (`npm run build`, done by
 * `npm ci`), and through `npm run`, which is what the README tells people to type.
 *
 *   npm run bench:startup -- --runs 7
 *
 * A CLI start is timed to its exit (`staff list` on a fresh database: migrations, key check,
 * one query); a server start to its `listening` log line. Each variant runs `--runs` times, in
 * turn with the others, after one warm-up run of each (file cache).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);

const dataDir = mkdtempSync(join(tmpdir(), 'startup-bench-'));
const env = { ...process.env, DATA_DIR: dataDir, DATA_KEY: '7a'.repeat(32), LOG_LEVEL: 'warn', OUTREACH_TICK_SECONDS: '0', SCREENING_DAILY_AT: 'off', SUBMISSION_WORKER: 'off' };

const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (built.status !== 0) throw new Error('npm run build failed');

interface Variant {
  name: string;
  command: string;
  args: string[];
}

const cli: Variant[] = [
  { name: 'tsx src/cli.ts (before)', command: process.execPath, args: ['--import', 'tsx', 'src/cli.ts', 'staff', 'list'] },
  { name: 'node dist/cli.js (the bundle)', command: process.execPath, args: ['dist/cli.js', 'staff', 'list'] },
  { name: 'npm run cli (as the README says)', command: 'npm', args: ['run', '-s', 'cli', '--', 'staff', 'list'] },
];
const server: Variant[] = [
  { name: 'tsx src/entry/node.ts (before)', command: process.execPath, args: ['--import', 'tsx', 'src/entry/node.ts'] },
  { name: 'node dist/server.js (the bundle)', command: process.execPath, args: ['dist/server.js'] },
  { name: 'npm start (as the README says)', command: 'npm', args: ['start', '-s'] },
];

function timeCli(v: Variant): number {
  const started = performance.now();
  const r = spawnSync(v.command, v.args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${v.name} failed: ${r.stderr}`);
  return performance.now() - started;
}

let port = 3950;
function timeServer(v: Variant): Promise<number> {
  const started = performance.now();
  const child = spawn(v.command, v.args, { cwd: ROOT, env: { ...env, PORT: String(port++), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"listening"')) {
        const ms = performance.now() - started;
        process.kill(-child.pid!, 'SIGTERM');
        child.once('exit', () => resolve(ms));
      }
    });
    child.once('exit', (code) => (seen.includes('"listening"') ? undefined : reject(new Error(`${v.name} exited ${code}`))));
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
};

const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
const results = new Map<string, number[]>();
for (const v of cli) timeCli(v); // warm-up
for (const v of server) await timeServer(v);
for (let i = 0; i < runs; i++) {
  for (const v of cli) results.set(v.name, [...(results.get(v.name) ?? []), timeCli(v)]);
  for (const v of server) results.set(v.name, [...(results.get(v.name) ?? []), await timeServer(v)]);
}
rmSync(dataDir, { recursive: true, force: true });

console.log(`\nload average before: ${loadBefore}; ${runs} runs each, taking turns\n`);
console.log('| start | median | min | max |\n|---|---:|---:|---:|');
for (const [name, xs] of results) {
  const { median, min, max } = stats(xs);
  console.log(`| ${name} | ${Math.round(median)} ms | ${Math.round(min)} ms | ${Math.round(max)} ms |`);
}
const worst = Math.max(...[...results].filter(([n]) => !n.includes('before')).map(([, xs]) => stats(xs).median));
console.log(`\ntarget: every start of the build under 1 s: ${worst < 1000 ? 'met' : 'NOT met'} (slowest median ${Math.round(worst)} ms)`);
