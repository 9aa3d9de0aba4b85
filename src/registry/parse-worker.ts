/**
 * Worker thread of the registry import: parses, validates and seals (the CPU-heavy part) while
 * the main thread writes to SQLite. Protocol in parse-in-worker.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCipher } from '../shared/personal-data.ts';
import { CsvFileError } from './csv.ts';
import { parseRegistry } from './parse-registry.ts';
import { parseOptions, sealBatch } from './seal.ts';
import type { ToMain, ToWorker, WorkerInput } from './parse-in-worker.ts';

const port = parentPort!;
const input = workerData as WorkerInput;
const cipher = createCipher(Buffer.from(input.masterKey));

const chunks: Array<Uint8Array | null> = [];
let credits = 6;
let wake: (() => void) | null = null;

const send = (message: ToMain) => port.postMessage(message);
const waitForMessage = () => new Promise<void>((resolve) => (wake = resolve));

port.on('message', (message: ToWorker) => {
  if (message.t === 'chunk') chunks.push(message.data);
  else if (message.t === 'end') chunks.push(null);
  else credits += 1;
  const w = wake;
  wake = null;
  w?.();
});

async function* source(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (chunks.length === 0) {
      send({ t: 'more' });
      while (chunks.length === 0) await waitForMessage();
    }
    const chunk = chunks.shift()!;
    if (chunk === null) return;
    yield chunk;
  }
}

try {
  for await (const batch of parseRegistry(source(), parseOptions(input.options, cipher))) {
    while (credits === 0) await waitForMessage();
    credits -= 1;
    send({ t: 'batch', batch: sealBatch(batch, cipher) });
  }
  send({ t: 'done' });
} catch (err) {
  if (err instanceof CsvFileError) send({ t: 'fail', error: { kind: 'csv', code: err.code, line: err.line, message: err.message } });
  else send({ t: 'fail', error: { kind: 'other', message: (err as Error).message } });
}
port.close();
