/**
 * The plan of a date as the API and the console's planning board read it (issue 16: moved out of
 * routes.ts so that both call the same function): shifts with their crews and visits in route
 * order, the latest preview's figures, and the drivers it left out with the reason in words.
 */
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import { VISIT_STATUSES, type ShiftRow } from '../db/schema/scheduling.ts';
import type { Locale } from '../i18n/locale.ts';
import { render } from '../i18n/messages.ts';
import { DriverSummarySchema, driverSummary } from '../registry/licence-view.ts';
import { formatPhone } from '../shared/phone-display.ts';
import type { Role } from '../staff/permissions.ts';
import { UNPLANNED_REASONS, type UnplannedReason } from './plan-rules.ts';
import { planShift } from './repository.ts';

export const ShiftSchema = z
  .object({
    id: z.string(),
    date: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    postalId: z.string(),
    examinerId: z.string(),
    start: z.object({ label: z.string(), lat: z.number(), lng: z.number() }),
    end: z.object({ label: z.string(), lat: z.number(), lng: z.number() }),
    area: z.object({ communities: z.array(z.string()).nullable(), center: z.object({ lat: z.number(), lng: z.number() }).nullable(), radiusKm: z.number().nullable() }).nullable(),
    capacity: z.number().int(),
    status: z.enum(['open', 'cancelled']),
  })
  .openapi('Shift');

export function shiftView(s: ShiftRow): z.infer<typeof ShiftSchema> {
  const { areaCommunities: communities, area: circle } = planShift(s);
  const center = circle ? { lat: circle.lat, lng: circle.lng } : null;
  return {
    id: s.id,
    date: s.date,
    startsAt: s.starts_at,
    endsAt: s.ends_at,
    postalId: s.postal_id,
    examinerId: s.examiner_id,
    start: { label: s.start_label, lat: s.start_lat, lng: s.start_lng },
    end: { label: s.end_label, lat: s.end_lat, lng: s.end_lng },
    area: communities || center ? { communities, center, radiusKm: s.area_radius_km } : null,
    capacity: s.capacity,
    status: s.status,
  };
}

export const VisitSchema = z
  .object({
    id: z.string(),
    fileNumber: z.string(),
    shiftId: z.string(),
    date: z.string(),
    status: z.enum(VISIT_STATUSES),
    seq: z.number().int(),
    startsAt: z.string().openapi({ description: 'Planned start of the checkup, HH:MM' }),
    serviceMinutes: z.number().int(),
    windowStart: z.string().openapi({ description: 'The window told to the driver' }),
    windowEnd: z.string(),
    stop: z.object({ key: z.string(), label: z.string(), atGate: z.boolean(), lat: z.number(), lng: z.number() }),
    partOfDay: z.enum(['am', 'pm']).nullable(),
    caseIds: z.array(z.string()),
    needsCognitiveTest: z.boolean(),
    pinned: z.boolean(),
    revision: z.number().int(),
    phoneKind: z.enum(['mobile', 'landline']).openapi({ description: 'landline: no SMS, staff tell the driver by phone' }),
    closedReason: z.string().nullable(),
    driver: DriverSummarySchema,
  })
  .openapi('Visit');

