/**
 * One registry row -> a LicenceRecord, or the list of every failing column (RULES.md §2, §6).
 *
 * Each column is parsed on its own first; checks that relate two columns run only when both
 * passed their own checks, so one bad cell yields one error. Messages name the field and the
 * reason and never the value: cells are personal data (RULES.md §6, DESIGN.md "Logs").
 */
import { addDays, addYears, daysInMonth, formatYmd, isCivilDate, type CivilDate } from '../shared/civil-date.ts';
import { renderRef, type MessageParams, type MessageRef, type RowMessageKey } from '../i18n/messages.ts';
import { REGISTRY_FIELDS, type ColumnMap, type RegistryField } from './columns.ts';
import { unescapeFormulaCell } from './csv-write.ts';
import { parseIdNumber, type IdNumberInfo } from './id-number.ts';
import {
  canonicalClasses,
  LICENCE_CLASSES,
  type LicenceClass,
  type LicenceRecord,
  type LicenceStatus,
  type PhoneKind,
} from './licence.ts';

export const ROW_ERROR_CODES = [
  'required',
  'invalid_format',
  'invalid_checksum',
  'invalid_date',
  /** Outside a bound: today, the holder's age (birth date from id_number), a coordinate range. */
  'out_of_range',
  'unknown_value',
  'too_long',
  /** A file_number already used by an earlier row of the file (see parse-registry.ts). */
  'duplicate',
  /** Contradicts another column of the row. */
  'inconsistent',
] as const;
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

export interface RowError {
  /** Physical line on which the row starts. */
  line: number;
  field: RegistryField;
  code: RowErrorCode;
  /** Names the field and the reason; never the value. */
  message: string;
  /** The reason as a catalogue sentence (read with the field in front: localizeRowError). */
  text?: MessageRef;
}

export type RowResult = { record: LicenceRecord } | { errors: RowError[] };

/**
 * Why a cell failed. `reason` reads after the field name: "file_number must be 12 digits"; `text`
 * is its catalogue sentence (src/i18n/messages.ts), rendered in the reader's language.
 */
export class FieldProblem {
  readonly code: RowErrorCode;
  readonly reason: string;
  readonly text: MessageRef;

  constructor(code: RowErrorCode, text: MessageRef) {
    this.code = code;
    this.text = text;
    this.reason = renderRef('en', text);
  }
}

function problem<K extends RowMessageKey>(code: RowErrorCode, key: K, ...params: [MessageParams<K>] extends [Record<string, never>] ? [] : [MessageParams<K>]): FieldProblem {
  return new FieldProblem(code, { key, params: params[0] } as MessageRef);
}

export function rowError(line: number, field: RegistryField, problem: FieldProblem): RowError {
  return { line, field, code: problem.code, message: `${field} ${problem.reason}.`, text: problem.text };
}

/**
 * The cell of `field`, trimmed of white space incl. U+3000 (RULES.md §2); '' when absent. The
 * apostrophe our own CSV downloads put before a formula character (src/registry/csv-write.ts)
 * is removed, so a rejected-rows file imports as the rows were first sent (README choice 58).
 */
export function cellValue(cells: readonly string[], columns: ColumnMap, field: RegistryField): string {
  return cellAt(cells, columns[field]);
}

function cellAt(cells: readonly string[], index: number | null): string {
  if (index === null) return '';
  const cell = (cells[index] ?? '').trim();
  return cell.charCodeAt(0) === 39 ? unescapeFormulaCell(cell).trim() : cell;
}

// --- single-column parsers ----------------------------------------------------------------------

const REQUIRED = problem('required', 'row_required');

/** RULES.md §2: 12 digits, the key of the record. */
export function parseFileNumber(value: string): string | FieldProblem {
  if (value === '') return REQUIRED;
  return /^\d{12}$/.test(value) ? value : problem('invalid_format', 'row_file_number_digits');
}

