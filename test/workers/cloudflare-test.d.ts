/**
 * The few parts of `cloudflare:test` (@cloudflare/vitest-pool-workers) the workerd run uses,
 * typed here: the package's own declarations need the Workers' global types, which clash with
 * Node's in the project's one tsconfig.
 */
declare module 'cloudflare:test' {
  export const env: Record<string, unknown>;
  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export function applyD1Migrations(db: unknown, migrations: D1Migration[], migrationsTableName?: string): Promise<void>;
}
