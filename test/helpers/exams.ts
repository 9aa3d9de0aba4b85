import { expect } from 'vitest';
import type { ExamFindings } from '../../src/exams/rules.ts';
import { postJson, type TestApp } from './app.ts';
import { authorise } from './authorisation.ts';
import { HEALTHY } from './exam-findings.ts';
import { advance, hours } from './outreach.ts';
import type { RowInput } from './registry-csv.ts';
import { addPerson, addShift, allVisits, commit, confirmedDrivers, preview, SHUICHENG, TOMORROW } from './scheduling.ts';


/** A C1 driver born 1956-03-10, first licensed 1990-05-20: annual_exam_70 for the cycle ended 2026-05-19. */
export const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `5000000000${String(n).padStart(2, '0')}`,
  { phone: `1370000${String(n).padStart(4, '0')}`, name: `孙测${n}`, sex: n % 2 ? 'M' : 'F', birth: '1956-03-10', classes: 'C1', ...SHUICHENG, ...extra },
];

/**
 * Drivers confirmed, planned and booked on TOMORROW into one shift whose examiner is the test's
 * examiner account; the clock is then moved to the visit day. Returns the visits by file number.
 */
export async function bookedVisits(t: TestApp, drivers: [string, RowInput][]): Promise<Map<string, string>> {
  await confirmedDrivers(t, drivers);
  const me = (await (await t.request('/api/me', { as: 'examiner' })).json()) as { id: string };
  const postalId = await addPerson(t, 'postal', '吴投递');
  const examinerId = await addPerson(t, 'examiner', '冯医生');
  await t.deps.db.updateTable('field_staff').set({ staff_id: me.id }).where('id', '=', examinerId).execute();
  await addShift(t, { postalId, examinerId, capacity: 20 });
  const visits = allVisits(await preview(t));
  expect(visits).toHaveLength(drivers.length);
  await commit(t);
  advance(t, hours(24)); // 2026-11-27 10:00 in Shanghai
  return new Map(visits.map((v) => [v.fileNumber, v.id]));
}

let certificates = 0;

export function examBody(findings: Partial<ExamFindings> = {}, extra: Record<string, unknown> = {}) {
  return {
    startedAt: `${TOMORROW}T01:50:00Z`,
    endedAt: `${TOMORROW}T01:58:00Z`,
    findings: { ...HEALTHY, ...findings },
    certificate: { number: `LC-2026-${String(++certificates).padStart(6, '0')}` },
    ...extra,
  };
}

/** The exam, then (unless `authorised` is false) the driver's 委托书, so that its submissions may go (Art 105). */
export async function recordExam(t: TestApp, visitId: string, findings: Partial<ExamFindings> = {}, as: 'admin' | 'examiner' = 'examiner', authorised = true) {
  const res = await postJson(t, `/api/visits/${visitId}/exam`, examBody(findings), as);
  expect(res.status, await res.clone().text()).toBe(201);
  if (authorised) await authorise(t, visitId);
  return (await res.json()) as ExamJson;
}

export interface ExamJson {
  id: string;
  pass: boolean;
  classes: string[];
  thresholds: { vision: number; hearingAidAllowed: boolean };
  items: { item: string; pass: boolean; reason: string | null }[];
  certificate: { number: string; institution: string; issuedOn: string; validUntil: string };
  cases: { caseId: string; category: string; outcome: string; reason: string | null; hint: string | null; submission: { id: string; status: string; notBefore: string } | null }[];
}
