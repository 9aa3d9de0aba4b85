import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { parseRegistry, type ParseRegistryOptions, type RegistryBatch } from './parse-registry.ts';
import { stagedRows } from './repository.ts';
import type { RowError } from './validate.ts';

/** A parsed batch in its stored form: ID numbers and rejected cells encrypted. */
export interface SealedBatch {
  /** The valid rows as a flat list of staging values (`StatementBlocks` cuts it into statements). */
  staged: unknown[];
  stagedCount: number;
  rejected: Array<{ line: number; cellsCipher: string; errors: RowError[] }>;
  warnings: string[];
  header: string[] | null;
}

export function sealBatch(batch: RegistryBatch, cipher: PersonalDataCipher): SealedBatch {
  return {
    staged: stagedRows(batch.valid.map((row) => row.record), cipher),
    stagedCount: batch.valid.length,
    rejected: batch.rejected.map((r) => ({ line: r.line, cellsCipher: cipher.encrypt(JSON.stringify(r.cells)), errors: r.errors })),
    warnings: batch.warnings,
    header: batch.header,
  };
}

export async function* sealBatches(batches: AsyncIterable<RegistryBatch>, cipher: PersonalDataCipher): AsyncGenerator<SealedBatch> {
  for await (const batch of batches) yield sealBatch(batch, cipher);
}

/**
 * The port through which an import turns bytes into sealed batches: in-thread here; on a worker
 * thread in the Node server (parse-in-worker.ts), so that parsing and sealing overlap the SQLite
 * writes, which are left to the main thread (binding values is its share of the work).
 */
export type RegistryParser = (source: AsyncIterable<Uint8Array>, options: ParseRegistryOptions) => AsyncIterable<SealedBatch>;

export function inThreadParser(cipher: PersonalDataCipher): RegistryParser {
  return (source, options) => sealBatches(parseRegistry(source, options), cipher);
}
