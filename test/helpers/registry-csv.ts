import { idCheckCharacter } from '../../src/registry/id-number.ts';
import { toCsvLine } from '../../src/registry/csv-write.ts';

/** A synthetic, checksum-valid ID number (Liaocheng area code) for a birth date and sex. */
export function syntheticId(birthDate: string, sex: 'M' | 'F' = 'M', serial = 1): string {
  const seq = String(serial * 2 + (sex === 'M' ? 1 : 0)).padStart(3, '0').slice(-3);
  const first17 = `371502${birthDate.replaceAll('-', '')}${seq}`;
  return first17 + idCheckCharacter(first17);
}

export const HEADER = [
  'file_number', 'id_number', 'name', 'phone', 'address', 'community', 'classes', 'first_issued_on',
  'valid_until', 'extension_until', 'last_cert_submitted_on', 'status', 'lat', 'lng',
] as const;

export type RowInput = Partial<Record<(typeof HEADER)[number], string>> & { birth?: string; sex?: 'M' | 'F' };

let serial = 0;

/** Synthetic defaults for every column but the file and ID numbers. */
export const ROW_DEFAULTS = {
  name: '测试甲',
  phone: '13800000001',
  address: '山东省聊城市东昌府区测试路1号',
  community: '水城花园',
  classes: 'C1',
  first_issued_on: '1990-05-20',
  valid_until: '2030-05-20',
  extension_until: '',
  last_cert_submitted_on: '',
  status: '',
  lat: '36.45',
  lng: '115.98',
} as const;

/** One registry row with sensible synthetic defaults; any column can be overridden. */
export function row(fileNumber: string, input: RowInput = {}): string[] {
  const birth = input.birth ?? '1956-03-10';
  const values: Record<string, string> = {
    file_number: fileNumber,
    id_number: syntheticId(birth, input.sex ?? 'M', ++serial),
    ...ROW_DEFAULTS,
    ...Object.fromEntries(Object.entries(input).filter(([k]) => k !== 'birth' && k !== 'sex')),
  };
  return HEADER.map((h) => values[h] ?? '');
}

export function csv(rows: string[][], header: readonly string[] = HEADER): string {
  return [header, ...rows].map((r) => toCsvLine(r)).join('');
}
