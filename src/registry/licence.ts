import type { CivilDate } from '../shared/civil-date.ts';

/** Licence classes (准驾车型) in the canonical order of RULES.md §4. */
export const LICENCE_CLASSES = [
  'A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'D', 'E', 'F', 'M', 'N', 'P',
] as const;
export type LicenceClass = (typeof LICENCE_CLASSES)[number];

export const LICENCE_STATUSES = ['active', 'cancelled', 'revoked'] as const;
export type LicenceStatus = (typeof LICENCE_STATUSES)[number];

export type Sex = 'M' | 'F';
export type PhoneKind = 'mobile' | 'landline';

/** One validated registry row (RULES.md §2), before encryption. */
export interface LicenceRecord {
  fileNumber: string;
  /** 18 characters, check character upper-case. Personal data: never log it. */
  idNumber: string;
  /** The birth date inside the ID number (RULES.md §6). */
  birthDate: CivilDate;
  sex: Sex;
  name: string;
  /** E.164, e.g. `+8613812345678`. */
  phone: string;
  phoneKind: PhoneKind;
  address: string;
  community: string | null;
  /** Unique, in canonical order. */
  classes: LicenceClass[];
  firstIssuedOn: CivilDate;
  /** null means long-term (长期). */
  validUntil: CivilDate | null;
  extensionUntil: CivilDate | null;
  lastCertSubmittedOn: CivilDate | null;
  status: LicenceStatus;
  lat: number | null;
  lng: number | null;
}

/** What screening needs of a licence: no personal data beyond the birth date. */
export type ScreeningLicence = Pick<
  LicenceRecord,
  | 'fileNumber'
  | 'birthDate'
  | 'classes'
  | 'firstIssuedOn'
  | 'validUntil'
  | 'extensionUntil'
  | 'lastCertSubmittedOn'
  | 'status'
>;

/** Sorts and de-duplicates classes into the canonical order. */
export function canonicalClasses(classes: Iterable<LicenceClass>): LicenceClass[] {
  const held = new Set(classes);
  return LICENCE_CLASSES.filter((c) => held.has(c));
}
