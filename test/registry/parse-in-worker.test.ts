import { describe, expect, it } from 'vitest';
import { CsvFileError } from '../../src/registry/csv.ts';
import { workerParser } from '../../src/registry/parse-in-worker.ts';
import { PER_ROW } from '../../src/registry/repository.ts';
import { inThreadParser, type SealedBatch } from '../../src/registry/seal.ts';
import { createCipher } from '../../src/shared/personal-data.ts';
import { csv, row } from '../helpers/registry-csv.ts';

const KEY = Buffer.alloc(32, 5);
const OPTIONS = { today: '2026-11-26', maxRecordBytes: 65536 };

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function collect(batches: AsyncIterable<SealedBatch>) {
  const out = { fileNumbers: [] as string[], rejected: [] as number[], header: null as string[] | null, ids: [] as string[] };
  const cipher = createCipher(KEY);
  for await (const b of batches) {
    out.header ??= b.header;
    // Staged rows come as one flat list of the stored columns: file_number, id_cipher, id_hash, ...
    const perRow = PER_ROW;
    for (let i = 0; i < b.staged.length; i += perRow) {
      out.fileNumbers.push(b.staged[i] as string);
      out.ids.push(cipher.decrypt(b.staged[i + 1] as string));
    }
    out.rejected.push(...b.rejected.map((r) => r.line));
  }
  return out;
}

describe('parsing on a worker thread', () => {
  const rows = Array.from({ length: 3000 }, (_, i) => row(`3715${String(i).padStart(8, '0')}`, i % 500 === 7 ? { classes: 'Q' } : {}));
  const text = csv(rows);

  it('gives the same rows, rejections and header as parsing in the thread', async () => {
    const inWorker = await collect(workerParser(KEY)(chunked(text, 4096), OPTIONS));
    const inThread = await collect(inThreadParser(createCipher(KEY))(chunked(text, 4096), OPTIONS));
    expect(inWorker).toEqual(inThread);
    expect(inWorker.fileNumbers).toHaveLength(2994);
    expect(inWorker.fileNumbers.slice(0, 2)).toEqual(['371500000000', '371500000001']);
    expect(inWorker.rejected).toEqual([9, 509, 1009, 1509, 2009, 2509]);
    expect(inWorker.header?.[0]).toBe('file_number');
  });

  it('moves whole chunks to the worker and copies views of a shared buffer, which stay intact', async () => {
    const bytes = new TextEncoder().encode(text);
    async function* views(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 5000) yield bytes.subarray(i, i + 5000);
    }
    const owned: Uint8Array[] = [];
    async function* whole(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 5000) {
        const chunk = bytes.slice(i, i + 5000);
        owned.push(chunk);
        yield chunk;
      }
    }
    const fromViews = await collect(workerParser(KEY)(views(), OPTIONS));
    expect(bytes.byteLength).toBe(new TextEncoder().encode(text).byteLength);
    expect(new TextDecoder().decode(bytes)).toBe(text);
    expect(await collect(workerParser(KEY)(whole(), OPTIONS))).toEqual(fromViews);
    expect(owned.every((chunk) => chunk.byteLength === 0)).toBe(true); // moved, not copied
  });

  it('passes a file error back with its line and code', async () => {
    const broken = text + '371599999999,"open\n';
    const error = await collect(workerParser(KEY)(chunked(broken, 1000), OPTIONS)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsvFileError);
    expect(error).toMatchObject({ code: 'unbalanced_quote', line: 3002 });
  });

  it('stops with the error of the source, such as an upload over the limit', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* chunked(text.slice(0, 5000), 1000);
      throw new Error('too large');
    }
    await expect(collect(workerParser(KEY)(failing(), OPTIONS))).rejects.toThrow('too large');
  });
});