/** RULES.md §6 (GB 11643-1999) via parseIdNumber; the birth-date fault is split in two codes. */
export function parseIdNumberCell(value: string, today: CivilDate): IdNumberInfo | FieldProblem {
  if (value === '') return REQUIRED;
  const result = parseIdNumber(value, today);
  if (typeof result !== 'string') return result;
  if (result === 'format') {
    return problem('invalid_format', 'row_id_number_shape');
  }
  if (result === 'checksum') {
    return problem('invalid_checksum', 'row_id_number_checksum');
  }
  const birth = formatYmd(Number(value.slice(6, 10)), Number(value.slice(10, 12)), Number(value.slice(12, 14)));
  return isCivilDate(birth)
    ? problem('out_of_range', 'row_birth_out_of_range')
    : problem('invalid_date', 'row_birth_not_a_date');
}

export const MAX_NAME_LENGTH = 50;

/** RULES.md §2: 1-50 characters (code points). [choice] Control characters are refused. */
export function parseName(value: string): string | FieldProblem {
  if (value === '') return REQUIRED;
  if (codePointsOver(value, MAX_NAME_LENGTH)) {
    return problem('too_long', 'row_too_long', { max: MAX_NAME_LENGTH });
  }
  if (/\p{Cc}/u.test(value)) {
    return problem('invalid_format', 'row_control_characters');
  }
  return value;
}

export interface Phone {
  /** E.164. */
  phone: string;
  phoneKind: PhoneKind;
}

/** Spaces and dashes are ignored (RULES.md §2); [choice] any Unicode space and dash. */
const PHONE_IGNORED = /[\s\-\u2010-\u2015\u2212\uFF0D]/g;
const MOBILE = /^(?:\+86|0086|86)?(1[3-9]\d{9})$/;
// `0` + area code + number, 10-12 digits in all. Area codes are 010 or start with 2-9: this keeps
// a mobile written with a leading 0 (01[3-9]...) from passing as a landline. [choice]
const LANDLINE = /^0((?:10|[2-9]\d)\d{7,9})$/;

/** RULES.md §2: a mainland mobile or a domestic landline, stored as E.164. */
export function parsePhone(value: string): Phone | FieldProblem {
  if (value === '') return REQUIRED;
  const digits = value.replace(PHONE_IGNORED, '');
  const mobile = MOBILE.exec(digits);
  if (mobile) return { phone: `+86${mobile[1]}`, phoneKind: 'mobile' };
  const landline = LANDLINE.exec(digits);
  if (landline) return { phone: `+86${landline[1]}`, phoneKind: 'landline' };
  return problem('invalid_format', 'row_phone');
}

/** [choice] Sanity limits that RULES.md leaves open: longer cells are garbage, not addresses. */
export const MAX_ADDRESS_LENGTH = 200;
export const MAX_COMMUNITY_LENGTH = 100;

export function parseAddress(value: string): string | FieldProblem {
  if (value === '') return REQUIRED;
  return codePointsOver(value, MAX_ADDRESS_LENGTH)
    ? problem('too_long', 'row_too_long', { max: MAX_ADDRESS_LENGTH })
    : value;
}

/** RULES.md §2: optional; empty -> null. */
export function parseCommunity(value: string): string | null | FieldProblem {
  if (value === '') return null;
  return codePointsOver(value, MAX_COMMUNITY_LENGTH)
    ? problem('too_long', 'row_too_long', { max: MAX_COMMUNITY_LENGTH })
    : value;
}

const CLASS_CODES = new Set<string>(LICENCE_CLASSES);
const UNKNOWN_CLASS = problem('unknown_value', 'row_unknown_class', { classes: LICENCE_CLASSES.join(' ') });

/**
 * RULES.md §2: codes written together (`A2D`) or separated by spaces , ， 、 /; case-insensitive;
 * a repeated code counts once; an unknown code rejects the row. Canonical order (§4).
 */
