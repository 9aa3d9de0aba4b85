import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import busboy from 'busboy';
import { AppError } from '../errors.ts';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/plain']);

export interface Upload {
  source: AsyncIterable<Uint8Array>;
  filename: string | null;
}

/**
 * The registry file of an upload request, as a byte stream that is never held whole: the body
 * itself (`text/csv`) or the `file` part of a `multipart/form-data` body. Past `maxBytes` the
 * stream fails with 413, which discards the import.
 */
export async function readUpload(request: Request, maxBytes: number): Promise<Upload> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new AppError('invalid_file', 'the request has no body: send the registry CSV');
  if (CSV_TYPES.has(type)) return { source: limited(request.body, maxBytes), filename: null };
  if (type === 'multipart/form-data') return multipartFile(request, maxBytes);
  throw new AppError('unsupported_media_type', 'send the registry as text/csv or as the file field of multipart/form-data', {
    issues: [{ field: 'content-type', code: 'unsupported', message: `expected text/csv or multipart/form-data, got ${type || 'none'}` }],
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the upload is larger than ${maxBytes} bytes (MAX_IMPORT_BYTES)`);
}

async function* limited(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    seen += chunk.byteLength;
    if (seen > maxBytes) throw tooLarge(maxBytes);
    yield chunk;
  }
}

/** Resolves once the `file` part has begun, so its name is known before the import starts. */
function multipartFile(request: Request, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let found = false;
    const parser = busboy({ headers: Object.fromEntries(request.headers), limits: { files: 1 } });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || found) {
        stream.resume();
        return;
      }
      found = true;
      const file = new PassThrough();
      parser.on('error', () => file.destroy(new AppError('invalid_file', 'the multipart body is malformed')));
      stream.on('error', (err) => file.destroy(err));
      stream.pipe(file);
      resolve({ source: limited(file, maxBytes), filename: info.filename ? info.filename.slice(0, 200) : null });
    });
    parser.on('error', () => found || reject(new AppError('invalid_file', 'the multipart body is malformed')));
    parser.on('close', () => found || reject(new AppError('invalid_file', 'the multipart body has no file field named "file"')));
    Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>)
      .on('error', (err) => parser.destroy(err))
      .pipe(parser);
  });
}
