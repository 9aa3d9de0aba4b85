import type { CompiledQuery } from 'kysely';
import type { ExamRow } from '../db/schema/submissions.ts';
import { AppError, validationError, type FieldIssue } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import type { LicenceClass } from '../registry/licence.ts';
import { visitToClose } from '../scheduling/visits.ts';
import { businessOf, buildPayload, type CertificateOfExam } from '../submissions/payload.ts';
import { auditEntry } from '../staff/audit.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import { certificateValidUntil, classesToHold, outcomesOf, type CaseOutcome, type OpenCaseOfVisit } from './outcome.ts';
import { assessExam, type ExamFindings, type ExamResult } from './rules.ts';

/**
 * Recording the exam at the door (issue 5, RULES.md §5): the examiner of the shift (or an admin)
 * enters the findings; the items are judged for the classes the driver will hold; the visit is
 * closed; and in the same atomic batch each open case of the visit either gets its 12123
 * submission (a passing exam) or goes to the staff follow-up list.
 */
export interface ExamInput {
  startedAt: string;
  endedAt: string;
  findings: ExamFindings;
  certificate: { number: string; institution?: string | undefined; issuedOn?: string | undefined };
}

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'cipher'>;

/** The medical part of an exam, stored sealed. */
export interface MedicalRecord {
  findings: ExamFindings;
  items: ExamResult['items'];
  thresholds: ExamResult['thresholds'];
}

/** An entry may come in a little after the exam (a phone back online), but not from the future. */
const CLOCK_SKEW_MS = 5 * 60_000;
const LONGEST_EXAM_MS = 3 * 3_600_000;

export interface RecordedExam {
  exam: ExamRow;
  outcomes: CaseOutcome[];
}

export async function recordExam(deps: Deps, visitId: string, input: ExamInput, by: { id: string; role: string }): Promise<RecordedExam> {
  const visit = await visitToClose(deps, visitId, by);
  const [licence, cases, examiner] = await Promise.all([
    deps.db.selectFrom('licences').select(['classes']).where('file_number', '=', visit.file_number).executeTakeFirstOrThrow(),
    deps.db
      .selectFrom('cases')
      .selectAll()
      .where('id', 'in', JSON.parse(visit.cases) as string[])
      .where('status', '=', 'open')
      .execute(),
    deps.db
      .selectFrom('shifts as s')
      .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
      .select(['e.id', 'e.organisation'])
      .where('s.id', '=', visit.shift_id)
      .executeTakeFirstOrThrow(),
  ]);
  const now = deps.clock.now();
  const certificate = checkInput(input, visit.date, now, examiner.organisation);
  const open: OpenCaseOfVisit[] = cases.map((c) => ({
    id: c.id,
    category: c.category,
    opensOn: c.opens_on,
    triggerOn: c.trigger_on,
    targetClasses: c.target_classes === null ? null : (JSON.parse(c.target_classes) as LicenceClass[]),
    needsCognitiveTest: c.needs_cognitive_test === 1,
  }));
  const needsCognitiveTest = open.some((c) => c.needsCognitiveTest);
  const held = classesToHold(licence.classes.split(' ') as LicenceClass[], open);
  const result = assessExam(input.findings, { classes: held, needsCognitiveTest });
  const outcomes = outcomesOf(result, input.findings, { held, cases: open, certificateValidUntil: certificate.validUntil, needsCognitiveTest });

  const at = now.toISOString();
  const examId = deps.ids.next();
  const medical: MedicalRecord = { findings: input.findings, items: result.items, thresholds: result.thresholds };
  const queries: CompiledQuery[] = [
    deps.db
      .updateTable('visits')
      .set({ status: 'done', closed_at: at, closed_reason: 'exam', closed_by: by.id, updated_at: at })
      .where('id', '=', visit.id)
      .where('status', 'in', ['booked', 'confirmed'])
      .compile(),
    deps.db
      .insertInto('exams')
      .values({
        id: examId,
        visit_id: visit.id,
        file_number: visit.file_number,
        examiner_id: examiner.id,
        recorded_by: by.id,
        started_at: certificate.examStartedAt,
        ended_at: certificate.examEndedAt,
        pass: result.pass ? 1 : 0,
        classes: JSON.stringify(held),
        medical: deps.cipher.encrypt(JSON.stringify(medical)),
        certificate_number: certificate.number,
        institution: certificate.institution,
        issued_on: certificate.issuedOn,
        valid_until: certificate.validUntil,
        created_at: at,
      })
      .compile(),
    ...outcomes.flatMap((o) => outcomeQueries(deps, { examId, at, certificate }, o, cases.find((c) => c.id === o.caseId)!)),
    auditEntry(deps, {
      staffId: by.id,
      action: 'exam.record',
      subject: visit.id,
      details: { exam: examId, pass: result.pass, submissions: outcomes.filter((o) => o.outcome === 'submitted').length, followUps: outcomes.filter((o) => o.outcome === 'follow_up').length },
    }),
  ];
  try {
    await deps.atomic(queries);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (/visit_not_open|UNIQUE constraint failed: exams\.visit_id/.test(message)) throw new AppError('conflict', 'the visit was closed meanwhile (an exam recorded, or cancelled)');
    if (/UNIQUE constraint failed: exams\.certificate_number/.test(message)) {
      throw validationError([{ field: 'certificate.number', code: 'duplicate', message: 'another exam already has this certificate number' }]);
    }
    throw err;
  }
  const exam = await deps.db.selectFrom('exams').selectAll().where('id', '=', examId).executeTakeFirstOrThrow();
  deps.logger.info('exam recorded', { exam: examId, pass: result.pass, submissions: outcomes.filter((o) => o.outcome === 'submitted').length });
  return { exam, outcomes };
}

