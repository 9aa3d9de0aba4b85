import type { AppDeps } from './http/env.ts';
import { withDeadImportsTakenOver } from './registry/import-service.ts';
import { withDeadRunsTakenOver } from './screening/run.ts';
import { leaseTiming } from './shared/lease.ts';

export interface RecoveredWork {
  /** Imports whose process died, now marked failed (their rejected rows deleted). */
  importsFailed: string[];
  /** Screening runs whose process died, now marked failed. */
  screeningRunsFailed: string[];
  /** Staging tables dropped: of those imports and runs, or left with no import or run at all. */
  stagingTablesDropped: string[];
}

/**
 * Start-up recovery of the server and the CLI (issue 13): imports and screening runs whose
 * heartbeat is older than RUN_LEASE_SECONDS died with their process; they are marked failed and
 * their staging tables dropped, so that no partial data (a staging table holds names, phones and
 * addresses) stays behind and the next run starts at once. Work of another live process (the CLI
 * beside the server) keeps beating and is left alone. The next import or run does the same
 * takeover on its own; this makes it happen at start without waiting for one.
 */
export async function recoverInterruptedWork(deps: Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'config' | 'logger'>): Promise<RecoveredWork> {
  const timing = leaseTiming(deps.config);
  const imports = await withDeadImportsTakenOver(deps, timing);
  const runs = await withDeadRunsTakenOver(deps, timing);
  const recovered: RecoveredWork = {
    importsFailed: imports.failed,
    screeningRunsFailed: runs.failed,
    stagingTablesDropped: [...imports.dropped, ...runs.dropped],
  };
  if (recovered.importsFailed.length + recovered.screeningRunsFailed.length + recovered.stagingTablesDropped.length > 0) {
    deps.logger.warn('recovered work interrupted by a stopped process', {
      importsFailed: recovered.importsFailed.length,
      screeningRunsFailed: recovered.screeningRunsFailed.length,
      stagingTablesDropped: recovered.stagingTablesDropped.length,
    });
  }
  return recovered;
}