export function visitQuery(db: Kysely<DB>) {
  return db
    .selectFrom('visits as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .selectAll('v')
    .select(['l.name', 'l.phone', 'l.phone_kind', 'l.address', 'l.community', 'l.id_masked', 'l.birth_date', 'l.sex', 'l.classes']);
}
export type VisitJoin = Awaited<ReturnType<ReturnType<typeof visitQuery>['execute']>>[number];

export function visitView(r: VisitJoin, role: Role): z.infer<typeof VisitSchema> {
  return {
    id: r.id,
    fileNumber: r.file_number,
    shiftId: r.shift_id,
    date: r.date,
    status: r.status,
    seq: r.seq,
    startsAt: r.starts_at,
    serviceMinutes: r.service_minutes,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    stop: { key: r.stop_key, label: r.stop_label, atGate: r.stop_key.startsWith('c:'), lat: r.lat, lng: r.lng },
    partOfDay: r.part_of_day,
    caseIds: JSON.parse(r.cases) as string[],
    needsCognitiveTest: r.needs_cognitive_test === 1,
    pinned: r.pinned === 1,
    revision: r.revision,
    phoneKind: r.phone_kind,
    closedReason: r.closed_reason,
    driver: driverSummary(r, role),
  };
}

export async function oneVisit(db: Kysely<DB>, visitId: string, role: Role) {
  return visitView(await visitQuery(db).where('v.id', '=', visitId).executeTakeFirstOrThrow(), role);
}

export const UnplannedSchema = z.object({
  fileNumber: z.string(),
  reason: z.enum(Object.keys(UNPLANNED_REASONS) as [UnplannedReason, ...UnplannedReason[]]),
  message: z.string(),
  driver: DriverSummarySchema.nullable(),
});

export const PlanSchema = z
  .object({
    date: z.string(),
    run: z
      .object({
        id: z.string(),
        createdAt: z.string(),
        seed: z.number().int(),
        iterations: z.number().int(),
        elapsedMs: z.number().int(),
        travel: z.string(),
        considered: z.number().int().openapi({ description: 'Drivers the preview considered = planned + unplanned + conflicts + underway' }),
        planned: z.number().int(),
        unplanned: z.number().int().openapi({ description: 'Drivers left out, each with a reason (at the time of the preview)' }),
        conflicts: z.number().int().openapi({ description: 'Pinned or booked visits that no longer fit: left as they were' }),
        underway: z.number().int().openapi({ description: 'Today: told visits the crew has behind it (planned start before now), left as they are' }),
        km: z.number(),
      })
      .nullable()
      .openapi({ description: 'The latest preview of the date' }),
    shifts: z.array(
      ShiftSchema.extend({
        postal: z.object({ name: z.string(), phone: z.string(), phoneDisplay: z.string() }),
        examiner: z.object({ name: z.string(), phone: z.string(), phoneDisplay: z.string() }),
        visits: z.array(VisitSchema),
      }),
    ),
    unplanned: z.array(UnplannedSchema).openapi({ description: 'Confirmed drivers the latest preview could not plan, with the reason' }),
  })
  .openapi('Plan');

/** A run's figures; runs stored before the figures added up are read back with the same sum. */
function runView(
  run: { id: string; created_at: string; seed: number; iterations: number; elapsed_ms: number },
  f: { planned: number; km: number; travel: string; considered?: number; unplanned?: number; conflicts?: number; underway?: number },
  listed: number,
) {
  const conflicts = f.conflicts ?? 0;
  const unplanned = f.unplanned ?? listed - conflicts;
  const underway = f.underway ?? 0;
  return {
    id: run.id,
    createdAt: run.created_at,
    seed: run.seed,
    iterations: run.iterations,
    elapsedMs: run.elapsed_ms,
    travel: f.travel,
    considered: f.considered ?? f.planned + unplanned + conflicts + underway,
    planned: f.planned,
    unplanned,
    conflicts,
    underway,
    km: f.km,
  };
}

export type PlanView = z.infer<typeof PlanSchema>;
export type PlanVisit = z.infer<typeof VisitSchema>;

export async function planView(db: Kysely<DB>, date: string, role: Role, locale: Locale): Promise<PlanView> {
  const [shifts, visits, run] = await Promise.all([
    db
      .selectFrom('shifts as s')
      .innerJoin('field_staff as p', 'p.id', 's.postal_id')
      .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
      .selectAll('s')
      .select(['p.name as p_name', 'p.phone as p_phone', 'e.name as e_name', 'e.phone as e_phone'])
      .where('s.date', '=', date)
      .orderBy('s.starts_at')
      .orderBy('s.id')
      .execute(),
    visitQuery(db).where('v.date', '=', date).where('v.status', '<>', 'cancelled').orderBy('v.shift_id').orderBy('v.seq').execute(),
    db.selectFrom('plan_runs').selectAll().where('date', '=', date).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
  ]);
  const listed = run ? (JSON.parse(run.unassigned) as { fileNumber: string; reason: UnplannedReason }[]) : [];
  const withVisit = new Set(visits.map((v) => v.file_number));
  const stillOut = listed.filter((u) => !withVisit.has(u.fileNumber));
  const licences = stillOut.length
    ? await db.selectFrom('licences').select(['file_number', 'name', 'phone', 'address', 'community', 'id_masked', 'birth_date', 'sex', 'classes']).where('file_number', 'in', stillOut.map((u) => u.fileNumber)).execute()
    : [];
  const byFile = new Map(licences.map((l) => [l.file_number, l]));
  const figures = run ? (JSON.parse(run.figures) as { planned: number; km: number; travel: string; considered?: number; unplanned?: number; conflicts?: number; underway?: number }) : null;
  return {
    date,
    run: run && figures ? runView(run, figures, listed.length) : null,
    shifts: shifts.map((s) => ({
      ...shiftView(s),
      postal: { name: s.p_name, phone: s.p_phone, phoneDisplay: formatPhone(s.p_phone) },
      examiner: { name: s.e_name, phone: s.e_phone, phoneDisplay: formatPhone(s.e_phone) },
      visits: visits.filter((v) => v.shift_id === s.id).map((v) => visitView(v, role)),
    })),
    unplanned: stillOut.map((u) => {
      const l = byFile.get(u.fileNumber);
      return { fileNumber: u.fileNumber, reason: u.reason, message: render(locale, UNPLANNED_REASONS[u.reason]), driver: l ? driverSummary(l, role) : null };
    }),
  };
}
