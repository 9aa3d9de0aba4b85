import type { PersonalDataCipher } from '../shared/personal-data.ts';
import { parseRegistry, type ParseRegistryOptions, type RegistryBatch } from './parse-registry.ts';
import { KnownRows, knownRowCheck } from './known-rows.ts';
import { stagedRows } from './repository.ts';
import type { RowError } from './validate.ts';

/** A parsed batch in its stored form: ID numbers and rejected cells encrypted. */
export interface SealedBatch {
  /** The valid rows as a flat list of staging values (`StatementBlocks` cuts it into statements). */
  staged: unknown[];
  stagedCount: number;
  /** Rows found unchanged (RegistryBatch.known): only counted. */
  knownCount: number;
  /** Staged rows whose stored fingerprint is another one (ValidRow.refresh). */
  refreshCount: number;
  rejected: Array<{ line: number; cellsCipher: string; errors: RowError[] }>;
  warnings: string[];
  header: string[] | null;
}

export function sealBatch(batch: RegistryBatch, cipher: PersonalDataCipher): SealedBatch {
  return {
    staged: stagedRows(batch.valid, cipher),
    stagedCount: batch.valid.length,
    knownCount: batch.known,
    refreshCount: batch.valid.reduce((n, row) => (row.refresh ? n + 1 : n), 0),
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
export interface RegistryParser {
  (source: AsyncIterable<Uint8Array>, options: RegistryParserOptions): AsyncIterable<SealedBatch>;
  /** Whether it takes the known rows (the import then loads them for it; RegistryParserOptions.known). */
  readonly knownRows: boolean;
}

/** parseRegistry's options as they cross to a parser thread: the known rows as their arrays (KnownRows). */
export interface RegistryParserOptions extends Omit<ParseRegistryOptions, 'known'> {
  known?: { keys: Float64Array; values: Float64Array } | undefined;
}

/** The options parseRegistry takes, the known rows checked with `cipher`'s ID hash. */
export function parseOptions(options: RegistryParserOptions, cipher: PersonalDataCipher): ParseRegistryOptions {
  const { known, ...rest } = options;
  return { ...rest, known: known ? knownRowCheck(new KnownRows(0, known), (id) => cipher.hash(id)) : undefined };
}

/**
 * With `knownRows: false` (the Worker: 128 MB an isolate, and a million licences' fingerprints
 * take 32 MB) every row takes the full path.
 */
export function inThreadParser(cipher: PersonalDataCipher, { knownRows = true } = {}): RegistryParser {
  const parse = (source: AsyncIterable<Uint8Array>, options: RegistryParserOptions) =>
    sealBatches(parseRegistry(source, parseOptions(knownRows ? options : { ...options, known: undefined }, cipher)), cipher);
  return Object.assign(parse, { knownRows });
}
