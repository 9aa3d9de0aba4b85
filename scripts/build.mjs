// `npm run build` (and `npm ci`, through prepare): the program as three bundles in dist/ - the CLI,
// the server and the registry parser's worker thread - each one file of JavaScript with the
// libraries in it, so that a start reads one file instead of resolving some 1,500 modules (a CLI
// start 0.3 s instead of 0.6 s; bench/README.md "Start-up"). Types are checked by
// `npm run typecheck`, not here. sqlite3 (a native addon) and twilio (CommonJS that loads its parts
// at run time) stay in node_modules, and so does esbuild (src/registry/parse-in-worker.ts calls it
// only when run from the sources).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Written last: scripts/launch.mjs rebuilds when a source is newer than this. */
const STAMP = join(root, 'dist', '.built');

await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts', server: 'src/entry/node.ts', 'parse-worker': 'src/registry/parse-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['sqlite3', 'twilio', 'esbuild'],
  // CommonJS libraries inside an ES module bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
