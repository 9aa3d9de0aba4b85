// `npm start` and `npm run cli`: runs the program's bundle in dist/ (scripts/build.mjs; node starts
// it in a third of a second, where tsx compiled every file at every start). `npm ci` builds it
// (prepare); when a source, the build script or the installed libraries are newer than the build
// (someone edited src/ or ran npm install), it is built again first (about a second).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');
/** The programs in dist/ (scripts/build.mjs). */
const PROGRAMS = { cli: 'cli.js', server: 'server.js' };

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

const [program, ...args] = process.argv.slice(2);
if (program !== '--build' && !(program in PROGRAMS)) {
  console.error(`usage: node scripts/launch.mjs ${Object.keys(PROGRAMS).join('|')} [ARGS...], or --build`);
  process.exit(2);
}
const inputs = [newestSource(join(root, 'src')), mtime(join(root, 'scripts', 'build.mjs')), mtime(join(root, 'package-lock.json'))];
if (mtime(stamp) < Math.max(...inputs)) {
  console.error('building dist/ (the sources changed since the last build) ...');
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 2, 2] });
  if (built.status !== 0) {
    console.error('error: the build failed (see above)');
    process.exit(1);
  }
}
// --build: only make sure the build is fresh (the test suite's global setup).
if (program === '--build') process.exit(0);
const script = join(root, 'dist', PROGRAMS[program]);
// The program sees itself as started directly (cli.ts runs its main only then).
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
