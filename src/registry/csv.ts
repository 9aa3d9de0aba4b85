/**
 * Streaming CSV reader for the registry import (RULES.md §2 "File errors").
 *
 * RFC 4180: `""` escapes a quote, quoted fields may hold commas and line breaks, records end with
 * LF or CRLF. A UTF-8 BOM is dropped, blank lines are skipped, the last line needs no line break.
 *
 * Built for a 200 MB, 1,000,000-row file: each input chunk is decoded once (TextDecoder in stream
 * mode, which also keeps a multi-byte character split across chunks whole) and split with native
 * `indexOf`/`split`; only records holding a quote take the slower character-level path. Records
 * come out in one batch per piece of input (64 KB at most), and only the unfinished last record
 * is carried over.
 *
 * Error messages name the line and the reason, never a cell: cells are personal data (RULES.md §6).
 */
import { Buffer } from 'node:buffer';

export interface CsvRecord {
  /** Physical line on which the record starts (line 1 = first line of the file). */
  line: number;
  cells: string[];
  /** UTF-8 size of the record, quotes and embedded line breaks included, final line break not. */
  bytes: number;
}

export interface CsvOptions {
  /** A record longer than this is a file error, raised as soon as the excess is read. */
  maxRecordBytes: number;
}

export const CSV_FILE_ERROR_CODES = [
  'not_utf8',
  'unbalanced_quote',
  'record_too_large',
  'empty_file',
  'cell_count',
  'missing_column',
  'duplicate_column',
] as const;
export type CsvFileErrorCode = (typeof CSV_FILE_ERROR_CODES)[number];

/** Rejects the whole file (RULES.md §2): nothing of it is stored. */
export class CsvFileError extends Error {
  override readonly name = 'CsvFileError';
  readonly code: CsvFileErrorCode;
  readonly line: number;

  /** `reason` must not quote cell contents. */
  constructor(code: CsvFileErrorCode, line: number, reason: string) {
    super(`Line ${line}: ${reason}`);
    this.code = code;
    this.line = line;
  }
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/**
 * Input is read in pieces of at most this size, whatever the size of the source's chunks: a batch
 * then holds a few hundred records. The records of a batch stay alive while they are validated,
 * and the garbage collector pays for every live object at each young-generation collection:
 * for a million rows, batches of a megabyte cost several seconds more than these.
 */
const PIECE_BYTES = 64 * 1024;

/** Reads `source` as CSV records, yielding one non-empty batch per piece of input (or so). */
export async function* readCsv(
  source: AsyncIterable<Uint8Array>,
  options: CsvOptions,
): AsyncGenerator<CsvRecord[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const splitter = new RecordSplitter(options.maxRecordBytes);
  let tail: Uint8Array = NO_BYTES;
  let seen = false;
  for await (const input of source) {
    for (let at = 0; at < input.length; at += PIECE_BYTES) {
      const chunk = input.length <= PIECE_BYTES ? input : input.subarray(at, at + PIECE_BYTES);
      const text = decodeChunk(decoder, chunk, tail, splitter);
      tail = incompleteUtf8Tail(tail, chunk);
      const records = splitter.push(text, false);
      if (records.length > 0) {
        seen = true;
        yield records;
      }
    }
  }
  const records = splitter.push(finishDecoding(decoder, splitter), true);
  if (records.length > 0) yield records;
  else if (!seen) throw new CsvFileError('empty_file', 1, 'the file is empty: it has no header line.');
}

/**
 * Splits decoded text into records. Text is pushed piece by piece; the unfinished last record is
 * kept until the next push (or the final one, which ends the input).
 */
class RecordSplitter {
  private pending = '';
  /** Line on which `pending` starts. */
  private line = 1;
  /** UTF-8 size of `pending`, to stop a runaway record early. */
  private pendingBytes = 0;
  private readonly maxRecordBytes: number;
  /** First comma at or after the current line in the text being split, or -1 when none. */
  private nextComma = -1;

  constructor(maxRecordBytes: number) {
    this.maxRecordBytes = maxRecordBytes;
  }

  /** Line of the last character pushed so far (for errors found while decoding). */
  lineAtEnd(): number {
    return this.line + countLineFeeds(this.pending, 0, this.pending.length);
  }

