import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { parseRegistry, type ParseRegistryOptions, type RegistryBatch } from './parse-registry.ts';
import { stagedBlocks } from './repository.ts';
import type { RowError } from './validate.ts';

/** A parsed batch in its stored form: ID numbers and rejected cells encrypted. */
export interface SealedBatch {
  /** Parameter blocks for `stageRows`, built where the rows were parsed. */
  staged: unknown[][];
  stagedCount: number;
  rejected: Array<{ line: number; cellsCipher: string; errors: RowError[] }>;
  warnings: string[];
  header: string[] | null;
}

export function sealBatch(batch: RegistryBatch, cipher: PersonalDataCipher): SealedBatch {
  return {
    staged: stagedBlocks(batch.valid, cipher),
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
 * thread in the Node server (parse-in-worker.ts), so that parsing overlaps the SQLite writes.
 */
export type RegistryParser = (source: AsyncIterable<Uint8Array>, options: ParseRegistryOptions) => AsyncIterable<SealedBatch>;

export function inThreadParser(cipher: PersonalDataCipher): RegistryParser {
  return (source, options) => sealBatches(parseRegistry(source, options), cipher);
}
