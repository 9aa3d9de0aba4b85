import { z } from 'zod';
import { DEFAULT_LADDER, ladderProblem, windowProblem } from './outreach/ladder.ts';
import { DEFAULT_LEAD_DAYS, DEFAULT_RENEWAL_MIN_AGE } from './screening/rules.ts';
import { DEFAULT_PBKDF2_ITERATIONS } from './staff/passwords.ts';

/**
 * Every setting, its default and its meaning. Read from the environment once at start (server
 * and CLI alike) and validated; `.env.example` and the README list the same settings.
 */
const problemFrom = (check: (v: string) => string | null) => (v: string, ctx: z.RefinementCtx) => {
  const problem = check(v);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
};
const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** 32 bytes as 64 hex digits or base64 (also URL-safe), as src/shared/personal-data.ts reads it. */
const DATA_KEY_SHAPE = /^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/;
const DATA_KEY_HINT = 'must be 32 bytes written as 64 hex digits or base64 (generate one with: openssl rand -base64 32)';

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
  DATA_KEY: z.string().trim().regex(DATA_KEY_SHAPE, DATA_KEY_HINT).optional(),
  /** During a key rotation only: the key being replaced (values it sealed stay readable; `cli rotate-key`). */
  DATA_KEY_PREVIOUS: z.string().trim().regex(DATA_KEY_SHAPE, DATA_KEY_HINT).optional(),
  /** `production` refuses to start without a real DATA_KEY (no development key). */
  NODE_ENV: z.string().optional(),
  /** Largest request body of a route that declares no other limit (src/http/body-limits.ts). */
  MAX_JSON_BODY_BYTES: intFrom(1024, 1 << 30).default(16 << 10),
  /** Largest registry upload. */
  MAX_IMPORT_BYTES: intFrom(1024, 2 ** 40).default(2 ** 30),
  /** On a Worker with R2 and a Queue: a CSV upload of this size or more is imported by the queue consumer. */
  IMPORT_QUEUE_MIN_BYTES: intFrom(1, 2 ** 40).default(8 * 2 ** 20),
  /** Largest single CSV record (a row); a longer one rejects the file. */
  MAX_RECORD_BYTES: intFrom(256, 16 << 20).default(64 << 10),
  /** L: outreach lead time in days (RULES.md §1). */
  SCREENING_LEAD_DAYS: intFrom(0, 3650).default(DEFAULT_LEAD_DAYS),
  /** R: minimum age for renewal outreach; 0 = every driver (RULES.md §1). */
  SCREENING_RENEWAL_MIN_AGE: intFrom(0, 150).default(DEFAULT_RENEWAL_MIN_AGE),
  /**
   * Imports and screening runs refresh a heartbeat every sixth of this; one whose heartbeat is
   * older died with its process, and the next import or run (or the start-up recovery) takes over.
   */
  RUN_LEASE_SECONDS: intFrom(1, 3600).default(30),
  /** Daily screening time, HH:MM Asia/Shanghai, or `off`. */
  SCREENING_DAILY_AT: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, 'must be HH:MM (24-hour, Asia/Shanghai) or off')
    .default('02:00'),
  /** Outreach: the 【signature】 of every SMS (RULES.md §7). */
  OUTREACH_SIGNATURE: z.string().trim().min(2).max(12).default('聊城市车管所'),
  /** Outreach ladder: steps with the wait after the previous one (src/outreach/ladder.ts). */
  OUTREACH_LADDER: z
    .string()
    .superRefine(problemFrom(ladderProblem))
    .default(DEFAULT_LADDER),
  /** Outreach sending window, HH:MM-HH:MM in Asia/Shanghai. */
  OUTREACH_WINDOW: z
    .string()
    .superRefine(problemFrom(windowProblem))
    .default('08:00-20:00'),
  /** Outreach: at most this many SMS and calls per minute (per server or worker process). */
  OUTREACH_RATE_PER_MINUTE: intFrom(1, 10000).default(30),
  /** How often the server runs due outreach steps, in seconds; 0 = never (use `cli outreach run`). */
  OUTREACH_TICK_SECONDS: intFrom(0, 3600).default(30),
  /** The crew's phone pages (issue 16): an https map link per stop, `{lat}` and `{lng}` filled in; none by default (a geo: link only). */
  CREW_MAP_URL: z
    .string()
    .regex(/^https:\/\/[^\s]*\{lat\}[^\s]*$/, 'must be an https address with {lat} and {lng}, e.g. https://uri.amap.com/marker?position={lng},{lat}')
    .refine((v) => v.includes('{lng}'), 'must contain {lng} as well as {lat}')
    .optional(),
  /** The public https address Twilio reaches us at (webhooks and their signatures). Default http://HOST:PORT. */
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Twilio credentials; without them a recording adapter stores what would be sent. */
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  /** The number SMS and calls come from (E.164). */
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +8653112345678').optional(),
  /** Send SMS through this Messaging Service instead of from TWILIO_FROM_NUMBER. */
  TWILIO_MESSAGING_SERVICE_SID: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits').optional(),
  /** Another base URL for the Twilio API (tests, regional gateways). */
  TWILIO_API_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A Twilio request not answered in this time is abandoned; an SMS or call claimed longer ago than twice this is reconciled with Twilio (issue 13). */
  TWILIO_TIMEOUT_MS: intFrom(100, 120000).default(10000),
  /** Without Twilio: the recording adapter reports each status of what it "sent" this long after the previous one (issue 14). */
  RECORDED_STATUS_STEP_MS: intFrom(1, 60000).default(250),
  /** Planner: minutes of a checkup, and minutes added when a 三力测试 is due. */
  PLANNER_SERVICE_MINUTES: intFrom(1, 240).default(10),
  PLANNER_COGNITIVE_EXTRA_MINUTES: intFrom(0, 240).default(5),
  /** Planner: width of the appointment window told to the driver, in minutes. */
  PLANNER_WINDOW_MINUTES: intFrom(15, 240).default(60),
  /** Planner travel model: road/straight-line factor and average speed (km/h), unless OSRM_URL is set. */
  PLANNER_DETOUR_FACTOR: z.coerce.number().min(1).max(5).default(1.3),
  PLANNER_SPEED_KMH: z.coerce.number().min(1).max(200).default(25),
  /** An OSRM server (its table service gives road travel times and distances), e.g. http://osrm:5000. */
  OSRM_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Planner: wall-clock budget of one plan, in milliseconds, and the seed of its random choices. */
  PLANNER_TIME_BUDGET_MS: intFrom(50, 60000).default(2000),
  PLANNER_SEED: intFrom(0, 2 ** 31 - 1).default(2026),
  /** The day-before reminder of a visit goes out at this time (HH:MM, Asia/Shanghai). */
  VISIT_REMINDER_AT: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour, Asia/Shanghai)')
    .default('10:00'),
  /** The office's 12123 integration gateway; unset = the in-process simulator (embedded default). */
  GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Bearer token the gateway expects. */
  GATEWAY_TOKEN: z.string().min(1).optional(),
  /** A gateway answer slower than this counts as a transient failure (retried). */
  GATEWAY_TIMEOUT_MS: intFrom(100, 300000).default(10000),
  /** The in-process simulator's answer time, when GATEWAY_URL is unset. */
  GATEWAY_SIMULATOR_LATENCY_MS: intFrom(0, 60000).default(200),
  /** Submission worker in the server: on, or off (run `npm run cli -- worker` instead). */
  SUBMISSION_WORKER: z.enum(['on', 'off']).default('on'),
  /** At most this many submissions sent to the gateway per second (per worker process). */
  SUBMISSION_RATE_PER_SECOND: intFrom(1, 10000).default(10),
  /** Submissions in flight at once per worker process. */
  SUBMISSION_CONCURRENCY: intFrom(1, 256).default(4),
  /** A worker holds a submission this long; then another worker may take it. Longer than the gateway timeout. */
  SUBMISSION_LEASE_SECONDS: intFrom(1, 3600).default(60),
  /** Tries before a transiently failing submission is dead-lettered. */
  SUBMISSION_MAX_ATTEMPTS: intFrom(1, 100).default(12),
  /** Backoff after the n-th transient failure: min(cap, base x 2^(n-1)), jittered down to half. */
  SUBMISSION_BACKOFF_BASE_MS: intFrom(10, 3600000).default(5000),
  SUBMISSION_BACKOFF_CAP_MS: intFrom(10, 86400000).default(600000),
  /** How often an idle worker looks for due submissions. */
  SUBMISSION_POLL_MS: intFrom(10, 600000).default(1000),
  /** Failed token attempts a client may make per window; beyond them every /api call is a 429 until the window ends. */
  AUTH_FAILURE_LIMIT: intFrom(1, 1000000).default(20),
  /** The window of AUTH_FAILURE_LIMIT, in seconds, from a client's first failure. */
  AUTH_FAILURE_WINDOW_SECONDS: intFrom(1, 86400).default(60),
  /** Clients whose failures are remembered at once (memory bound); beyond it the least recently failing is forgotten. */
  AUTH_THROTTLE_MAX_CLIENTS: intFrom(1, 10000000).default(10000),
  /**
   * PBKDF2-HMAC-SHA256 iterations of a new password hash (OWASP 2023: 600000). Each hash keeps its
   * own count, so raising it applies to passwords set (or signed in with) afterwards. Cloudflare
   * Workers refuse more than 100000: a Worker deployment sets 100000 or less.
   */
  PASSWORD_PBKDF2_ITERATIONS: intFrom(1000, 10_000_000).default(DEFAULT_PBKDF2_ITERATIONS),
  /** A console session unused this long ends. */
  SESSION_IDLE_MINUTES: intFrom(1, 24 * 60).default(30),
  /** A console session ends this long after its sign-in, however busy. */
  SESSION_MAX_HOURS: intFrom(1, 24 * 30).default(12),
  /** Failed sign-ins in a row that lock an account ... */
  SIGN_IN_LOCK_AFTER: intFrom(1, 1000).default(5),
  /** ... for this long. */
  SIGN_IN_LOCK_MINUTES: intFrom(1, 24 * 60).default(15),
  /** on: behind a reverse proxy, the client is the last X-Forwarded-For address (the one the proxy saw). */
  TRUST_PROXY: z.enum(['on', 'off']).default('off'),
  /** debug | info | warn | error */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = z.infer<typeof configSchema> & { DATABASE_PATH: string; PUBLIC_BASE_URL: string };

