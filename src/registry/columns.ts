/**
 * Header mapping for the registry import (RULES.md §2): each header cell is matched on its own,
 * by its English name (case-insensitive) or its Chinese name, in any order and any mix.
 */
import { CsvFileError } from './csv.ts';

/** The registry columns, by their English names (RULES.md §2). */
export const REGISTRY_FIELDS = [
  'file_number',
  'id_number',
  'name',
  'phone',
  'address',
  'community',
  'classes',
  'first_issued_on',
  'valid_until',
  'extension_until',
  'last_cert_submitted_on',
  'status',
  'lat',
  'lng',
] as const;
export type RegistryField = (typeof REGISTRY_FIELDS)[number];

/**
 * Columns a file must have: those whose value is required (RULES.md §2). The optional columns
 * may be left out entirely, which reads as empty cells. [choice]
 */
export const REQUIRED_COLUMNS: readonly RegistryField[] = [
  'file_number',
  'id_number',
  'name',
  'phone',
  'address',
  'classes',
  'first_issued_on',
  'valid_until',
];

/** Chinese headers of the data platform's export (RULES.md §2). A Map: no prototype keys. */
export const CHINESE_HEADERS: ReadonlyMap<string, RegistryField> = new Map<string, RegistryField>([
  ['档案编号', 'file_number'],
  ['身份证明号码', 'id_number'],
  ['身份证号', 'id_number'],
  ['姓名', 'name'],
  ['联系电话', 'phone'],
  ['联系地址', 'address'],
  ['社区', 'community'],
  ['准驾车型', 'classes'],
  ['初次领证日期', 'first_issued_on'],
  ['有效期止', 'valid_until'],
  ['延长驾驶资格期限', 'extension_until'],
  ['最近提交身体条件证明日期', 'last_cert_submitted_on'],
  ['状态', 'status'],
  ['纬度', 'lat'],
  ['经度', 'lng'],
]);

/**
 * Where each field sits in a record: its 0-based cell index, or null for an optional column the
 * file leaves out. Every key is always present, in REGISTRY_FIELDS order: one object shape, so
 * `columns.name` stays a cheap property read in a loop over a million rows.
 */
export type ColumnMap = Readonly<Record<RegistryField, number | null>>;

export interface HeaderMapping {
  columns: ColumnMap;
  /** One per ignored column: its position and header text (headers are not personal data). */
  warnings: string[];
}

const ENGLISH = new Set<string>(REGISTRY_FIELDS);

/** The field a header cell names, or null. Trims white space, the full-width space included. */
export function fieldOfHeader(header: string): RegistryField | null {
  const text = header.trim();
  const english = text.toLowerCase();
  if (ENGLISH.has(english)) return english as RegistryField;
  return CHINESE_HEADERS.get(text) ?? null;
}

/**
 * Maps the header record on `line`. Throws a CsvFileError when a required column is missing or a
 * field is given twice (RULES.md §2: a missing required column rejects the whole file).
 */
export function mapHeader(cells: readonly string[], line: number): HeaderMapping {
  const columns = noColumns();
  const repeated: string[] = [];
  const ignored: number[] = [];
  cells.forEach((cell, index) => {
    const field = fieldOfHeader(cell);
    const earlier = field === null ? null : columns[field];
    if (field === null) ignored.push(index);
    else if (earlier === null) columns[field] = index;
    else repeated.push(`columns ${earlier + 1} and ${index + 1} are both ${describe(field)}`);
  });
  checkMissing(columns, line);
  if (repeated.length > 0) {
    throw new CsvFileError('duplicate_column', line, `a column is given twice: ${repeated.join('; ')}.`);
  }
  // Only now is the first record known to be a header, so its text may be quoted in warnings.
  return { columns, warnings: ignored.map((index) => ignoredWarning(index, cells[index] ?? '')) };
}

/** Every field absent; every key present, in REGISTRY_FIELDS order (see ColumnMap). */
function noColumns(): Record<RegistryField, number | null> {
  return Object.fromEntries(REGISTRY_FIELDS.map((field) => [field, null])) as Record<RegistryField, number | null>;
}

function checkMissing(columns: ColumnMap, line: number): void {
  const missing = REQUIRED_COLUMNS.filter((field) => columns[field] === null);
  // lat and lng come together (RULES.md §2): one without the other cannot be imported.
  if ((columns.lat === null) !== (columns.lng === null)) missing.push(columns.lat === null ? 'lat' : 'lng');
  if (missing.length === 0) return;
  throw new CsvFileError(
    'missing_column',
    line,
    `missing required column${missing.length > 1 ? 's' : ''}: ${missing.map(describe).join(', ')}.`,
  );
}

function describe(field: RegistryField): string {
  for (const [chinese, mapped] of CHINESE_HEADERS) if (mapped === field) return `${field} (${chinese})`;
  return field;
}

const MAX_HEADER_IN_WARNING = 40;

function ignoredWarning(index: number, header: string): string {
  const text = Array.from(header.trim());
  const shown = text.slice(0, MAX_HEADER_IN_WARNING).join('') + (text.length > MAX_HEADER_IN_WARNING ? '…' : '');
  return shown === ''
    ? `Column ${index + 1} has an empty header and is ignored.`
    : `Column ${index + 1} ("${shown}") is not a registry column and is ignored.`;
}
