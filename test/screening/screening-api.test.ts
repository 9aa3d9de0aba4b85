import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

interface Run {
  id: string;
  asOf: string;
  status: string;
  licencesScreened: number;
  counts: { flagged: Record<string, number>; created: number; superseded: number; lapsed: number };
}
interface CaseItem {
  id: string;
  fileNumber: string;
  category: string;
  triggerOn: string;
  opensOn: string;
  dueOn: string;
  lapsesOn: string | null;
  overdue: boolean;
  targetClasses: string[] | null;
  needsCognitiveTest: boolean;
  reason: string | null;
  status: string;
  driver: Record<string, unknown>;
}
interface Page {
  items: CaseItem[];
  nextCursor: string | null;
}

// Synthetic drivers, screened as of 2026-11-26 with L = 60 and R = 60 (RULES.md §3).
const REGISTRY = [
  // Turns 63 on 2027-01-10, holds B2: downgrade_63 flagged (T <= D + 60 = 2027-01-25).
  row('371500000001', { birth: '1964-01-10', classes: 'B2', valid_until: '2032-01-10' }),
  // 70 since 2026-03-01, first issued 1980-06-15: cycle ending 2026-06-14 unsatisfied -> annual_exam_70,
  // overdue (due 2026-07-14); holds C1 only so no downgrade; licence valid until 2027-01-05 -> renewal.
  row('371500000002', { birth: '1956-03-01', classes: 'C1', first_issued_on: '1980-06-15', valid_until: '2027-01-05', community: '东昌小区' }),
  // Only M at 63 (2026-12-01): cancellation_notice only_mnp_at_63.
  row('371500000003', { birth: '1963-12-01', classes: 'M', valid_until: '2030-01-01' }),
  // 50 years old: nothing.
  row('371500000004', { birth: '1976-05-05', classes: 'A1', first_issued_on: '2000-01-01', valid_until: '2030-01-01' }),
  // Cancelled: never screened.
  row('371500000005', { birth: '1963-12-01', classes: 'B1', status: '注销' }),
];

