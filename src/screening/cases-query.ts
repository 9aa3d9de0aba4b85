import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { afterCursor, encodeCursor } from '../http/pagination.ts';
import { toCsvLine } from '../registry/csv-write.ts';
import type { Locale } from '../i18n/locale.ts';
import { formatPhone } from '../shared/phone-display.ts';
import type { CaseCategory } from './case.ts';
import type { CasesFilter } from './views.ts';

/**
 * The articles each case rests on, as RULES.md §3 cites them for its category (the rules in
 * rules.ts carry the same citations): "Art N" is an article of the Regulation (MPS Order 162 as
 * amended by Order 172). The first names the duty and its deadline, the next the consequence.
 */
export const CASE_ARTICLES: Record<CaseCategory, readonly string[]> = {
  annual_exam_70: ['Art 74', 'Art 79(9)'],
  downgrade_63: ['Art 65 para 1'],
  downgrade_70: ['Art 65 para 2'],
  cancellation_notice: ['Art 79(10)'],
  expiry_renewal: ['Art 63', 'Art 79(8)'],
};

export const CASE_SORTS = ['due_asc', 'due_desc'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];

/** One page (+1 row, to tell whether another follows) of cases with their driver, by (due_on, id). */
export async function listCases(db: Kysely<DB>, filter: Omit<CasesFilter, 'sort'> & { sort?: CaseSort | undefined }) {
  const direction = filter.sort === 'due_desc' ? 'desc' : 'asc';
  let q = db
    .selectFrom('cases')
    .innerJoin('licences', 'licences.file_number', 'cases.file_number')
    .selectAll('cases')
    .select([
      'licences.name', 'licences.phone', 'licences.address', 'licences.community', 'licences.id_masked',
      'licences.birth_date', 'licences.sex', 'licences.classes',
    ])
    .orderBy('cases.due_on', direction)
    .orderBy('cases.id', direction)
    .limit(filter.limit + 1);
  if (filter.status !== 'all') q = q.where('cases.status', '=', filter.status);
  if (filter.category) q = q.where('cases.category', '=', filter.category);
  if (filter.overdue !== undefined) q = q.where('cases.overdue', '=', filter.overdue ? 1 : 0);
  if (filter.community) q = q.where('licences.community', '=', filter.community);
  // The registry has no district column: the district (东昌府区, 莘县) is read in the address.
  if (filter.district) q = q.where(sql<boolean>`instr(licences.address, ${filter.district}) > 0`);
  if (filter.dueBefore) q = q.where('cases.due_on', '<', filter.dueBefore);
  if (filter.dueAfter) q = q.where('cases.due_on', '>', filter.dueAfter);
  if (filter.fileNumber) q = q.where('cases.file_number', '=', filter.fileNumber);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['cases.due_on', 'cases.id'], direction));
  return q.execute();
}

export type CaseListRow = Awaited<ReturnType<typeof listCases>>[number];

/** The case list's CSV columns (header in the reader's language; values are stable codes and dates). */
const CSV_COLUMNS: ReadonlyArray<{ header: Record<Locale, string>; cell: (r: CaseListRow) => string }> = [
  { header: { 'zh-CN': '业务编号', en: 'case_id' }, cell: (r) => r.id },
  { header: { 'zh-CN': '档案编号', en: 'file_number' }, cell: (r) => r.file_number },
  { header: { 'zh-CN': '身份证明号码（打码）', en: 'id_number_masked' }, cell: (r) => r.id_masked },
  { header: { 'zh-CN': '姓名', en: 'name' }, cell: (r) => r.name },
  { header: { 'zh-CN': '联系电话', en: 'phone' }, cell: (r) => formatPhone(r.phone) },
  { header: { 'zh-CN': '联系地址', en: 'address' }, cell: (r) => r.address },
  { header: { 'zh-CN': '社区', en: 'community' }, cell: (r) => r.community ?? '' },
  { header: { 'zh-CN': '类别', en: 'category' }, cell: (r) => r.category },
  { header: { 'zh-CN': '状态', en: 'status' }, cell: (r) => r.status },
  { header: { 'zh-CN': '触发日', en: 'trigger_on' }, cell: (r) => r.trigger_on },
  { header: { 'zh-CN': '可办理日', en: 'opens_on' }, cell: (r) => r.opens_on },
  { header: { 'zh-CN': '截止日', en: 'due_on' }, cell: (r) => r.due_on },
  { header: { 'zh-CN': '注销风险日', en: 'lapses_on' }, cell: (r) => r.lapses_on ?? '' },
  { header: { 'zh-CN': '已逾期', en: 'overdue' }, cell: (r) => (r.overdue === 1 ? 'true' : 'false') },
  { header: { 'zh-CN': '降级后准驾车型', en: 'target_classes' }, cell: (r) => (r.target_classes === null ? '' : (JSON.parse(r.target_classes) as string[]).join(' ')) },
  { header: { 'zh-CN': '需三力测试', en: 'needs_cognitive_test' }, cell: (r) => (r.needs_cognitive_test === 1 ? 'true' : 'false') },
  { header: { 'zh-CN': '注销原因', en: 'reason' }, cell: (r) => r.reason ?? '' },
  { header: { 'zh-CN': '依据条款', en: 'articles' }, cell: (r) => CASE_ARTICLES[r.category].join('; ') },
];

export function caseCsvHeader(locale: Locale): string[] {
  return CSV_COLUMNS.map((c) => c.header[locale]);
}

export function caseCsvCells(r: CaseListRow): string[] {
  return CSV_COLUMNS.map((c) => c.cell(r));
}

/** Rows of the CSV read per query: enough to stream quickly, few enough to hold little memory. */
const CSV_BATCH = 1000;

/**
 * The case list as CSV text, chunk by chunk (the API route and the console stream it): a BOM so
 * spreadsheet programs read UTF-8 (Chinese) right, the header, then the rows in batches, every
 * cell made inert (csv-write.ts). ID numbers only masked.
 */
export async function* casesCsv(db: Kysely<DB>, filter: Omit<CasesFilter, 'limit' | 'cursor' | 'sort'> & { sort?: CaseSort | undefined }, locale: Locale): AsyncGenerator<string> {
  yield '\uFEFF' + toCsvLine(caseCsvHeader(locale));
  let cursor: string | undefined;
  for (;;) {
    const rows = await listCases(db, { ...filter, limit: CSV_BATCH, cursor });
    const batch = rows.slice(0, CSV_BATCH);
    if (batch.length > 0) yield batch.map((r) => toCsvLine(caseCsvCells(r))).join('');
    const last = batch[batch.length - 1];
    if (rows.length <= CSV_BATCH || last === undefined) return;
    cursor = encodeCursor([last.due_on, last.id]);
  }
}
