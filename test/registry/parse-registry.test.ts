import { describe, expect, it } from 'vitest';
import { mapHeader, REGISTRY_FIELDS, type RegistryField } from '../../src/registry/columns.ts';
import { CsvFileError } from '../../src/registry/csv.ts';
import { idCheckCharacter } from '../../src/registry/id-number.ts';
import { NumberSet, parseRegistry, type RegistryBatch } from '../../src/registry/parse-registry.ts';

const TODAY = '2025-06-01';

/** A synthetic, checksum-valid ID number (Liaocheng area code). */
function syntheticId(birth: string, sequence = '123'): string {
  const first17 = `371502${birth.replaceAll('-', '')}${sequence}`;
  return first17 + idCheckCharacter(first17);
}

const ENGLISH = REGISTRY_FIELDS.join(',');
const CHINESE =
  '档案编号,身份证明号码,姓名,联系电话,联系地址,社区,准驾车型,初次领证日期,有效期止,延长驾驶资格期限,最近提交身体条件证明日期,状态,纬度,经度';

/** A valid row in REGISTRY_FIELDS order; `overrides` replace cells by field. */
function row(fileNumber: string, overrides: Partial<Record<RegistryField, string>> = {}): string {
  const values: Record<RegistryField, string> = {
    file_number: fileNumber,
    id_number: syntheticId('1950-03-10'),
    name: '测试甲',
    phone: '13800000001',
    address: '"山东省聊城市东昌府区测试路1号, 3号楼"',
    community: '水城花园',
    classes: 'A2D',
    first_issued_on: '1990-05-20',
    valid_until: '2030/5/20',
    extension_until: '',
    last_cert_submitted_on: '',
    status: '正常',
    lat: '36.45',
    lng: '115.98',
    ...overrides,
  };
  return REGISTRY_FIELDS.map((field) => values[field]).join(',');
}

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function batchesOf(text: string, chunkSize = 1 << 16): Promise<RegistryBatch[]> {
  const batches: RegistryBatch[] = [];
  for await (const batch of parseRegistry(chunked(text, chunkSize), { today: TODAY, maxRecordBytes: 1 << 20 })) {
    batches.push(batch);
  }
  return batches;
}

/** All batches merged. */
async function parse(text: string, chunkSize?: number) {
  const batches = await batchesOf(text, chunkSize);
  return {
    warnings: batches.flatMap((b) => b.warnings),
    valid: batches.flatMap((b) => b.valid),
    rejected: batches.flatMap((b) => b.rejected),
  };
}

async function fileError(text: string): Promise<CsvFileError> {
  try {
    await batchesOf(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CsvFileError);
    return err as CsvFileError;
  }
  throw new Error('expected a CsvFileError');
}

const lines = (...rows: string[]) => `${rows.join('\n')}\n`;

