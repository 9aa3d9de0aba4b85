import { createHash } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import type { ExamRow } from '../db/schema/submissions.ts';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { nextVisitState, rowState } from '../scheduling/visit-lifecycle.ts';
import { visitToClose } from '../scheduling/visits.ts';
import { businessOf, buildPayload, type CertificateOfExam } from '../submissions/payload.ts';
import { heldForOf } from '../scheduling/authorisation.ts';
import { auditEntry } from '../staff/audit.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import { certificateValidUntil, outcomesOf, type CaseOutcome } from './outcome.ts';
import { examContext, type ExamCase } from './repository.ts';
import { assessExam, type ExamFindings, type ExamResult } from './rules.ts';
import { examView } from './views.ts';

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

export async function recordExam(
  deps: Deps,
  visitId: string,
  input: ExamInput,
  by: { id: string; role: string },
  options: { idempotency?: IdempotencyClaim } = {},
): Promise<RecordedExam> {
  const visit = await visitToClose(deps, visitId, by);
  const { cases, held, needsCognitiveTest, examiner } = await examContext(deps.db, visit);
  const now = deps.clock.now();
  const certificate = checkInput(input, visit.date, now, examiner.organisation, needsCognitiveTest);
  // Stored as taken or not: a test left out (not needed) is null in the record.
  const findings = { ...input.findings, cognitiveTest: input.findings.cognitiveTest ?? null };
  const result = assessExam(findings, { classes: held, needsCognitiveTest });
  const outcomes = outcomesOf(result, findings, { held, cases, certificateValidUntil: certificate.validUntil, needsCognitiveTest });

  const submissions = outcomes.filter((o) => o.outcome === 'submitted').length;
  const at = now.toISOString();
  const examId = deps.ids.next();
  const medical: MedicalRecord = { findings, items: result.items, thresholds: result.thresholds };
  const queries: CompiledQuery[] = [
    // First: a request with the same key that won meanwhile makes this batch fail here (a replay).
    ...(options.idempotency ? [claimQuery(deps, options.idempotency, by.id, at)] : []),
    deps.db
      .updateTable('visits')
      // the life cycle's record_exam (exam_recorded), from the state read; the exams trigger checks it
      .set({ status: rowState(nextVisitState(visit.status, 'record_exam')), closed_at: at, closed_reason: 'exam', closed_by: by.id, updated_at: at })
      .where('id', '=', visit.id)
      .where('status', '=', visit.status)
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
    ...outcomes.flatMap((o) => outcomeQueries(deps, { examId, at, certificate, fileNumber: visit.file_number, visitId: visit.id }, o, cases.find((c) => c.id === o.caseId)!)),
    auditEntry(deps, {
      staffId: by.id,
      action: 'exam.record',
      subject: visit.id,
      details: { exam: examId, pass: result.pass, submissions, followUps: outcomes.length - submissions },
    }),
  ];
  try {
    await deps.atomic(queries);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (/UNIQUE constraint failed: idempotency_keys\./.test(message)) throw new KeyTakenMeanwhile();
    if (/visit_not_open|UNIQUE constraint failed: exams\.visit_id/.test(message)) throw AppError.keyed('conflict', { key: 'visit_closed_meanwhile' });
    if (/UNIQUE constraint failed: exams\.certificate_number/.test(message)) {
      throw validationError([fieldIssue('certificate.number', 'duplicate', { key: 'certificate_number_taken' })]);
    }
    throw err;
  }
  const exam = await deps.db.selectFrom('exams').selectAll().where('id', '=', examId).executeTakeFirstOrThrow();
  deps.logger.info('exam recorded', { exam: examId, pass: result.pass, submissions });
  return { exam, outcomes };
}

function outcomeQueries(
  deps: Deps,
  e: { examId: string; at: string; certificate: CertificateOfExam; fileNumber: string; visitId: string },
  o: CaseOutcome,
  c: ExamCase,
): CompiledQuery[] {
  const link = deps.db
    .insertInto('exam_cases')
    .values({ exam_id: e.examId, case_id: o.caseId, outcome: o.outcome, reason: o.outcome === 'follow_up' ? o.reason : null, hint: o.outcome === 'follow_up' ? o.hint : null })
    .compile();
  const business = businessOf(c.category);
  if (o.outcome !== 'submitted' || business === null) return [link];
  const payload = buildPayload(
    business,
    { ...c, fileNumber: e.fileNumber },
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
        file_number: e.fileNumber,
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
        // Not sent without the driver's 委托书 (Art 105): held until the postal worker records it.
        held_for: heldForOf(e.visitId),
      })
      .compile(),
  ];
}

