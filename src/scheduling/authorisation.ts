import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { PHOTO_TYPES, RELATIONS, type PhotoType, type Relation } from '../db/schema/authorisations.ts';
import type { DB } from '../db/schema/index.ts';
import { AppError, fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { auditEntry } from '../staff/audit.ts';
import { failBatchIf, isGuardFailure } from '../shared/lease.ts';
import { todayIn } from '../shared/time.ts';
import { ownShiftOnly, visitById } from './visits.ts';

/**
 * The driver's written authorisation (委托书, RULES.md §5, Art 105), issue 16: the postal worker of
 * the crew files the driver's business at 12123 as their agent, so the signed form is recorded at
 * the door (signer, relation, a photo of the form; the name and the photo sealed with DATA_KEY)
 * and no submission of the visit is sent without it. Seen by admins and the shift's postal worker
 * only: never the examiner.
 */

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'cipher'>;
export type Caller = { id: string; role: string };

/** The signed form as a phone photographs it; a larger file is refused before it is sealed. */
export const MAX_PHOTO_BYTES = 3 << 20;
const MAX_SIGNER_CHARS = 50;

export interface AuthorisationInput {
  visitId: string;
  signerName: string;
  relation: string;
  photo: Uint8Array;
  photoType: string;
}

export interface RecordedAuthorisation {
  id: string;
  visitId: string;
  relation: Relation;
  recordedAt: string;
}

export interface AuthorisationMeta extends RecordedAuthorisation {
  signerName: string;
  photoType: PhotoType;
  photoBytes: number;
  recordedBy: { id: string; name: string };
}

/** The crew is at the door (or has examined): the form is signed there. */
const AT_THE_DOOR = ['arrived', 'exam_recorded'] as const;

export async function recordAuthorisation(deps: Deps, input: AuthorisationInput, staff: Caller): Promise<RecordedAuthorisation> {
  const visit = await visitById(deps, input.visitId);
  await mayHandle(deps, visit, staff);
  const today = todayIn(deps.clock.now());
  if (visit.date !== today) throw AppError.keyed('conflict', { key: 'authorisation_visit_day', params: { date: visit.date } });
  if (!(AT_THE_DOOR as readonly string[]).includes(visit.status)) {
    throw AppError.keyed('conflict', { key: 'authorisation_visit_not_at_door', params: { state: visit.status } });
  }
  const checked = checkInput(input);
  const id = deps.ids.next();
  const at = deps.clock.now().toISOString();
  const queries: CompiledQuery[] = [
    // Only while the visit is still at the door: a cancellation meanwhile fails the whole batch,
    // so that neither the release of the held submissions nor the audit entry is written alone.
    failBatchIf(deps.db, 'visit_not_at_door', sql`NOT EXISTS (SELECT 1 FROM visits WHERE id = ${visit.id} AND status IN ('arrived', 'exam_recorded'))`),
    sql`INSERT INTO authorisations (id, visit_id, signer_name, relation, photo, photo_type, recorded_by, recorded_at)
      SELECT ${id}, ${visit.id}, ${deps.cipher.encrypt(checked.signerName)}, ${checked.relation}, ${deps.cipher.encrypt(base64(checked.photo))},
        ${checked.photoType}, ${staff.id}, ${at}
      WHERE EXISTS (SELECT 1 FROM visits WHERE id = ${visit.id} AND status IN ('arrived', 'exam_recorded'))`.compile(deps.db),
    releaseHeldQuery(deps.db, visit.id, at),
    auditEntry(deps, { staffId: staff.id, action: 'authorisation.record', subject: visit.id, details: { authorisation: id, relation: checked.relation } }),
  ];
  let results: Awaited<ReturnType<Deps['atomic']>>;
  try {
    results = await deps.atomic(queries);
  } catch (err) {
    if (isGuardFailure(err)) throw AppError.keyed('conflict', { key: 'visit_changed_meanwhile' });
    if (err instanceof Error && /UNIQUE constraint failed: authorisations\.visit_id/.test(err.message)) {
      throw AppError.keyed('conflict', { key: 'authorisation_exists' });
    }
    throw err;
  }
  if (Number(results[1]?.numAffectedRows ?? 0) !== 1) throw AppError.keyed('conflict', { key: 'visit_changed_meanwhile' });
  deps.logger.info('authorisation recorded', { visit: visit.id, authorisation: id });
  return { id, visitId: visit.id, relation: checked.relation, recordedAt: at };
}

/** The live authorisation of a visit (the signer's name opened), or null. */
export async function authorisationOf(deps: Deps, visitId: string, staff: Caller): Promise<AuthorisationMeta | null> {
  const visit = await visitById(deps, visitId);
  await mayHandle(deps, visit, staff);
  const row = await liveRow(deps.db, visit.id)
    .innerJoin('staff as s', 's.id', 'a.recorded_by')
    .select(['a.id', 'a.visit_id', 'a.signer_name', 'a.relation', 'a.photo_type', 'a.recorded_at', 'a.recorded_by', 's.name as recorded_by_name'])
    .select(sql<number>`length(a.photo)`.as('sealed_length'))
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    visitId: row.visit_id,
    relation: row.relation,
    recordedAt: row.recorded_at,
    signerName: deps.cipher.decrypt(row.signer_name),
    photoType: row.photo_type,
    // About the image's size (the sealed base64 is 4/3 of it plus the envelope): a hint for the page.
    photoBytes: Math.floor((row.sealed_length * 3) / 4),
    recordedBy: { id: row.recorded_by, name: row.recorded_by_name },
  };
}

