import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Child processes of the tests run the build in dist/ (test/helpers/program.ts).
    globalSetup: ['test/global-setup.ts'],
    // Two at a time on the 2-core machines: many files wait on child processes and SQLite, and
    // the default (one less than the cores) ran the suite one file after another.
    maxWorkers: 2,
  },
});