describe('parseRegistry: header', () => {
  it('yields the header outcome first, before any row', async () => {
    const batches = await batchesOf(lines(`${ENGLISH},remark`, `${row('000000000001')},note`));
    expect(batches[0]).toEqual({
      valid: [],
      rejected: [],
      known: 0,
      warnings: ['Column 15 ("remark") is not a registry column and is ignored.'],
      header: [...REGISTRY_FIELDS, 'remark'],
    });
    expect(batches.slice(1).flatMap((b) => b.valid)).toHaveLength(1);
    expect(batches.slice(1).every((b) => b.header === null && b.warnings.length === 0)).toBe(true);
  });

  it('yields the header outcome even when there is nothing to warn about', async () => {
    const [first] = await batchesOf(lines(ENGLISH, row('000000000001')));
    expect(first).toEqual({ valid: [], rejected: [], known: 0, warnings: [], header: [...REGISTRY_FIELDS] });
  });

  it('accepts a header-only file as zero rows', async () => {
    expect(await batchesOf(ENGLISH)).toEqual([{ valid: [], rejected: [], known: 0, warnings: [], header: [...REGISTRY_FIELDS] }]);
  });

  it('reads Chinese headers', async () => {
    const { valid } = await parse(`\ufeff${lines(CHINESE, row('000000000001'))}`);
    expect(valid[0]!.record).toMatchObject({ fileNumber: '000000000001', classes: ['A2', 'D'], status: 'active' });
  });

  it('reads headers in any order and any mix of languages, trimmed and case-insensitive', async () => {
    const header = [' Phone ', '档案编号', '\u3000身份证号\u3000', 'NAME', '联系地址', '准驾车型', 'First_Issued_On', '有效期止'];
    const cells = ['138-0000-0002', '000000000002', syntheticId('1950-03-10'), '测试乙', '聊城', 'c1', '1990-05-20', '长期'];
    const { valid, warnings } = await parse(lines(header.join(','), cells.join(',')));
    expect(warnings).toEqual([]);
    expect(valid[0]!.record).toMatchObject({
      fileNumber: '000000000002',
      name: '测试乙',
      phone: '+8613800000002',
      classes: ['C1'],
      validUntil: null,
      community: null,
      lat: null,
    });
  });

  it('warns about each unknown column with its position and header, and ignores its cells', async () => {
    const { warnings, valid } = await parse(lines(`备注,${ENGLISH},,extra`, `随便,${row('000000000001')},x,y`));
    expect(warnings).toEqual([
      'Column 1 ("备注") is not a registry column and is ignored.',
      'Column 16 has an empty header and is ignored.',
      'Column 17 ("extra") is not a registry column and is ignored.',
    ]);
    expect(valid).toHaveLength(1);
  });

  it('rejects a file missing required columns, naming them', async () => {
    const header = REGISTRY_FIELDS.filter((f) => f !== 'phone' && f !== 'classes').join(',');
    const error = await fileError(lines(header));
    expect(error).toMatchObject({ code: 'missing_column', line: 1 });
    expect(error.message).toBe('Line 1: missing required columns: phone (联系电话), classes (准驾车型).');
  });

  it('rejects lat without lng', async () => {
    const header = REGISTRY_FIELDS.filter((f) => f !== 'lng').join(',');
    expect((await fileError(lines(header))).message).toContain('lng (经度)');
  });

  it('accepts a file without the optional columns', async () => {
    const header = 'file_number,id_number,name,phone,address,classes,first_issued_on,valid_until';
    const cells = ['000000000003', syntheticId('1950-03-10'), '测试丙', '13800000003', '聊城', 'C1', '1990-05-20', '2030-05-20'];
    const { valid } = await parse(lines(header, cells.join(',')));
    expect(valid[0]!.record).toMatchObject({ community: null, status: 'active', lat: null, lng: null });
  });

  it('rejects a column given twice, in one language or two', async () => {
    const twice = await fileError(lines(`${ENGLISH},姓名`));
    expect(twice).toMatchObject({ code: 'duplicate_column', line: 1 });
    expect(twice.message).toBe('Line 1: a column is given twice: columns 3 and 15 are both name (姓名).');
    expect(await fileError(lines(`${CHINESE},身份证号`))).toMatchObject({ code: 'duplicate_column' });
  });

  it('names the header line when blank lines precede it', async () => {
    expect(await fileError('\n\nfile_number\n')).toMatchObject({ code: 'missing_column', line: 3 });
  });

  it('does not echo a data row mistaken for a header', async () => {
    const error = await fileError(lines(row('000000000001')));
    expect(error.code).toBe('missing_column');
    expect(error.message).not.toContain('测试甲');
    expect(error.message).not.toContain('13800000001');
  });

  it('rejects an empty file', async () => {
    expect(await fileError('')).toMatchObject({ code: 'empty_file', line: 1 });
  });

  it('maps header cells one by one (mapHeader)', () => {
    const { columns, warnings } = mapHeader(['姓名', 'ID_NUMBER', 'x', ...REGISTRY_FIELDS.filter((f) => f !== 'name' && f !== 'id_number')], 1);
    expect(columns.name).toBe(0);
    expect(columns.id_number).toBe(1);
    expect(columns.file_number).toBe(3);
    expect(warnings).toHaveLength(1);
  });

  it('does not take prototype names for headers', () => {
    const { warnings } = mapHeader([...REGISTRY_FIELDS, 'constructor', 'toString', '__proto__'], 1);
    expect(warnings).toHaveLength(3);
  });
});

