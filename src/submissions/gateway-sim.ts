import { GatewayError, type GovGateway } from '../ports.ts';
import { mulberry32 } from '../scheduling/vrptw/random.ts';
import { payloadJson, readGatewayAnswer } from './gateway-http.ts';

/**
 * A 12123 gateway simulator: the embedded default's gateway, and the counterpart of the tests and
 * fault drills. It speaks the protocol documented in gateway-http.ts, files each idempotency key
 * at most once, and injects faults: errors, hangs, slowness and lost answers (the business filed
 * but the answer never arriving - the case that makes idempotency keys necessary).
 *
 * One core serves both faces: `fetch` (a fetch handler, for an HTTP server) and `gateway` (an
 * in-process GovGateway that answers exactly as the HTTP adapter would read the same answer).
 */
export interface SimulatorOptions {
  /** Added to every request that gets as far as filing. */
  latencyMs: number;
  /** Share of requests answered 500 or 503 without filing. */
  errorRate: number;
  /** Share of requests that hang for `hangMs` (or until the client gives up) without filing. */
  timeoutRate: number;
  /** Share of requests filed whose answer is lost (502; in process a transient GatewayError). */
  duplicateRate: number;
  /** Every request answered 503. */
  down: boolean;
  seed: number;
  /** Expected bearer token; null checks nothing. */
  token: string | null;
  /** Idempotency keys answered 422 invalid_payload. */
  rejectKeys: string[];
  /** Idempotency keys answered 500. */
  failKeys: string[];
  hangMs: number;
}

export interface GatewaySimulatorInit extends Partial<SimulatorOptions> {
  /** The in-process gateway's own timeout (the HTTP adapter has its own). Default 10000. */
  timeoutMs?: number;
  /**
   * Called when a key is filed for the first time, before the answer goes out: a fault test
   * kills the worker there, between the gateway's acceptance and our commit.
   */
  onFiled?: (key: string) => void | Promise<void>;
}

export interface SimulatorKeyStats {
  requests: number;
  /** Times the business was filed for this key: 0 or 1, the simulator being idempotent. */
  filings: number;
  reference: string | null;
}

export interface SimulatorStats {
  /** Requests to POST /submissions (or in-process submits). */
  requests: number;
  /** By HTTP status answered; `timeout` for simulated hangs. */
  byStatus: Record<string, number>;
  /** Distinct keys filed. */
  filed: number;
  /** Requests answered `duplicate: true`. */
  duplicates: number;
  /** Requests filed (or found filed) whose answer was dropped on purpose. */
  lostAnswers: number;
  /** Every idempotency key seen, whatever became of it. */
  keys: Record<string, SimulatorKeyStats>;
  /** Date.now() at each first filing, in order: lets a test check a rate limit. */
  acceptedAt: number[];
}

/** The options as GET/POST /_sim/config shows them: the token only as whether one is set. */
export type PublicSimulatorOptions = Omit<SimulatorOptions, 'token'> & { auth: boolean };

export interface GatewaySimulator {
  readonly gateway: GovGateway;
  fetch(request: Request): Promise<Response>;
  /** Merges `partial` (validated as for POST /_sim/config) and returns the options in force. */
  configure(partial: Partial<SimulatorOptions>): SimulatorOptions;
  stats(): SimulatorStats;
  /** Forgets every filing and count and reseeds; the options stay. */
  reset(): void;
}

export class SimulatorConfigError extends Error {
  override name = 'SimulatorConfigError';
}

export const SIMULATOR_DEFAULTS: Readonly<SimulatorOptions> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  duplicateRate: 0,
  down: false,
  seed: 1,
  token: null,
  rejectKeys: [],
  failKeys: [],
  hangMs: 30_000,
});

export const SIMULATOR_BUSINESSES = ['submit_certificate', 'age_downgrade', 'expiry_renewal'] as const;

const MAX_MS = 86_400_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/** A request as the core sees it; `body` null when it was not JSON. */
interface Incoming {
  authorization: string | null;
  idempotencyKey: string | null;
  body: { value: unknown } | null;
}

interface Answer {
  status: number;
  body: string;
}

interface State {
  requests: number;
  byStatus: Map<string, number>;
  duplicates: number;
  lostAnswers: number;
  keys: Map<string, SimulatorKeyStats>;
  acceptedAt: number[];
}

