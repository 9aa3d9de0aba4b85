/**
 * CSV bytes -> batches of validated registry records and rejected rows (RULES.md §2).
 *
 * The first batch is always the header outcome: the header cells, the warnings (ignored columns)
 * and no rows. Then one batch per piece of input with rows in it. A file error (CsvFileError) can
 * still be thrown after batches have been yielded: the caller keeps nothing of such a file.
 */
import type { CivilDate } from '../shared/civil-date.ts';
import { mapHeader, type ColumnMap } from './columns.ts';
import { CsvFileError, readCsv, type CsvRecord } from './csv.ts';
import type { LicenceRecord } from './licence.ts';
import { cellsHash, EMPTY, probe, type KnownRowCheck } from './known-rows.ts';
import { cellValue, FieldProblem, rowError, validateRow, type RowError } from './validate.ts';

export interface ValidRow {
  line: number;
  record: LicenceRecord;
  /** cellsHash of the row (known-rows.ts), for its stored fingerprint. */
  cellsHash: number;
  /** The registry holds the licence with another fingerprint, or none: store this row's even if nothing else changed. */
  refresh: boolean;
}

export interface RejectedRow {
  line: number;
  /** The raw cells, for the import report. Personal data: never log them. */
  cells: string[];
  /** Every failing column, in column order. */
  errors: RowError[];
}

export interface RegistryBatch {
  valid: ValidRow[];
  rejected: RejectedRow[];
  /** Rows the registry already holds exactly so (ParseRegistryOptions.known): counted unchanged, not validated again. */
  known: number;
  /** Header warnings (ignored columns): only in the first batch, which carries no rows. */
  warnings: string[];
  /**
   * The header cells as sent, in the first batch only (null afterwards): to label the cells of
   * rejected rows. Not personal data: a file whose first record is not a header fails first.
   */
  header: string[] | null;
}

export interface ParseRegistryOptions {
  /** The day of import: bounds dates and ages (RULES.md §2). */
  today: CivilDate;
  maxRecordBytes: number;
  /** The registry's rows as last imported (known-rows.ts): rows found unchanged are only counted. */
  known?: KnownRowCheck | undefined;
}

interface Header {
  columns: ColumnMap;
  width: number;
}

export async function* parseRegistry(
  source: AsyncIterable<Uint8Array>,
  options: ParseRegistryOptions,
): AsyncGenerator<RegistryBatch> {
  const seen = new FileNumbers();
  let header: Header | null = null;
  for await (const records of readCsv(source, options)) {
    let rows = records;
    if (header === null) {
      const first = records[0];
      if (first === undefined) continue; // readCsv never yields an empty batch
      const mapping = mapHeader(first.cells, first.line);
      header = { columns: mapping.columns, width: first.cells.length };
      yield { valid: [], rejected: [], known: 0, warnings: mapping.warnings, header: first.cells };
      rows = records.slice(1);
    }
    const batch = validateRecords(rows, header, seen, options);
    if (batch.valid.length > 0 || batch.rejected.length > 0 || batch.known > 0) yield batch;
  }
}

function validateRecords(records: CsvRecord[], header: Header, seen: FileNumbers, options: ParseRegistryOptions): RegistryBatch {
  const batch: RegistryBatch = { valid: [], rejected: [], known: 0, warnings: [], header: null };
  for (const { line, cells } of records) {
    // RULES.md §2: a row whose number of cells differs from the header's is a file error.
    if (cells.length !== header.width) {
      throw new CsvFileError(
        'cell_count',
        line,
        `the row has ${cells.length} cells but the header has ${header.width}.`,
      );
    }
    const fileNumber = cellValue(cells, header.columns, 'file_number');
    const duplicate = seen.claim(fileNumber);
    const hash = cellsHash(cells, header.columns);
    const verdict = duplicate || !options.known ? 'new' : options.known(fileNumber, cells, header.columns, hash);
    if (verdict === 'same') {
      batch.known += 1;
      continue;
    }
    const result = validateRow(cells, line, header.columns, options.today);
    if (!duplicate && 'record' in result) {
      batch.valid.push({ line, record: result.record, cellsHash: hash, refresh: verdict === 'stale' });
      continue;
    }
    const errors = 'errors' in result ? result.errors : [];
    batch.rejected.push({ line, cells, errors: duplicate ? [duplicateError(line), ...errors] : errors });
  }
  return batch;
}

function duplicateError(line: number): RowError {
  return rowError(line, 'file_number', new FieldProblem('duplicate', { key: 'row_duplicate' }));
}

/**
 * File numbers met so far (RULES.md §2: the first row with a file_number is processed normally,
 * every later one is rejected). [choice] The first row claims the number even when it is itself
 * rejected for another reason, so a later row never silently replaces a faulty one.
 */
class FileNumbers {
  private readonly seen = new NumberSet();

  /** Records `value`; true when an earlier row had it. Malformed values are never duplicates. */
  claim(value: string): boolean {
    return /^\d{12}$/.test(value) && !this.seen.add(Number(value));
  }
}

/**
 * A set of non-negative integers below 2^53, open addressing in a Float64Array. 12-digit numbers
 * are beyond V8's small integers, so a Set<number> boxes each one (about 56 MB and 0.6 s for a
 * million); this takes 16 MB and a third of the time. Strings would be worse: a cell string can
 * keep its whole input chunk alive.
 */
export class NumberSet {
  private slots = new Float64Array(1 << 16).fill(EMPTY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `value`; false when it was already there. */
  add(value: number): boolean {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const i = probe(this.slots, value);
    if (this.slots[i] === value) return false;
    this.slots[i] = value;
    this.count++;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2).fill(EMPTY);
    this.count = 0;
    for (const value of old) if (value !== EMPTY) this.add(value);
  }
}

