import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRegistryRows, writeRegistryCsv } from '../../src/demo/demo-data.ts';
import { addDays, addYears, ageOn, isCivilDate } from '../../src/shared/civil-date.ts';
import { parseIdNumber } from '../../src/registry/id-number.ts';
import { LICENCE_CLASSES } from '../../src/registry/licence.ts';
import { unescapeFormulaCell } from '../../src/registry/csv-write.ts';

const TODAY = '2025-06-15';
const COUNT = 4000;
const HEADER = [
  'file_number', 'id_number', 'name', 'phone', 'address', 'community', 'classes', 'first_issued_on',
  'valid_until', 'extension_until', 'last_cert_submitted_on', 'status', 'lat', 'lng',
] as const;

type Row = Record<(typeof HEADER)[number], string>;

function rowsOf(count: number, seed: number): string[][] {
  return [...generateRegistryRows({ count, seed, today: TODAY })];
}

function toRecord(cells: string[]): Row {
  return Object.fromEntries(HEADER.map((h, i) => [h, cells[i] ?? ''])) as Row;
}

const all = rowsOf(COUNT, 42);
const rows = all.slice(1).map(toRecord);

function share(predicate: (r: Row) => boolean, of: readonly Row[] = rows): number {
  return of.filter(predicate).length / of.length;
}

function birthOf(r: Row): string {
  const info = parseIdNumber(r.id_number, TODAY);
  if (typeof info === 'string') throw new Error(`bad id ${info}`);
  return info.birthDate;
}

// §2: codes written together or separated by spaces , ， 、 /
const CLASS_CODE = /A[123]|B[12]|C[1-6]|[DEFMNP]/gi;
function classesOf(text: string): string[] {
  const compact = text.replace(/[\s,，、/]+/g, '');
  const codes = compact.match(CLASS_CODE) ?? [];
  if (codes.join('') !== compact) throw new Error(`unknown class in ${text}`);
  return codes.map((c) => c.toUpperCase());
}

// §2 phone rule: spaces and dashes ignored; mobile with optional +86/0086/86, or 0 + 9-11 digits.
const MOBILE = /^(?:\+86|0086|86)?1[3-9]\d{9}$/;
const LANDLINE = /^0\d{9,11}$/;
function phoneKind(raw: string): 'mobile' | 'landline' | null {
  const compact = raw.replace(/[\s-]/g, '');
  return MOBILE.test(compact) ? 'mobile' : LANDLINE.test(compact) ? 'landline' : null;
}

/**
 * A minimal RFC 4180 reader, enough to check the writer's quoting; cells as the import reads them
 * (the apostrophe that keeps `+86 ...` from running as a formula removed, src/registry/csv-write.ts).
 */
function parseCsv(text: string): string[][] {
  return parseRawCsv(text).map((cells) => cells.map(unescapeFormulaCell));
}

function parseRawCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), out.push(row), (row = []), (cell = '');
    else cell += ch;
  }
  if (quoted) throw new Error('unbalanced quote');
  if (cell !== '' || row.length > 0) throw new Error('missing final newline');
  return out;
}

