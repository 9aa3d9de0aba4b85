import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order in which the suite's files start (issue 14: the whole suite on 2 busy cores). Two
 * files run at a time, and the run lasts until the last one ends: the long files go first, so that
 * the run ends on short ones, whatever vitest has cached (a fresh clone has no record of how long
 * a file took, and vitest would then start the largest files first, not the longest).
 *
 * The long ones, longest first (seconds each on an idle 2-core machine, README "Tests"): drills with
 * child processes killed by SIGKILL, the README walkthrough, Chromium, fuzzing, the counters'
 * properties. Then the workerd project's files, so that workerd's start (several seconds) overlaps
 * the long Node files instead of coming after all of them; then the rest, as vitest orders them.
 */
const LONG = [
  'test/submissions/worker-crash.test.ts',
  'test/readme/walkthrough.test.ts',
  'test/web/pages.browser.test.ts',
  'test/security/crash-import.test.ts',
  'test/security/crash-screening.test.ts',
  'test/security/fuzz-multipart.test.ts',
  'test/scheduling/plan-counters.test.ts',
  'test/web/crew.browser.test.ts',
  'test/security/fuzz-json-bodies.test.ts',
  'test/security/outbox-reconcile.test.ts',
  'test/screening/screening-counters.test.ts',
  'test/security/fuzz-webhooks.test.ts',
  'test/scheduling/visit-lifecycle.test.ts',
  'test/security/crash-outreach.test.ts',
  'test/registry/import-counters.test.ts',
  'test/web/field-flow.browser.test.ts',
  'test/security/startup.test.ts',
  'test/web/office-flow.browser.test.ts',
  'test/security/rotate-key.test.ts',
];
/** The workerd project starts after this many of the long files. */
const WORKERD_AFTER = 2;

export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification): number => {
      if (spec.project.name === 'workerd') return WORKERD_AFTER - 0.5;
      const at = LONG.indexOf(relative(root, spec.moduleId).replaceAll('\\', '/'));
      return at === -1 ? LONG.length : at;
    };
    // Array#sort is stable: within a rank, vitest's own order stays.
    return base
      .map((spec, i) => ({ spec, i, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((entry) => entry.spec);
  }
}