/** Times and certificate, checked against the visit's day and the clock; every problem at once. */
function checkInput(input: ExamInput, visitDate: string, now: Date, organisation: string, needsCognitiveTest: boolean): CertificateOfExam {
  const problems: FieldIssue[] = [];
  // Asked exactly when a case of the visit needs it (RULES.md §3); a driver who will not take it fails it.
  if (needsCognitiveTest && (input.findings.cognitiveTest ?? null) === null) {
    problems.push(fieldIssue('findings.cognitiveTest', 'required', { key: 'cognitive_test_required' }));
  }
  const started = Date.parse(input.startedAt);
  const ended = Date.parse(input.endedAt);
  if (todayIn(new Date(started)) !== visitDate) problems.push(fieldIssue('startedAt', 'other_day', { key: 'exam_on_visit_day', params: { date: visitDate } }));
  if (ended < started) problems.push(fieldIssue('endedAt', 'before_start', { key: 'not_before_started_at' }));
  else if (ended - started > LONGEST_EXAM_MS) problems.push(fieldIssue('endedAt', 'too_long', { key: 'exam_too_long' }));
  if (ended > now.getTime() + CLOCK_SKEW_MS) problems.push(fieldIssue('endedAt', 'in_future', { key: 'not_in_future' }));
  const issuedOn = input.certificate.issuedOn ?? visitDate;
  if (issuedOn < visitDate) problems.push(fieldIssue('certificate.issuedOn', 'before_exam', { key: 'not_before_exam', params: { date: visitDate } }));
  if (issuedOn > todayIn(now)) problems.push(fieldIssue('certificate.issuedOn', 'in_future', { key: 'not_in_future' }));
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

// --- idempotent exam posts (issue 16): a phone with a bad signal sends the same exam again ---

/** What the Idempotency-Key binds: the request (route and body) of one account. */
export interface IdempotencyClaim {
  key: string;
  route: string;
  bodyHash: string;
}

export interface ExamAnswer {
  status: 201;
  body: Awaited<ReturnType<typeof examView>>;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** 1 to 100 visible ASCII characters (what the API accepts in the Idempotency-Key header). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;

class KeyTakenMeanwhile extends Error {}

/**
 * `recordExam` once per Idempotency-Key: the same key with the same body (and account) gets the
 * first answer again, with another body a 409. The key is written in the exam's own batch, so a
 * retry can never record a second exam; the answer's body is stored right after the batch (a
 * crash between the two leaves the key with no body: a replay then renders the exam it recorded).
 * Without a key, `recordExam` as it always was.
 */
export async function recordExamOnce(
  deps: Deps,
  visitId: string,
  input: ExamInput,
  by: { id: string; role: string },
  key: string | undefined,
  route = `POST /api/visits/${visitId}/exam`,
): Promise<ExamAnswer> {
  if (key === undefined) return { status: 201, body: await examView(deps, (await recordExam(deps, visitId, input, by)).exam), replayed: false };
  if (!IDEMPOTENCY_KEY.test(key)) throw validationError([fieldIssue('Idempotency-Key', 'invalid', { key: 'idempotency_key_invalid' })]);
  const claim: IdempotencyClaim = { key, route, bodyHash: bodyHash(input) };
  const earlier = await replayOf(deps, claim, by.id, visitId);
  if (earlier) return earlier;
  let exam: ExamRow;
  try {
    ({ exam } = await recordExam(deps, visitId, input, by, { idempotency: claim }));
  } catch (err) {
    // Two sends of one tap racing: the other one's exam closed the visit first.
    if (err instanceof KeyTakenMeanwhile || (err instanceof AppError && err.code === 'conflict')) {
      const replay = await replayOf(deps, claim, by.id, visitId);
      if (replay) return replay;
    }
    throw err;
  }
  const body = await examView(deps, exam);
  await deps.atomic([storeAnswerQuery(deps, claim, body)]);
  return { status: 201, body, replayed: false };
}

function claimQuery(deps: Deps, claim: IdempotencyClaim, staffId: string, at: string): CompiledQuery {
  return deps.db
    .insertInto('idempotency_keys')
    .values({ key: claim.key, route: claim.route, staff_id: staffId, body_hash: claim.bodyHash, response_status: 201, response_body: '', created_at: at })
    .compile();
}

function storeAnswerQuery(deps: Deps, claim: IdempotencyClaim, body: unknown): CompiledQuery {
  return deps.db
    .updateTable('idempotency_keys')
    .set({ response_body: JSON.stringify(body) })
    .where('route', '=', claim.route)
    .where('key', '=', claim.key)
    .where('response_body', '=', '')
    .compile();
}

/** The stored answer of this key, or null when the key is new; another body (or account) is a 409. */
async function replayOf(deps: Deps, claim: IdempotencyClaim, staffId: string, visitId: string): Promise<ExamAnswer | null> {
  const row = await deps.db.selectFrom('idempotency_keys').selectAll().where('route', '=', claim.route).where('key', '=', claim.key).executeTakeFirst();
  if (!row) return null;
  if (row.body_hash !== claim.bodyHash || row.staff_id !== staffId) throw AppError.keyed('idempotency_mismatch', { key: 'idempotency_mismatch' });
  if (row.response_body !== '') return { status: 201, body: JSON.parse(row.response_body) as ExamAnswer['body'], replayed: true };
  const exam = await deps.db.selectFrom('exams').selectAll().where('visit_id', '=', visitId).executeTakeFirstOrThrow();
  const body = await examView(deps, exam);
  await deps.atomic([storeAnswerQuery(deps, claim, body)]);
  return { status: 201, body, replayed: true };
}

/** SHA-256 of the body as checked, its keys sorted: the same exam in another key order is the same body. */
export function bodyHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