  push(piece: string, final: boolean): CsvRecord[] {
    // A line feed after the last line lets the last record end like any other.
    const text = this.pending + (final ? `${piece}\n` : piece);
    const records: CsvRecord[] = [];
    let pos = 0;
    let quote = text.indexOf('"');
    this.nextComma = text.indexOf(',');
    for (;;) {
      const lf = text.indexOf('\n', pos);
      if (lf === -1) break;
      if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
      if (quote === -1 || quote > lf) {
        this.addPlainLine(records, text, pos, lf);
        this.line++;
        pos = lf + 1;
        continue;
      }
      const quoted = scanQuotedRecord(text, pos, this.line, final);
      if (quoted === null) break;
      this.addRecord(records, text.slice(pos, quoted.end), quoted.cells);
      this.line += 1 + quoted.lineFeeds;
      pos = quoted.next;
    }
    this.keepPending(text, pos, piece);
    return records;
  }

  /** A line without quotes: one record, or nothing when the line is blank. */
  private addPlainLine(records: CsvRecord[], text: string, start: number, lf: number): void {
    const end = lf > start && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    const cells = this.splitCells(text, start, end);
    if (cells.length === 1 && cells[0]!.trim() === '') return;
    this.addRecord(records, text.slice(start, end), cells);
  }

  /**
   * Cells of text[start, end) split at commas: an indexOf loop beats String#split here. The next
   * comma is remembered across lines, so comma-free lines do not rescan the rest of the text.
   */
  private splitCells(text: string, start: number, end: number): string[] {
    const cells: string[] = [];
    let from = start;
    let comma = this.nextComma;
    if (comma !== -1 && comma < start) comma = text.indexOf(',', start);
    while (comma !== -1 && comma < end) {
      cells.push(text.slice(from, comma));
      from = comma + 1;
      comma = text.indexOf(',', from);
    }
    cells.push(text.slice(from, end));
    this.nextComma = comma;
    return cells;
  }

  private addRecord(records: CsvRecord[], raw: string, cells: string[]): void {
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > this.maxRecordBytes) throw this.tooLarge();
    records.push({ line: this.line, cells, bytes });
  }

  private keepPending(text: string, pos: number, piece: string): void {
    const fresh = pos > 0 || this.pending === '';
    this.pending = text.slice(pos);
    // Measure only new text: re-measuring a growing record on every chunk would be quadratic.
    this.pendingBytes = fresh
      ? Buffer.byteLength(this.pending, 'utf8')
      : this.pendingBytes + Buffer.byteLength(piece, 'utf8');
    // A trailing CR may be the first half of the CRLF that ends the record: not part of it.
    const cr = this.pending.endsWith('\r') ? 1 : 0;
    if (this.pendingBytes - cr > this.maxRecordBytes) throw this.tooLarge();
  }

  private tooLarge(): CsvFileError {
    return new CsvFileError(
      'record_too_large',
      this.line,
      `the record is longer than ${this.maxRecordBytes} bytes (a quote that is never closed can cause this).`,
    );
  }
}

interface QuotedRecord {
  cells: string[];
  /** End of the record's text (before its CR LF or LF). */
  end: number;
  /** Start of the next record. */
  next: number;
  /** Line feeds inside quoted fields: the next record starts this many lines further down. */
  lineFeeds: number;
}

/**
 * Reads one record that holds at least one quote, starting at `start`. Returns null when the text
 * ends before the record does (more input is needed); with `final` the text always ends with LF.
 */
function scanQuotedRecord(text: string, start: number, line: number, final: boolean): QuotedRecord | null {
  const cells: string[] = [];
  let pos = start;
  let lineFeeds = 0;
  for (;;) {
    let stop: number;
    if (text.charCodeAt(pos) === QUOTE) {
      const field = readQuotedField(text, pos, line + lineFeeds, final);
      if (field === null) return null;
      cells.push(field.value);
      lineFeeds += field.lineFeeds;
      stop = field.next;
    } else {
      stop = findPlainFieldEnd(text, pos, line + lineFeeds);
      if (stop === -1) return null;
      cells.push(text.slice(pos, stop));
    }
    const c = text.charCodeAt(stop);
    if (c === COMMA) {
      pos = stop + 1;
      continue;
    }
    if (c === LF) return { cells, end: stop, next: stop + 1, lineFeeds };
    if (c === CR && text.charCodeAt(stop + 1) === LF) return { cells, end: stop, next: stop + 2, lineFeeds };
    if (stop >= text.length - 1 && !final) return null; // text ends at the field or after its CR
    throw unbalanced(line + lineFeeds, 'there are characters after a closing quote.');
  }
}

