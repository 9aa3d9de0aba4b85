import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { WORKERS_SUITE } from './test/workers/suite.ts';

/**
 * The suite's run in workerd, on D1 (issue 17): the files of WORKERS_SUITE, unchanged, with
 * test/helpers/temp-db.ts replaced by its D1 twin. `npm run test:workers`; `.ci/run` runs both.
 */
const D1_DATABASES = 8;

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: '2026-04-20',
        compatibilityFlags: ['nodejs_compat'],
        d1Databases: Array.from({ length: D1_DATABASES }, (_, i) => `D1_${i}`),
        // Large registry uploads (test/workers/queued-import.test.ts).
        r2Buckets: ['UPLOADS'],
        bindings: { MIGRATIONS: await readD1Migrations('db/migrations'), D1_DATABASES: String(D1_DATABASES) },
      },
    }),
  ],
  resolve: {
    alias: [{ find: /^(.*\/)?temp-db\.ts$/, replacement: fileURLToPath(new URL('./test/helpers/temp-db-d1.ts', import.meta.url)) }],
  },
  // isolate: false - one workerd and one module cache for every file (73 s -> 24 s); each test
  // still has its own database (temp-db-d1.ts hands out and empties the bindings).
  test: { name: 'workerd', isolate: false, include: [...WORKERS_SUITE, 'test/workers/**/*.test.ts'], globalSetup: ['test/workers/global-setup.ts'], testTimeout: 20_000, hookTimeout: 30_000 },
}));