describe('generateRegistryRows', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    expect(rowsOf(300, 42)).toEqual(all.slice(0, 301));
    const other = rowsOf(300, 43);
    expect(other[0]).toEqual(all[0]);
    expect(other.slice(1)).not.toEqual(all.slice(1, 301));
  });

  it('yields a shorter run as a prefix of a longer one', () => {
    expect(rowsOf(50, 42)).toEqual(all.slice(0, 51));
  });

  it('starts with the English header in RULES.md order, or the Chinese one on request', () => {
    expect(all[0]).toEqual(HEADER);
    const [zh] = generateRegistryRows({ count: 1, seed: 1, today: TODAY, chineseHeaders: true });
    expect(zh).toEqual([
      '档案编号', '身份证明号码', '姓名', '联系电话', '联系地址', '社区', '准驾车型', '初次领证日期',
      '有效期止', '延长驾驶资格期限', '最近提交身体条件证明日期', '状态', '纬度', '经度',
    ]);
  });

  it('yields exactly count data rows of 14 cells', () => {
    expect(all).toHaveLength(COUNT + 1);
    expect(all.every((r) => r.length === 14)).toBe(true);
    expect(rowsOf(0, 1)).toEqual([HEADER]);
  });

  it('rejects a bad count or today', () => {
    expect(() => rowsOf(-1, 1)).toThrow(RangeError);
    expect(() => [...generateRegistryRows({ count: 1, seed: 1, today: '2025-02-30' })]).toThrow(RangeError);
  });

  it('gives unique 12-digit file numbers with the 3715 prefix', () => {
    expect(rows.every((r) => /^3715\d{8}$/.test(r.file_number))).toBe(true);
    expect(new Set(rows.map((r) => r.file_number)).size).toBe(COUNT);
  });

  it('gives unique, valid Liaocheng ID numbers of both sexes', () => {
    const areas = new Set(['371502', '371521', '371522', '371523', '371524', '371525', '371526', '371581']);
    const infos = rows.map((r) => parseIdNumber(r.id_number, TODAY));
    expect(infos.filter((i) => typeof i === 'string')).toEqual([]);
    expect(rows.every((r) => areas.has(r.id_number.slice(0, 6)))).toBe(true);
    expect(new Set(rows.map((r) => r.id_number)).size).toBe(COUNT);
    const males = infos.filter((i) => typeof i !== 'string' && i.sex === 'M').length / COUNT;
    expect(males).toBeGreaterThan(0.55);
    expect(males).toBeLessThan(0.85);
  });

  it('clusters ages near 63 and 70 within 25..90', () => {
    const ages = rows.map((r) => ageOn(birthOf(r), TODAY));
    const count = (lo: number, hi: number): number => ages.filter((a) => a >= lo && a <= hi).length / COUNT;
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...ages)).toBeLessThanOrEqual(90);
    expect(count(60, 66)).toBeGreaterThan(0.32);
    expect(count(60, 66)).toBeLessThan(0.44);
    expect(count(67, 80)).toBeGreaterThan(0.4);
    expect(count(67, 80)).toBeLessThan(0.51);
    expect(count(62, 63)).toBeGreaterThan(2 * count(60, 60));
    expect(count(69, 70)).toBeGreaterThan(2 * count(75, 75));
  });

  it('writes Chinese names of 2 to 5 characters', () => {
    expect(rows.every((r) => /^[\u4e00-\u9fff]{2,5}$/.test(r.name))).toBe(true);
    expect(share((r) => r.name.startsWith('王') || r.name.startsWith('李'))).toBeGreaterThan(0.1);
  });

  it('writes phones that meet the RULES.md rule, ~8% of them landlines', () => {
    const kinds = rows.map((r) => phoneKind(r.phone));
    expect(kinds.filter((k) => k === null)).toEqual([]);
    const landlines = kinds.filter((k) => k === 'landline').length / COUNT;
    expect(landlines).toBeGreaterThan(0.05);
    expect(landlines).toBeLessThan(0.11);
    expect(new Set(rows.map((r) => r.phone.replace(/\d/g, '9'))).size).toBeGreaterThan(5);
  });

  it('uses only known class codes, C1 most often, in assorted styles', () => {
    const known = new Set<string>(LICENCE_CLASSES);
    const lists = rows.map((r) => classesOf(r.classes));
    expect(lists.flat().every((c) => known.has(c))).toBe(true);
    expect(lists.every((l) => l.length > 0)).toBe(true);
    expect(share((r) => classesOf(r.classes).includes('C1'))).toBeGreaterThan(0.4);
    expect(rows.some((r) => /[,/、，\s]/.test(r.classes))).toBe(true);
    expect(rows.some((r) => r.classes !== r.classes.toUpperCase())).toBe(true);
    expect(rows.some((r) => classesOf(r.classes).every((c) => 'MNP'.includes(c)))).toBe(true);
  });

  it('keeps first issue between the 18th birthday and today, and validity after it', () => {
    for (const r of rows) {
      expect(isCivilDate(r.first_issued_on)).toBe(true);
      expect(r.first_issued_on >= addYears(birthOf(r), 18)).toBe(true);
      expect(r.first_issued_on <= TODAY).toBe(true);
      if (r.valid_until !== '长期') {
        expect(isCivilDate(r.valid_until)).toBe(true);
        expect(r.valid_until > r.first_issued_on).toBe(true);
        // Never more than a year expired: that licence would count as cancelled.
        expect(r.valid_until >= addDays(TODAY, -365)).toBe(true);
      }
    }
  });

  it('mixes long-term, soon-expiring and recently expired licences', () => {
    expect(share((r) => r.valid_until === '长期')).toBeGreaterThan(0.05);
    expect(share((r) => r.valid_until === '长期')).toBeLessThan(0.15);
    expect(rows.filter((r) => r.valid_until === '长期').every((r) => r.first_issued_on <= addYears(TODAY, -16))).toBe(true);
    const soon = share((r) => r.valid_until !== '长期' && r.valid_until >= TODAY && r.valid_until <= addDays(TODAY, 183));
    expect(soon).toBeGreaterThan(0.05);
    expect(share((r) => r.valid_until !== '长期' && r.valid_until < TODAY)).toBeGreaterThan(0.005);
  });

  it('sets an extension only for A1-B2/M/N/P holders aged 63-65, within the Art 65 window', () => {
    const extended = rows.filter((r) => r.extension_until !== '');
    expect(extended.length).toBeGreaterThan(10);
    for (const r of extended) {
      const birth = birthOf(r);
      const age = ageOn(birth, TODAY);
      expect(age).toBeGreaterThanOrEqual(63);
      expect(age).toBeLessThanOrEqual(65);
      expect(classesOf(r.classes).some((c) => /^(A[123]|B[12]|[MNP])$/.test(c))).toBe(true);
      expect(r.extension_until >= addYears(birth, 63)).toBe(true);
      expect(r.extension_until <= addDays(addYears(birth, 66), -1)).toBe(true);
    }
  });

  it('gives most drivers of 70+ a certificate date, some of them due again', () => {
    const seniors = rows.filter((r) => ageOn(birthOf(r), TODAY) >= 70);
    const withCert = seniors.filter((r) => r.last_cert_submitted_on !== '');
    expect(withCert.length / seniors.length).toBeGreaterThan(0.7);
    expect(rows.filter((r) => ageOn(birthOf(r), TODAY) < 70).every((r) => r.last_cert_submitted_on === '')).toBe(true);
    for (const r of withCert) {
      expect(isCivilDate(r.last_cert_submitted_on)).toBe(true);
      expect(r.last_cert_submitted_on > r.first_issued_on).toBe(true);
      expect(r.last_cert_submitted_on <= TODAY).toBe(true);
    }
    // Due: submitted on or before the last scoring-cycle end (RULES.md §3).
    const due = withCert.filter((r) => {
      const years = ageOn(r.first_issued_on, TODAY);
      return r.last_cert_submitted_on <= addDays(addYears(r.first_issued_on, years), -1);
    });
    // Some, not a third: an office's registry is mostly up to date (issue 14).
    expect(due.length / withCert.length).toBeGreaterThan(0.03);
    expect(due.length / withCert.length).toBeLessThan(0.15);
  });

  it('holds large-vehicle classes as a registry would: exchanged at 63 (66 with an extension) and at 70', () => {
    // Otherwise the screening finds a downgrade due in 2006 (issue 14).
    for (const r of rows) {
      const age = ageOn(birthOf(r), TODAY);
      const classes = classesOf(r.classes);
      if (age >= 66) expect(classes.some((c) => /^(A[123]|B[12])$/.test(c)), `${age} ${r.classes}`).toBe(false);
      if (age >= 64 && classes.some((c) => /^(A[123]|B[12])$/.test(c))) expect(r.extension_until, `${age} ${r.classes}`).not.toBe('');
      if (age >= 71) expect(classes.some((c) => /^(C[346]|D|E)$/.test(c)), `${age} ${r.classes}`).toBe(false);
    }
  });

  it('uses only the statuses of RULES.md, mostly active', () => {
    const allowed = new Set(['', 'active', 'Active', '正常', 'cancelled', '注销', 'revoked', '吊销']);
    expect(rows.every((r) => allowed.has(r.status))).toBe(true);
    expect(share((r) => ['', 'active', 'Active', '正常'].includes(r.status))).toBeGreaterThan(0.95);
    expect(rows.some((r) => r.status === 'cancelled' || r.status === '注销')).toBe(true);
  });

  it('gives lat and lng together (~5% without), around Liaocheng', () => {
    expect(rows.every((r) => (r.lat === '') === (r.lng === ''))).toBe(true);
    const missing = share((r) => r.lat === '');
    expect(missing).toBeGreaterThan(0.02);
    expect(missing).toBeLessThan(0.09);
    for (const r of rows.filter((x) => x.lat !== '')) {
      expect(Number(r.lat)).toBeGreaterThan(35.8);
      expect(Number(r.lat)).toBeLessThan(37.1);
      expect(Number(r.lng)).toBeGreaterThan(115.2);
      expect(Number(r.lng)).toBeLessThan(116.5);
    }
  });

  it('places ~85% of rows in ~200 communities whose members live close together', () => {
    expect(share((r) => r.community !== '')).toBeGreaterThan(0.8);
    expect(share((r) => r.community !== '')).toBeLessThan(0.9);
    const byCommunity = new Map<string, Row[]>();
    for (const r of rows.filter((x) => x.community !== '' && x.lat !== '')) {
      byCommunity.set(r.community, [...(byCommunity.get(r.community) ?? []), r]);
    }
    expect(byCommunity.size).toBeGreaterThan(150);
    expect(byCommunity.size).toBeLessThanOrEqual(200);
    for (const members of byCommunity.values()) {
      const lats = members.map((r) => Number(r.lat));
      const lngs = members.map((r) => Number(r.lng));
      expect(Math.max(...lats) - Math.min(...lats)).toBeLessThan(0.005);
      expect(Math.max(...lngs) - Math.min(...lngs)).toBeLessThan(0.005);
      expect(members.every((r) => r.address.includes(r.community))).toBe(true);
    }
  });

  it('writes addresses in Liaocheng', () => {
    expect(rows.every((r) => /^(山东省)?聊城市/.test(r.address))).toBe(true);
  });
});

