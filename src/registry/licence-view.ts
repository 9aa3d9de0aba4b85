import { z } from '@hono/zod-openapi';
import type { Selectable } from 'kysely';
import type { LicenceRow } from '../db/schema/registry.ts';
import { VISIT_STATUSES, type VisitsTable } from '../db/schema/scheduling.ts';
import { CASE_STATUSES, type CaseRow } from '../db/schema/screening.ts';
import type { ExamRow, SubmissionRow } from '../db/schema/submissions.ts';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { driverTimeline, TimelineItemSchema } from '../outreach/timeline.ts';
import { CASE_CATEGORIES } from '../screening/case.ts';
import { CASE_ARTICLES } from '../screening/cases-query.ts';
import { formatPhone } from '../shared/phone-display.ts';
import { auditEntry } from '../staff/audit.ts';
import { can, type Permission, type Role } from '../staff/permissions.ts';
import { getLicence } from './repository.ts';

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

/**
 * The licence with its full ID number, for a caller with `licences:read-full`: the one place a full
 * ID is decrypted for a person, audited in the same step (the API route and the page's "show the
 * ID" button both call it).
 */
export async function licenceWithFullId(deps: Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'cipher'>, fileNumber: string, staffId: string) {
  const row = await getLicence(deps.db, fileNumber);
  if (!row) throw AppError.keyed('not_found', { key: 'licence_not_found' });
  await deps.atomic([auditEntry(deps, { staffId, action: 'licence.view_full_id', subject: fileNumber })]);
  return licenceView(row, deps.cipher.decrypt(row.id_cipher));
}

// ---------------------------------------------------------------------------------------------
// The driver page's data (issue 15): one call, every section by the caller's permissions.

/** The licence as the driver page shows it: never the full ID (that is GET /api/licences/{fileNumber}, audited). */
export const DriverLicenceSchema = LicenceSchema.omit({ idNumber: true })
  .partial({ birthDate: true, sex: true, classes: true, firstIssuedOn: true, validUntil: true, extensionUntil: true, lastCertSubmittedOn: true, status: true, lat: true, lng: true, updatedAt: true })
  .extend({
    fullIdUrl: z.string().nullable().openapi({ description: 'Where the full ID number is shown (audited), for a role with licences:read-full; else null' }),
  })
  .openapi('DriverLicence');

const DriverCaseSchema = z.object({
  id: z.string(),
  category: z.enum(CASE_CATEGORIES),
  status: z.enum(CASE_STATUSES),
  triggerOn: z.string(),
  opensOn: z.string(),
  dueOn: z.string(),
  lapsesOn: z.string().nullable(),
  overdue: z.boolean(),
  closedAt: z.string().nullable(),
  targetClasses: z.array(z.string()).nullable(),
  needsCognitiveTest: z.boolean(),
  reason: z.string().nullable(),
  articles: z.array(z.string()).openapi({ description: 'What the case rests on (RULES.md §3)' }),
});

const DriverVisitSchema = z.object({
  id: z.string(),
  shiftId: z.string(),
  date: z.string(),
  status: z.enum(VISIT_STATUSES),
  startsAt: z.string(),
  windowStart: z.string(),
  windowEnd: z.string(),
  partOfDay: z.enum(['am', 'pm']).nullable(),
  stop: z.string(),
  caseIds: z.array(z.string()),
  closedReason: z.string().nullable(),
});

const DriverExamSchema = z.object({
  id: z.string(),
  visitId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  pass: z.boolean(),
  classes: z.array(z.string()),
  certificate: z.object({ number: z.string(), institution: z.string(), issuedOn: z.string(), validUntil: z.string() }),
  detailUrl: z.string().openapi({ description: 'The findings (audited)' }),
});

const DriverSubmissionSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  business: z.string(),
  status: z.string(),
  notBefore: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  reference: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  deadAt: z.string().nullable(),
});

export const DriverOverviewSchema = z
  .object({
    fileNumber: z.string(),
    licence: DriverLicenceSchema,
    cases: z.array(DriverCaseSchema),
    timeline: z.array(TimelineItemSchema).nullable().openapi({ description: 'null: the role lacks outreach:read' }),
    visits: z.array(DriverVisitSchema).nullable().openapi({ description: 'null: the role lacks scheduling:read' }),
    exams: z.array(DriverExamSchema).nullable().openapi({ description: 'null: the role lacks exams:read (medical data, PIPL Art 28)' }),
    submissions: z.array(DriverSubmissionSchema).nullable().openapi({ description: 'null: the role lacks submissions:read' }),
  })
  .openapi('DriverOverview');

