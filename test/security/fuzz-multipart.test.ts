/**
 * Issue 13: property-based fuzzing of the registry upload's multipart body, through app.request()
 * on one app over one SQLite file (each case meets the state the earlier ones left). Random
 * boundaries, parts, names, headers, truncations, chunkings and byte mutations: never a 5xx,
 * never an error outside the request; a well-formed upload is imported (201), anything else is a
 * 400 or 413 that stores nothing; a normal import still works afterwards.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULTIPART_LIMITS } from '../../src/http/body-limits.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { multipart, normalImportWorks, registryState, type Part } from './helpers.ts';

let t: TestApp;
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

beforeAll(async () => {
  t = await createTestApp();
  // Durability is not what this file tests: no fsync per commit, so thousands of cases stay fast.
  await sql`PRAGMA synchronous = OFF`.execute(t.deps.db);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(async () => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  await t.cleanup();
});

const enc = new TextEncoder();

/** What the database holds that a rejected upload must not have changed. */
const stored = () => registryState(t.deps.db);

interface Sent {
  body: Uint8Array;
  contentType: string;
  /** Chunk sizes to deliver the body in without a Content-Length; empty: all at once. */
  chunks: number[];
}

function send(s: Sent): Promise<Response> {
  const headers = { 'content-type': s.contentType, authorization: `Bearer ${t.tokens.admin}` };
  if (s.chunks.length === 0) return Promise.resolve(t.app.request('/api/registry/imports', { method: 'POST', headers, body: s.body }));
  let at = 0;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= s.body.length) return controller.close();
      const size = Math.max(1, s.chunks[i++ % s.chunks.length]!);
      controller.enqueue(s.body.slice(at, at + size));
      at += size;
    },
  });
  return Promise.resolve(t.app.request('/api/registry/imports', { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit));
}

/**
 * Sends one case and checks the outcome: never 5xx; `expected` 201 must be 201; anything but 201
 * is 400/413/415 with our error shape and leaves the registry as it was.
 */
async function check(s: Sent, expected: 'accept' | 'reject' | 'either'): Promise<number> {
  const before = await stored();
  const res = await send(s);
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (expected === 'accept') expect(res.status, text).toBe(201);
  if (expected === 'reject') expect(res.status, text).not.toBe(201);
  if (res.status !== 201) {
    expect([400, 413, 415], text).toContain(res.status);
    expect(JSON.parse(text).error.code).toMatch(/^(invalid_file|payload_too_large|unsupported_media_type|validation_failed)$/);
    const after = await stored();
    expect(after).toEqual(before);
    expect(after.stagingTables + after.runningImports).toBe(0);
  }
  expect(escaped).toEqual([]);
  return res.status;
}

/**
 * A case that hangs fails as itself, with fast-check's seed and counterexample to replay it,
 * instead of the whole property running into vitest's timeout (a case takes milliseconds).
 */
const CASE_TIMEOUT_MS = 10_000;

// --- arbitraries ----------------------------------------------------------------------------------

const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
// RFC 2046: 1-70 characters, spaces allowed but not last. Always quoted in the header.
const boundary = fc
  .tuple(fc.string({ unit: fc.constantFrom(...BCHARS, ' '), minLength: 0, maxLength: 69 }), fc.constantFrom(...BCHARS))
  .map(([head, last]) => head + last);

let serial = 0;
const fileNumber = () => `37159${String(++serial).padStart(7, '0')}`;

type PartKind = 'file' | 'field' | 'wrongFile' | 'plainFile' | 'bigField' | 'noDisposition' | 'hugeHeader' | 'octetField';
const partKind = fc.oneof(
  { weight: 6, arbitrary: fc.constant<PartKind>('field') },
  { weight: 1, arbitrary: fc.constantFrom<PartKind>('wrongFile', 'plainFile', 'bigField', 'noDisposition', 'hugeHeader', 'octetField') },
);
const fieldName = fc.oneof(fc.constantFrom('note', '_csrf', 'filename', 'File', 'file ', ''), fc.stringMatching(/^[a-z]{1,12}$/), fc.string({ unit: 'grapheme', maxLength: 6 }));
const fieldValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
// Never empty: busboy takes `filename=""` for no filename (the part is then a plain field).
const filename = fc.oneof(
  fc.constantFrom('registry.csv', '驾驶人.csv', 'a\\b/c.csv', 'C:\\导出\\名册.csv'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => `${s.replace(/["\\]/g, '')}.csv`),
);

interface Plan {
  boundary: string;
  hasFile: boolean;
  filePosition: number;
  others: Array<{ kind: PartKind; name: string; value: string }>;
  filename: string;
  preamble: boolean;
  /** Fraction of the body kept, or null for the whole body. */
  cut: number | null;
  chunks: number[];
}

const plan: fc.Arbitrary<Plan> = fc.record({
  boundary,
  hasFile: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  filePosition: fc.nat({ max: 20 }),
  others: fc.array(fc.record({ kind: partKind, name: fieldName, value: fieldValue }), { maxLength: MULTIPART_LIMITS.fields + 3 }),
  filename,
  preamble: fc.boolean(),
  cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { freq: 3 }),
  chunks: fc.oneof(fc.constant<number[]>([]), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 })),
});

