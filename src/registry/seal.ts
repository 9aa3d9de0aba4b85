import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { parseRegistry, type ParseRegistryOptions, type RegistryBatch, type RejectedRow } from './parse-registry.ts';
import { sealStagedRows, stagedRowCount, stagedRows } from './repository.ts';
import type { RowError } from './validate.ts';

/**
 * A parsed batch: valid rows as a flat list of staging values, with the ID number still in the
 * clear, and rejected rows with their cells. `sealBatch` turns it into its stored form at once.
 */
export interface ParsedBatch {
  staged: unknown[];
  stagedCount: number;
  rejected: RejectedRow[];
  warnings: string[];
  header: string[] | null;
}

/** A batch in its stored form: ID numbers and rejected cells encrypted. */
export interface SealedBatch {
  /** Staging values, `StatementBlocks` cuts them into statements. */
  staged: unknown[];
  stagedCount: number;
  rejected: Array<{ line: number; cellsCipher: string; errors: RowError[] }>;
  warnings: string[];
  header: string[] | null;
}

/** Parsed batches with their valid rows laid out as staging values. */
export async function* layOut(batches: AsyncIterable<RegistryBatch>): AsyncGenerator<ParsedBatch> {
  for await (const batch of batches) {
    const staged = stagedRows(batch.valid.map((row) => row.record));
    yield { staged, stagedCount: stagedRowCount(staged), rejected: batch.rejected, warnings: batch.warnings, header: batch.header };
  }
}

/** Seals `batch` (its staging values in place). */
export function sealBatch(batch: ParsedBatch, cipher: PersonalDataCipher): SealedBatch {
  sealStagedRows(batch.staged, cipher);
  return {
    staged: batch.staged,
    stagedCount: batch.stagedCount,
    rejected: batch.rejected.map((r) => ({ line: r.line, cellsCipher: cipher.encrypt(JSON.stringify(r.cells)), errors: r.errors })),
    warnings: batch.warnings,
    header: batch.header,
  };
}

export async function* sealBatches(batches: AsyncIterable<ParsedBatch>, cipher: PersonalDataCipher): AsyncGenerator<SealedBatch> {
  for await (const batch of batches) yield sealBatch(batch, cipher);
}

/**
 * The port through which an import turns bytes into sealed batches: in-thread here; on a worker
 * thread in the Node server (parse-in-worker.ts), so that parsing and sealing overlap the SQLite
 * writes, which are left to the main thread (binding values is its share of the work).
 */
export type RegistryParser = (source: AsyncIterable<Uint8Array>, options: ParseRegistryOptions) => AsyncIterable<SealedBatch>;

export function inThreadParser(cipher: PersonalDataCipher): RegistryParser {
  return (source, options) => sealBatches(layOut(parseRegistry(source, options)), cipher);
}