describe('screening through the API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    const res = await postCsv(t, csv(REGISTRY));
    expect(await res.json()).toMatchObject({ inserted: REGISTRY.length, rejected: 0 });
  });
  afterEach(async () => t.cleanup());

  const screen = async (body: Record<string, unknown> = { asOf: '2026-11-26' }) => {
    const res = await postJson(t, '/api/screenings', body);
    expect(res.status).toBe(201);
    return (await res.json()) as Run;
  };
  const cases = async (query = '', as: 'admin' | 'dispatcher' = 'admin') => {
    const res = await t.request(`/api/cases${query}`, { as });
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };

  it('flags each driver per RULES.md and counts the cases by category', async () => {
    const run = await screen();
    expect(run).toMatchObject({ asOf: '2026-11-26', status: 'completed', licencesScreened: 5 });
    expect(run.counts.flagged).toEqual({
      annual_exam_70: 1,
      downgrade_63: 1,
      downgrade_70: 0,
      cancellation_notice: 1,
      expiry_renewal: 1,
    });
    expect(run.counts.created).toBe(4);
    const { items } = await cases();
    const byKey = Object.fromEntries(items.map((c) => [`${c.fileNumber}/${c.category}`, c]));
    expect(byKey['371500000001/downgrade_63']).toMatchObject({
      triggerOn: '2027-01-10', opensOn: '2027-01-10', dueOn: '2027-02-09', lapsesOn: null, overdue: false,
      targetClasses: ['C1'], needsCognitiveTest: false, reason: null, status: 'open',
    });
    expect(byKey['371500000002/annual_exam_70']).toMatchObject({
      triggerOn: '2026-06-14', opensOn: '2026-06-15', dueOn: '2026-07-14', lapsesOn: '2027-06-15', overdue: true, targetClasses: null,
    });
    expect(byKey['371500000002/expiry_renewal']).toMatchObject({
      triggerOn: '2027-01-05', opensOn: '2026-10-07', dueOn: '2027-01-05', lapsesOn: '2028-01-06', needsCognitiveTest: true,
    });
    expect(byKey['371500000003/cancellation_notice']).toMatchObject({
      triggerOn: '2026-12-01', dueOn: '2026-12-01', targetClasses: [], reason: 'only_mnp_at_63',
    });
    expect(items).toHaveLength(4);
  });

  it('creates nothing new when the same data is screened again on the same date', async () => {
    await screen();
    const before = (await cases()).items.map((c) => c.id).sort();
    const again = await screen();
    expect(again.counts).toMatchObject({ created: 0, superseded: 0, lapsed: 0 });
    expect((await cases()).items.map((c) => c.id).sort()).toEqual(before);
  });

  it('writes the cases of a registry larger than one write batch, all of them once', async () => {
    // 12,000 more drivers like 371500000002 (annual_exam_70 and expiry_renewal each): 24,000 new cases,
    // more than two batches of writes.
    const many = Array.from({ length: 12_000 }, (_, i) =>
      row(`3716${String(i).padStart(8, '0')}`, { birth: '1956-03-01', classes: 'C1', first_issued_on: '1980-06-15', valid_until: '2027-01-05' }),
    );
    expect((await (await postCsv(t, csv(many))).json()) as object).toMatchObject({ inserted: 12_000 });
    const run = await screen();
    expect(run.counts.flagged).toMatchObject({ annual_exam_70: 12_001, expiry_renewal: 12_001 });
    expect(run.counts.created).toBe(24_004); // and the 4 of REGISTRY
    const stored = await t.deps.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(24_004);
    expect((await screen()).counts).toMatchObject({ created: 0, superseded: 0, lapsed: 0 });
  });

  it('closes a case as superseded when a re-import removes its reason', async () => {
    await screen();
    const renewed = [...REGISTRY];
    renewed[1] = row('371500000002', {
      birth: '1956-03-01', classes: 'C1', first_issued_on: '1980-06-15', valid_until: '2027-01-05',
      last_cert_submitted_on: '2026-07-01', community: '东昌小区',
    });
    await postCsv(t, csv(renewed));
    const run = await screen();
    expect(run.counts.superseded).toBe(1);
    const closed = await cases('?status=superseded');
    expect(closed.items.map((c) => `${c.fileNumber}/${c.category}`)).toEqual(['371500000002/annual_exam_70']);
  });

  it('updates a case whose overdue flag changes with the date, and only that one', async () => {
    await screen({ asOf: '2026-12-01' });
    const before = (await cases('?fileNumber=371500000003')).items[0]!;
    expect(before.overdue).toBe(false);
    const updatedAt = async () =>
      (await t.deps.db.selectFrom('cases').select(['file_number', 'updated_at']).orderBy('file_number').orderBy('category').execute()).map((r) => r.updated_at);
    const stamps = await updatedAt();
    t.clock.set('2026-11-26T05:00:00.000Z');
    const run = await screen({ asOf: '2026-12-02' });
    expect(run.counts).toMatchObject({ created: 0, superseded: 0, lapsed: 0 });
    const after = (await cases('?fileNumber=371500000003')).items[0]!;
    expect(after).toMatchObject({ id: before.id, overdue: true });
    const changed = (await updatedAt()).filter((stamp, i) => stamp !== stamps[i]);
    expect(changed).toHaveLength(1);
  });

  it('closes a missed annual case as lapsed once its lapse date has come', async () => {
    await screen();
    await screen({ asOf: '2027-06-15' });
    const lapsed = await cases('?status=lapsed&category=annual_exam_70');
    expect(lapsed.items.map((c) => c.triggerOn)).toEqual(['2026-06-14']);
    const next = await cases('?category=annual_exam_70');
    expect(next.items.map((c) => c.triggerOn)).toEqual(['2027-06-14']);
  });

  it('uses the configured defaults when the body is empty', async () => {
    const res = await t.request('/api/screenings', { method: 'POST' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ asOf: '2026-11-26', leadDays: 60, renewalMinAge: 60 });
  });

  it('honours leadDays and renewalMinAge', async () => {
    const run = await screen({ asOf: '2026-11-26', leadDays: 0, renewalMinAge: 71 });
    expect(run.counts.flagged).toMatchObject({ downgrade_63: 0, cancellation_notice: 0, expiry_renewal: 0, annual_exam_70: 1 });
  });

  it('rejects an asOf that is not a real date, and unknown fields, naming them', async () => {
    for (const [body, field] of [
      [{ asOf: '2026-02-30' }, 'asOf'],
      [{ asOf: '26/11/2026' }, 'asOf'],
      [{ leadDays: -1 }, 'leadDays'],
      [{ lead: 5 }, 'lead'],
    ] as const) {
      const res = await postJson(t, '/api/screenings', body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as { error: { code: string; details: { issues: Array<{ field: string }> } } };
      expect(err.error.code).toBe('validation_failed');
      expect(err.error.details.issues.map((i) => i.field)).toContain(field);
    }
  });

  it('filters cases by category, overdue, community, due dates and file number', async () => {
    await screen();
    const keys = (p: Page) => p.items.map((c) => `${c.fileNumber}/${c.category}`).sort();
    expect(keys(await cases('?category=downgrade_63'))).toEqual(['371500000001/downgrade_63']);
    expect(keys(await cases('?overdue=true'))).toEqual(['371500000002/annual_exam_70']);
    expect(keys(await cases('?overdue=false'))).toHaveLength(3);
    expect(keys(await cases(`?community=${encodeURIComponent('东昌小区')}`))).toEqual([
      '371500000002/annual_exam_70',
      '371500000002/expiry_renewal',
    ]);
    expect(keys(await cases('?dueBefore=2026-12-01'))).toEqual(['371500000002/annual_exam_70']);
    expect(keys(await cases('?dueAfter=2027-01-05'))).toEqual(['371500000001/downgrade_63']);
    expect(keys(await cases('?fileNumber=371500000003'))).toEqual(['371500000003/cancellation_notice']);
  });

  it('pages through the cases in due-date order with a cursor', async () => {
    await screen();
    const seen: CaseItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await cases(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen.map((c) => c.dueOn)).toEqual(['2026-07-14', '2026-12-01', '2027-01-05', '2027-02-09']);
  });

  it('rejects unknown query parameters, a bad cursor and a bad date filter with 400', async () => {
    for (const query of ['?colour=red', '?cursor=nonsense', '?dueBefore=2026-13-01', '?overdue=yes', '?limit=0']) {
      const res = await t.request(`/api/cases${query}`);
      expect(res.status, query).toBe(400);
    }
  });

  it('shows the driver by role: dispatchers get contact and place with the ID masked', async () => {
    await screen();
    const [asAdmin] = (await cases('?fileNumber=371500000001')).items;
    const [asDispatcher] = (await cases('?fileNumber=371500000001', 'dispatcher')).items;
    expect(asDispatcher!.driver).toEqual({
      name: '测试甲', phone: '+8613800000001', phoneDisplay: '138 0000 0001', address: '山东省聊城市东昌府区测试路1号', community: '水城花园',
      idNumberMasked: expect.stringMatching(/^371502\*{8}\d{3}[\dX]$/),
    });
    expect(asAdmin!.driver).toMatchObject({ birthDate: '1964-01-10', sex: 'M', classes: ['B2'] });
  });

  // The clock stands at 02:00:00Z; the lease is 30 s (RUN_LEASE_SECONDS).
  const insertRunningRun = (startedAt: string, heartbeatAt: string | null = null) =>
    t.deps.db
      .insertInto('screening_runs')
      .values({ id: crypto.randomUUID(), staff_id: null, trigger: 'cli', as_of: '2026-11-26', lead_days: 60, renewal_min_age: 60, status: 'running', started_at: startedAt, heartbeat_at: heartbeatAt })
      .execute();

  it('refuses a second run while one is in progress', async () => {
    await insertRunningRun('2026-11-26T01:30:00.000Z', '2026-11-26T01:59:45.000Z');
    const res = await postJson(t, '/api/screenings', {});
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('conflict');
  });

  it('takes over from a run whose heartbeat stopped more than a lease ago', async () => {
    await insertRunningRun('2026-11-26T01:30:00.000Z', '2026-11-26T01:59:29.000Z');
    expect((await postJson(t, '/api/screenings', {})).status).toBe(201);
    const failed = await t.deps.db.selectFrom('screening_runs').select('error').where('status', '=', 'failed').execute();
    expect(failed).toHaveLength(1);
  });

  it('lists the runs and audits each one', async () => {
    await screen();
    const list = (await (await t.request('/api/screenings')).json()) as { items: Run[] };
    expect(list.items).toHaveLength(1);
    const one = await t.request(`/api/screenings/${list.items[0]!.id}`);
    expect(one.status).toBe(200);
    const audit = await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'screening.run').execute();
    expect(audit).toHaveLength(1);
  });
});
