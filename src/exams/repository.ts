import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { VisitRow } from '../db/schema/scheduling.ts';
import type { LicenceClass } from '../registry/licence.ts';
import { classesToHold, type OpenCaseOfVisit } from './outcome.ts';

export type ExamCase = OpenCaseOfVisit & { dueOn: string };

/** What an exam at a visit is judged with: the driver, the visit's open cases, the shift's examiner. */
export interface ExamContext {
  licence: { name: string; sex: 'M' | 'F'; birth_date: string; id_masked: string; classes: string; address: string };
  /** The open cases the visit serves, soonest due first. */
  cases: ExamCase[];
  /** The classes whose thresholds apply (src/exams/outcome.ts). */
  held: LicenceClass[];
  needsCognitiveTest: boolean;
  examiner: { id: string; name: string; organisation: string };
}

export async function examContext(db: Kysely<DB>, visit: VisitRow): Promise<ExamContext> {
  const [licence, rows, examiner] = await Promise.all([
    db.selectFrom('licences').select(['name', 'sex', 'birth_date', 'id_masked', 'classes', 'address']).where('file_number', '=', visit.file_number).executeTakeFirstOrThrow(),
    db.selectFrom('cases').selectAll().where('id', 'in', JSON.parse(visit.cases) as string[]).where('status', '=', 'open').orderBy('due_on').execute(),
    db
      .selectFrom('shifts as s')
      .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
      .select(['e.id', 'e.name', 'e.organisation'])
      .where('s.id', '=', visit.shift_id)
      .executeTakeFirstOrThrow(),
  ]);
  const cases = rows.map(
    (c): ExamCase => ({
      id: c.id,
      category: c.category,
      opensOn: c.opens_on,
      dueOn: c.due_on,
      triggerOn: c.trigger_on,
      targetClasses: c.target_classes === null ? null : (JSON.parse(c.target_classes) as LicenceClass[]),
      needsCognitiveTest: c.needs_cognitive_test === 1,
    }),
  );
  return {
    licence,
    cases,
    held: classesToHold(licence.classes.split(' ') as LicenceClass[], cases),
    needsCognitiveTest: cases.some((c) => c.needsCognitiveTest),
    examiner,
  };
}
