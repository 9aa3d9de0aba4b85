import { describe, expect, it } from 'vitest';
import { mapHeader, REGISTRY_FIELDS, type RegistryField } from '../../src/registry/columns.ts';
import { idCheckCharacter } from '../../src/registry/id-number.ts';
import type { LicenceRecord } from '../../src/registry/licence.ts';
import { ROW_ERROR_CODES, validateRow, type RowError } from '../../src/registry/validate.ts';
import { ROW_DEFAULTS } from '../helpers/registry-csv.ts';

const TODAY = '2025-06-01';
const LINE = 7;

/** A synthetic, checksum-valid ID number (Liaocheng area code). Odd sequence = male. */
function syntheticId(birth: string, sequence = '123'): string {
  const first17 = `371502${birth.replaceAll('-', '')}${sequence}`;
  return first17 + idCheckCharacter(first17);
}

type Row = Partial<Record<RegistryField, string>>;

const BASE: Record<RegistryField, string> = {
  file_number: '371500123456',
  id_number: syntheticId('1950-03-10'),
  ...ROW_DEFAULTS,
};

const { columns } = mapHeader([...REGISTRY_FIELDS], 1);

function cells(row: Row): string[] {
  const values = { ...BASE, ...row };
  return REGISTRY_FIELDS.map((field) => values[field]);
}

function validate(row: Row, today = TODAY) {
  return validateRow(cells(row), LINE, columns, today);
}

function recordOf(row: Row, today = TODAY): LicenceRecord {
  const result = validate(row, today);
  if (!('record' in result)) throw new Error(`expected a record, got ${JSON.stringify(result.errors)}`);
  return result.record;
}

function errorsOf(row: Row, today = TODAY): RowError[] {
  const result = validate(row, today);
  if (!('errors' in result)) throw new Error('expected row errors');
  return result.errors;
}

/** The single error of the row, as [field, code]. */
function errorOf(row: Row, today = TODAY): [RegistryField, string] {
  const errors = errorsOf(row, today);
  expect(errors).toHaveLength(1);
  return [errors[0]!.field, errors[0]!.code];
}

describe('validateRow: a valid row', () => {
  it('builds the record with normalised values', () => {
    expect(recordOf({ status: '正常', last_cert_submitted_on: '2024/1/2' })).toEqual({
      fileNumber: '371500123456',
      idNumber: syntheticId('1950-03-10'),
      birthDate: '1950-03-10',
      sex: 'M',
      name: '测试甲',
      phone: '+8613800000001',
      phoneKind: 'mobile',
      address: '山东省聊城市东昌府区测试路1号',
      community: '水城花园',
      classes: ['C1'],
      firstIssuedOn: '1990-05-20',
      validUntil: '2030-05-20',
      extensionUntil: null,
      lastCertSubmittedOn: '2024-01-02',
      status: 'active',
      lat: 36.45,
      lng: 115.98,
    } satisfies LicenceRecord);
  });

  it('trims every cell of white space, the full-width space included', () => {
    const padded = Object.fromEntries(REGISTRY_FIELDS.map((f) => [f, `\u3000 ${BASE[f]}\t\u3000`]));
    expect(recordOf(padded)).toEqual(recordOf({}));
  });

  it('reads absent optional columns as empty', () => {
    const header = ['file_number', 'id_number', 'name', 'phone', 'address', 'classes', 'first_issued_on', 'valid_until'];
    const row = header.map((field) => BASE[field as RegistryField]);
    const result = validateRow(row, LINE, mapHeader(header, 1).columns, TODAY);
    expect(result).toMatchObject({
      record: { community: null, extensionUntil: null, lastCertSubmittedOn: null, status: 'active', lat: null, lng: null },
    });
  });
});