export function createGatewaySimulator(init: GatewaySimulatorInit = {}): GatewaySimulator {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, onFiled, ...initial } = init;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_MS) throw new SimulatorConfigError('timeoutMs must be a positive number of milliseconds');
  let options: SimulatorOptions = { ...SIMULATOR_DEFAULTS, ...parseSimulatorOptions(initial) };
  let random = mulberry32(options.seed);
  let state = emptyState();
  // References keep counting across reset(), so that one from before can never be mistaken for a new one.
  let serial = 0;

  const count = (label: string) => state.byStatus.set(label, (state.byStatus.get(label) ?? 0) + 1);
  const answer = (status: number, body: unknown): Answer => {
    count(String(status));
    return { status, body: JSON.stringify(body) };
  };
  const keyStats = (key: string): SimulatorKeyStats => {
    let entry = state.keys.get(key);
    if (!entry) state.keys.set(key, (entry = { requests: 0, filings: 0, reference: null }));
    return entry;
  };

  /** Null: the client went away while the request hung (nobody reads an answer). */
  async function handle(incoming: Incoming, signal: AbortSignal | null): Promise<Answer | null> {
    state.requests++;
    const key = incoming.idempotencyKey;
    if (key !== null) keyStats(key).requests++;
    if (options.token !== null && incoming.authorization !== `Bearer ${options.token}`) return answer(401, failure('unauthorized', 'missing or wrong bearer token'));
    if (options.down) return answer(503, failure('unavailable', 'the gateway is down (simulated)'));
    if (key === null) return answer(400, failure('missing_idempotency_key', 'the Idempotency-Key header is required'));
    if (options.failKeys.includes(key)) return answer(500, failure('internal_error', 'simulated failure for this key'));
    if (options.rejectKeys.includes(key)) return answer(422, failure('invalid_payload', 'rejected for this key (simulated)', null));
    if (incoming.body === null) return answer(400, failure('invalid_json', 'the body is not JSON'));
    const problem = payloadProblem(incoming.body.value);
    if (problem) return answer(422, failure('invalid_payload', problem.message, problem.field));

    // Always four draws, whatever the rates: a seed then gives the same faults to the same
    // sequence of requests even when the rates are changed between runs.
    const [fault = 0, which = 0, hang = 0, lose = 0] = [random(), random(), random(), random()];
    if (fault < options.errorRate) {
      return which < 0.5 ? answer(500, failure('internal_error', 'simulated error')) : answer(503, failure('unavailable', 'simulated overload'));
    }
    if (hang < options.timeoutRate) {
      count('timeout');
      const elapsed = await sleep(options.hangMs, signal);
      return elapsed ? { status: 504, body: JSON.stringify(failure('timeout', 'simulated timeout')) } : null;
    }
    const loseAnswer = lose < options.duplicateRate;
    // Not cut short when the client gives up: a real gateway files what it has started on, and
    // the client, having timed out, retries into a duplicate.
    if (options.latencyMs > 0) await sleep(options.latencyMs, null);

    const entry = keyStats(key);
    const duplicate = entry.filings > 0;
    if (!duplicate) {
      entry.filings = 1;
      entry.reference = `GW${String(++serial).padStart(10, '0')}`;
      state.acceptedAt.push(Date.now());
      if (onFiled) await onFiled(key);
    }
    if (loseAnswer) {
      state.lostAnswers++;
      return answer(502, failure('bad_gateway', 'the answer was lost (simulated)'));
    }
    if (duplicate) state.duplicates++;
    return answer(200, { reference: entry.reference, duplicate });
  }

  function configure(partial: Partial<SimulatorOptions>): SimulatorOptions {
    const parsed = parseSimulatorOptions(partial);
    options = { ...options, ...parsed };
    if (parsed.seed !== undefined) random = mulberry32(options.seed);
    return { ...options };
  }

  function stats(): SimulatorStats {
    return {
      requests: state.requests,
      byStatus: Object.fromEntries(state.byStatus),
      filed: [...state.keys.values()].filter((k) => k.filings > 0).length,
      duplicates: state.duplicates,
      lostAnswers: state.lostAnswers,
      keys: Object.fromEntries([...state.keys].map(([key, k]) => [key, { ...k }])),
      acceptedAt: [...state.acceptedAt],
    };
  }

  function reset(): void {
    state = emptyState();
    random = mulberry32(options.seed);
  }

  const publicOptions = (): PublicSimulatorOptions => {
    const { token, ...rest } = options;
    return { ...rest, rejectKeys: [...rest.rejectKeys], failKeys: [...rest.failKeys], auth: token !== null };
  };

  async function fetchHandler(request: Request): Promise<Response> {
    // Asked for at once: @hono/node-server aborts the signal on a client disconnect only if it
    // already exists, and a hang must end when its client does.
    const signal = request.signal;
    const { pathname } = new URL(request.url);
    if (pathname === '/submissions' || pathname.endsWith('/submissions')) {
      if (request.method !== 'POST') return respond(405, failure('method_not_allowed', 'POST only'), { allow: 'POST' });
      const text = await request.text().catch(() => null);
      const result = await handle(
        { authorization: request.headers.get('authorization'), idempotencyKey: keyOf(request.headers.get('idempotency-key')), body: text === null ? null : jsonBody(text) },
        signal,
      );
      if (result === null) return respond(504, failure('timeout', 'simulated timeout'));
      return new Response(result.body, { status: result.status, headers: jsonHeaders(result.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
    }
    if (pathname === '/_sim/stats' && request.method === 'GET') return respond(200, stats());
    if (pathname === '/_sim/config' && request.method === 'GET') return respond(200, { options: publicOptions() });
    if (pathname === '/_sim/config' && request.method === 'POST') {
      const body = jsonBody(await request.text().catch(() => ''));
      if (body === null) return respond(400, failure('invalid_config', 'the body must be a JSON object'));
      try {
        configure(body.value as Partial<SimulatorOptions>);
      } catch (error) {
        if (error instanceof SimulatorConfigError) return respond(400, failure('invalid_config', error.message));
        throw error;
      }
      return respond(200, { options: publicOptions() });
    }
    if (pathname === '/_sim/reset' && request.method === 'POST') {
      reset();
      return respond(200, { reset: true });
    }
    return respond(404, failure('not_found', 'POST /submissions, GET /_sim/stats, GET|POST /_sim/config, POST /_sim/reset'));
  }

  const gateway: GovGateway = {
    kind: 'simulator',
    async submit({ idempotencyKey, payload }) {
      // Through JSON and back, as over the wire: a Date becomes a string, undefined disappears.
      const body = { value: JSON.parse(payloadJson(payload)) as unknown };
      const authorization = options.token === null ? null : `Bearer ${options.token}`;
      const signal = AbortSignal.timeout(timeoutMs);
      const result = await untilAborted(handle({ authorization, idempotencyKey: keyOf(idempotencyKey), body }, signal), signal, () => timeoutError(timeoutMs));
      if (result === null) throw timeoutError(timeoutMs);
      return readGatewayAnswer(result.status, result.body, options.token);
    },
  };

  return { gateway, fetch: fetchHandler, configure, stats, reset };
}

/**
 * Validates a partial of the options (from code or from POST /_sim/config): unknown fields and
 * wrong types throw a SimulatorConfigError naming the field.
 */
export function parseSimulatorOptions(input: unknown): Partial<SimulatorOptions> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SimulatorConfigError('the options must be an object');
  const out: Partial<SimulatorOptions> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (field) {
      case 'latencyMs':
      case 'hangMs':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MS) throw new SimulatorConfigError(`${field} must be a whole number of milliseconds from 0 to ${MAX_MS}`);
        out[field] = value;
        break;
      case 'errorRate':
      case 'timeoutRate':
      case 'duplicateRate':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new SimulatorConfigError(`${field} must be a number from 0 to 1`);
        out[field] = value;
        break;
      case 'down':
        if (typeof value !== 'boolean') throw new SimulatorConfigError('down must be true or false');
        out.down = value;
        break;
      case 'seed':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new SimulatorConfigError('seed must be a whole number');
        out.seed = value;
        break;
      case 'token':
        if (value !== null && (typeof value !== 'string' || value === '')) throw new SimulatorConfigError('token must be a non-empty string or null');
        out.token = value;
        break;
      case 'rejectKeys':
      case 'failKeys':
        if (!Array.isArray(value) || !value.every((k): k is string => typeof k === 'string')) throw new SimulatorConfigError(`${field} must be a list of strings`);
        out[field] = [...value];
        break;
      default:
        throw new SimulatorConfigError(`unknown option ${field.slice(0, 40)}`);
    }
  }
  return out;
}