function outcomeQueries(
  deps: Deps,
  e: { examId: string; at: string; certificate: CertificateOfExam },
  o: CaseOutcome,
  c: { id: string; file_number: string; category: OpenCaseOfVisit['category']; due_on: string; target_classes: string | null; needs_cognitive_test: number },
): CompiledQuery[] {
  const link = deps.db
    .insertInto('exam_cases')
    .values({ exam_id: e.examId, case_id: o.caseId, outcome: o.outcome, reason: o.outcome === 'follow_up' ? o.reason : null, hint: o.outcome === 'follow_up' ? o.hint : null })
    .compile();
  const business = businessOf(c.category);
  if (o.outcome !== 'submitted' || business === null) return [link];
  const payload = buildPayload(
    business,
    { id: c.id, fileNumber: c.file_number, category: c.category, dueOn: c.due_on, targetClasses: c.target_classes === null ? null : (JSON.parse(c.target_classes) as LicenceClass[]), needsCognitiveTest: c.needs_cognitive_test === 1 },
    e.certificate,
  );
  const id = deps.ids.next();
  // Never filed before the case opens (RULES.md §5): an annual certificate waits for the cycle end.
  const opens = instantAt(o.notBefore, '00:00').toISOString();
  return [
    link,
    deps.db
      .insertInto('submissions')
      .values({
        id,
        case_id: c.id,
        exam_id: e.examId,
        file_number: c.file_number,
        business,
        payload: JSON.stringify(payload),
        idempotency_key: `checkup-${id}`,
        not_before: o.notBefore,
        status: 'pending',
        next_attempt_at: opens > e.at ? opens : e.at,
        lease_token: null,
        lease_expires_at: null,
        last_error: null,
        reference: null,
        exam_started_at: e.certificate.examStartedAt,
        accepted_at: null,
        dead_at: null,
        created_at: e.at,
        updated_at: e.at,
      })
      .compile(),
  ];
}

/** Times and certificate, checked against the visit's day and the clock; every problem at once. */
function checkInput(input: ExamInput, visitDate: string, now: Date, organisation: string): CertificateOfExam {
  const problems: FieldIssue[] = [];
  const started = Date.parse(input.startedAt);
  const ended = Date.parse(input.endedAt);
  if (todayIn(new Date(started)) !== visitDate) problems.push({ field: 'startedAt', code: 'other_day', message: `must be on the visit's day, ${visitDate} (China time)` });
  if (ended < started) problems.push({ field: 'endedAt', code: 'before_start', message: 'must not be before startedAt' });
  else if (ended - started > LONGEST_EXAM_MS) problems.push({ field: 'endedAt', code: 'too_long', message: 'an exam at the door takes minutes, not more than 3 hours' });
  if (ended > now.getTime() + CLOCK_SKEW_MS) problems.push({ field: 'endedAt', code: 'in_future', message: 'must not be in the future' });
  const issuedOn = input.certificate.issuedOn ?? visitDate;
  if (issuedOn < visitDate) problems.push({ field: 'certificate.issuedOn', code: 'before_exam', message: `must not be before the exam (${visitDate})` });
  if (issuedOn > todayIn(now)) problems.push({ field: 'certificate.issuedOn', code: 'in_future', message: 'must not be in the future' });
  if (problems.length > 0) throw validationError(problems);
  return {
    number: input.certificate.number,
    institution: input.certificate.institution ?? organisation,
    issuedOn,
    validUntil: certificateValidUntil(issuedOn),
    examStartedAt: new Date(started).toISOString(),
    examEndedAt: new Date(ended).toISOString(),
  };
}