/** The photo of the signed form; every view is audited. */
export async function authorisationPhoto(deps: Deps, visitId: string, staff: Caller): Promise<{ bytes: Uint8Array; type: PhotoType }> {
  const visit = await visitById(deps, visitId);
  await mayHandle(deps, visit, staff);
  const row = await liveRow(deps.db, visit.id).select(['a.id', 'a.photo', 'a.photo_type']).executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'authorisation_not_found' });
  await deps.atomic([auditEntry(deps, { staffId: staff.id, action: 'authorisation.view_photo', subject: visit.id, details: { authorisation: row.id } })]);
  return { bytes: new Uint8Array(Buffer.from(deps.cipher.decrypt(row.photo), 'base64')), type: row.photo_type };
}

/**
 * An admin withdraws a wrong authorisation (so that the right one can be recorded): the visit's
 * submissions not yet accepted wait again, in the same batch.
 */
export async function withdrawAuthorisation(deps: Deps, visitId: string, staff: Caller, reason: string): Promise<void> {
  if (staff.role !== 'admin') throw AppError.keyed('forbidden', { key: 'authorisation_own_shift' });
  const visit = await visitById(deps, visitId);
  const row = await liveRow(deps.db, visit.id).select('a.id').executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'authorisation_not_found' });
  const at = deps.clock.now().toISOString();
  const batch = [
    // Another withdrawal got there first (and perhaps a new authorisation since): hold nothing.
    failBatchIf(deps.db, 'authorisation_withdrawn', sql`NOT EXISTS (SELECT 1 FROM authorisations WHERE id = ${row.id} AND withdrawn_at IS NULL)`),
    deps.db
      .updateTable('authorisations')
      .set({ withdrawn_at: at, withdrawn_by: staff.id, withdrawn_reason: reason })
      .where('id', '=', row.id)
      .where('withdrawn_at', 'is', null)
      .compile(),
    holdQuery(deps.db, visit.id, at),
    // The reason is staff's words and may name someone: kept with the row, not in the audit details.
    auditEntry(deps, { staffId: staff.id, action: 'authorisation.withdraw', subject: visit.id, details: { authorisation: row.id } }),
  ];
  try {
    await deps.atomic(batch);
  } catch (err) {
    if (isGuardFailure(err)) throw AppError.keyed('not_found', { key: 'authorisation_not_found' });
    throw err;
  }
}

// --- the hold of 12123 submissions (Art 105): used by the exam's batch and by the two above ---

/**
 * SQL for a new submission's `held_for`: null when the visit has a live authorisation, else
 * 'authorisation'. Evaluated inside the exam's batch, so an authorisation recorded at the same
 * moment is either seen here or releases the row in its own batch.
 */
