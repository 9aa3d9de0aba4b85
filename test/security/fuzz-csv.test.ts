/**
 * Issue 13: property-based fuzzing of the registry's CSV reader (src/registry/csv.ts) and of the
 * registry parse over it (src/registry/parse-registry.ts). Whatever the bytes and however they
 * are cut into chunks: the reader ends (every case is awaited; a hang fails the test on its
 * timeout), it throws nothing but a CsvFileError with a known code, a line and a message that
 * quotes no cell, and a file it accepts is read exactly as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_FILE_ERROR_CODES, CsvFileError, readCsv, type CsvRecord } from '../../src/registry/csv.ts';
import { parseRegistry, type RegistryBatch } from '../../src/registry/parse-registry.ts';
import { HEADER, row } from '../helpers/registry-csv.ts';

/** A cell marker: no error message may ever contain it (messages name lines, never cells). */
const SECRET = '秘密';
const enc = new TextEncoder();

type Outcome = { records: Array<[number, string[]]> } | { error: { code: string; line: number } };

/** Feeds `bytes` cut at the given offsets (sorted, deduplicated), as an upload arrives. */
async function* cutAt(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const at of [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b)) {
    if (at > from) yield bytes.slice(from, at);
    from = Math.max(from, at);
  }
  if (from < bytes.length) yield bytes.slice(from);
}

/** Reads to the end; anything thrown but a CsvFileError fails the property. */
async function outcome(source: AsyncIterable<Uint8Array>, maxRecordBytes: number): Promise<Outcome> {
  const records: CsvRecord[] = [];
  try {
    for await (const batch of readCsv(source, { maxRecordBytes })) {
      expect(batch.length).toBeGreaterThan(0);
      records.push(...batch);
    }
  } catch (err) {
    expectFileError(err);
    return { error: { code: (err as CsvFileError).code, line: (err as CsvFileError).line } };
  }
  return { records: records.map((r) => [r.line, r.cells]) };
}

function expectFileError(err: unknown): asserts err is CsvFileError {
  if (!(err instanceof CsvFileError)) throw new Error(`not a CsvFileError: ${String(err)}`, { cause: err });
  expect(CSV_FILE_ERROR_CODES).toContain(err.code);
  expect(Number.isInteger(err.line) && err.line >= 1).toBe(true);
  expect(err.message).toMatch(/^Line \d+: /);
  expect(err.message).not.toContain(SECRET);
}

const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 12 });

// Bytes that matter to a CSV reader, mixed with anything at all.
const csvByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x2c, 0x22, 0x0a, 0x0d, 0x61, 0x31, 0x20) },
  { weight: 1, arbitrary: fc.constantFrom(0xef, 0xbb, 0xbf, 0xe4, 0xb8, 0xad, 0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xff, 0x00) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.array(csvByte, { maxLength: 2048 }).map((b) => Uint8Array.from(b)),
  fc.string({ unit: fc.constantFrom('a', ',', ' ', '中', '\n', '"'), maxLength: 400 }).map((s) => enc.encode(s)),
  // Plain lines, some longer than a small record limit.
  fc.array(fc.string({ unit: fc.constantFrom('a', ',', ' ', '中'), maxLength: 40 }), { maxLength: 8 }).map((lines) => enc.encode(lines.join('\n'))),
);

// A cell as a careless or hostile exporter might write it.
const cellChar = fc.constantFrom(',', '"', '\n', '\r', ' ', '\t', 'a', '1', '中', '😀', '=', "'", '\uFEFF', '\u0000', SECRET);
const cell = fc.oneof(fc.string({ unit: cellChar, maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }));
const rows = fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });
const quoted = (c: string) => `"${c.replaceAll('"', '""')}"`;

