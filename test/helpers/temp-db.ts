import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeDatabase, type NodeDatabase } from '../../src/db/open-node.ts';

/** A real SQLite file in a fresh temporary folder, migrated; removed by `cleanup`. */
export async function openTempDatabase(): Promise<NodeDatabase & { dir: string; path: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sdc-test-'));
  const path = join(dir, 'test.db');
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
