import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/open-node.ts';

/**
 * One migrated database per test process, copied for each test: migrating a new file (every
 * migration a commit, each synced) took about 100 ms, and the suite opens hundreds; a copy of the
 * migrated file opens in a few. The copy is opened by the same `openNodeDatabase` as production
 * (pragmas, and the migrator, which finds nothing left to apply).
 */
let template: Promise<string> | undefined;

function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdc-template-'));
    const path = join(dir, 'template.db');
    // Closing checkpoints the WAL into the file: the copy is the whole database.
    await (await openNodeDatabase(path)).close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return path;
  })();
  return template;
}

/** A real SQLite file in a fresh temporary folder, migrated; removed by `cleanup`. */
export async function openTempDatabase(): Promise<NodeDatabase & { dir: string; path: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sdc-test-'));
  const path = join(dir, 'test.db');
  copyFileSync(await migratedTemplate(), path);
  const database = await openNodeDatabase(path);
  return {
    ...database,
    dir,
    path,
    cleanup: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
