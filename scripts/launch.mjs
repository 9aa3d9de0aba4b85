// `npm start` and `npm run cli`: runs the built program in dist/ (node starts it in well under a
// second, where tsx compiled every file at every start). `npm ci` builds it (prepare); when a
// source file is newer than the build (someone edited src/), it is built again first.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.tsbuildinfo');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -1;
  }
}

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/launch.mjs ENTRY [ARGS...]   (ENTRY relative to src/, e.g. cli.ts), or --build');
  process.exit(2);
}
if (builtAt() < Math.max(newestSource(join(root, 'src')), statSync(join(root, 'tsconfig.build.json')).mtimeMs)) {
  console.error('building dist/ (the sources changed since the last build) ...');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2] });
  // tsc's 2: type errors, the JavaScript written anyway (as tsx would have run it); other: nothing usable.
  if (built.status === 2) console.error('warning: the sources have type errors (above); running the build anyway');
  else if (built.status !== 0) {
    console.error('error: the build failed (see above)');
    process.exit(1);
  }
  // An incremental build that found nothing to change leaves its stamp as it was: mark it built now.
  const now = new Date();
  utimesSync(stamp, now, now);
}
// --build: only make sure the build is fresh (the test suite's global setup).
if (entry === '--build') process.exit(0);
const script = join(root, 'dist', entry.replace(/\.ts$/, '.js'));
// The program sees itself as started directly (cli.ts runs its main only then).
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