export type DriverOverview = z.infer<typeof DriverOverviewSchema>;

/**
 * Everything the driver page shows, in one call: the licence with the ID masked, every case with
 * its dates and articles, and, each by its own permission, the outreach timeline, visits, exams
 * and 12123 submissions. A section the role may not see is null, not an empty list.
 */
export async function driverOverview(deps: Pick<AppDeps, 'db'>, fileNumber: string, staff: { id: string; role: Role }): Promise<DriverOverview> {
  const { db } = deps;
  const row = await getLicence(db, fileNumber);
  if (!row) throw AppError.keyed('not_found', { key: 'licence_not_found' });
  const may = (p: Permission) => can(staff.role, p);
  const [cases, timeline, visits, exams, submissions] = await Promise.all([
    db.selectFrom('cases').selectAll().where('file_number', '=', fileNumber).orderBy('due_on').orderBy('id').execute(),
    may('outreach:read') ? driverTimeline(db, fileNumber) : null,
    may('scheduling:read') ? db.selectFrom('visits').selectAll().where('file_number', '=', fileNumber).orderBy('date', 'desc').orderBy('starts_at', 'desc').execute() : null,
    may('exams:read') ? db.selectFrom('exams').selectAll().where('file_number', '=', fileNumber).orderBy('started_at', 'desc').execute() : null,
    may('submissions:read')
      ? db.selectFrom('submissions').selectAll().where('case_id', 'in', db.selectFrom('cases').select('id').where('file_number', '=', fileNumber)).orderBy('created_at', 'desc').execute()
      : null,
  ]);
  return {
    fileNumber,
    licence: driverLicence(row, staff.role),
    cases: cases.map(driverCase),
    timeline,
    visits: visits?.map(driverVisit) ?? null,
    exams: exams?.map(driverExam) ?? null,
    submissions: submissions?.map(driverSubmission) ?? null,
  };
}

function driverLicence(row: LicenceRow, role: Role): z.infer<typeof DriverLicenceSchema> {
  const { idNumber: _full, ...all } = licenceView(row, '');
  const fullIdUrl = can(role, 'licences:read-full') ? `/api/licences/${row.file_number}` : null;
  // The other roles see what the case list shows them: contact and place, ID masked (DESIGN.md roles).
  if (role !== 'admin') {
    const { fileNumber, idNumberMasked, name, phone, phoneDisplay, phoneKind, address, community } = all;
    return { fileNumber, idNumberMasked, name, phone, phoneDisplay, phoneKind, address, community, fullIdUrl };
  }
  return { ...all, fullIdUrl };
}

function driverCase(c: CaseRow): z.infer<typeof DriverCaseSchema> {
  return {
    id: c.id,
    category: c.category,
    status: c.status,
    triggerOn: c.trigger_on,
    opensOn: c.opens_on,
    dueOn: c.due_on,
    lapsesOn: c.lapses_on,
    overdue: c.overdue === 1,
    closedAt: c.closed_at,
    targetClasses: c.target_classes === null ? null : (JSON.parse(c.target_classes) as string[]),
    needsCognitiveTest: c.needs_cognitive_test === 1,
    reason: c.reason,
    articles: [...CASE_ARTICLES[c.category]],
  };
}

function driverVisit(v: Selectable<VisitsTable>): z.infer<typeof DriverVisitSchema> {
  return {
    id: v.id,
    shiftId: v.shift_id,
    date: v.date,
    status: v.status,
    startsAt: v.starts_at,
    windowStart: v.window_start,
    windowEnd: v.window_end,
    partOfDay: v.part_of_day,
    stop: v.stop_label,
    caseIds: JSON.parse(v.cases) as string[],
    closedReason: v.closed_reason,
  };
}

function driverExam(e: ExamRow): z.infer<typeof DriverExamSchema> {
  return {
    id: e.id,
    visitId: e.visit_id,
    startedAt: e.started_at,
    endedAt: e.ended_at,
    pass: e.pass === 1,
    classes: JSON.parse(e.classes) as string[],
    certificate: { number: e.certificate_number, institution: e.institution, issuedOn: e.issued_on, validUntil: e.valid_until },
    detailUrl: `/api/exams/${e.id}`,
  };
}

function driverSubmission(s: SubmissionRow): z.infer<typeof DriverSubmissionSchema> {
  return {
    id: s.id,
    caseId: s.case_id,
    business: s.business,
    status: s.status,
    notBefore: s.not_before,
    attempts: s.attempts,
    lastError: s.last_error,
    reference: s.reference,
    acceptedAt: s.accepted_at,
    deadAt: s.dead_at,
  };
}