describe('validateRow: file_number', () => {
  it('accepts 12 digits, leading zeros kept', () => {
    expect(recordOf({ file_number: '000000000042' }).fileNumber).toBe('000000000042');
  });

  it('requires a value', () => {
    expect(errorOf({ file_number: ' ' })).toEqual(['file_number', 'required']);
  });

  it.each(['12345678901', '1234567890123', '12345678901A', '１２３４５６７８９０１２', '1.23457E+11', '123456 789012'])(
    'rejects %s',
    (value) => {
      expect(errorOf({ file_number: value })).toEqual(['file_number', 'invalid_format']);
    },
  );
});

describe('validateRow: id_number (GB 11643-1999, RULES.md §6)', () => {
  it('validates the RULES.md examples', () => {
    expect(recordOf({ id_number: '11010519491231002X', first_issued_on: '1970-01-01' })).toMatchObject({
      idNumber: '11010519491231002X',
      birthDate: '1949-12-31',
      sex: 'F',
    });
    // Born 1880: within 120 years of an import in 1999 (today it is more than 120 years back).
    expect(
      recordOf(
        { id_number: '440524188001010014', first_issued_on: '1950-01-01', valid_until: '长期', last_cert_submitted_on: '' },
        '1999-12-31',
      ),
    ).toMatchObject({ idNumber: '440524188001010014', birthDate: '1880-01-01', sex: 'M' });
  });

  it('rejects the 1880 example on an import today: more than 120 years back (RULES.md §2)', () => {
    expect(errorOf({ id_number: '440524188001010014', first_issued_on: '1950-01-01' })).toEqual(['id_number', 'out_of_range']);
  });

  it('accepts a lower-case x and stores it upper-case', () => {
    expect(recordOf({ id_number: '11010519491231002x', first_issued_on: '1970-01-01' }).idNumber).toBe('11010519491231002X');
  });

  it('takes the sex from the sequence digit', () => {
    expect(recordOf({ id_number: syntheticId('1950-03-10', '124') }).sex).toBe('F');
  });

  it('requires a value', () => {
    expect(errorOf({ id_number: '' })).toEqual(['id_number', 'required']);
  });

  it.each([
    ['a 15-digit legacy number', '110105491231002'],
    ['full-width digits', '１１０１０５１９４９１２３１００２Ｘ'],
    ['a space inside', '110105 19491231002X'],
    ['a zero-width space inside', '110105\u200b19491231002X'],
    ['a trailing zero-width space', '11010519491231002X\u200b'],
    ['19 characters', '11010519491231002X1'],
    ['a letter other than X', '11010519491231002Y'],
  ])('rejects %s as invalid_format', (_name, value) => {
    expect(errorOf({ id_number: value })).toEqual(['id_number', 'invalid_format']);
  });

  it('rejects a wrong check character', () => {
    expect(errorOf({ id_number: '110105194912310021' })).toEqual(['id_number', 'invalid_checksum']);
  });

  it('rejects a birth date that is not a real date', () => {
    expect(errorOf({ id_number: syntheticId('1950-02-30') })).toEqual(['id_number', 'invalid_date']);
  });

  it('rejects a birth date in the future', () => {
    expect(errorOf({ id_number: syntheticId('2025-06-02') })).toEqual(['id_number', 'out_of_range']);
  });

  it('accepts a birth date exactly 120 years back and rejects one day earlier', () => {
    const row = { first_issued_on: '1930-01-01', valid_until: '长期' };
    expect(recordOf({ ...row, id_number: syntheticId('1905-06-01') }).birthDate).toBe('1905-06-01');
    expect(errorOf({ ...row, id_number: syntheticId('1905-05-31') })).toEqual(['id_number', 'out_of_range']);
  });
});

describe('validateRow: name', () => {
  it('requires a value', () => {
    expect(errorOf({ name: '\u3000' })).toEqual(['name', 'required']);
  });

  it('counts characters, not UTF-16 units: 50 are fine, 51 are too long', () => {
    expect(recordOf({ name: '𠀀'.repeat(50) }).name).toBe('𠀀'.repeat(50));
    expect(recordOf({ name: 'a' }).name).toBe('a');
    expect(errorOf({ name: '张'.repeat(51) })).toEqual(['name', 'too_long']);
  });

  it('rejects a line break inside the name', () => {
    expect(errorOf({ name: '测试\n甲' })).toEqual(['name', 'invalid_format']);
  });
});

