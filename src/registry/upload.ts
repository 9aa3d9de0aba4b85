import busboy, { type Busboy, type FileInfo, type FieldInfo } from 'busboy';
import type { Readable } from 'node:stream';
import { AppError, fieldIssue, type FieldIssue } from '../errors.ts';
import type { MessageRef } from '../i18n/messages.ts';
import { countedBody, MULTIPART_LIMITS } from '../http/body-limits.ts';
import type { AppDeps } from '../http/env.ts';
import { queueImport, unqueueImport } from './repository.ts';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);

export interface Upload {
  source: AsyncIterable<Uint8Array>;
  filename: string | null;
}

/**
 * A raw CSV body of a declared size from `minBytes` up to `maxBytes`: what may be handed off
 * as it is (ImportHandoff). Multipart uploads (the console's form without its script) are read in the request.
 */
export function handOffBody(request: Request, minBytes: number, maxBytes: number): { body: ReadableStream<Uint8Array>; bytes: number } | null {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const bytes = Number(request.headers.get('content-length') ?? NaN);
  if (!CSV_TYPES.has(type) || !request.body || !(bytes >= minBytes && bytes <= maxBytes)) return null;
  return { body: request.body, bytes };
}

/**
 * A large raw CSV body on a runtime that hands uploads off (a Worker: R2 and its queue, issue 17):
 * recorded as queued, then handed over; its import id, or null when the body is read in the
 * request (no hand-off, a small or a multipart body). The API's and the console's upload alike.
 */
export async function handOffImport(deps: AppDeps, request: Request, job: { staffId: string; filename: string | null }): Promise<string | null> {
  const handoff = deps.importHandoff;
  const body = handoff ? handOffBody(request, handoff.minBytes, deps.config.MAX_IMPORT_BYTES) : null;
  if (!handoff || !body) return null;
  const importId = deps.ids.next();
  // On record before the upload is handed over: from the answer on, its address shows it.
  await deps.atomic([queueImport(deps.db, { importId, staffId: job.staffId, filename: job.filename, bytes: body.bytes, at: deps.clock.now().toISOString() })]);
  try {
    await handoff.hand(body, { importId, ...job });
  } catch (err) {
    await deps.atomic([unqueueImport(deps.db, importId)]).catch(() => undefined);
    throw err;
  }
  return importId;
}

/**
 * The file's name as the console's upload script sends it with a raw CSV body (`X-Filename`,
 * URL-encoded): shown in the history; anything unreadable, or over 200 characters, is no name.
 */
export function sentFilename(request: Request): string | null {
  const raw = request.headers.get('x-filename');
  if (!raw) return null;
  try {
    const name = decodeURIComponent(raw).replace(/[\u0000-\u001f\u007f]/g, '').trim();
    return name.length > 0 && name.length <= 200 ? name : null;
  } catch {
    return null;
  }
}

/**
 * The registry file of an upload request, as a byte stream that is never held whole: the body
 * itself (`text/csv`) or the `file` part of a `multipart/form-data` body.
 *
 * Every byte of the body counts against `maxBytes` (MAX_IMPORT_BYTES): for multipart that is the
 * sum of all parts with their headers, whether or not the body declares a Content-Length. Every
 * failure of the body (too large, truncated, malformed, a client that went away) reaches the
 * reader of `source` as an AppError at its next read, and nothing else: no stream here ever
 * emits an 'error' event without a listener, so no upload can throw outside the request.
 */
export async function readUpload(request: Request, maxBytes: number): Promise<Upload> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw invalid('body', 'missing', { key: 'upload_no_body' });
  if (CSV_TYPES.has(type)) return { source: counted(request.body, maxBytes), filename: null };
  if (type === 'multipart/form-data') return multipartFile(request, request.body, maxBytes);
  throw AppError.keyed('unsupported_media_type', { key: 'upload_unsupported_type' }, {
    issues: [fieldIssue('content-type', 'unsupported', { key: 'unsupported_type', params: { type: type || 'none' } })],
  });
}