/** What the simulator finds wrong with a payload (the field and why), or null. */
export function payloadProblem(payload: unknown): { field: string; message: string } | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { field: 'payload', message: 'the payload must be a JSON object' };
  const p = payload as Record<string, unknown>;
  if (p.version !== 1) return { field: 'version', message: 'version must be 1' };
  if (!SIMULATOR_BUSINESSES.includes(p.business as (typeof SIMULATOR_BUSINESSES)[number])) {
    return { field: 'business', message: `business must be one of ${SIMULATOR_BUSINESSES.join(', ')}` };
  }
  if (typeof p.fileNumber !== 'string' || !/^\d{12}$/.test(p.fileNumber)) return { field: 'fileNumber', message: 'fileNumber must be 12 digits' };
  if (typeof p.caseId !== 'string' || p.caseId.trim() === '') return { field: 'caseId', message: 'caseId must be a non-empty string' };
  return null;
}

function emptyState(): State {
  return { requests: 0, byStatus: new Map(), duplicates: 0, lostAnswers: 0, keys: new Map(), acceptedAt: [] };
}

function failure(code: string, message: string, field?: string | null) {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

function keyOf(header: string | null): string | null {
  const key = header?.trim() ?? '';
  return key === '' ? null : key;
}

function jsonBody(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

function jsonHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', ...extra };
}

function respond(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: jsonHeaders(extra) });
}

function timeoutError(timeoutMs: number): GatewayError {
  return new GatewayError(`gateway timeout after ${timeoutMs} ms`, 'transient', null);
}

/** Resolves true when `ms` have passed, false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | null): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `promise`, or `onAbort()` thrown as soon as `signal` aborts. The work goes on behind (as a
 * real gateway's would); its outcome then reaches no one.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