/** Settings that only make sense together. */
function crossCheck(c: z.infer<typeof configSchema>): string[] {
  const problems: string[] = [];
  const twilio = c.TWILIO_ACCOUNT_SID !== undefined || c.TWILIO_AUTH_TOKEN !== undefined;
  if (twilio) {
    if (!c.TWILIO_ACCOUNT_SID) problems.push('  TWILIO_ACCOUNT_SID: required with TWILIO_AUTH_TOKEN');
    if (!c.TWILIO_AUTH_TOKEN) problems.push('  TWILIO_AUTH_TOKEN: required with TWILIO_ACCOUNT_SID');
    if (!c.TWILIO_FROM_NUMBER) problems.push('  TWILIO_FROM_NUMBER: required with Twilio credentials (calls come from it)');
    if (!c.PUBLIC_BASE_URL) problems.push('  PUBLIC_BASE_URL: required with Twilio credentials (Twilio must reach the webhooks)');
  }
  if (c.SUBMISSION_LEASE_SECONDS * 1000 < 2 * c.GATEWAY_TIMEOUT_MS) {
    problems.push('  SUBMISSION_LEASE_SECONDS: must be at least twice GATEWAY_TIMEOUT_MS (a lease must outlive a slow answer)');
  }
  if (c.SUBMISSION_BACKOFF_CAP_MS < c.SUBMISSION_BACKOFF_BASE_MS) problems.push('  SUBMISSION_BACKOFF_CAP_MS: must not be below SUBMISSION_BACKOFF_BASE_MS');
  return problems;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = configSchema.safeParse(picked);
  const lines = parsed.success ? crossCheck(parsed.data) : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  if (!parsed.success || lines.length > 0) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  const c = parsed.data;
  return {
    ...c,
    DATABASE_PATH: c.DATABASE_PATH ?? `${c.DATA_DIR}/checkup.db`,
    PUBLIC_BASE_URL: (c.PUBLIC_BASE_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
  };
}
