import { z } from 'zod';
import { DEFAULT_LEAD_DAYS, DEFAULT_RENEWAL_MIN_AGE } from './screening/rules.ts';

/**
 * Every setting, its default and its meaning. Read from the environment once at start (server
 * and CLI alike) and validated; `.env.example` and the README list the same settings.
 */
const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  /** HTTP port of the server. */
  PORT: intFrom(1, 65535).default(3000),
  /** Interface to listen on; put a TLS-terminating proxy in front for other machines. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Folder for the embedded default: the SQLite file and the development key. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** The SQLite file. Defaults to DATA_DIR/checkup.db. */
  DATABASE_PATH: z.string().min(1).optional(),
  /** 32 bytes, base64 or hex: encrypts ID numbers (AES-256-GCM) and keys their look-up hash. */
  DATA_KEY: z.string().optional(),
  /** Largest JSON request body. */
  MAX_JSON_BODY_BYTES: intFrom(1024, 1 << 30).default(1 << 20),
  /** Largest registry upload. */
  MAX_IMPORT_BYTES: intFrom(1024, 2 ** 40).default(2 ** 30),
  /** Largest single CSV record (a row); a longer one rejects the file. */
  MAX_RECORD_BYTES: intFrom(256, 16 << 20).default(64 << 10),
  /** L: outreach lead time in days (RULES.md §1). */
  SCREENING_LEAD_DAYS: intFrom(0, 3650).default(DEFAULT_LEAD_DAYS),
  /** R: minimum age for renewal outreach; 0 = every driver (RULES.md §1). */
  SCREENING_RENEWAL_MIN_AGE: intFrom(0, 150).default(DEFAULT_RENEWAL_MIN_AGE),
  /** Daily screening time, HH:MM Asia/Shanghai, or `off`. */
  SCREENING_DAILY_AT: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, 'must be HH:MM (24-hour, Asia/Shanghai) or off')
    .default('02:00'),
  /** debug | info | warn | error */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = z.infer<typeof configSchema> & { DATABASE_PATH: string };

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return { ...c, DATABASE_PATH: c.DATABASE_PATH ?? `${c.DATA_DIR}/checkup.db` };
}