describe('validateRow: phone', () => {
  it.each([
    ['13812345678', '+8613812345678'],
    ['138 1234 5678', '+8613812345678'],
    ['138-1234-5678', '+8613812345678'],
    ['+86 138 1234 5678', '+8613812345678'],
    ['+8613812345678', '+8613812345678'],
    ['008613812345678', '+8613812345678'],
    ['8613812345678', '+8613812345678'],
    ['19912345678', '+8619912345678'],
  ])('reads the mobile %s as %s', (value, phone) => {
    expect(recordOf({ phone: value })).toMatchObject({ phone, phoneKind: 'mobile' });
  });

  it.each([
    ['0635-8123456', '+866358123456'],
    ['0635 81234567', '+8663581234567'],
    ['010-12345678', '+861012345678'],
    ['021-1234567', '+86211234567'],
  ])('reads the landline %s as %s', (value, phone) => {
    expect(recordOf({ phone: value })).toMatchObject({ phone, phoneKind: 'landline' });
  });

  it('requires a value', () => {
    expect(errorOf({ phone: '' })).toEqual(['phone', 'required']);
  });

  it.each([
    ['a mobile starting 12', '12812345678'],
    ['a mobile one digit short', '1381234567'],
    ['a mobile one digit long', '138123456789'],
    ['a landline under 10 digits', '063581234'],
    ['a landline over 12 digits', '0635812345678'],
    ['a mobile behind a 0', '013812345678'],
    ['a landline in international form', '+86 635 8123456'],
    ['a landline behind +86 0', '+86 0635 8123456'],
    ['brackets', '(0635)8123456'],
    ['full-width digits', '１３８１２３４５６７８'],
    ['letters', 'none'],
  ])('rejects %s', (_name, value) => {
    expect(errorOf({ phone: value })).toEqual(['phone', 'invalid_format']);
  });
});

describe('validateRow: address and community', () => {
  it('requires an address', () => {
    expect(errorOf({ address: '' })).toEqual(['address', 'required']);
  });

  it('rejects an address over 200 characters', () => {
    expect(recordOf({ address: '址'.repeat(200) }).address).toHaveLength(200);
    expect(errorOf({ address: '址'.repeat(201) })).toEqual(['address', 'too_long']);
  });

  it('reads an empty community as null', () => {
    expect(recordOf({ community: ' ' }).community).toBeNull();
  });

  it('rejects a community over 100 characters', () => {
    expect(errorOf({ community: '区'.repeat(101) })).toEqual(['community', 'too_long']);
  });
});

