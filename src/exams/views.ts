import { sql } from 'kysely';
import type { ExamRow } from '../db/schema/submissions.ts';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { decodeCursor, page } from '../http/pagination.ts';
import { maskName, maskPhone } from '../shared/mask.ts';
import { visitToClose } from '../scheduling/visits.ts';
import { ageOn } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { auditEntry } from '../staff/audit.ts';
import { businessOf } from '../submissions/payload.ts';
import { CERTIFICATE_MONTHS } from './outcome.ts';
import { examContext } from './repository.ts';
import type { MedicalRecord } from './record.ts';
import { thresholdsFor } from './rules.ts';

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'cipher'>;
type Caller = { id: string; role: string };

/** What the examiner's phone shows before the exam: who, which thresholds, which cases. */
export async function examForm(deps: Deps, visitId: string, by: Caller) {
  const visit = await visitToClose(deps, visitId, by);
  const { licence, cases, held, needsCognitiveTest, examiner } = await examContext(deps.db, visit);
  return {
    visit: { id: visit.id, date: visit.date, status: visit.status, windowStart: visit.window_start, windowEnd: visit.window_end, stop: visit.stop_label },
    driver: { name: licence.name, sex: licence.sex, age: ageOn(licence.birth_date, todayIn(deps.clock.now())), idNumberMasked: licence.id_masked, classes: licence.classes.split(' '), address: licence.address },
    classesToHold: held,
    thresholds: thresholdsFor(held),
    needsCognitiveTest,
    cases: cases.map(({ triggerOn: _t, ...c }) => ({ ...c, business: businessOf(c.category) })),
    certificate: { institution: examiner.organisation, examiner: examiner.name, validMonths: CERTIFICATE_MONTHS },
  };
}

/** An exam with its medical part; an examiner sees only the exams of their own shifts. Audited. */
export async function examDetail(deps: Deps, examId: string, by: Caller) {
  const exam = await deps.db.selectFrom('exams').selectAll().where('id', '=', examId).executeTakeFirst();
  if (!exam) throw AppError.keyed('not_found', { key: 'exam_not_found' });
  if (by.role === 'examiner') {
    const own = await deps.db.selectFrom('field_staff').select('id').where('id', '=', exam.examiner_id).where('staff_id', '=', by.id).executeTakeFirst();
    if (!own) throw AppError.keyed('forbidden', { key: 'examiner_own_exams' });
  }
  await deps.atomic([auditEntry(deps, { staffId: by.id, action: 'exam.view', subject: exam.id })]);
  return examView(deps, exam);
}

export async function examView(deps: Pick<Deps, 'db' | 'cipher'>, exam: ExamRow) {
  const medical = JSON.parse(deps.cipher.decrypt(exam.medical)) as MedicalRecord;
  const cases = await deps.db
    .selectFrom('exam_cases as ec')
    .innerJoin('cases as c', 'c.id', 'ec.case_id')
    .leftJoin('submissions as s', 's.case_id', 'ec.case_id')
    .select(['ec.case_id', 'c.category', 'ec.outcome', 'ec.reason', 'ec.hint', 'ec.resolution', 's.id as submission_id', 's.status as submission_status', 's.not_before'])
    .where('ec.exam_id', '=', exam.id)
    .execute();
  return {
    id: exam.id,
    visitId: exam.visit_id,
    fileNumber: exam.file_number,
    examinerId: exam.examiner_id,
    recordedBy: exam.recorded_by,
    startedAt: exam.started_at,
    endedAt: exam.ended_at,
    pass: exam.pass === 1,
    classes: JSON.parse(exam.classes) as string[],
    thresholds: medical.thresholds,
    items: medical.items,
    findings: medical.findings,
    certificate: { number: exam.certificate_number, institution: exam.institution, issuedOn: exam.issued_on, validUntil: exam.valid_until },
    cases: cases.map((c) => ({
      caseId: c.case_id,
      category: c.category,
      outcome: c.outcome,
      reason: c.reason,
      hint: c.hint,
      resolution: c.resolution,
      submission: c.submission_id === null ? null : { id: c.submission_id, status: c.submission_status!, notBefore: c.not_before! },
    })),
  };
}