export function parseClasses(value: string): LicenceClass[] | FieldProblem {
  if (value === '') return REQUIRED;
  const text = value.toUpperCase();
  const codes: LicenceClass[] = [];
  for (let i = 0; i < text.length; ) {
    if (isClassSeparator(text.charAt(i))) {
      i++;
      continue;
    }
    // Two-character codes (A1 ... C6) first: `C1` is never `C` then `1`.
    const two = text.slice(i, i + 2);
    const code = CLASS_CODES.has(two) ? two : text.charAt(i);
    if (!CLASS_CODES.has(code)) return UNKNOWN_CLASS;
    codes.push(code as LicenceClass);
    i += code.length;
  }
  if (codes.length === 0) return problem('required', 'row_no_class');
  return codes.length === 1 ? codes : canonicalClasses(codes);
}

function isClassSeparator(c: string): boolean {
  return c === ',' || c === '，' || c === '、' || c === '/' || c.trim() === '';
}

// YYYY-MM-DD | YYYY/M/D (one or two digits) | YYYYMMDD (RULES.md §2).
const DATE = /^(\d{4})(?:-(\d{2})-(\d{2})|\/(\d{1,2})\/(\d{1,2})|(\d{2})(\d{2}))$/;
const BAD_DATE_FORMAT = problem('invalid_format', 'row_date_format');
const NOT_A_DATE = problem('invalid_date', 'row_not_a_date');

/** RULES.md §2: YYYY-MM-DD, YYYY/M/D (1-2 digit month and day) or YYYYMMDD, a real date. */
export function parseDate(value: string): CivilDate | FieldProblem {
  if (value === '') return REQUIRED;
  if (isIsoShape(value)) {
    // The usual form, checked without a regular expression: five dates per row, a million rows.
    const year = digitsAt(value, 0, 4);
    const month = digitsAt(value, 5, 2);
    return isRealDate(year, month, digitsAt(value, 8, 2)) ? value : NOT_A_DATE;
  }
  const m = DATE.exec(value);
  if (!m) return BAD_DATE_FORMAT;
  const year = Number(m[1]);
  const month = Number(m[4] ?? m[6]);
  const day = Number(m[5] ?? m[7]);
  return isRealDate(year, month, day) ? formatYmd(year, month, day) : NOT_A_DATE;
}

function isIsoShape(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  return digitsAt(value, 0, 4) >= 0 && digitsAt(value, 5, 2) >= 0 && digitsAt(value, 8, 2) >= 0;
}