describe('writeRegistryCsv', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-data-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a parseable CSV file with one line per row, equal to the generated rows', async () => {
    const path = join(dir, 'registry.csv');
    const result = await writeRegistryCsv({ count: COUNT, seed: 42, today: TODAY, out: path });
    const text = await readFile(path, 'utf8');
    expect(result).toEqual({ rows: COUNT, bytes: (await stat(path)).size });
    expect(text.startsWith(HEADER.join(',') + '\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(text.split('\n')).toHaveLength(COUNT + 2); // the last line ends with LF
    expect(parseCsv(text)).toEqual(all);
    expect(text).toMatch(/"[^"\n]*,[^"\n]*"/); // classes like "C1,D" are quoted
  });

  it('waits for drain on a slow stream and leaves it open', async () => {
    const chunks: Buffer[] = [];
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        setImmediate(callback);
      },
    });
    slow.on('drain', () => drains++);
    const result = await writeRegistryCsv({ count: 2000, seed: 7, today: TODAY, out: slow });
    expect(slow.writableEnded).toBe(false);
    expect(drains).toBeGreaterThan(0);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(result).toEqual({ rows: 2000, bytes: Buffer.byteLength(text) });
    expect(parseCsv(text)).toEqual(rowsOf(2000, 7));
  });

  it('rejects, without crashing, when the file cannot be created', async () => {
    const path = join(dir, 'no-such-dir', 'registry.csv');
    await expect(writeRegistryCsv({ count: 10, seed: 1, today: TODAY, out: path })).rejects.toThrow(/ENOENT/);
  });

  it('rejects when the destination stream fails midway', async () => {
    let writes = 0;
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(++writes > 2 ? new Error('disk full') : null);
      },
    });
    await expect(writeRegistryCsv({ count: 5000, seed: 1, today: TODAY, out: failing })).rejects.toThrow('disk full');
  });
});
