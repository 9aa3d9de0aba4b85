import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers/program.ts';

/** Builds dist/ when a source is newer (test/helpers/program.ts): child processes run the build. */
export default function buildOnce(): void {
  const built = spawnSync(process.execPath, ['scripts/launch.mjs', '--build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the build of dist/ failed (see above)');
}
