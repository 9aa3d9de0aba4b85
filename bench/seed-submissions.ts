import type { CompiledQuery, Kysely } from 'kysely';
import { bulkInsert } from '../src/db/bulk.ts';
import { SQLITE_LIMITS } from '../src/db/limits.ts';
import type { DB } from '../src/db/schema/index.ts';
import { uuidv7, type Atomic } from '../src/ports.ts';
import { buildPayload } from '../src/submissions/payload.ts';
import type { PersonalDataCipher } from '../src/shared/personal-data.ts';
import { todayIn } from '../src/shared/time.ts';

/**
 * Seeds `count` pending 12123 submissions due now, with the whole chain the foreign keys and
 * triggers ask for: an import and a screening run, one admin, a crew (postal worker + examiner)
 * on one shift, and per driver a synthetic licence, an open `annual_exam_70` case, a visit closed
 * by its exam, the exam, its exam_cases link and the submission. Shared by the crash test and the
 * drain benchmark (so no test-framework imports here).
 *
 * Everything is synthetic (names 测试驾驶人N, phones 1390000xxxx, placeholder ciphers): no personal
 * data. The rows go in multi-row INSERTs (src/db/bulk.ts) in one atomic batch: 10,000 drivers
 * take a second or two, not the minutes row-by-row inserts would.
 */
export interface SeedOptions {
  /** The instant the rows are written and the submissions fall due. Default: now. */
  now?: Date;
  /** `not_before` of every submission (YYYY-MM-DD); default today in Asia/Shanghai. */
  notBefore?: string;
  /** The first driver's number (file numbers are 99 + 10 digits of it), to seed twice into one database. */
  firstNumber?: number;
  /**
   * Seals the placeholder ID numbers and medical records with this cipher, for a database a
   * process will open with its DATA_KEY (the start-up key check opens one sealed value).
   */
  cipher?: Pick<PersonalDataCipher, 'encrypt'>;
}

export interface SeededSubmission {
  id: string;
  idempotencyKey: string;
  caseId: string;
  fileNumber: string;
}

const INSTITUTION = '测试体检机构';

