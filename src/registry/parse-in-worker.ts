import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CsvFileError, type CsvFileErrorCode } from './csv.ts';
import type { RegistryParser, RegistryParserOptions, SealedBatch } from './seal.ts';

export interface WorkerInput {
  masterKey: Uint8Array;
  options: RegistryParserOptions;
}

export type ToWorker = { t: 'chunk'; data: Uint8Array } | { t: 'end' } | { t: 'credit' };
export type ToMain =
  | { t: 'more' }
  | { t: 'batch'; batch: SealedBatch }
  | { t: 'done' }
  | { t: 'fail'; error: { kind: 'csv'; code: CsvFileErrorCode; line: number; message: string } | { kind: 'other'; message: string } };

type Event = ToMain | { t: 'source-error'; error: unknown };

// Built, the worker is a bundle beside the program's (dist/parse-worker.js, scripts/build.mjs).
// Run from the TypeScript sources (tests, `npm run dev`), the worker's sources are bundled by
// esbuild once per process into a temporary file: a worker does not inherit the main thread's
// module hooks on Node 20, and loading tsx in every worker cost about 1 s of CPU per import.
let sourceBundle: Promise<URL> | undefined;

function workerUrl(): Promise<URL> {
  if (import.meta.url.endsWith('.js')) return Promise.resolve(new URL('./parse-worker.js', import.meta.url));
  return (sourceBundle ??= bundleFromSources());
}

async function bundleFromSources(): Promise<URL> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'sdc-parse-worker-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'parse-worker.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('./parse-worker.ts', import.meta.url))], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  return pathToFileURL(outfile);
}

/**
 * parseRegistry + sealing on a worker thread: the main thread feeds it the upload's chunks when
 * it asks for more and takes sealed batches, at most six ahead of the consumer (backpressure both
 * ways, so neither the file nor the batches pile up in memory).
 */
export async function* parseInWorker(
  source: AsyncIterable<Uint8Array>,
  input: WorkerInput,
): AsyncGenerator<SealedBatch> {
  // Bounded heap: the worker holds at most a few batches; it must not grow the process past its
  // budget. A young generation of 48 MB (16 MB before) took the worker's garbage collection for a
  // million rows from about 4 s to under 2 s, for some 40 MB of peak RSS.
  // The known rows' arrays move to the worker, not copied (16 bytes a slot).
  const transferList = input.options.known ? [input.options.known.keys.buffer, input.options.known.values.buffer] : [];
  const worker = new Worker(await workerUrl(), {
    workerData: input,
    transferList: transferList as ArrayBuffer[],
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 48 },
  });
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (event: Event) => {
    events.push(event);
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', push);
  worker.on('error', (err) => push({ t: 'fail', error: { kind: 'other', message: err.message } }));
  worker.on('exit', (code) => push({ t: 'fail', error: { kind: 'other', message: `parser worker exited (${code})` } }));
  const chunks = source[Symbol.asyncIterator]();
  const feed = async () => {
    try {
      const next = await chunks.next();
      if (next.done) worker.postMessage({ t: 'end' } satisfies ToWorker);
      else worker.postMessage({ t: 'chunk', data: next.value } satisfies ToWorker, ownedBuffer(next.value));
    } catch (error) {
      push({ t: 'source-error', error });
    }
  };
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const event = events.shift()!;
      if (event.t === 'more') void feed();
      else if (event.t === 'batch') {
        yield event.batch;
        worker.postMessage({ t: 'credit' } satisfies ToWorker);
      } else if (event.t === 'done') return;
      else if (event.t === 'source-error') throw event.error;
      else throw rebuild(event.error);
    }
  } finally {
    await chunks.return?.();
    await worker.terminate();
  }
}

/**
 * The chunk's buffer, to move to the worker instead of copying it, when the chunk is all of it
 * (a file stream's full read): the copy would otherwise wait for this thread's next garbage
 * collection, tens of megabytes of them during a large import. A view into a shared pool is copied.
 */
function ownedBuffer(chunk: Uint8Array): ArrayBuffer[] {
  const buffer = chunk.buffer;
  return buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength ? [buffer] : [];
}

function rebuild(error: Extract<ToMain, { t: 'fail' }>['error']): Error {
  if (error.kind === 'other') return new Error(error.message);
  const rebuilt = new CsvFileError(error.code, error.line, '');
  rebuilt.message = error.message;
  return rebuilt;
}

export function workerParser(masterKey: Uint8Array): RegistryParser {
  return Object.assign((source: AsyncIterable<Uint8Array>, options: RegistryParserOptions) => parseInWorker(source, { masterKey, options }), { knownRows: true });
}