/** The staff follow-up list: cases an exam could not settle, oldest first. */
export async function followUps(deps: Pick<Deps, 'db'>, filter: { status: 'open' | 'resolved' | 'all'; limit: number; after?: { at: string; caseId: string } }) {
  let q = deps.db
    .selectFrom('exam_cases as ec')
    .innerJoin('exams as e', 'e.id', 'ec.exam_id')
    .innerJoin('cases as c', 'c.id', 'ec.case_id')
    .innerJoin('licences as l', 'l.file_number', 'c.file_number')
    .select([
      'ec.exam_id',
      'ec.case_id',
      'ec.reason',
      'ec.hint',
      'ec.resolved_at',
      'ec.resolution',
      'ec.resolution_note',
      'e.started_at',
      'e.pass',
      'c.file_number',
      'c.category',
      'c.due_on',
      'c.lapses_on',
      'c.status as case_status',
      'l.name',
      'l.phone',
    ])
    .where('ec.outcome', '=', 'follow_up')
    .orderBy('e.started_at')
    .orderBy('ec.case_id')
    .limit(filter.limit + 1);
  if (filter.status === 'open') q = q.where('ec.resolved_at', 'is', null);
  if (filter.status === 'resolved') q = q.where('ec.resolved_at', 'is not', null);
  if (filter.after) q = q.where(sql<boolean>`(e.started_at, ec.case_id) > (${filter.after.at}, ${filter.after.caseId})`);
  return q.execute();
}

/** A page of the follow-up list as staff read it (the API and the console's page), the driver masked. */
export async function followUpPage(deps: Pick<Deps, 'db'>, q: { status: 'open' | 'resolved' | 'all'; limit: number; cursor?: string | undefined }) {
  const after = q.cursor === undefined ? undefined : decodeCursor<[string, string]>(q.cursor, 2);
  const rows = await followUps(deps, { status: q.status, limit: q.limit, ...(after ? { after: { at: after[0], caseId: after[1] } } : {}) });
  const { items, nextCursor } = page(rows, q.limit, (r) => [r.started_at, r.case_id]);
  return {
    items: items.map((r) => ({
      caseId: r.case_id,
      examId: r.exam_id,
      examinedAt: r.started_at,
      examPassed: r.pass === 1,
      fileNumber: r.file_number,
      category: r.category,
      dueOn: r.due_on,
      lapsesOn: r.lapses_on,
      caseStatus: r.case_status,
      driver: { nameMasked: maskName(r.name), phoneMasked: maskPhone(r.phone) },
      reason: r.reason,
      hint: r.hint,
      resolvedAt: r.resolved_at,
      resolution: r.resolution,
      note: r.resolution_note,
    })),
    nextCursor,
  };
}
export type FollowUpView = Awaited<ReturnType<typeof followUpPage>>['items'][number];

/** Staff close a follow-up: `revisit` puts the driver back in the planner's pool. */
export async function resolveFollowUp(deps: Deps, caseId: string, r: { resolution: 'revisit' | 'handled'; note: string | null }, by: string): Promise<void> {
  const open = await deps.db.selectFrom('exam_cases').select('exam_id').where('case_id', '=', caseId).where('outcome', '=', 'follow_up').where('resolved_at', 'is', null).executeTakeFirst();
  if (!open) throw AppError.keyed('not_found', { key: 'follow_up_not_found' });
  const at = deps.clock.now().toISOString();
  const [update] = await deps.atomic([
    deps.db
      .updateTable('exam_cases')
      .set({ resolved_at: at, resolved_by: by, resolution: r.resolution, resolution_note: r.note })
      .where('case_id', '=', caseId)
      .where('outcome', '=', 'follow_up')
      .where('resolved_at', 'is', null)
      .compile(),
    auditEntry(deps, { staffId: by, action: 'follow_up.resolve', subject: caseId, details: { resolution: r.resolution } }),
  ]);
  if (Number(update?.numAffectedRows ?? 0) === 0) throw AppError.keyed('conflict', { key: 'follow_up_closed' });
}