interface QuotedField {
  value: string;
  /** Index just after the closing quote. */
  next: number;
  lineFeeds: number;
}

/** Reads the quoted field opening at `open`; null when its end is not in `text` yet. */
function readQuotedField(text: string, open: number, line: number, final: boolean): QuotedField | null {
  let value = '';
  let from = open + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close === -1 || (close === text.length - 1 && !final)) {
      // Without the next character we cannot tell a closing quote from an escaped one.
      if (final) throw unbalanced(line, 'a quoted field is never closed.');
      return null;
    }
    if (text.charCodeAt(close + 1) === QUOTE) {
      value += text.slice(from, close + 1);
      from = close + 2;
      continue;
    }
    value += text.slice(from, close);
    return { value, next: close + 1, lineFeeds: countLineFeeds(text, open, close) };
  }
}

/** End of the unquoted field at `start` (its comma, CR or LF), or -1 when not in `text` yet. */
function findPlainFieldEnd(text: string, start: number, line: number): number {
  let end = -1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) {
      end = i;
      break;
    }
    if (c === QUOTE) throw unbalanced(line, 'a quote appears inside an unquoted field.');
  }
  return end;
}

function unbalanced(line: number, reason: string): CsvFileError {
  return new CsvFileError('unbalanced_quote', line, `unbalanced quote: ${reason}`);
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

// --- UTF-8 -------------------------------------------------------------------------------------

const NO_BYTES = new Uint8Array(0);

type Decoder = InstanceType<typeof TextDecoder>;

function notUtf8(line: number): CsvFileError {
  return new CsvFileError(
    'not_utf8',
    line,
    'the file is not valid UTF-8 text. Save it as "CSV UTF-8" (Excel saves GBK/ANSI by default).',
  );
}

function decodeChunk(decoder: Decoder, chunk: Uint8Array, tail: Uint8Array, splitter: RecordSplitter): string {
  try {
    return decoder.decode(chunk, { stream: true });
  } catch {
    throw notUtf8(splitter.lineAtEnd() + lineFeedsBeforeInvalid(tail, chunk));
  }
}

function finishDecoding(decoder: Decoder, splitter: RecordSplitter): string {
  try {
    return decoder.decode();
  } catch {
    throw notUtf8(splitter.lineAtEnd()); // the input ends inside a multi-byte character
  }
}

/**
 * Line feeds in `chunk` before its first invalid byte. `tail` is the unfinished character the
 * decoder held from the previous chunk. Decoding line by line with a fresh decoder finds the line
 * with the fault: an LF never sits inside a UTF-8 sequence, so each line decodes on its own.
 */
function lineFeedsBeforeInvalid(tail: Uint8Array, chunk: Uint8Array): number {
  const bytes = concatBytes(tail, chunk);
  const probe = new TextDecoder('utf-8', { fatal: true });
  let lineFeeds = 0;
  for (let start = 0; start < bytes.length; lineFeeds++) {
    const lf = bytes.indexOf(LF, start);
    const end = lf === -1 ? bytes.length : lf + 1;
    try {
      probe.decode(bytes.subarray(start, end), { stream: true });
    } catch {
      return lineFeeds;
    }
    start = end;
  }
  return 0; // not reproduced: name the line the chunk starts on
}

/** The bytes of an unfinished character at the end of the input read so far (0 to 3 bytes). */
function incompleteUtf8Tail(previous: Uint8Array, chunk: Uint8Array): Uint8Array {
  const bytes = chunk.length >= 3 ? chunk : concatBytes(previous, chunk);
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const b = bytes[bytes.length - k]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: the lead byte is further back
    if (b < 0x80) return NO_BYTES;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return length > k ? bytes.slice(bytes.length - k) : NO_BYTES;
  }
  return NO_BYTES;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
