import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAuthorisation, sniffImage, withdrawAuthorisation } from '../../src/scheduling/authorisation.ts';
import { createGatewaySimulator } from '../../src/submissions/gateway-sim.ts';
import { runRound, WorkerState, workerSettings } from '../../src/submissions/worker.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { authorisationForm, postAuthorisation, TINY_PNG } from '../helpers/authorisation.ts';
import { bookedVisits, driver, recordExam } from '../helpers/exams.ts';

let t: TestApp;
let visits: Map<string, string>;
const [fileA, fileB] = [driver(1), driver(2)];

beforeEach(async () => {
  t = await createTestApp();
  visits = await bookedVisits(t, [fileA, fileB]);
  t.clock.set('2026-11-27T01:59:00Z'); // the visit day; the exams of examBody ran 01:50-01:58
  // The shift's postal worker signs in with the test's postal account.
  const me = (await (await t.request('/api/me', { as: 'postal' })).json()) as { id: string };
  const shift = await t.deps.db.selectFrom('visits').select('shift_id').where('id', '=', visitA()).executeTakeFirstOrThrow();
  const { postal_id } = await t.deps.db.selectFrom('shifts').select('postal_id').where('id', '=', shift.shift_id).executeTakeFirstOrThrow();
  await t.deps.db.updateTable('field_staff').set({ staff_id: me.id }).where('id', '=', postal_id).execute();
});
afterEach(() => t.cleanup());

const visitA = () => visits.get(fileA[0])!;
const visitB = () => visits.get(fileB[0])!;
const arrive = async (visitId: string, as: 'postal' | 'examiner' = 'postal') => expect((await postJson(t, `/api/visits/${visitId}/arrived`, {}, as)).status).toBe(200);
const submissionsOf = (visitId: string) =>
  t.deps.db
    .selectFrom('submissions as s')
    .innerJoin('exams as e', 'e.id', 's.exam_id')
    .select(['s.id', 's.status', 's.held_for'])
    .where('e.visit_id', '=', visitId)
    .execute();
const round = () => runRound(t.deps, sim.gateway, new WorkerState(workerSettings(t.deps.config)));
const queue = async () => ((await (await t.request('/api/submissions/figures?from=2026-11-27&to=2026-11-27')).json()) as { queue: Record<string, unknown> }).queue;
let sim = createGatewaySimulator();
beforeEach(() => {
  sim = createGatewaySimulator();
});

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; details?: { issues?: { field: string; code: string }[] } } };
  return { status: res.status, code: body.error.code, issues: body.error.details?.issues?.map((i) => `${i.field}:${i.code}`) ?? [] };
}

