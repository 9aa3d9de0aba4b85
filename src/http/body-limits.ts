import type { MiddlewareHandler } from 'hono';
import { AppError, fieldIssue } from '../errors.ts';
import type { Config } from '../config.ts';
import type { AppEnv } from './env.ts';

/**
 * The size limit of every request body, in one place (issue 13):
 *
 * - `POST /api/registry/imports` streams: MAX_IMPORT_BYTES counts every byte of the body (all
 *   multipart parts with their headers), in src/registry/upload.ts, which also applies
 *   MULTIPART_LIMITS below.
 * - `/twilio/*` webhooks: WEBHOOK_BODY_BYTES. Twilio's form posts are a few KB (an inbound SMS
 *   of 1,600 characters with all its fields stays under 10 KB).
 * - Every other route: MAX_JSON_BODY_BYTES (16 KiB), unless it declares more in JSON_BODY_LIMITS
 *   from what its schema allows. The biggest small body (an exam record, a phone outcome with its
 *   200-character note) is about 2 KB.
 *
 * These bodies are read here, counted whether or not a Content-Length is declared (a chunked
 * body, or a Content-Length that lies, counts the same), and handed on in memory: a body over
 * its limit is a 413 before any handler, validator or signature check sees it.
 */
export const WEBHOOK_BODY_BYTES = 64 << 10;

/** Routes whose schema allows a JSON body over MAX_JSON_BODY_BYTES; `{x}` matches one segment. */
export const JSON_BODY_LIMITS: ReadonlyArray<{ method: string; path: string; bytes: number; why: string }> = [
  // area.communities: up to 500 names of up to 100 characters (3 bytes each in UTF-8): ~155 KB.
  { method: 'POST', path: '/api/shifts', bytes: 256 << 10, why: 'up to 500 community names' },
  // ids: up to 1,000 UUIDs of 36 characters with quotes and commas: ~39 KB.
  { method: 'POST', path: '/api/submissions/retry', bytes: 64 << 10, why: 'up to 1,000 submission ids' },
  // multipart: the photo of the signed 委托书 (at most 3 MB, src/scheduling/authorisation.ts) and two short fields.
  { method: 'POST', path: '/api/visits/{x}/authorisation', bytes: 4 << 20, why: 'a photo of the signed authorisation' },
  // The crew's phone page posts the same form (src/web/crew/authorisation.tsx).
  { method: 'POST', path: '/console/stops/{x}/authorisation', bytes: 4 << 20, why: 'a photo of the signed authorisation' },
];

/** Routes that stream their body and count it themselves. */
const STREAMED: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: '/api/registry/imports' },
  // The console's upload form (src/web/office/imports.tsx): the same reader, the same limits.
  { method: 'POST', path: '/console/imports' },
];

/**
 * What the import's multipart body may hold: one file part (`file`), a few small form fields
 * beside it (a browser form's CSRF token, a note), nothing else: at most `parts` parts in all,
 * parts without a Content-Disposition included. Each part's header block is capped at 16 KB by
 * busboy itself.
 */
export const MULTIPART_LIMITS = {
  files: 1,
  fields: 16,
  parts: 17,
  fieldNameSize: 100,
  fieldSize: 8 << 10,
} as const;

export type BodyLimit = { kind: 'streamed' } | { kind: 'buffered'; bytes: number; setting: string };

const matches = (pattern: string, path: string) =>
  new RegExp(`^${pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);

/** The limit of one request's body. */
export function bodyLimitOf(method: string, path: string, config: Pick<Config, 'MAX_JSON_BODY_BYTES'>): BodyLimit {
  const m = method.toUpperCase();
  if (STREAMED.some((r) => r.method === m && r.path === path)) return { kind: 'streamed' };
  if (path === '/twilio' || path.startsWith('/twilio/')) return { kind: 'buffered', bytes: WEBHOOK_BODY_BYTES, setting: 'the webhook limit' };
  const declared = JSON_BODY_LIMITS.find((r) => r.method === m && matches(r.path, path));
  if (declared) return { kind: 'buffered', bytes: Math.max(declared.bytes, config.MAX_JSON_BODY_BYTES), setting: `the limit of ${m} ${declared.path}` };
  return { kind: 'buffered', bytes: config.MAX_JSON_BODY_BYTES, setting: 'MAX_JSON_BODY_BYTES' };
}

function tooLarge(limit: { bytes: number; setting: string }): AppError {
  return AppError.keyed('payload_too_large', { key: 'body_too_large', params: { bytes: limit.bytes, setting: limit.setting } }, {
    issues: [fieldIssue('body', 'too_large', { key: 'too_large', params: { bytes: limit.bytes } })],
  });
}

/** Applies bodyLimitOf to every request (mounted once, on `*`, in app.ts). */
export function bodyLimits(config: Pick<Config, 'MAX_JSON_BODY_BYTES'>): MiddlewareHandler<AppEnv> {
  return async function bodyLimitsMiddleware(c, next) {
    const raw = c.req.raw;
    if (!raw.body || raw.method === 'GET' || raw.method === 'HEAD') return next();
    const limit = bodyLimitOf(raw.method, c.req.path, config);
    if (limit.kind === 'streamed') return next();
    if (Number(raw.headers.get('content-length')) > limit.bytes) throw tooLarge(limit);
    const body = await readAtMost(raw.body, limit);
    // Handed on through Hono's body cache (c.req.text(), .json(), .arrayBuffer() and the
    // validators read it there): a second web Request around the bytes cost more than the
    // webhook's own work.
    // (Hono declares the cache's values, but keeps promises of them.)
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
    cache.arrayBuffer = Promise.resolve(body.buffer);
    cache.text = Promise.resolve(utf8.decode(body));
    return next();
  };
}

const utf8 = new TextDecoder();

/**
 * A request body's chunks, counted as they are read: past `maxBytes` the next read throws
 * `errors.tooLarge()` (the rest is never read), a read that fails (the client went away) throws
 * `errors.unreadable()`. Shared by the buffered bodies here and the streamed registry upload.
 */
export async function* countedBody(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  errors: { tooLarge: () => AppError; unreadable: () => AppError },
): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let seen = 0;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch {
        throw errors.unreadable();
      }
      if (next.done) return;
      seen += next.value.byteLength;
      if (seen > maxBytes) throw errors.tooLarge();
      yield next.value;
    }
  } finally {
    // Released, not cancelled: cancelling would reset the connection before the answer is
    // written; the server drains what is left (@hono/node-server does, up to 64 MB).
    reader.releaseLock();
  }
}

/** The whole body, or a 413 as soon as it passes the limit (the rest is never read). */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: { bytes: number; setting: string }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const unreadable = () =>
    AppError.keyed('validation_failed', { key: 'upload_unreadable' }, { issues: [fieldIssue('body', 'aborted', { key: 'aborted' })] });
  for await (const chunk of countedBody(stream, limit.bytes, { tooLarge: () => tooLarge(limit), unreadable })) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
