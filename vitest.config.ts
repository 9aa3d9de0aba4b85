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
    // Files share a worker's module cache instead of importing every module again: 106 s for the
    // suite instead of 130-165 s on this machine (README "Tests"). Test files keep their own state:
    // each opens its own database and app, and those that change process.env put it back.
    isolate: false,
  },
});
