import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { WORKERS_SUITE } from './test/workers/suite.ts';

/**
 * The suite's run in workerd, on D1 (issue 17): the files of WORKERS_SUITE, unchanged, with
 * test/helpers/temp-db.ts replaced by its D1 twin. `npm run test:workers`; `.ci/run` runs both.
 */
const D1_DATABASES = 8;

/**
 * Libraries that workerd takes pre-bundled, one module each instead of hundreds (kysely alone is
 * some 220 files, each fetched by workerd from vitest): the suite's workerd run 9.0 s -> 4.8 s for
 * one file. Every entry point of a library imported (`hono`, `hono/jsx`, ...) must be in the list,
 * or that part would load a second copy of the library beside the bundle (Hono's classes would not
 * be the same, and its errors answer 500): the list is what the sources import, read here.
 */
const PREBUNDLED = ['kysely', 'date-fns', '@date-fns/tz', 'zod', 'hono', '@hono/zod-openapi', '@hono/zod-validator', '@asteasolutions/zod-to-openapi'];

function prebundledImports(): string[] {
  const found = new Set(PREBUNDLED);
  // The JSX runtime, which the compiler imports (tsconfig.json jsxImportSource).
  found.add('hono/jsx/jsx-runtime').add('hono/jsx/jsx-dev-runtime');
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.tsx?$/.test(entry.name)) {
        for (const [, specifier] of readFileSync(path, 'utf8').matchAll(/from '([^'.][^']*)'/g)) {
          if (PREBUNDLED.some((name) => specifier!.startsWith(`${name}/`))) found.add(specifier!);
        }
      }
    }
  };
  for (const dir of ['src', 'test']) visit(fileURLToPath(new URL(`./${dir}`, import.meta.url)));
  return [...found];
}

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
  test: {
    deps: { optimizer: { ssr: { enabled: true, include: prebundledImports() } } },
    name: 'workerd',
    isolate: false,
    include: [...WORKERS_SUITE, 'test/workers/**/*.test.ts'],
    globalSetup: ['test/workers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
}));