describe('the 委托书 (Art 105) and the submissions it holds', () => {
  it('holds the exam’s submission until the postal worker records it, then the worker files it', async () => {
    await arrive(visitA());
    await recordExam(t, visitA(), {}, 'examiner', false);
    expect(await submissionsOf(visitA())).toMatchObject([{ status: 'pending', held_for: 'authorisation' }]);
    expect(await round()).toMatchObject({ claimed: 0 });
    expect(await queue()).toMatchObject({ pending: 1, waitingForAuthorisation: 1 });

    const res = await postAuthorisation(t, visitA(), authorisationForm({ signerName: '孙测一', relation: 'child' }), 'postal');
    expect(res.status, await res.clone().text()).toBe(201);
    const recorded = (await res.json()) as { id: string; visitId: string; relation: string; recordedAt: string };
    expect(recorded).toEqual({ id: expect.any(String), visitId: visitA(), relation: 'child', recordedAt: '2026-11-27T01:59:00.000Z' });
    expect(await submissionsOf(visitA())).toMatchObject([{ status: 'pending', held_for: null }]);
    expect(await queue()).toMatchObject({ pending: 1, waitingForAuthorisation: 0 });
    expect(await round()).toMatchObject({ claimed: 1, accepted: 1 });
    expect(sim.stats().filed).toBe(1);
  });

  it('recorded before the exam, the exam’s submission is not held at all', async () => {
    await arrive(visitA());
    expect((await postAuthorisation(t, visitA(), authorisationForm(), 'postal')).status).toBe(201);
    await recordExam(t, visitA(), {}, 'examiner', false);
    expect(await submissionsOf(visitA())).toMatchObject([{ held_for: null }]);
    expect(await round()).toMatchObject({ claimed: 1, accepted: 1 });
  });

  it('one per visit: a second is a 409; an admin withdraws it (its submission waits again), then it is recorded again', async () => {
    await arrive(visitA());
    await recordExam(t, visitA(), {}, 'examiner', false);
    expect((await postAuthorisation(t, visitA(), authorisationForm(), 'postal')).status).toBe(201);
    expect(await errorOf(await postAuthorisation(t, visitA(), authorisationForm(), 'postal'))).toMatchObject({ status: 409, code: 'conflict' });

    expect((await postJson(t, `/api/visits/${visitA()}/authorisation/withdraw`, { reason: '签字人写错' }, 'postal')).status).toBe(403);
    expect((await postJson(t, `/api/visits/${visitA()}/authorisation/withdraw`, { reason: '签字人写错' }, 'admin')).status).toBe(204);
    expect(await submissionsOf(visitA())).toMatchObject([{ status: 'pending', held_for: 'authorisation' }]);
    expect(await round()).toMatchObject({ claimed: 0 });
    expect(await (await t.request(`/api/visits/${visitA()}/authorisation`, { as: 'postal' })).json()).toEqual({ authorisation: null });
    expect((await postJson(t, `/api/visits/${visitA()}/authorisation/withdraw`, { reason: 'again' }, 'admin')).status).toBe(404);

    expect((await postAuthorisation(t, visitA(), authorisationForm({ signerName: '孙测二', relation: 'spouse' }), 'postal')).status).toBe(201);
    expect(await round()).toMatchObject({ claimed: 1, accepted: 1 });
    // Withdrawn after acceptance: nothing is held again (the business is filed).
    expect((await postJson(t, `/api/visits/${visitA()}/authorisation/withdraw`, { reason: 'late' }, 'admin')).status).toBe(204);
    expect(await submissionsOf(visitA())).toMatchObject([{ status: 'accepted', held_for: null }]);
  });

  it('only at the door, on the visit’s day', async () => {
    // booked, not arrived
    expect(await errorOf(await postAuthorisation(t, visitA(), authorisationForm(), 'postal'))).toMatchObject({ status: 409, code: 'conflict' });
    await arrive(visitA());
    t.clock.set('2026-11-28T02:00:00Z');
    expect(await errorOf(await postAuthorisation(t, visitA(), authorisationForm(), 'postal'))).toMatchObject({ status: 409, code: 'conflict' });
    expect((await postAuthorisation(t, '00000000-0000-4000-8000-000000000000', authorisationForm(), 'postal')).status).toBe(404);
  });

  it('checks every field at once, and that the photo really is an image of its type', async () => {
    await arrive(visitA());
    const bad = authorisationForm({ signerName: '  ', relation: 'neighbour', photo: new TextEncoder().encode('<svg/>'), type: 'image/svg+xml' });
    expect(await errorOf(await postAuthorisation(t, visitA(), bad, 'postal'))).toEqual({
      status: 400,
      code: 'validation_failed',
      issues: ['signerName:required', 'relation:invalid_enum', 'photo:unsupported_type'],
    });
    const jpegBytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);
    expect((await errorOf(await postAuthorisation(t, visitA(), authorisationForm({ photo: jpegBytes, type: 'image/png' }), 'postal'))).issues).toEqual(['photo:not_an_image']);
    expect((await errorOf(await postAuthorisation(t, visitA(), authorisationForm({ photo: null }), 'postal'))).issues).toEqual(['photo:required']);
    expect((await errorOf(await postAuthorisation(t, visitA(), authorisationForm({ signerName: '孙\u200b测' }), 'postal'))).issues).toEqual(['signerName:invisible_characters']);
    const big = new Uint8Array((3 << 20) + 1);
    big.set(TINY_PNG);
    expect((await errorOf(await postAuthorisation(t, visitA(), authorisationForm({ photo: big }), 'postal'))).issues).toEqual(['photo:too_large']);
    const huge = new Uint8Array(5 << 20);
    expect((await postAuthorisation(t, visitA(), authorisationForm({ photo: huge }), 'postal')).status).toBe(413);
    const json = await postJson(t, `/api/visits/${visitA()}/authorisation`, { signerName: 'x' }, 'postal');
    expect(await errorOf(json)).toMatchObject({ status: 400, issues: ['body:not_multipart'] });
    expect(await t.deps.db.selectFrom('authorisations').selectAll().execute()).toEqual([]);
    // a JPEG declared as a JPEG is taken
    expect((await postAuthorisation(t, visitA(), authorisationForm({ photo: jpegBytes, type: 'image/jpeg' }), 'postal')).status).toBe(201);
  });

  it('keeps the signer and the photo sealed; shows them to admins and the shift’s postal worker only; audits every photo view', async () => {
    await arrive(visitA());
    expect((await postAuthorisation(t, visitA(), authorisationForm({ signerName: '孙测三', relation: 'relative' }), 'postal')).status).toBe(201);
    const row = await t.deps.db.selectFrom('authorisations').selectAll().executeTakeFirstOrThrow();
    expect(row.signer_name).not.toContain('孙测三');
    expect(row.photo).not.toContain(TINY_PNG.toString('base64'));

    for (const as of ['postal', 'admin'] as const) {
      const meta = (await (await t.request(`/api/visits/${visitA()}/authorisation`, { as })).json()) as { authorisation: Record<string, unknown> };
      expect(meta.authorisation).toMatchObject({ visitId: visitA(), signerName: '孙测三', relation: 'relative', photoType: 'image/png', recordedBy: { name: '测试postal' } });
      const photo = await t.request(`/api/visits/${visitA()}/authorisation/photo`, { as });
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/png');
      expect(photo.headers.get('cache-control')).toBe('no-store');
      expect(Buffer.from(await photo.arrayBuffer()).equals(TINY_PNG)).toBe(true);
    }
    for (const as of ['examiner', 'dispatcher'] as const) {
      expect((await t.request(`/api/visits/${visitA()}/authorisation`, { as })).status).toBe(403);
      expect((await t.request(`/api/visits/${visitA()}/authorisation/photo`, { as })).status).toBe(403);
      expect((await postAuthorisation(t, visitB(), authorisationForm(), as)).status).toBe(403);
    }
    const audit = await t.deps.db.selectFrom('audit_log').select(['action', 'details']).where('action', 'like', 'authorisation.%').orderBy('at').execute();
    expect(audit.map((a) => a.action)).toEqual(['authorisation.record', 'authorisation.view_photo', 'authorisation.view_photo']);
    for (const a of audit) expect(a.details).not.toContain('孙测');
    expect((await t.request(`/api/visits/${visitB()}/authorisation/photo`, { as: 'admin' })).status).toBe(404);
  });

  it('a postal worker of another shift is refused', async () => {
    await arrive(visitA());
    // The postal account is linked to another field person: no longer this shift's postal worker.
    await t.deps.db.updateTable('field_staff').set({ staff_id: null }).where('kind', '=', 'postal').execute();
    const res = await postAuthorisation(t, visitA(), authorisationForm(), 'postal');
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await t.request(`/api/visits/${visitA()}/authorisation`, { as: 'postal' })).status).toBe(403);
    expect((await postJson(t, `/api/visits/${visitA()}/en-route`, {}, 'postal')).status).toBe(403);
  });
});

