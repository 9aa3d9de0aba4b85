import { GatewayError, type GatewayReceipt, type GovGateway } from '../ports.ts';
import { scrub } from '../shared/logger.ts';

/**
 * The office's 12123 integration gateway over HTTP. The wire protocol is ours; the simulator
 * (gateway-sim.ts) speaks the same one.
 *
 *   POST {baseUrl}/submissions
 *   Authorization: Bearer {token}     (left out when no token is configured)
 *   Idempotency-Key: {key}            one key per submission, the same on every retry
 *   Content-Type: application/json
 *   body: the payload (src/submissions/payload.ts)
 *
 *   2xx  accepted, body {"reference": string, "duplicate": boolean}. `duplicate: true` (with 200):
 *        the gateway had already filed this key (an earlier send whose answer we never got) and
 *        returns the original reference. An empty or non-JSON 2xx body still means accepted
 *        (reference null, duplicate false).
 *   4xx  permanent: the gateway will never take it (bad payload, bad token) - except 408, 425 and
 *        429, which are transient.
 *   5xx, network errors, timeouts: transient. A timeout or a lost answer may still have been
 *        filed, which is why a retry must send the same Idempotency-Key.
 *   3xx  not followed, permanent: a redirect means a misconfigured base URL, and following it
 *        would resend the business somewhere we did not choose.
 *   Error bodies: {"error": {"code": string, "message": string}}.
 *
 * A GatewayError's message carries the status, the gateway's error code and its message cut to
 * 200 characters; never the payload nor the token (it ends up in logs and dead-letter reasons).
 */
export interface HttpGatewayOptions {
  /** e.g. https://gw.example.gov.cn/api/v1; a trailing slash is fine. */
  baseUrl: string;
  /** Bearer token; null sends no Authorization header. */
  token: string | null;
  /** The whole exchange, headers and body, in milliseconds. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

const MESSAGE_MAX = 200;
const CODE_MAX = 64;

export function createHttpGateway(options: HttpGatewayOptions): GovGateway {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  if (!URL.canParse(base)) throw new Error('the gateway base URL is not a URL');
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new Error('the gateway timeout must be a positive number of milliseconds');
  const url = `${base}/submissions`;
  const token = options.token || null;
  const timeoutMs = options.timeoutMs;

  return {
    kind: 'http',
    async submit({ idempotencyKey, payload }): Promise<GatewayReceipt> {
      const body = payloadJson(payload);
      // fetch would throw on a bad header value, which would read as a network error and be
      // retried for ever; the key cannot improve, so it is permanent.
      if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) throw new GatewayError('the idempotency key must be 1-255 visible ASCII characters', 'permanent', null);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': idempotencyKey,
      };
      if (token) headers.authorization = `Bearer ${token}`;
      let status: number;
      let text: string;
      try {
        // One signal for the whole exchange: a gateway that sends headers and then stalls the
        // body must time out too.
        const response = await doFetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        status = response.status;
        text = await response.text();
      } catch (error) {
        throw transportError(error, timeoutMs);
      }
      return readGatewayAnswer(status, text, token);
    },
  };
}

/** The request body; a payload that is not JSON can never be sent, so the error is permanent. */
export function payloadJson(payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new GatewayError('the payload cannot be written as JSON', 'permanent', null);
  return text;
}

/** 408, 425, 429 and 5xx: the gateway did not take it this time but may next time. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * An answer as the protocol reads it: a receipt for 2xx, else a GatewayError thrown. Shared with
 * the simulator's in-process gateway, so that both kinds of gateway mean the same thing.
 */
export function readGatewayAnswer(status: number, body: string, token: string | null = null): GatewayReceipt {
  if (status >= 200 && status < 300) return receiptOf(body);
  throw gatewayErrorFor(status, body, token);
}

function gatewayErrorFor(status: number, body: string, token: string | null): GatewayError {
  const { code, message } = errorBodyOf(body);
  const safeCode = code === null ? '' : ` (${clean(code, CODE_MAX, token)})`;
  const safeMessage = message === null ? '' : `: ${clean(message, MESSAGE_MAX, token)}`;
  return new GatewayError(`gateway answered HTTP ${status}${safeCode}${safeMessage}`, isTransientStatus(status) ? 'transient' : 'permanent', status);
}

function receiptOf(text: string): GatewayReceipt {
  const body = parseJson(text);
  if (!isRecord(body)) return { reference: null, duplicate: false };
  return { reference: typeof body.reference === 'string' && body.reference !== '' ? body.reference : null, duplicate: body.duplicate === true };
}

function errorBodyOf(text: string): { code: string | null; message: string | null } {
  const body = parseJson(text);
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(error)) return { code: null, message: null };
  return {
    code: typeof error.code === 'string' && error.code !== '' ? error.code : null,
    message: typeof error.message === 'string' && error.message !== '' ? error.message : null,
  };
}

/**
 * No answer at all. The cause's own message is left out: it names the host and port, which
 * belong to configuration, not to every dead-letter reason.
 */
function transportError(error: unknown, timeoutMs: number): GatewayError {
  if (nameOf(error) === 'TimeoutError') return new GatewayError(`gateway timeout after ${timeoutMs} ms`, 'transient', null);
  const cause = isRecord(error) ? error.cause : undefined;
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : null;
  return new GatewayError(`gateway unreachable (${code ?? 'network error'})`, 'transient', null);
}

/**
 * The gateway's own words, made safe to log: the token is blanked in case the gateway echoes the
 * header, ID and phone numbers are masked as in every log line, and the length is capped.
 */
function clean(text: string, max: number, token: string | null): string {
  let safe = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (token) safe = safe.split(token).join('***');
  safe = scrub(safe);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameOf(error: unknown): string | null {
  return isRecord(error) && typeof error.name === 'string' ? error.name : null;
}