function partOf(kind: PartKind, name: string, value: string): Part {
  const safeName = name.replaceAll('"', '').replace(/\r|\n/g, '');
  switch (kind) {
    case 'field':
      return { name: safeName === 'file' ? 'note' : safeName, body: value };
    case 'wrongFile':
      return { name: safeName === 'file' ? 'other' : safeName, filename: 'x.csv', type: 'text/csv', body: 'a,b\n' };
    case 'plainFile':
      return { name: 'file', body: csv([row(fileNumber())]) };
    case 'bigField':
      return { name: 'note', body: 'x'.repeat(MULTIPART_LIMITS.fieldSize + 1 + value.length) };
    case 'noDisposition':
      return { noDisposition: true, type: 'text/plain', body: value };
    case 'hugeHeader':
      return { name: 'note', headers: [`X-Pad: ${'h'.repeat(17 << 10)}`], body: value };
    case 'octetField':
      return { name: safeName === 'file' ? 'blob' : safeName, type: 'application/octet-stream', body: value };
    default:
      return { name: 'file', filename: 'registry.csv', body: '' };
  }
}

/** The body of a plan, and whether a correct server must import it. */
function build(p: Plan): { sent: Sent; acceptable: boolean } {
  const parts: Part[] = p.others.map((o) => partOf(o.kind, o.name, o.value));
  if (p.hasFile) parts.splice(Math.min(p.filePosition, parts.length), 0, { name: 'file', filename: p.filename, type: 'text/csv', body: csv([row(fileNumber())]) });
  let whole = multipart(parts, p.boundary);
  if (p.preamble) whole = Buffer.concat([enc.encode('This is a preamble, which readers ignore.\r\n'), whole]);
  const closeEnd = whole.length - 2; // just after "--boundary--"; the final CRLF is optional
  const kept = p.cut === null ? whole.length : Math.floor(p.cut * whole.length);
  const body = whole.subarray(0, kept);
  const fields = parts.filter((pt) => pt.filename === undefined && pt.type !== 'application/octet-stream' && !pt.noDisposition);
  const acceptable =
    p.hasFile &&
    kept >= closeEnd &&
    p.others.every((o) => o.kind === 'field' || o.kind === 'noDisposition') &&
    fields.length <= MULTIPART_LIMITS.fields &&
    parts.length <= MULTIPART_LIMITS.parts;
  return { sent: { body, contentType: `multipart/form-data; boundary="${p.boundary}"`, chunks: p.chunks }, acceptable };
}

describe('the multipart upload under fuzzing', () => {
  it('imports a well-formed upload and rejects anything else with 400/413, storing nothing', async () => {
    const outcomes = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const { sent, acceptable } = build(p);
        const status = await check(sent, acceptable ? 'accept' : 'reject');
        outcomes[status === 201 ? 'accepted' : 'rejected']++;
      }),
      { numRuns: 1200, timeout: CASE_TIMEOUT_MS },
    );
    expect(Math.min(outcomes.accepted, outcomes.rejected)).toBeGreaterThan(150);
    expect(await normalImportWorks(t)).toBe(true);
  }, 60_000);

  it('survives any byte mutation of a valid upload: never 5xx, nothing stored when rejected', async () => {
    const B = 'fuzzBoundary';
    const valid = multipart([{ name: 'note', body: '备注' }, { name: 'file', filename: 'r.csv', type: 'text/csv', body: csv([row('371580000001'), row('371580000002')]) }], B);
    const edit = fc.record({ at: fc.nat({ max: valid.length - 1 }), kind: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'dashes'), byte: fc.integer({ min: 0, max: 255 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.oneof(fc.constant<number[]>([]), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 })), async (edits, chunks) => {
        let bytes = Buffer.from(valid);
        for (const e of edits) {
          const at = Math.min(e.at, bytes.length);
          const piece = e.kind === 'flip' || e.kind === 'insert' ? Buffer.from([e.byte]) : e.kind === 'crlf' ? Buffer.from('\r\n') : e.kind === 'dashes' ? Buffer.from(`\r\n--${B}`) : Buffer.alloc(0);
          const skip = e.kind === 'flip' || e.kind === 'delete' ? 1 : 0;
          bytes = Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at + skip)]);
        }
        await check({ body: bytes, contentType: `multipart/form-data; boundary=${B}`, chunks }, 'either');
      }),
      { numRuns: 800, timeout: CASE_TIMEOUT_MS },
    );
    expect(await normalImportWorks(t, '371500000902')).toBe(true);
  }, 60_000);

  it('answers odd content types and boundaries with 4xx, never 5xx', async () => {
    const body = multipart([{ name: 'file', filename: 'r.csv', body: csv([row('371580000003')]) }], 'abc');
    const type = fc.oneof(
      fc.constantFrom(
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=""',
        'multipart/form-data; boundary=abc; boundary=xyz',
        'Multipart/Form-Data; BOUNDARY=abc',
        'multipart/form-data; boundary="abc',
        'multipart/form-data; charset=gbk; boundary=abc',
        'multipart/mixed; boundary=abc',
        'multipart/form-data; boundary=' + 'a'.repeat(71),
        'multipart/form-data;;;; boundary=abc',
        'multipart/form-data; boundary=abc\u00e9',
        'text/csv; charset=gbk',
        'application/json',
        '',
      ),
      fc.string({ maxLength: 60 }).map((s) => `multipart/form-data; ${s.replace(/[\r\n]/g, '')}`),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    );
    await fc.assert(
      fc.asyncProperty(type, async (contentType) => {
        let ok = true;
        try {
          new Headers({ 'content-type': contentType });
        } catch {
          ok = false; // not sendable as a header at all
        }
        fc.pre(ok);
        await check({ body, contentType, chunks: [] }, 'either');
      }),
      { numRuns: 500, timeout: CASE_TIMEOUT_MS },
    );
    expect(await normalImportWorks(t, '371500000903')).toBe(true);
  }, 60_000);
});