describe('sniffImage', () => {
  it('knows JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffImage(TINY_PNG)).toBe('image/png');
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
    expect(sniffImage(new Uint8Array([...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WEBPVP8 ')]))).toBe('image/webp');
    expect(sniffImage(new Uint8Array([...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WAVE')]))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
  });
});

describe('the 委托书 racing a change of its visit', () => {
  it('writes nothing, releases nothing and audits nothing when the visit left the door between the read and the batch', async () => {
    await arrive(visitA());
    await recordExam(t, visitA(), {}, 'examiner', false);
    const staff = (await t.deps.db.selectFrom('staff').select(['id', 'role']).where('role', '=', 'admin').executeTakeFirstOrThrow()) as { id: string; role: 'admin' };
    // The batch runs after someone else moved the visit on (here: straight to cancelled).
    const racing = {
      ...t.deps,
      atomic: async (queries: Parameters<typeof t.deps.atomic>[0]) => {
        await t.deps.db.updateTable('visits').set({ status: 'cancelled' }).where('id', '=', visitA()).execute();
        return t.deps.atomic(queries);
      },
    };
    await expect(recordAuthorisation(racing, { visitId: visitA(), signerName: '孙测签', relation: 'self', photo: TINY_PNG, photoType: 'image/png' }, staff)).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await submissionsOf(visitA())).toEqual([expect.objectContaining({ held_for: 'authorisation' })]);
    expect(await t.deps.db.selectFrom('authorisations').selectAll().execute()).toEqual([]);
    expect(await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'authorisation.record').execute()).toEqual([]);
  });
});

describe('a withdrawal racing another', () => {
  it('holds nothing and audits nothing when the authorisation was withdrawn between the read and the batch', async () => {
    await arrive(visitA());
    await recordExam(t, visitA(), {}, 'examiner');
    const admin = (await t.deps.db.selectFrom('staff').select(['id', 'role']).where('role', '=', 'admin').executeTakeFirstOrThrow()) as { id: string; role: 'admin' };
    const racing = {
      ...t.deps,
      atomic: async (queries: Parameters<typeof t.deps.atomic>[0]) => {
        // Another admin's withdrawal landed first (a new authorisation may follow it).
        await t.deps.db.updateTable('authorisations').set({ withdrawn_at: t.deps.clock.now().toISOString(), withdrawn_by: admin.id, withdrawn_reason: '另一位管理员' }).execute();
        return t.deps.atomic(queries);
      },
    };
    await expect(withdrawAuthorisation(racing, visitA(), admin, '签名不对')).rejects.toMatchObject({ code: 'not_found' });
    expect(await submissionsOf(visitA())).toEqual([expect.objectContaining({ held_for: null })]);
    expect(await t.deps.db.selectFrom('audit_log').select('id').where('action', '=', 'authorisation.withdraw').execute()).toEqual([]);
  });
});
