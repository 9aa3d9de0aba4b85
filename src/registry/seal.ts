import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { parseRegistry, type ParseRegistryOptions, type RegistryBatch, type RejectedRow } from './parse-registry.ts';
import { blockRowCount, sealStagedBlocks, StagingLayout } from './repository.ts';
import type { RowError } from './validate.ts';

/**
 * A parsed batch: valid rows laid out as staging blocks, with the ID number still in the clear,
 * and rejected rows with their cells. `sealBatch` turns it into its stored form at once.
 */
export interface ParsedBatch {
  staged: unknown[][];
  stagedCount: number;
  rejected: RejectedRow[];
  warnings: string[];
  header: string[] | null;
}

/** A batch in its stored form: ID numbers and rejected cells encrypted. */
export interface SealedBatch {
  /** Parameter blocks for `stageRows`. */
  staged: unknown[][];
  stagedCount: number;
  rejected: Array<{ line: number; cellsCipher: string; errors: RowError[] }>;
  warnings: string[];
  header: string[] | null;
}

/**
 * Parsed batches with their valid rows laid out as staging blocks. A batch goes out when a block
 * is full, or with rejected rows, warnings or the header; rows wait in the block being filled.
 */
export async function* layOut(batches: AsyncIterable<RegistryBatch>): AsyncGenerator<ParsedBatch> {
  const layout = new StagingLayout();
  for await (const batch of batches) {
    for (const row of batch.valid) layout.add(row.record);
    const staged = layout.take(false);
    if (staged.length > 0 || batch.rejected.length > 0 || batch.header) yield parsed(staged, batch);
  }
  const staged = layout.take(true);
  if (staged.length > 0) yield parsed(staged, { rejected: [], warnings: [], header: null });
}

function parsed(staged: unknown[][], batch: Pick<RegistryBatch, 'rejected' | 'warnings' | 'header'>): ParsedBatch {
  const stagedCount = staged.reduce((n, block) => n + blockRowCount(block), 0);
  return { staged, stagedCount, rejected: batch.rejected, warnings: batch.warnings, header: batch.header };
}

/** Seals `batch` (its staging blocks in place). */
export function sealBatch(batch: ParsedBatch, cipher: PersonalDataCipher): SealedBatch {
  sealStagedBlocks(batch.staged, cipher);
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
