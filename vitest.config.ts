import { defineConfig } from 'vitest/config';
import { LongFilesFirst } from './test/sequencer.ts';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two at a time on the 2-core machines: many files wait on child processes and SQLite, and
    // the default (one less than the cores) ran the suite one file after another. Three were
    // tried with the workerd project (112-148 s instead of 140-143 s): a fresh-clone run then had
    // two workerd set-ups wait past their hook timeout (README "Tests").
    maxWorkers: 2,
    // Child processes of the tests run the build in dist/ (test/helpers/program.ts).
    globalSetup: ['test/global-setup.ts'],
    // Long files first, the workerd project early (test/sequencer.ts).
    sequence: { sequencer: LongFilesFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // workerd only (vitest.workers.config.ts): the Worker's entry and bindings.
          exclude: ['test/workers/**'],
          pool: 'forks',
          // Files share a worker's module cache instead of importing every module again: 106 s for the
          // suite instead of 130-165 s on this machine (README "Tests"). Test files keep their own state:
          // each opens its own database and app, and those that change process.env put it back.
          isolate: false,
        },
      },
      // The same files of test/workers/suite.ts again, in workerd over D1 (issue 17).
      'vitest.workers.config.ts',
    ],
  },
});