/** The number written by `length` ASCII digits at `start`, or -1. */
function digitsAt(value: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isRealDate(year: number, month: number, day: number): boolean {
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function parseOptionalDate(value: string): CivilDate | null | FieldProblem {
  return value === '' ? null : parseDate(value);
}

const NOT_AFTER_TODAY = problem('out_of_range', 'row_after_import_day');

/** RULES.md §2: required, not after the day of import (the Bday(18) bound is a cross-check). */
export function parseFirstIssuedOn(value: string, today: CivilDate): CivilDate | FieldProblem {
  const date = parseDate(value);
  return typeof date === 'string' && date > today ? NOT_AFTER_TODAY : date;
}

/** RULES.md §2: a date, or 长期 / long-term (case-insensitive) -> null. */
export function parseValidUntil(value: string): CivilDate | null | FieldProblem {
  if (value === '长期' || (value.length === 9 && value.toLowerCase() === 'long-term')) return null;
  return parseDate(value);
}

/**
 * [choice] RULES.md gives no bounds: a certificate cannot have been accepted after the day of
 * import (nor before the holder's birth, a cross-check).
 */
export function parseLastCertSubmittedOn(value: string, today: CivilDate): CivilDate | null | FieldProblem {
  const date = parseOptionalDate(value);
  return typeof date === 'string' && date > today ? NOT_AFTER_TODAY : date;
}

const STATUSES = new Map<string, LicenceStatus>([
  ['active', 'active'],
  ['正常', 'active'],
  ['cancelled', 'cancelled'],
  ['注销', 'cancelled'],
  ['revoked', 'revoked'],
  ['吊销', 'revoked'],
]);

/** RULES.md §2: optional (empty = active); English case-insensitive; anything else rejects. */
export function parseStatus(value: string): LicenceStatus | FieldProblem {
  if (value === '') return 'active';
  return (
    STATUSES.get(value) ??
    STATUSES.get(value.toLowerCase()) ??
    problem('unknown_value', 'row_status')
  );
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** RULES.md §2: optional WGS-84 degrees within ±limit, ends included. */
export function parseCoordinate(value: string, limit: 90 | 180): number | null | FieldProblem {
  if (value === '') return null;
  if (!DECIMAL.test(value)) return problem('invalid_format', 'row_degrees');
  const degrees = Number(value) + 0; // + 0 turns -0 into 0
  if (Math.abs(degrees) <= limit) return degrees;
  return problem('out_of_range', 'row_degrees_range', { limit });
}

function codePointsOver(value: string, max: number): boolean {
  if (value.length <= max) return false; // a code point takes one or two UTF-16 units
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}

// --- the row ------------------------------------------------------------------------------------

interface Parsed {
  fileNumber: string;
  id: IdNumberInfo;
  name: string;
  phone: Phone;
  address: string;
  community: string | null;
  classes: LicenceClass[];
  firstIssuedOn: CivilDate;
  validUntil: CivilDate | null;
  extensionUntil: CivilDate | null;
  lastCertSubmittedOn: CivilDate | null;
  status: LicenceStatus;
  lat: number | null;
  lng: number | null;
}

/** undefined = the column failed its own check (and its error is recorded). */
type Checked = { [K in keyof Parsed]: Parsed[K] | undefined };

/** Validates one row; reports every failing column, in column order (RULES.md §2). */
export function validateRow(cells: readonly string[], line: number, columns: ColumnMap, today: CivilDate): RowResult {
  const errors: RowError[] = [];
  const reporter = new Reporter(line, errors);
  const row = parseColumns(cells, columns, today, reporter);
  checkCoordinatePair(cellAt(cells, columns.lat) !== '', cellAt(cells, columns.lng) !== '', reporter);
  checkAgainstBirth(row, reporter);
  checkLicence(row, reporter);
  if (errors.length > 0) return { errors: sortByColumn(errors) };
  // Every value is set: a value is undefined only when its column reported an error.
  return { record: toRecord(row as Parsed) };
}

/** Collects a row's errors. A class rather than closures: this runs a million times per import. */
class Reporter {
  readonly line: number;
  readonly errors: RowError[];

  constructor(line: number, errors: RowError[]) {
    this.line = line;
    this.errors = errors;
  }

  report(field: RegistryField, problem: FieldProblem): void {
    this.errors.push(rowError(this.line, field, problem));
  }

  /** The parsed value, or undefined after reporting the problem. */
  take<T>(field: RegistryField, result: T | FieldProblem): T | undefined {
    if (!(result instanceof FieldProblem)) return result;
    this.report(field, result);
    return undefined;
  }
}

function parseColumns(cells: readonly string[], col: ColumnMap, today: CivilDate, r: Reporter): Checked {
  return {
    fileNumber: r.take('file_number', parseFileNumber(cellAt(cells, col.file_number))),
    id: r.take('id_number', parseIdNumberCell(cellAt(cells, col.id_number), today)),
    name: r.take('name', parseName(cellAt(cells, col.name))),
    phone: r.take('phone', parsePhone(cellAt(cells, col.phone))),
    address: r.take('address', parseAddress(cellAt(cells, col.address))),
    community: r.take('community', parseCommunity(cellAt(cells, col.community))),
    classes: r.take('classes', parseClasses(cellAt(cells, col.classes))),
    firstIssuedOn: r.take('first_issued_on', parseFirstIssuedOn(cellAt(cells, col.first_issued_on), today)),
    validUntil: r.take('valid_until', parseValidUntil(cellAt(cells, col.valid_until))),
    extensionUntil: r.take('extension_until', parseOptionalDate(cellAt(cells, col.extension_until))),
    lastCertSubmittedOn: r.take(
      'last_cert_submitted_on',
      parseLastCertSubmittedOn(cellAt(cells, col.last_cert_submitted_on), today),
    ),
    status: r.take('status', parseStatus(cellAt(cells, col.status))),
    lat: r.take('lat', parseCoordinate(cellAt(cells, col.lat), 90)),
    lng: r.take('lng', parseCoordinate(cellAt(cells, col.lng), 180)),
  };
}

/** RULES.md §2: lat and lng are given together or not at all. */
function checkCoordinatePair(hasLat: boolean, hasLng: boolean, r: Reporter): void {
  if (hasLat && !hasLng) r.report('lng', problem('required', 'row_lng_needs_lat'));
  if (hasLng && !hasLat) r.report('lat', problem('required', 'row_lat_needs_lng'));
}

/** Bounds from the birth date inside the ID number (RULES.md §6: the birth date used everywhere). */
function checkAgainstBirth(row: Checked, r: Reporter): void {
  const birth = row.id?.birthDate;
  if (birth === undefined) return;
  if (row.firstIssuedOn !== undefined && row.firstIssuedOn < addYears(birth, 18)) {
    r.report('first_issued_on', problem('out_of_range', 'row_before_18'));
  }
  // Art 65 para 1: an extension runs from 63 for at most three years: Bday(63) .. Bday(66) - 1.
  const ext = row.extensionUntil;
  if (ext != null && (ext < addYears(birth, 63) || ext > addDays(addYears(birth, 66), -1))) {
    r.report(
      'extension_until',
      problem('out_of_range', 'row_extension_range'),
    );
  }
  const cert = row.lastCertSubmittedOn;
  if (cert != null && cert < birth) {
    r.report('last_cert_submitted_on', problem('out_of_range', 'row_before_birth'));
  }
}

/** Classes eligible for an extension of driving qualification (Art 65 para 1, RULES.md §2). */
const EXTENDABLE = new Set<LicenceClass>(['A1', 'A2', 'A3', 'B1', 'B2', 'M', 'N', 'P']);

function checkLicence(row: Checked, r: Reporter): void {
  if (row.validUntil != null && row.firstIssuedOn !== undefined && row.validUntil <= row.firstIssuedOn) {
    r.report('valid_until', problem('inconsistent', 'row_valid_until_order'));
  }
  if (row.extensionUntil != null && row.classes !== undefined && !row.classes.some((c) => EXTENDABLE.has(c))) {
    r.report(
      'extension_until',
      problem('inconsistent', 'row_extension_class'),
    );
  }
}

const COLUMN_ORDER = new Map<RegistryField, number>(REGISTRY_FIELDS.map((field, index) => [field, index]));

function sortByColumn(errors: RowError[]): RowError[] {
  return errors.sort((a, b) => (COLUMN_ORDER.get(a.field) ?? 0) - (COLUMN_ORDER.get(b.field) ?? 0));
}

function toRecord(row: Parsed): LicenceRecord {
  return {
    fileNumber: row.fileNumber,
    idNumber: row.id.idNumber,
    birthDate: row.id.birthDate,
    sex: row.id.sex,
    name: row.name,
    phone: row.phone.phone,
    phoneKind: row.phone.phoneKind,
    address: row.address,
    community: row.community,
    classes: row.classes,
    firstIssuedOn: row.firstIssuedOn,
    validUntil: row.validUntil,
    extensionUntil: row.extensionUntil,
    lastCertSubmittedOn: row.lastCertSubmittedOn,
    status: row.status,
    lat: row.lat,
    lng: row.lng,
  };
}