function tooLarge(maxBytes: number, field = 'body'): AppError {
  return AppError.keyed('payload_too_large', { key: 'upload_too_large', params: { bytes: maxBytes } }, {
    issues: [fieldIssue(field, 'too_large', { key: 'too_large', params: { bytes: maxBytes } })],
  });
}

/** A 400 naming the part (or header) and the reason; busboy's messages are fixed texts, no data. */
function invalid(field: string, code: string, text: MessageRef): AppError {
  const issue: FieldIssue = fieldIssue(field, code, text);
  return AppError.keyed('invalid_file', { key: 'invalid_upload', params: { summary: `${field}: ${issue.message}` } }, { issues: [issue] });
}

const unreadable = () => invalid('body', 'aborted', { key: 'upload_unreadable' });

/** The raw body, counted against MAX_IMPORT_BYTES; a read error (the client went away) becomes a 400. */
function counted(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  return countedBody(body, maxBytes, { tooLarge: () => tooLarge(maxBytes), unreadable });
}

/**
 * The `file` part of a multipart body. Resolves once that part has begun (so its name is known
 * before the import starts); fails before that with the body's first problem. The file's bytes
 * end only when the whole body has been parsed to its closing boundary: a truncated body, a
 * second file or an oversized field after the file still fails the import.
 */
function multipartFile(request: Request, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let parser: Busboy;
    try {
      parser = busboy({
        headers: Object.fromEntries(request.headers),
        // busboy signals partsLimit when the count reaches its limit, at the boundary that
        // closes the last allowed part: one more than we accept, so that `parts` parts pass.
        limits: { ...MULTIPART_LIMITS, parts: MULTIPART_LIMITS.parts + 1 },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      const issue = busboyIssue(err);
      reject(invalid('content-type', issue.code, issue.text));
      return;
    }
    const file = new FileQueue(() => stop());
    let started = false;
    let failure: AppError | null = null;
    const fail = (error: AppError) => {
      if (failure) return;
      failure = error;
      if (started) file.fail(error);
      else reject(error);
      stop();
    };
    const stop = () => {
      feeder.stop();
      parser.destroy();
    };

    parser.on('file', (name: string | undefined, stream: Readable, info: FileInfo) => {
      stream.on('error', (err) => {
        const issue = busboyIssue(err);
        fail(invalid(partName(name), issue.code, issue.text));
      });
      if (name !== 'file') {
        stream.resume();
        fail(invalid(partName(name), 'unexpected_part', { key: 'upload_unexpected_part' }));
        return;
      }
      started = true;
      file.attach(stream);
      resolve({ source: file.chunks(), filename: cleanFilename(info.filename) });
    });
    parser.on('field', (name: string | undefined, _value: string, info: FieldInfo) => {
      const problem = fieldProblem(name, info);
      if (problem) fail(problem);
    });
    parser.on('partsLimit', () => fail(invalid('body', 'too_many_parts', { key: 'upload_too_many_parts', params: { max: MULTIPART_LIMITS.parts } })));
    parser.on('filesLimit', () => fail(invalid('file', 'too_many_files', { key: 'upload_too_many_files' })));
    parser.on('fieldsLimit', () => fail(invalid('body', 'too_many_fields', { key: 'upload_too_many_fields', params: { max: MULTIPART_LIMITS.fields } })));
    parser.on('error', (err) => {
      const issue = busboyIssue(err);
      fail(invalid(started ? 'file' : 'body', issue.code, issue.text));
    });
    parser.on('close', () => {
      if (failure) return;
      if (!started) fail(invalid('file', 'missing', { key: 'upload_no_file' }));
      else file.end();
    });
    const feeder = new BodyFeeder(body, parser, maxBytes, fail);
    void feeder.run();
  });
}

/** What is wrong with a form field beside the file, if anything (its value is ignored). */
function fieldProblem(name: string | undefined, info: FieldInfo): AppError | null {
  // busboy takes a part for a file only with a filename (or application/octet-stream).
  if (name === 'file') return invalid('file', 'not_a_file', { key: 'upload_not_a_file' });
  if (info.nameTruncated) return invalid('part name', 'too_long', { key: 'upload_long_part_name', params: { max: MULTIPART_LIMITS.fieldNameSize } });
  if (!info.valueTruncated) return null;
  const field = partName(name);
  return AppError.keyed('payload_too_large', { key: 'upload_field_too_large', params: { field, bytes: MULTIPART_LIMITS.fieldSize } }, {
    issues: [fieldIssue(field, 'too_large', { key: 'field_too_large', params: { bytes: MULTIPART_LIMITS.fieldSize } })],
  });
}