describe('the CSV reader under fuzzing', () => {
  it('reads any bytes, however chunked, to records or a CsvFileError, the same for every chunking', async () => {
    const codes = new Set<string>();
    let read = 0;
    await fc.assert(
      fc.asyncProperty(anyBytes, cuts, cuts, fc.constantFrom(16, 256, 1 << 20), async (bytes, a, b, maxRecordBytes) => {
        const first = await outcome(cutAt(bytes, a), maxRecordBytes);
        const second = await outcome(cutAt(bytes, b), maxRecordBytes);
        // Accepted or rejected alike, and an accepted file read alike. (Which of two faults is
        // named may depend on the cut: an invalid byte later in the same 64 KB piece is found
        // before a quote fault earlier in it; the file is rejected either way.)
        expect('error' in second).toBe('error' in first);
        if ('records' in first) expect(second).toEqual(first);
        if ('error' in first) codes.add(first.error.code);
        else read++;
      }),
      { numRuns: 1500 },
    );
    expect(read).toBeGreaterThan(50);
    for (const code of ['empty_file', 'not_utf8', 'record_too_large', 'unbalanced_quote']) expect(codes).toContain(code);
  });

  it('reads back exactly what a writer quoting every cell wrote, with LF or CRLF, cut anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.constantFrom('\n', '\r\n'), fc.boolean(), cuts, async (written, eol, finalEol, at) => {
        const text = written.map((r) => r.map(quoted).join(',')).join(eol) + (finalEol ? eol : '');
        const read = await outcome(cutAt(enc.encode(text), at), 1 << 20);
        expect(read).toEqual({ records: written.map((cells, i) => [lineOf(written, i), cells]) });
      }),
      { numRuns: 1000 },
    );
  });

  it('turns structured CSV-ish text (stray quotes, ragged rows, bare CRs) into records or a file error', async () => {
    const sloppy = fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }).map((r) => r.join(',')), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(sloppy, fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), cuts, fc.constantFrom(16, 4096), async (lines, eol, bom, at, max) => {
        const text = (bom ? '\uFEFF' : '') + lines.join(eol);
        const result = await outcome(cutAt(enc.encode(text), at), max);
        if ('records' in result) for (const [, cells] of result.records) for (const c of cells) expect(enc.encode(c).length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 1500 },
    );
  });
});

/** Line on which record i starts: 1 + the line breaks (LF) inside the records before it. */
function lineOf(written: string[][], i: number): number {
  let line = 1;
  for (const r of written.slice(0, i)) line += 1 + r.join('').split('\n').length - 1;
  return line;
}

// --- the registry parse -------------------------------------------------------------------------

const today = '2026-11-26';
/** Mostly a good value (the helper's synthetic row), sometimes a bad or hostile one. */
const sometimes = (bad: fc.Arbitrary<string>) => fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bad });
const overrides = fc.record({
  file_number: sometimes(fc.oneof(fc.stringMatching(/^\d{12}$/), cell)),
  id_number: sometimes(fc.oneof(fc.constantFrom('110105194912310021', '37150219560310001x', ''), cell)),
  classes: sometimes(fc.oneof(fc.constantFrom('A2 D', 'B2', 'C1 Z', 'c1', ''), cell)),
  first_issued_on: sometimes(fc.oneof(fc.constantFrom('2027-01-01', '1990-02-30', '19900520', ''), cell)),
  valid_until: sometimes(fc.oneof(fc.constantFrom('2020-01-01', ''), cell)),
  lat: sometimes(fc.oneof(fc.constantFrom('-91', 'NaN', '1e308', ''), cell)),
  phone: sometimes(fc.oneof(fc.constantFrom('+86 138 0000 0001', '12345', ''), cell)),
  name: sometimes(cell),
});
const registryRow = fc.tuple(fc.stringMatching(/^\d{12}$/), overrides).map(([fileNumber, over]) => {
  const good = row(fileNumber);
  return HEADER.map((h, i) => (over as Record<string, string | undefined>)[h] ?? good[i]!);
});
const header = fc.oneof(
  { weight: 4, arbitrary: fc.constant([...HEADER] as string[]) },
  { weight: 1, arbitrary: fc.shuffledSubarray([...HEADER, 'extra', 'file_number', '备注'], { minLength: 1 }) },
);

describe('the registry parse under fuzzing', () => {
  it('gives each data row one verdict (stored or rejected with its errors) or rejects the file with a CsvFileError', async () => {
    const seen = { fileErrors: 0, valid: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(header, fc.array(registryRow, { maxLength: 10 }), fc.integer({ min: 0, max: 7 }).map((n) => n === 0), cuts, async (head, body, ragged, at) => {
        const lines = [head, ...body.map((r) => (ragged && r.length > 1 ? r.slice(1) : r))];
        const text = lines.map((r) => r.map(quoted).join(',')).join('\n') + '\n';
        let rows = 0;
        try {
          for await (const batch of parseRegistry(cutAt(enc.encode(text), at), { today, maxRecordBytes: 1 << 16 })) {
            rows += checkBatch(batch);
            seen.valid += batch.valid.length;
            seen.rejected += batch.rejected.length;
          }
        } catch (err) {
          expectFileError(err);
          seen.fileErrors++;
          return;
        }
        expect(rows).toBe(body.length);
      }),
      { numRuns: 1000 },
    );
    // The cases reach every outcome, not only the first file error.
    expect(Math.min(seen.fileErrors, seen.valid, seen.rejected)).toBeGreaterThan(50);
  });
});

function checkBatch(batch: RegistryBatch): number {
  for (const r of batch.rejected) {
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) {
      expect(e.line).toBe(r.line);
      expect(typeof e.field === 'string' && typeof e.code === 'string').toBe(true);
      expect(e.message).not.toContain(SECRET);
    }
  }
  for (const w of batch.warnings) expect(w).not.toContain(SECRET);
  return batch.valid.length + batch.rejected.length;
}