export function heldForOf(visitId: string): RawBuilder<'authorisation' | null> {
  return sql<'authorisation' | null>`(CASE WHEN EXISTS (SELECT 1 FROM authorisations WHERE visit_id = ${visitId} AND withdrawn_at IS NULL) THEN NULL ELSE 'authorisation' END)`;
}

/** The visit's held submissions may go (the authorisation's batch). */
export function releaseHeldQuery(db: Kysely<DB>, visitId: string, at: string): CompiledQuery {
  return sql`UPDATE submissions SET held_for = NULL, updated_at = ${at}
    WHERE held_for = 'authorisation' AND exam_id IN (SELECT id FROM exams WHERE visit_id = ${visitId})`.compile(db);
}

/** The visit's submissions not accepted (nor cancelled) wait again (a withdrawal's batch). */
export function holdQuery(db: Kysely<DB>, visitId: string, at: string): CompiledQuery {
  return sql`UPDATE submissions SET held_for = 'authorisation', updated_at = ${at}
    WHERE held_for IS NULL AND status IN ('pending', 'leased', 'dead') AND exam_id IN (SELECT id FROM exams WHERE visit_id = ${visitId})`.compile(db);
}

// --- rules ---

function liveRow(db: Kysely<DB>, visitId: string) {
  return db.selectFrom('authorisations as a').where('a.visit_id', '=', visitId).where('a.withdrawn_at', 'is', null);
}

/** Admins, and the postal worker of the visit's shift (the examiner never: issue 16). */
async function mayHandle(deps: Pick<Deps, 'db'>, visit: { shift_id: string }, staff: Caller): Promise<void> {
  if (staff.role === 'admin') return;
  if (staff.role !== 'postal') throw AppError.keyed('forbidden', { key: 'authorisation_own_shift' });
  await ownShiftOnly(deps, visit, staff, 'examiner_own_visits_update');
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Every field problem at once. */
function checkInput(input: AuthorisationInput): { signerName: string; relation: Relation; photo: Uint8Array; photoType: PhotoType } {
  const problems: FieldIssue[] = [];
  const signerName = input.signerName.normalize('NFC').trim();
  if (signerName.length === 0) problems.push(fieldIssue('signerName', 'required', { key: 'authorisation_signer_required' }));
  else if ([...signerName].length > MAX_SIGNER_CHARS) problems.push(fieldIssue('signerName', 'too_long', { key: 'authorisation_signer_too_long', params: { max: MAX_SIGNER_CHARS } }));
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/.test(signerName)) problems.push(fieldIssue('signerName', 'invisible_characters', { key: 'authorisation_signer_invalid' }));
  const relation = (RELATIONS as readonly string[]).includes(input.relation) ? (input.relation as Relation) : null;
  if (relation === null) problems.push(fieldIssue('relation', 'invalid_enum', { key: 'authorisation_relation_invalid', params: { allowed: RELATIONS.join(', ') } }));
  const photoType = (PHOTO_TYPES as readonly string[]).includes(input.photoType) ? (input.photoType as PhotoType) : null;
  if (input.photo.byteLength === 0) problems.push(fieldIssue('photo', 'required', { key: 'authorisation_photo_required' }));
  else if (photoType === null) problems.push(fieldIssue('photo', 'unsupported_type', { key: 'authorisation_photo_format' }));
  else if (input.photo.byteLength > MAX_PHOTO_BYTES) problems.push(fieldIssue('photo', 'too_large', { key: 'authorisation_photo_size', params: { bytes: MAX_PHOTO_BYTES } }));
  else if (sniffImage(input.photo) !== photoType) {
    problems.push(fieldIssue('photo', 'not_an_image', { key: 'authorisation_photo_type', params: { type: photoType } }));
  }
  if (problems.length > 0 || relation === null || photoType === null) throw validationError(problems);
  return { signerName, relation, photo: input.photo, photoType };
}

/** The image type the bytes really are (their magic numbers), or null. Pure. */
export function sniffImage(bytes: Uint8Array): PhotoType | null {
  const starts = (sig: readonly number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  // RIFF <size> WEBP
  if (bytes.byteLength >= 12 && starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}