/**
 * A part's name for an error message. The client chose it, and messages are logged: only a
 * form-field identifier is repeated (never a name or number someone typed there), never a value.
 */
const partName = (name: string | undefined) => (name && /^(?!.*\d{5})[A-Za-z_][\w.[\]-]{0,31}$/.test(name) ? name : '(a part)');

function cleanFilename(name: string | undefined): string | null {
  // A name only, for the import list: no path, no control characters, bounded.
  const base = (name ?? '').split(/[\\/]/).pop()!.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  return base ? base.slice(0, 200) : null;
}

/** busboy's error as our issue; its messages are fixed texts, but ours say what to fix. */
function busboyIssue(err: unknown): { code: string; text: MessageRef } {
  const text = err instanceof Error ? err.message : '';
  if (/unexpected end of (form|file)/i.test(text)) return { code: 'truncated', text: { key: 'multipart_truncated' } };
  if (/boundary not found/i.test(text)) return { code: 'no_boundary', text: { key: 'multipart_no_boundary' } };
  if (/malformed part header/i.test(text)) return { code: 'malformed', text: { key: 'multipart_bad_header' } };
  return { code: 'malformed', text: { key: 'multipart_malformed' } };
}

/**
 * Reads the request body into busboy with backpressure, counting every byte. Never throws: every
 * problem goes to `fail`.
 */
class BodyFeeder {
  #stopped = false;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    body: ReadableStream<Uint8Array>,
    readonly parser: Busboy,
    readonly maxBytes: number,
    readonly fail: (error: AppError) => void,
  ) {
    this.#reader = body.getReader();
  }

  stop(): void {
    this.#stopped = true;
  }

  async run(): Promise<void> {
    let seen = 0;
    try {
      for (;;) {
        const next = await this.#reader.read();
        if (this.#stopped) return;
        if (next.done) break;
        seen += next.value.byteLength;
        if (seen > this.maxBytes) return this.fail(tooLarge(this.maxBytes));
        if (!this.parser.write(next.value)) await this.#drained();
        if (this.#stopped) return;
      }
      this.parser.end();
    } catch {
      if (!this.#stopped) this.fail(unreadable());
    } finally {
      this.#reader.releaseLock(); // not cancelled: see countedBody()
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.parser.off('drain', done).off('close', done);
        resolve();
      };
      this.parser.on('drain', done).on('close', done);
    });
  }
}

/** Most bytes of the file held here while the import is busy elsewhere; then busboy waits. */
const QUEUE_HIGH_BYTES = 1 << 20;

/**
 * The file part's bytes as a pull stream whose failure is a value, not an event: chunks are
 * queued (pausing busboy's file stream past QUEUE_HIGH_BYTES) and the first failure is thrown to
 * the reader at its next read, however late it comes.
 */
class FileQueue {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #ended = false;
  #failure: AppError | null = null;
  #wake: (() => void) | null = null;
  #stream: Readable | null = null;

  constructor(readonly onAbandon: () => void) {}

  attach(stream: Readable): void {
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#bytes += chunk.byteLength;
      if (this.#bytes > QUEUE_HIGH_BYTES) stream.pause();
      this.#notify();
    });
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: AppError): void {
    this.#failure ??= error;
    this.#notify();
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      for (;;) {
        if (this.#failure) throw this.#failure;
        const chunk = this.#chunks.shift();
        if (chunk) {
          this.#bytes -= chunk.byteLength;
          if (this.#bytes <= QUEUE_HIGH_BYTES / 2) this.#stream?.resume();
          yield chunk;
        } else if (this.#ended) {
          finished = true;
          return;
        } else await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // The reader stopped early (a file error, or it failed itself): stop parsing the body.
      if (!finished) this.onAbandon();
      this.#chunks = [];
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
