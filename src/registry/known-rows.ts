/**
 * Rows a re-import can skip (issue 18): a registry export is mostly the rows of the last one. A
 * licence stores the fingerprint of its row as last imported (`licences.row_hash`); an import
 * starts with every stored fingerprint by file number, and a row of the file whose fingerprint is
 * the stored one is counted unchanged without being validated, sealed or staged. That is what the
 * full path would conclude: the same cells validate the same way (the only bound that tightens
 * with time, the 120-year age of RULES.md §2, is applied to what is loaded: repository.ts
 * knownRowsOf), and the same values are not written again (finishImport).
 *
 * The fingerprint: 53 bits of a fast hash of every cell but the ID number, in field order (the
 * file's column order does not matter), mixed with the keyed hash of the ID number (id_hash), so
 * that the stored value says nothing about the ID that id_hash does not. A changed row that kept
 * its fingerprint would need a 53-bit collision for its own file number (about 1 in 9·10^15).
 */
import { REGISTRY_FIELDS, type ColumnMap } from './columns.ts';
import { idNumberOfShape } from './id-number.ts';
import { cellValue } from './validate.ts';

const FINGERPRINTED = REGISTRY_FIELDS.filter((f) => f !== 'id_number');
/** A free slot of an open-addressing table of non-negative numbers (KnownRows, NumberSet). */
export const EMPTY = -1;
/** A stored licence whose row has no fingerprint yet (null row_hash). */
export const NO_FINGERPRINT = -2;

/** The 53-bit hash of the row's cells but the ID number (see the top of the file). */
export function cellsHash(cells: readonly string[], columns: ColumnMap): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const field of FINGERPRINTED) {
    const cell = cellValue(cells, columns, field);
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // A separator after each cell: ("ab", "c") and ("a", "bc") differ.
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
  }
  return finish(h1, h2);
}

/** The stored fingerprint: the cells' hash mixed with the ID number's keyed hash (both 53-bit integers). */
export function rowFingerprint(cells: number, idHash: number): number {
  let h1 = 0x9e3779b9;
  let h2 = 0x7f4a7c15;
  for (const word of [cells >>> 0, Math.floor(cells / 0x1_0000_0000), idHash >>> 0, Math.floor(idHash / 0x1_0000_0000)]) {
    h1 = Math.imul(h1 ^ word, 2654435761);
    h2 = Math.imul(h2 ^ word, 1597334677);
  }
  return finish(h1, h2);
}

function finish(a: number, b: number): number {
  let h1 = a;
  let h2 = b;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 0x1_0000_0000 * (0x1f_ffff & h2) + (h1 >>> 0);
}

/**
 * The stored fingerprints by file number, in typed arrays (open addressing): 16 bytes a slot, two
 * slots a licence, and it moves to the parser thread without a copy. File numbers are 12 digits,
 * exact as doubles.
 */
export class KnownRows {
  keys: Float64Array;
  values: Float64Array;
  #count = 0;

  constructor(capacity = 1 << 10, from?: { keys: Float64Array; values: Float64Array }) {
    this.keys = from?.keys ?? new Float64Array(capacity).fill(EMPTY);
    this.values = from?.values ?? new Float64Array(capacity);
    if (from) this.#count = from.keys.reduce((n, k) => (k === EMPTY ? n : n + 1), 0);
  }

  get size(): number {
    return this.#count;
  }

  set(fileNumber: number, fingerprint: number): void {
    if ((this.#count + 1) * 2 > this.keys.length) this.#grow();
    const i = probe(this.keys, fileNumber);
    if (this.keys[i] === EMPTY) this.#count++;
    this.keys[i] = fileNumber;
    this.values[i] = fingerprint;
  }

  /** The stored fingerprint (NO_FINGERPRINT for a licence without one), or undefined for a file number not stored. */
  get(fileNumber: number): number | undefined {
    const i = probe(this.keys, fileNumber);
    return this.keys[i] === EMPTY ? undefined : this.values[i];
  }

  #grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2).fill(EMPTY);
    this.values = new Float64Array(keys.length * 2);
    this.#count = 0;
    keys.forEach((key, i) => key !== EMPTY && this.set(key, values[i]!));
  }
}

/** What a row of the file is against the registry: unchanged, stored with another fingerprint (or none), or not stored. */
export type KnownVerdict = 'same' | 'stale' | 'new';

/** The check parseRegistry applies to each row before validating it (built with the cipher that makes id_hash). */
export type KnownRowCheck = (fileNumber: string, cells: readonly string[], columns: ColumnMap, rowCellsHash: number) => KnownVerdict;

export function knownRowCheck(known: KnownRows, idHash: (idNumber: string) => number): KnownRowCheck {
  return (fileNumber, cells, columns, rowCellsHash) => {
    if (!/^\d{12}$/.test(fileNumber)) return 'new';
    const stored = known.get(Number(fileNumber));
    if (stored === undefined) return 'new';
    // The ID as validation reads it; any other shape cannot be the stored, valid one.
    const idNumber = idNumberOfShape(cellValue(cells, columns, 'id_number'));
    if (stored === NO_FINGERPRINT || idNumber === null) return 'stale';
    return rowFingerprint(rowCellsHash, idHash(idNumber)) === stored ? 'same' : 'stale';
  };
}

/** Mixes the high and low 32 bits (consecutive file numbers must not share a run of slots). */
function hashSlot(value: number): number {
  const low = value >>> 0;
  const high = Math.floor(value / 0x1_0000_0000);
  const h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Where `key` is in an open-addressing table of keys (linear probing, EMPTY for free), or the free slot it would take. */
export function probe(keys: Float64Array, key: number): number {
  const mask = keys.length - 1;
  let i = hashSlot(key) & mask;
  while (keys[i] !== key && keys[i] !== EMPTY) i = (i + 1) & mask;
  return i;
}
