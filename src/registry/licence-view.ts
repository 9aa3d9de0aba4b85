import { z } from '@hono/zod-openapi';
import type { LicenceRow } from '../db/schema/registry.ts';
import { formatPhone } from '../shared/phone-display.ts';
import type { Role } from '../staff/permissions.ts';

export const LicenceSchema = z
  .object({
    fileNumber: z.string(),
    idNumber: z.string().openapi({ description: 'Full ID number: admin only, every view audited' }),
    idNumberMasked: z.string(),
    birthDate: z.string(),
    sex: z.enum(['M', 'F']),
    name: z.string(),
    phone: z.string().openapi({ description: 'E.164, for programs' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it: 138 0000 0001, 0635-2904665' }),
    phoneKind: z.enum(['mobile', 'landline']),
    address: z.string(),
    community: z.string().nullable(),
    classes: z.array(z.string()),
    firstIssuedOn: z.string(),
    validUntil: z.string().nullable(),
    extensionUntil: z.string().nullable(),
    lastCertSubmittedOn: z.string().nullable(),
    status: z.enum(['active', 'cancelled', 'revoked']),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    updatedAt: z.string(),
  })
  .openapi('Licence');

export function licenceView(row: LicenceRow, idNumber: string): z.infer<typeof LicenceSchema> {
  return {
    fileNumber: row.file_number,
    idNumber,
    idNumberMasked: row.id_masked,
    birthDate: row.birth_date,
    sex: row.sex,
    name: row.name,
    phone: row.phone,
    phoneDisplay: formatPhone(row.phone),
    phoneKind: row.phone_kind,
    address: row.address,
    community: row.community,
    classes: row.classes.split(' '),
    firstIssuedOn: row.first_issued_on,
    validUntil: row.valid_until,
    extensionUntil: row.extension_until,
    lastCertSubmittedOn: row.last_cert_submitted_on,
    status: row.status,
    lat: row.lat,
    lng: row.lng,
    updatedAt: row.updated_at,
  };
}

/** What a case list shows of the driver, by role (DESIGN.md roles; RULES.md §6 masking). */
export const DriverSummarySchema = z
  .object({
    name: z.string(),
    phone: z.string().openapi({ description: 'E.164, for programs' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it: 138 0000 0001, 0635-2904665' }),
    address: z.string(),
    community: z.string().nullable(),
    idNumberMasked: z.string(),
    birthDate: z.string().optional().openapi({ description: 'admin only' }),
    sex: z.enum(['M', 'F']).optional().openapi({ description: 'admin only' }),
    classes: z.array(z.string()).optional().openapi({ description: 'admin only' }),
  })
  .openapi('DriverSummary');

export type DriverColumns = Pick<LicenceRow, 'name' | 'phone' | 'address' | 'community' | 'id_masked' | 'birth_date' | 'sex' | 'classes'>;

export function driverSummary(row: DriverColumns, role: Role): z.infer<typeof DriverSummarySchema> {
  const base = { name: row.name, phone: row.phone, phoneDisplay: formatPhone(row.phone), address: row.address, community: row.community, idNumberMasked: row.id_masked };
  // Dispatchers plan visits: contact and place only, ID masked (DESIGN.md roles).
  if (role !== 'admin') return base;
  return { ...base, birthDate: row.birth_date, sex: row.sex, classes: row.classes.split(' ') };
}
