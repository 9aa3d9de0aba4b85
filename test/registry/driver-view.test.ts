import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverOverview, licenceWithFullId, type DriverOverview } from '../../src/registry/licence-view.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';

const [FILE, INPUT] = driver(1);
let t: TestApp;
let visitId: string;
let examId: string;

// One driver through the whole flow: screened (annual_exam_70), texted, confirmed, booked, examined.
beforeAll(async () => {
  t = await createTestApp();
  const visits = await bookedVisits(t, [[FILE, INPUT]]);
  visitId = visits.get(FILE)!;
  examId = (await recordExam(t, visitId)).id;
});
afterAll(() => t.cleanup());

async function overview(as: 'admin' | 'dispatcher' = 'admin') {
  const res = await t.request(`/api/drivers/${FILE}`, { as });
  expect(res.status).toBe(200);
  return { text: await res.clone().text(), body: (await res.json()) as DriverOverview };
}

async function fullId(): Promise<string> {
  const row = await t.deps.db.selectFrom('licences').select('id_cipher').where('file_number', '=', FILE).executeTakeFirstOrThrow();
  return t.deps.cipher.decrypt(row.id_cipher);
}

describe('GET /api/drivers/{fileNumber}', () => {
  it('shows an admin the licence with the ID masked, every case with its articles, and every section', async () => {
    const { body, text } = await overview();
    expect(text).not.toContain(await fullId());
    expect(body.licence).toMatchObject({ fileNumber: FILE, name: INPUT.name, birthDate: '1956-03-10', classes: ['C1'], fullIdUrl: `/api/licences/${FILE}` });
    expect(body.licence.idNumberMasked).toMatch(/^371502\*{8}\d{3}[\dX]$/);
    expect(body.licence).not.toHaveProperty('idNumber');
    expect(body.cases).toEqual([
      expect.objectContaining({ category: 'annual_exam_70', opensOn: '2026-05-20', dueOn: '2026-06-18', articles: ['Art 74', 'Art 79(9)'] }),
    ]);
    expect(body.timeline?.some((i) => i.kind === 'answer' && i.intent === 'confirm')).toBe(true);
    expect(body.visits).toEqual([expect.objectContaining({ id: visitId, status: 'exam_recorded', caseIds: [body.cases[0]!.id] })]);
    expect(body.exams).toEqual([expect.objectContaining({ id: examId, visitId, pass: true, detailUrl: `/api/exams/${examId}` })]);
    expect(body.submissions).toEqual([expect.objectContaining({ caseId: body.cases[0]!.id, business: 'submit_certificate' })]);
  });

  it('shows a dispatcher contact, place, cases and visits, but no exam, outreach or submission, and no way to the full ID', async () => {
    const { body } = await overview('dispatcher');
    expect(body.licence).not.toHaveProperty('birthDate');
    expect(body.licence.fullIdUrl).toBeNull();
    expect(body.cases).toHaveLength(1);
    expect(body.visits).toHaveLength(1);
    expect([body.exams, body.timeline, body.submissions]).toEqual([null, null, null]);
  });

  it('is not for an examiner, and answers 404 for an unknown file number', async () => {
    expect((await t.request(`/api/drivers/${FILE}`, { as: 'examiner' })).status).toBe(403);
    expect((await t.request('/api/drivers/999999999999')).status).toBe(404);
  });

  it('leaves the full ID to the audited licence route its fullIdUrl names', async () => {
    const before = await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'licence.view_full_id').execute();
    await overview();
    const { body } = await overview();
    const after = await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'licence.view_full_id').execute();
    expect(after).toHaveLength(before.length);
    const res = await t.request(body.licence.fullIdUrl!);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { idNumber: string }).idNumber).toBe(await fullId());
    const audited = await t.deps.db.selectFrom('audit_log').select('subject').where('action', '=', 'licence.view_full_id').execute();
    expect(audited).toHaveLength(before.length + 1);
    expect(audited.map((a) => a.subject)).toContain(FILE);
  });
});

describe('the services a page calls (no HTTP)', () => {
  it('answers driverOverview as the route does, and licenceWithFullId with the full ID, audited', async () => {
    const staff = await t.deps.db.selectFrom('staff').select(['id', 'role']).where('role', '=', 'admin').executeTakeFirstOrThrow();
    const direct = await driverOverview(t.deps, FILE, { id: staff.id, role: 'admin' });
    expect(direct).toEqual((await overview()).body);
    const count = async () => (await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'licence.view_full_id').where('staff_id', '=', staff.id).execute()).length;
    const before = await count();
    expect((await licenceWithFullId(t.deps, FILE, staff.id)).idNumber).toBe(await fullId());
    expect(await count()).toBe(before + 1);
    await expect(driverOverview(t.deps, '999999999999', { id: staff.id, role: 'admin' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
