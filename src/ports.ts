import type { CompiledQuery, QueryResult } from 'kysely';

/**
 * The small interfaces behind which every outside system sits (DESIGN.md "Ports and adapters").
 */

/** Wall-clock time, injected so that tests and rules never read the system clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let current = new Date(iso);
  return { now: () => new Date(current), set: (next) => (current = new Date(next)) };
}

/** Identifiers are generated in the app (D1 batches cannot read back generated keys). */
export interface Ids {
  next(): string;
}

/**
 * UUID version 7: a millisecond timestamp, then random bits. Ids made one after another sort
 * together, so a run that inserts a quarter of a million cases appends to the primary-key index
 * instead of writing all over it. Within one millisecond they still sort in the order they were
 * made (RFC 9562 §6.2, a counter in the low bits): rows of equal time ordered by id - the audit
 * log's, the screening's cases - keep the order they happened in.
 */
export function uuidv7(now = Date.now()): string {
  let hex: string;
  const next = now === last.ms ? increment(last.hex) : null;
  if (next !== null) hex = next;
  else {
    const fresh = now.toString(16).padStart(12, '0') + randomBytesFromPool(10);
    // Version 7 in the 13th hex digit, variant 10xx in the 17th.
    hex = `${fresh.slice(0, 12)}7${fresh.slice(13, 16)}${((parseInt(fresh[16]!, 16) & 0x3) | 0x8).toString(16)}${fresh.slice(17)}`;
  }
  last = { ms: now, hex };
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

let last = { ms: -1, hex: '' };
/**
 * The id after `hex` in its millisecond: its last 32 bits plus one. Null when they are all ones
 * (one chance in 2^32 for a millisecond's first id): that id is drawn afresh, not in order.
 */
function increment(hex: string): string | null {
  const low = parseInt(hex.slice(24), 16);
  if (low === 0xffffffff) return null;
  return hex.slice(0, 24) + (low + 1).toString(16).padStart(8, '0');
}

// Random hex drawn in bulk: a screening run makes a quarter of a million ids.
let pool = '';
let offset = 0;
function randomBytesFromPool(bytes: number): string {
  const chars = bytes * 2;
  if (offset + chars > pool.length) {
    pool = Array.from(crypto.getRandomValues(new Uint8Array(8192)), (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
    offset = 0;
  }
  offset += chars;
  return pool.slice(offset - chars, offset);
}

export const randomIds: Ids = { next: () => uuidv7() };

/**
 * Runs compiled queries all-or-nothing: one SQLite transaction on Node, one D1 `batch()` on
 * Workers. Conditional writes are expressed in SQL, never as read-then-write in JavaScript.
 */
export type Atomic = (queries: readonly CompiledQuery[], call?: AtomicCall) => Promise<QueryResult<unknown>[]>;

/**
 * `results: false`: the caller reads no result of the batch (only whether it was applied), and
 * the implementation may answer [] - on Node such batches run as one SQL script per group
 * commit (src/db/atomic.ts), the webhooks' hot path (issue 18).
 */
export interface AtomicCall {
  results: false;
}

/** An SMS to send (E.164 number, final text). */
export interface OutboundSms {
  to: string;
  body: string;
  /** Absolute URL the provider posts delivery statuses to. */
  statusCallback?: string;
}

/** An automated voice call whose TwiML we serve at `twimlUrl`. */
export interface OutboundCall {
  to: string;
  twimlUrl: string;
  statusCallback?: string;
}

/** What the provider said when it took a message or call. */
export interface ProviderReceipt {
  /** Provider id (Twilio MessageSid `SM...` / CallSid `CA...`). */
  sid: string;
  /** Provider status at acceptance, e.g. `queued`, `accepted`. */
  status: string;
}

/**
 * The provider failed. `retryable` means it certainly did not take the message (429, 5xx before
 * acceptance); anything else is treated as possibly sent and never retried blindly (a step is never
 * sent twice, issue 3): an answer that refused it (4xx) fails the step, no answer at all (`network`)
 * leaves it to the outbox's reconciliation, which asks the provider (issue 13).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * What an outbox handed to the provider, to find it again when the write that should have recorded
 * it never happened (a crash or a database error after the provider took it; issue 13).
 */
export interface SentQuery {
  channel: 'sms' | 'call';
  to: string;
  /** SMS: the exact text sent (calls have none). */
  body: string | null;
  /** Only messages or calls created at or after this instant. */
  since: Date;
}

/** SMS and voice calls to drivers (Twilio, or the recording adapter of the embedded default). */
export interface Telephony {
  /** `twilio` or `recording`: stored with every message. */
  readonly provider: 'twilio' | 'recording';
  /** The longest a send can take before the adapter gives up on it (the HTTP client's timeout). */
  readonly requestTimeoutMs: number;
  sendSms(sms: OutboundSms): Promise<ProviderReceipt>;
  placeCall(call: OutboundCall): Promise<ProviderReceipt>;
  /**
   * The messages or calls the provider took matching `query`, oldest first (none: it took nothing).
   * Throws a ProviderError when it cannot tell: then nothing may be sent again.
   */
  findSent(query: SentQuery): Promise<ProviderReceipt[]>;
  /** Resolves once status reports the adapter has still to make are made (a CLI awaits it before it exits). */
  settle?(): Promise<void>;
}

/**
 * What a submission sends to the office's 12123 integration gateway (issue 5): the business as a
 * JSON payload (src/submissions/payload.ts), and a key the gateway uses to file it only once
 * however often it is sent.
 */
export interface GatewayRequest {
  idempotencyKey: string;
  payload: unknown;
}

/** The gateway took the business. `duplicate`: it had already taken this key (an earlier send). */
export interface GatewayReceipt {
  reference: string | null;
  duplicate: boolean;
}

/**
 * The gateway did not take the business. `transient` (5xx, timeouts, network, 408/425/429):
 * try again later; `permanent` (any other 4xx): it never will, dead-letter it.
 */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly kind: 'transient' | 'permanent',
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** The 12123 integration gateway: over HTTP, or the simulator of the embedded default. */
export interface GovGateway {
  readonly kind: 'http' | 'simulator';
  submit(request: GatewayRequest): Promise<GatewayReceipt>;
}

/**
 * Where a large upload goes to be imported by another invocation (a Worker: the bytes to R2, a
 * message to a Queue whose consumer runs importRegistry with `importId`; src/entry/worker-imports.ts).
 * Node has none: its imports stream on a worker thread within the request.
 */
export interface ImportHandoff {
  /** CSV bodies of this many bytes or more are handed off (IMPORT_QUEUE_MIN_BYTES). */
  readonly minBytes: number;
  hand(upload: { body: ReadableStream<Uint8Array>; bytes: number }, job: ImportJob): Promise<void>;
}

export interface ImportJob {
  importId: string;
  staffId: string | null;
  filename: string | null;
}
