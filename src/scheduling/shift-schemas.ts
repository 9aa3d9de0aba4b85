/**
 * The shapes of field staff and shifts as the API takes and gives them (issue 16: out of
 * routes.ts so that the console's crew and shift forms check their input with the same schemas
 * the API routes declare).
 */
import { z } from '@hono/zod-openapi';
import type { FieldStaffRow } from '../db/schema/scheduling.ts';
import { dateInput } from '../http/date-input.ts';
import { formatPhone } from '../shared/phone-display.ts';

export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must_be_hhmm');
export const lat = z.number().min(-90).max(90);
export const lng = z.number().min(-180).max(180);
export const PlaceSchema = z.strictObject({ label: z.string().trim().min(1).max(100), lat, lng });

export const FieldStaffSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['postal', 'examiner']),
    name: z.string(),
    phone: z.string().openapi({ description: 'E.164, for programs' }),
    phoneDisplay: z.string().openapi({ description: 'As people write it: 139 0000 0001' }),
    organisation: z.string(),
    staffId: z.string().nullable(),
    active: z.boolean(),
  })
  .openapi('FieldStaff');

export type FieldStaffView = z.infer<typeof FieldStaffSchema>;

export const fieldStaffView = (r: FieldStaffRow): FieldStaffView => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  phone: r.phone,
  phoneDisplay: formatPhone(r.phone),
  organisation: r.organisation,
  staffId: r.staff_id,
  active: r.active === 1,
});

export const FieldStaffBody = z.strictObject({
  kind: z.enum(['postal', 'examiner']),
  name: z.string().trim().min(1).max(50),
  phone: z.string().trim().min(5).max(20),
  organisation: z.string().trim().min(1).max(100).openapi({ example: '聊城市邮政分公司' }),
  staffId: z.string().uuid().optional().openapi({ description: 'The staff account of the person (an examiner records exams with it)' }),
});

const AreaBody = z.strictObject({
  communities: z.array(z.string().trim().min(1).max(100)).max(500).optional(),
  center: z.strictObject({ lat, lng }).optional(),
  radiusKm: z.number().positive().max(200).optional(),
});

export const ShiftBody = z.strictObject({
  date: dateInput(),
  startsAt: hhmm,
  endsAt: hhmm,
  postalId: z.string().uuid(),
  examinerId: z.string().uuid(),
  start: PlaceSchema,
  end: PlaceSchema.optional().openapi({ description: 'Default: the start' }),
  area: AreaBody.optional().openapi({ description: 'Only drivers of these communities or inside this circle (either one); none = anyone' }),
  capacity: z.number().int().min(1).max(200).optional().openapi({ description: 'Most visits; default one per quarter hour' }),
});

export const ShiftPatchBody = z.strictObject({
  startsAt: hhmm.optional(),
  endsAt: hhmm.optional(),
  start: PlaceSchema.optional().openapi({ description: 'An end that was the start moves with it' }),
  end: PlaceSchema.optional(),
  area: AreaBody.nullable().optional().openapi({ description: 'Replaces the area; null: anyone' }),
});
