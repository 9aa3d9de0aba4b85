import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two at a time on the 2-core machines: many files wait on child processes and SQLite, and
    // the default (one less than the cores) ran the suite one file after another.
    maxWorkers: 2,
  },
});
