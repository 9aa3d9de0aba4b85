import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/program.ts';

/** Memory-backed on Linux: a commit's fsync costs nothing there (below). */
const SHM = '/dev/shm';

function writableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Builds dist/ when a source is newer (test/helpers/program.ts): child processes run the build.
 *
 * Then one temporary folder for the whole run, removed at its end however its files ended (a
 * test process that vitest stops never runs its exit handlers): TMPDIR for every test process and
 * the programs they start (databases, data folders of the child processes, Chromium's profiles).
 * It is in /dev/shm where there is one: the databases keep `synchronous = FULL` as in production,
 * and each commit's fsync, which the tests do not measure (a SIGKILL drill loses nothing of the page
 * cache either), took the suite's time on a virtual disk. `SDC_TEST_TMPDIR` puts it elsewhere.
 */
export default function setup(): () => void {
  const built = spawnSync(process.execPath, ['scripts/launch.mjs', '--build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the build of dist/ failed (see above)');
  const base = process.env.SDC_TEST_TMPDIR ?? (writableDir(SHM) ? SHM : tmpdir());
  const runDir = mkdtempSync(join(base, 'sdc-tests-'));
  process.env.TMPDIR = runDir;
  return () => rmSync(runDir, { recursive: true, force: true });
}