describe('parseRegistry: rows', () => {
  it('separates valid and rejected rows, with the physical line of each', async () => {
    const text =
      `${ENGLISH}\r\n` +
      `${row('000000000001', { address: '"多行\n地址"' })}\r\n` +
      `\r\n` +
      `${row('000000000002', { phone: 'none' })}\r\n` +
      `${row('000000000003')}`;
    const { valid, rejected } = await parse(text);
    expect(valid.map((v) => [v.line, v.record.fileNumber])).toEqual([
      [2, '000000000001'],
      [6, '000000000003'],
    ]);
    expect(valid[0]!.record.address).toBe('多行\n地址');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      line: 5,
      errors: [{ line: 5, field: 'phone', code: 'invalid_format' }],
    });
    expect(rejected[0]!.cells[0]).toBe('000000000002');
  });

  it('gives the same outcome whatever the chunk size', async () => {
    const text =
      `\ufeff${CHINESE}\r\n` +
      Array.from({ length: 30 }, (_, i) =>
        row(String(100000000000 + i), i % 4 === 0 ? { name: '' } : { address: `"测试路${i}号,\r\n${i}号楼"` }),
      ).join('\r\n');
    const reference = await parse(text);
    expect(reference.valid).toHaveLength(22);
    expect(reference.rejected).toHaveLength(8);
    for (const size of [1, 7, 13]) expect(await parse(text, size)).toEqual(reference);
  });

  it('rejects a file with a row of too few cells, naming its line', async () => {
    const text = lines(ENGLISH, row('000000000001', { address: '"two\nlines"' }), '000000000002,x');
    const error = await fileError(text);
    expect(error).toMatchObject({ code: 'cell_count', line: 4 });
    expect(error.message).toBe('Line 4: the row has 2 cells but the header has 14.');
  });

  it('rejects a file with a row of too many cells', async () => {
    expect(await fileError(lines(ENGLISH, `${row('000000000001')},extra`))).toMatchObject({ code: 'cell_count', line: 2 });
  });

  it('raises a file error even after batches of rows were yielded', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(String(100000000000 + i)));
    const text = lines(ENGLISH, ...rows, 'short,row');
    const seen: RegistryBatch[] = [];
    const error = await (async () => {
      try {
        for await (const b of parseRegistry(chunked(text, 4096), { today: TODAY, maxRecordBytes: 1 << 20 })) seen.push(b);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).toMatchObject({ code: 'cell_count', line: 3002 });
    expect(seen.flatMap((b) => b.valid).length).toBeGreaterThan(0);
  });
});

describe('parseRegistry: duplicate file numbers', () => {
  it('processes the first row normally and rejects every later one', async () => {
    const { valid, rejected } = await parse(
      lines(ENGLISH, row('000000000001'), row('000000000002'), row('000000000001'), row('000000000001', { name: '测试丁' })),
    );
    expect(valid.map((v) => v.line)).toEqual([2, 3]);
    expect(rejected.map((r) => [r.line, r.errors.map((e) => [e.field, e.code])])).toEqual([
      [4, [['file_number', 'duplicate']]],
      [5, [['file_number', 'duplicate']]],
    ]);
    expect(rejected[0]!.errors[0]!.message).toBe('file_number already appears on an earlier row of the file.');
  });

  it('rejects a later row even when the first row with that number was itself rejected', async () => {
    const { valid, rejected } = await parse(lines(ENGLISH, row('000000000001', { phone: 'x' }), row('000000000001')));
    expect(valid).toEqual([]);
    expect(rejected.map((r) => [r.line, r.errors.map((e) => e.code)])).toEqual([
      [2, ['invalid_format']],
      [3, ['duplicate']],
    ]);
  });

  it('reports the duplicate together with the row’s other errors', async () => {
    const { rejected } = await parse(lines(ENGLISH, row('000000000001'), row('000000000001', { status: '?', lat: '' })));
    expect(rejected[0]!.errors.map((e) => [e.field, e.code])).toEqual([
      ['file_number', 'duplicate'],
      ['status', 'unknown_value'],
      ['lat', 'required'],
    ]);
  });

  it('matches file numbers after trimming, and never matches malformed ones', async () => {
    const { valid, rejected } = await parse(
      lines(ENGLISH, row('000000000001'), row(' 000000000001\u3000'), row('1'), row('1'), row('00000000001'), row('000000000010')),
    );
    expect(valid.map((v) => v.line)).toEqual([2, 7]);
    expect(rejected.map((r) => [r.line, r.errors[0]!.code])).toEqual([
      [3, 'duplicate'],
      [4, 'invalid_format'],
      [5, 'invalid_format'],
      [6, 'invalid_format'],
    ]);
  });

  it('tracks file numbers across batches', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => row(String(371500000000 + (i % 1500))));
    const { valid, rejected } = await parse(lines(ENGLISH, ...rows), 4096);
    expect(valid).toHaveLength(1500);
    expect(rejected).toHaveLength(500);
    expect(rejected.every((r) => r.line > 1501 && r.errors[0]!.code === 'duplicate')).toBe(true);
  });
});

describe('NumberSet', () => {
  it('adds each number once', () => {
    const set = new NumberSet();
    expect(set.add(0)).toBe(true);
    expect(set.add(999_999_999_999)).toBe(true);
    expect(set.add(0)).toBe(false);
    expect(set.add(999_999_999_999)).toBe(false);
    expect(set.size).toBe(2);
  });

  it('keeps every number while it grows', () => {
    const set = new NumberSet();
    const numbers = Array.from({ length: 200_000 }, (_, i) => 371_500_000_000 + i * 4_294_967_296 * (i % 3) + i);
    expect(numbers.every((n) => set.add(n))).toBe(true);
    expect(set.size).toBe(200_000);
    expect(numbers.every((n) => !set.add(n))).toBe(true);
    expect(set.add(1)).toBe(true);
  });
});