export async function seedSubmissions(database: { db: Kysely<DB>; atomic: Atomic }, count: number, options: SeedOptions = {}): Promise<SeededSubmission[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error('count must be a whole number of at least 1');
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const today = todayIn(now);
  const notBefore = options.notBefore ?? today;
  const first = options.firstNumber ?? 1;
  const seal = (placeholder: string) => options.cipher?.encrypt(placeholder) ?? placeholder;
  // Ids as the app makes them (uuidv7), so that the indexes see the usual order.
  const id = () => uuidv7(now.getTime());

  const importId = id();
  const runId = id();
  const adminId = id();
  const postalId = id();
  const examinerId = id();
  const shiftId = id();
  const queries: CompiledQuery[] = [
    ...bulkInsert(SQLITE_LIMITS, 'imports', ['id', 'staff_id', 'source', 'filename', 'status', 'started_at', 'finished_at', 'total_rows', 'inserted'], [
      [importId, null, 'cli', 'synthetic-seed.csv', 'completed', at, at, count, count],
    ]),
    ...bulkInsert(SQLITE_LIMITS, 'screening_runs', ['id', 'staff_id', 'trigger', 'as_of', 'lead_days', 'renewal_min_age', 'status', 'started_at', 'finished_at', 'licences_screened'], [
      [runId, null, 'cli', today, 60, 60, 'completed', at, at, count],
    ]),
    // The token hash only has to be unique: nobody signs in with this account.
    ...bulkInsert(SQLITE_LIMITS, 'staff', ['id', 'name', 'role', 'token_hash', 'active', 'created_at'], [[adminId, '测试管理员', 'admin', `seed-${adminId}`, 1, at]]),
    ...bulkInsert(SQLITE_LIMITS, 'field_staff', ['id', 'kind', 'name', 'phone', 'organisation', 'staff_id', 'active', 'created_at', 'updated_at'], [
      [postalId, 'postal', '测试投递员', '+8613900000001', '测试邮政', null, 1, at, at],
      [examinerId, 'examiner', '测试体检医生', '+8613900000002', INSTITUTION, null, 1, at, at],
    ]),
    ...bulkInsert(
      SQLITE_LIMITS,
      'shifts',
      ['id', 'date', 'starts_at', 'ends_at', 'postal_id', 'examiner_id', 'start_label', 'start_lat', 'start_lng', 'end_label', 'end_lat', 'end_lng', 'capacity', 'status', 'created_by', 'created_at', 'updated_at'],
      [[shiftId, today, '08:00', '17:30', postalId, examinerId, '测试邮局', 36.45, 115.98, '测试邮局', 36.45, 115.98, 40, 'open', adminId, at, at]],
    ),
  ];

  const licences: unknown[][] = [];
  const cases: unknown[][] = [];
  const visits: unknown[][] = [];
  const exams: unknown[][] = [];
  const links: unknown[][] = [];
  const submissions: unknown[][] = [];
  const seeded: SeededSubmission[] = [];
  const dueOn = plusDays(today, 30);
  const validUntil = plusDays(today, 365);
  const examStartedAt = new Date(now.getTime() - 20 * 60_000).toISOString();
  const examEndedAt = new Date(now.getTime() - 10 * 60_000).toISOString();

  for (let i = 0; i < count; i++) {
    const n = first + i;
    const fileNumber = `99${String(n).padStart(10, '0')}`;
    const caseId = id();
    const visitId = id();
    const examId = id();
    const submissionId = id();
    const certificate = {
      number: `SEED-${fileNumber}-${examId.slice(-8)}`,
      institution: INSTITUTION,
      issuedOn: today,
      validUntil,
      examStartedAt,
      examEndedAt,
    };
    licences.push([
      fileNumber, seal(`synthetic-cipher-${n}`), n, `990000********${String(n % 10_000).padStart(4, '0')}`, '1950-01-01', n % 2 === 0 ? 'F' : 'M',
      `测试驾驶人${n}`, `1390000${String(n % 10_000).padStart(4, '0')}`, 'mobile', `测试小区${n % 100}号楼`, `测试小区${n % 100}`,
      'C1', '1990-01-01', validUntil, null, null, 'active', 36.45, 115.98, importId, at, at,
    ]);
    cases.push([caseId, fileNumber, 'annual_exam_70', today, notBefore, dueOn, null, 0, null, 0, null, 'open', runId, at, at, null]);
    // Closed by its exam already: the trigger exams_visit_closed_by_exam insists on it.
    visits.push([
      visitId, fileNumber, null, shiftId, today, 'exam_recorded', i, '09:00', 10, '09:00', '10:00', `door:${fileNumber}`, '测试小区门口', 36.45, 115.98,
      JSON.stringify([caseId]), 0, at, at, at, null, at, 'exam', adminId,
    ]);
    exams.push([
      examId, visitId, fileNumber, examinerId, adminId, examStartedAt, examEndedAt, 1, JSON.stringify(['C1']), seal('synthetic-sealed-medical-record'),
      certificate.number, INSTITUTION, today, validUntil, at,
    ]);
    links.push([examId, caseId, 'submitted', null, null]);
    const payload = buildPayload(
      'submit_certificate',
      { id: caseId, fileNumber, category: 'annual_exam_70', dueOn, targetClasses: null, needsCognitiveTest: false },
      certificate,
    );
    const idempotencyKey = `checkup-${submissionId}`;
    submissions.push([
      submissionId, caseId, examId, fileNumber, 'submit_certificate', JSON.stringify(payload), idempotencyKey, notBefore, 'pending', 0, at, examStartedAt, at, at,
    ]);
    seeded.push({ id: submissionId, idempotencyKey, caseId, fileNumber });
  }

  queries.push(
    ...bulkInsert(
      SQLITE_LIMITS,
      'licences',
      ['file_number', 'id_cipher', 'id_hash', 'id_masked', 'birth_date', 'sex', 'name', 'phone', 'phone_kind', 'address', 'community', 'classes', 'first_issued_on', 'valid_until', 'extension_until', 'last_cert_submitted_on', 'status', 'lat', 'lng', 'import_id', 'created_at', 'updated_at'],
      licences,
    ),
    ...bulkInsert(
      SQLITE_LIMITS,
      'cases',
      ['id', 'file_number', 'category', 'trigger_on', 'opens_on', 'due_on', 'lapses_on', 'overdue', 'target_classes', 'needs_cognitive_test', 'reason', 'status', 'first_run_id', 'created_at', 'updated_at', 'closed_at'],
      cases,
    ),
    ...bulkInsert(
      SQLITE_LIMITS,
      'visits',
      ['id', 'file_number', 'conversation_id', 'shift_id', 'date', 'status', 'seq', 'starts_at', 'service_minutes', 'window_start', 'window_end', 'stop_key', 'stop_label', 'lat', 'lng', 'cases', 'needs_cognitive_test', 'created_at', 'updated_at', 'booked_at', 'confirmed_at', 'closed_at', 'closed_reason', 'closed_by'],
      visits,
    ),
    ...bulkInsert(
      SQLITE_LIMITS,
      'exams',
      ['id', 'visit_id', 'file_number', 'examiner_id', 'recorded_by', 'started_at', 'ended_at', 'pass', 'classes', 'medical', 'certificate_number', 'institution', 'issued_on', 'valid_until', 'created_at'],
      exams,
    ),
    ...bulkInsert(SQLITE_LIMITS, 'exam_cases', ['exam_id', 'case_id', 'outcome', 'reason', 'hint'], links),
    ...bulkInsert(
      SQLITE_LIMITS,
      'submissions',
      ['id', 'case_id', 'exam_id', 'file_number', 'business', 'payload', 'idempotency_key', 'not_before', 'status', 'attempts', 'next_attempt_at', 'exam_started_at', 'created_at', 'updated_at'],
      submissions,
    ),
  );
  await database.atomic(queries);
  return seeded;
}

/** Civil-date arithmetic on the date string itself, whatever the process's time zone. */
function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