describe('validateRow: classes', () => {
  it.each([
    ['A2D', ['A2', 'D']],
    ['D A2', ['A2', 'D']],
    ['c1 m', ['C1', 'M']],
    ['B2,C1', ['B2', 'C1']],
    ['A1，A2、A3/B1', ['A1', 'A2', 'A3', 'B1']],
    ['C1\u3000E', ['C1', 'E']],
    ['C1C1 c1', ['C1']],
    ['PNMFEDC6C5C4C3C2C1B2B1A3A2A1', ['A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'D', 'E', 'F', 'M', 'N', 'P']],
    [' , C2 / ', ['C2']],
  ])('reads %s', (value, classes) => {
    expect(recordOf({ classes: value }).classes).toEqual(classes);
  });

  it('requires at least one class', () => {
    expect(errorOf({ classes: '' })).toEqual(['classes', 'required']);
    expect(errorOf({ classes: '、 /' })).toEqual(['classes', 'required']);
  });

  it.each(['C7', 'A', 'B', 'X', 'C1 G', 'A2;D', 'Ｃ１', '小型汽车'])('rejects the unknown code in %s', (value) => {
    expect(errorOf({ classes: value })).toEqual(['classes', 'unknown_value']);
  });
});

describe('validateRow: dates', () => {
  it.each(['2001-03-04', '2001/3/4', '2001/03/04', '2001/3/04', '20010304'])('reads %s as 2001-03-04', (value) => {
    expect(recordOf({ first_issued_on: value }).firstIssuedOn).toBe('2001-03-04');
  });

  it('accepts 29 February of a leap year', () => {
    expect(recordOf({ last_cert_submitted_on: '2024/2/29' }).lastCertSubmittedOn).toBe('2024-02-29');
  });

  it.each(['2001-3-4', '01-03-04', '2001.03.04', '2001年3月4日', '2001-03-04 00:00:00', '4/3/2001', '2001/003/4', '２００１-03-04'])(
    'rejects the format of %s',
    (value) => {
      expect(errorOf({ first_issued_on: value })).toEqual(['first_issued_on', 'invalid_format']);
    },
  );

  it.each(['2001-02-29', '2001/2/30', '20011301', '2001-04-31', '2001/0/1', '0000-01-01'])(
    'rejects %s as not a real date',
    (value) => {
      expect(errorOf({ first_issued_on: value })).toEqual(['first_issued_on', 'invalid_date']);
    },
  );
});

describe('validateRow: first_issued_on', () => {
  it('requires a value', () => {
    expect(errorOf({ first_issued_on: '' })).toEqual(['first_issued_on', 'required']);
  });

  it('accepts the day of import and rejects the day after', () => {
    expect(recordOf({ first_issued_on: TODAY, valid_until: '2031-06-01' }).firstIssuedOn).toBe(TODAY);
    expect(errorOf({ first_issued_on: '2025-06-02', valid_until: '2031-06-01' })).toEqual(['first_issued_on', 'out_of_range']);
  });

  it('accepts the 18th birthday and rejects the day before', () => {
    expect(recordOf({ first_issued_on: '1968-03-10' }).firstIssuedOn).toBe('1968-03-10');
    expect(errorOf({ first_issued_on: '1968-03-09' })).toEqual(['first_issued_on', 'out_of_range']);
  });

  it('moves the 18th birthday of someone born on 29 February to 1 March (RULES.md §1)', () => {
    const id_number = syntheticId('2000-02-29');
    expect(recordOf({ id_number, first_issued_on: '2018-03-01', valid_until: '2024-03-01' }).firstIssuedOn).toBe('2018-03-01');
    expect(errorOf({ id_number, first_issued_on: '2018-02-28', valid_until: '2024-03-01' })).toEqual([
      'first_issued_on',
      'out_of_range',
    ]);
  });

  it('skips the age check when the ID number is invalid', () => {
    expect(errorOf({ id_number: '110105194912310021', first_issued_on: '1950-01-01' })).toEqual([
      'id_number',
      'invalid_checksum',
    ]);
  });
});

describe('validateRow: valid_until', () => {
  it.each(['长期', 'long-term', 'LONG-TERM', 'Long-Term'])('reads %s as long-term (null)', (value) => {
    expect(recordOf({ valid_until: value }).validUntil).toBeNull();
  });

  it('requires a value', () => {
    expect(errorOf({ valid_until: '' })).toEqual(['valid_until', 'required']);
  });

  it('must be strictly after first_issued_on', () => {
    expect(recordOf({ valid_until: '1990-05-21' }).validUntil).toBe('1990-05-21');
    expect(errorOf({ valid_until: '1990-05-20' })).toEqual(['valid_until', 'inconsistent']);
    expect(errorOf({ valid_until: '1989-01-01' })).toEqual(['valid_until', 'inconsistent']);
  });

  it('rejects other words', () => {
    expect(errorOf({ valid_until: 'long term' })).toEqual(['valid_until', 'invalid_format']);
  });

  it('skips the order check when first_issued_on is itself invalid', () => {
    expect(errorOf({ first_issued_on: '2099-01-01', valid_until: '2000-01-01' })).toEqual(['first_issued_on', 'out_of_range']);
  });
});

describe('validateRow: extension_until (Art 65 para 1)', () => {
  // Born 1960-05-10: Bday(63) = 2023-05-10, Bday(66) - 1 day = 2026-05-09.
  const holder = { id_number: syntheticId('1960-05-10'), classes: 'B2', first_issued_on: '1985-01-01' };

  it('reads an empty cell as no extension', () => {
    expect(recordOf({ ...holder }).extensionUntil).toBeNull();
  });

  it('accepts both ends of Bday(63) .. Bday(66) - 1', () => {
    expect(recordOf({ ...holder, extension_until: '2023-05-10' }).extensionUntil).toBe('2023-05-10');
    expect(recordOf({ ...holder, extension_until: '2026/5/9' }).extensionUntil).toBe('2026-05-09');
  });

  it('rejects a date before the 63rd birthday or on the 66th', () => {
    expect(errorOf({ ...holder, extension_until: '2023-05-09' })).toEqual(['extension_until', 'out_of_range']);
    expect(errorOf({ ...holder, extension_until: '2026-05-10' })).toEqual(['extension_until', 'out_of_range']);
  });

  it.each(['A1', 'A2', 'A3', 'B1', 'B2', 'M', 'N', 'P', 'C1 M'])('is allowed for %s', (classes) => {
    expect(recordOf({ ...holder, classes, extension_until: '2024-01-01' }).extensionUntil).toBe('2024-01-01');
  });

  it.each(['C1', 'C2 C6', 'D E F'])('is inconsistent with %s only', (classes) => {
    expect(errorOf({ ...holder, classes, extension_until: '2024-01-01' })).toEqual(['extension_until', 'inconsistent']);
  });

  it('skips the class check when the classes are invalid', () => {
    expect(errorOf({ ...holder, classes: 'Z', extension_until: '2024-01-01' })).toEqual(['classes', 'unknown_value']);
  });

  it('rejects a malformed date', () => {
    expect(errorOf({ ...holder, extension_until: 'soon' })).toEqual(['extension_until', 'invalid_format']);
  });
});

describe('validateRow: last_cert_submitted_on', () => {
  it('accepts the day of import and rejects a later day', () => {
    expect(recordOf({ last_cert_submitted_on: TODAY }).lastCertSubmittedOn).toBe(TODAY);
    expect(errorOf({ last_cert_submitted_on: '2025-06-02' })).toEqual(['last_cert_submitted_on', 'out_of_range']);
  });

  it('rejects a date before the birth date', () => {
    expect(errorOf({ last_cert_submitted_on: '1950-03-09' })).toEqual(['last_cert_submitted_on', 'out_of_range']);
  });

  it('rejects a date that is not real', () => {
    expect(errorOf({ last_cert_submitted_on: '2024-02-30' })).toEqual(['last_cert_submitted_on', 'invalid_date']);
  });
});

describe('validateRow: status', () => {
  it.each([
    ['', 'active'],
    ['active', 'active'],
    ['Active', 'active'],
    ['正常', 'active'],
    ['CANCELLED', 'cancelled'],
    ['注销', 'cancelled'],
    ['revoked', 'revoked'],
    ['吊销', 'revoked'],
  ])('reads %j as %s', (value, status) => {
    expect(recordOf({ status: value }).status).toBe(status);
  });

  it.each(['canceled', 'suspended', '暂扣', '1'])('rejects %s', (value) => {
    expect(errorOf({ status: value })).toEqual(['status', 'unknown_value']);
  });
});

describe('validateRow: lat and lng', () => {
  it('reads both empty as no coordinates', () => {
    expect(recordOf({ lat: '', lng: '' })).toMatchObject({ lat: null, lng: null });
  });

  it.each([
    ['90', '180', 90, 180],
    ['-90', '-180', -90, -180],
    ['+36.5', '.5', 36.5, 0.5],
    ['-0', '0.', 0, 0],
  ])('reads %s, %s', (lat, lng, latValue, lngValue) => {
    const record = recordOf({ lat, lng });
    expect(record.lat).toBe(latValue);
    expect(record.lng).toBe(lngValue);
  });

  it('rejects values past the ends', () => {
    expect(errorOf({ lat: '90.000001' })).toEqual(['lat', 'out_of_range']);
    expect(errorOf({ lng: '-180.5' })).toEqual(['lng', 'out_of_range']);
  });

  it.each(['abc', '1e2', '0x10', 'NaN', 'Infinity', '36,45', '36.4.5', '36°27′', '-'])('rejects %s as not a number', (value) => {
    expect(errorOf({ lat: value })).toEqual(['lat', 'invalid_format']);
  });

  it('requires both or neither', () => {
    expect(errorOf({ lng: '' })).toEqual(['lng', 'required']);
    expect(errorOf({ lat: '' })).toEqual(['lat', 'required']);
  });
});

describe('validateRow: error reporting', () => {
  it('reports every failing column of the row, in column order', () => {
    const errors = errorsOf({
      file_number: '123',
      id_number: '',
      name: '张'.repeat(51),
      phone: '12345',
      address: '',
      classes: 'Z9',
      first_issued_on: '2001-02-30',
      valid_until: 'never',
      extension_until: '2024-13-01',
      last_cert_submitted_on: '2999-01-01',
      status: 'gone',
      lat: '95',
      lng: 'east',
    });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['file_number', 'invalid_format'],
      ['id_number', 'required'],
      ['name', 'too_long'],
      ['phone', 'invalid_format'],
      ['address', 'required'],
      ['classes', 'unknown_value'],
      ['first_issued_on', 'invalid_date'],
      ['valid_until', 'invalid_format'],
      ['extension_until', 'invalid_date'],
      ['last_cert_submitted_on', 'out_of_range'],
      ['status', 'unknown_value'],
      ['lat', 'out_of_range'],
      ['lng', 'invalid_format'],
    ]);
    expect(errors.every((e) => e.line === LINE)).toBe(true);
  });

  it('names the field and the reason in each message', () => {
    const [error] = errorsOf({ file_number: '123' });
    expect(error).toEqual({
      line: LINE,
      field: 'file_number',
      code: 'invalid_format',
      message: 'file_number must be exactly 12 digits.',
      text: { key: 'row_file_number_digits' },
    });
  });

  it('uses only codes from the closed list', () => {
    const errors = errorsOf({ id_number: '110105194912310021', phone: 'x', status: 'x', valid_until: '1900-01-01', name: '' });
    for (const error of errors) expect(ROW_ERROR_CODES).toContain(error.code);
  });

  it('never repeats a cell value in a message', () => {
    const bad: Row = {
      file_number: '98765X',
      id_number: '11010519491231002Y',
      name: '秘密的名字'.repeat(11),
      phone: '13999999',
      address: '秘密地址'.repeat(60),
      community: '秘密社区'.repeat(30),
      classes: 'QQQ',
      first_issued_on: '20xx-01-01',
      valid_until: 'forever',
      extension_until: '1234-99-99',
      last_cert_submitted_on: 'yesterday',
      status: 'secretstatus',
      lat: '777.777',
      lng: 'lnglng',
    };
    const errors = errorsOf(bad);
    expect(errors).toHaveLength(14);
    for (const error of errors) {
      for (const value of Object.values(bad)) expect(error.message).not.toContain(value.slice(0, 6));
    }
    const idErrors = [errorsOf({ id_number: '110105194912310021' }), errorsOf({ id_number: syntheticId('2030-01-01') })];
    for (const [error] of idErrors) expect(error!.message).not.toMatch(/\d{6}/);
  });
});
