import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haversineKm } from '../../src/scheduling/geo.ts';
import { WINDOW_BEGUN_NOTE } from '../../src/scheduling/notices.ts';
import { commitAndSend, commitLines, latestRunLines, previewLines, previewPlan } from '../../src/scheduling/planning.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { GUANGYUE, OFFICE, SHUICHENG, TOMORROW, addCrewShift, allVisits, commit as commitPlan, confirmedDrivers, preview } from '../helpers/scheduling.ts';

/** The commit's answer: its figures add up (issue 14). */
interface CommitJson {
  considered: number;
  booked: number;
  unchanged: number;
  leftOut: { fileNumber: string; reason: string; message: string }[];
  appointments: { sent: number; deferred: number; sending: number; skipped: number; failed: number };
}
const commit = async (app: TestApp) => (await commitPlan(app)) as unknown as CommitJson;

/**
 * Issue 14: a plan for today starts from now (plus travel from where the crew is), never offers a
 * window that has begun, and every send checks again. The drivers and shifts are set up the day
 * before (the test app's clock, 2026-11-26); then the clock is moved to TOMORROW, which is today.
 */
let t: TestApp;

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `5100000000${String(n).padStart(2, '0')}`,
  { phone: `1350000${String(n).padStart(4, '0')}`, name: `孙测${n}`, ...(n % 2 ? SHUICHENG : GUANGYUE), ...extra },
];

/** 2026-11-27 (TOMORROW) at HH:MM in Shanghai. */
const at = (hhmm: string) => new Date(`${TOMORROW}T${hhmm}:00+08:00`).toISOString();
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const travelMinutes = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => ((haversineKm(a, b) * t.deps.config.PLANNER_DETOUR_FACTOR) / t.deps.config.PLANNER_SPEED_KMH) * 60;

beforeEach(async () => {
  t = await createTestApp({ lang: 'en' });
});
afterEach(() => t.cleanup());

async function visitRows() {
  return t.deps.db.selectFrom('visits').selectAll().where('date', '=', TOMORROW).where('status', '<>', 'cancelled').orderBy('shift_id').orderBy('seq').execute();
}

/** Each route from `from` at `now`: no visit starts before the crew can be there, no window before now. */
async function expectNothingBeforeNow(now: string, from: { lat: number; lng: number }) {
  const rows = await visitRows();
  expect(rows.length).toBeGreaterThan(0);
  for (const v of rows) {
    expect(minutes(v.window_start)).toBeGreaterThanOrEqual(minutes(now));
    expect(minutes(v.starts_at)).toBeGreaterThanOrEqual(minutes(v.window_start));
  }
  for (const shiftId of new Set(rows.map((v) => v.shift_id))) {
    const first = rows.find((v) => v.shift_id === shiftId)!;
    // rounded to the minute on the way out
    expect(minutes(first.starts_at)).toBeGreaterThanOrEqual(Math.floor(minutes(now) + travelMinutes(from, first)));
  }
}

describe('a plan for today', () => {
  it('at 10:58 offers no window before now, and the first visit no earlier than now plus the drive from the office', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3), driver(4)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '17:00' });
    t.clock.set(at('10:58'));
    const plan = await preview(t);
    expect(plan.unplanned).toEqual([]);
    expect(allVisits(plan)).toHaveLength(4);
    await expectNothingBeforeNow('10:58', OFFICE);
    expect(allVisits(plan).every((v) => v.windowStart >= '11:00')).toBe(true);
    const result = await commit(t);
    expect(result).toMatchObject({ considered: 4, booked: 4, unchanged: 0, leftOut: [], appointments: { sent: 4 } });
    const bodies = (await t.deps.db.selectFrom('messages').select('body').where('purpose', '=', 'appointment').execute()).map((m) => m.body);
    expect(bodies).toHaveLength(4);
    for (const b of bodies) expect(b).not.toMatch(/[^\d](8|9|10):\d\d-/);
  });

  it('says the remaining time is too short when a driver would have fitted the whole day', async () => {
    await confirmedDrivers(t, [driver(1), driver(2)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '12:00' });
    t.clock.set(at('11:50'));
    const plan = await preview(t);
    expect(allVisits(plan)).toEqual([]);
    expect(plan.unplanned.map((u) => u.reason)).toEqual(['day_too_short', 'day_too_short']);
    expect(plan.unplanned[0]!.message).toMatch(/remaining time is too short/);
    const run = plan.run as unknown as { considered: number; planned: number; unplanned: number; conflicts: number; underway: number };
    expect(run).toMatchObject({ considered: 2, planned: 0, unplanned: 2, conflicts: 0, underway: 0 });
  });

  it('still says outside the shift hours when the driver fits no part of the shift on any day', async () => {
    await confirmedDrivers(t, [driver(1)]);
    await t.deps.db.updateTable('conversations').set({ reschedule_part: 'pm' }).execute();
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '12:00' });
    t.clock.set(at('09:10'));
    expect((await preview(t)).unplanned.map((u) => u.reason)).toEqual(['outside_shift_hours']);
  });

  it('refuses a date before today', async () => {
    await addCrewShift(t, 1);
    t.clock.set(new Date('2026-11-28T02:00:00Z').toISOString());
    const res = await postJson(t, `/api/plans/${TOMORROW}/preview`, {}, 'dispatcher');
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('in_the_past');
    expect((await postJson(t, `/api/plans/${TOMORROW}/commit`, {}, 'dispatcher')).status).toBe(400);
  });

  it('previewed in the morning and committed after the first window began: that window is not booked nor sent', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3), driver(4), driver(5), driver(6)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '12:00' });
    t.clock.set(at('07:30'));
    const plan = await preview(t);
    const drafts = allVisits(plan);
    expect(drafts).toHaveLength(6);
    const late = drafts.filter((v) => v.windowStart < '09:00');
    expect(late.length).toBeGreaterThan(0);
    t.clock.set(at('09:00'));
    const result = await commit(t);
    expect(result.considered).toBe(6);
    expect(result.booked + result.unchanged + result.leftOut.length).toBe(result.considered);
    expect(result.leftOut.map((u) => u.fileNumber).sort()).toEqual(late.map((v) => v.fileNumber).sort());
    expect(result.leftOut.every((u) => u.reason === 'window_begun')).toBe(true);
    expect(result.appointments.sent).toBe(result.booked);
    const rows = await visitRows();
    for (const v of rows) expect(v.status).toBe(v.window_start < '09:00' ? 'planned' : 'booked');
    const sent = await t.deps.db.selectFrom('messages').select('file_number').where('purpose', '=', 'appointment').execute();
    expect(sent.map((m) => m.file_number).sort()).toEqual(rows.filter((v) => v.status === 'booked').map((v) => v.file_number).sort());
    // A preview now places the drivers left out later in the morning, or says why not.
    const again = await preview(t);
    for (const v of allVisits(again).filter((x) => x.status === 'planned')) expect(v.windowStart >= '09:00').toBe(true);
  });

  it('the outbox checks again at the send: an appointment deferred past its window start is skipped with a note', async () => {
    await t.cleanup();
    t = await createTestApp({ env: { OUTREACH_WINDOW: '09:00-20:00' } });
    await confirmedDrivers(t, [driver(1), driver(2), driver(3), driver(4)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '12:00' });
    t.clock.set(at('07:00'));
    await preview(t);
    const result = await commit(t);
    expect(result).toMatchObject({ booked: 4, appointments: { deferred: 4, sent: 0 } });
    t.clock.set(at('09:00'));
    expect((await postJson(t, '/api/visits/notices/run', {}, 'dispatcher')).status).toBe(200);
    const notices = await t.deps.db
      .selectFrom('visit_notices as n')
      .innerJoin('visits as v', 'v.id', 'n.visit_id')
      .select(['v.window_start', 'n.status', 'n.note'])
      .where('n.kind', '=', 'appointment')
      .execute();
    expect(notices.length).toBe(4);
    expect(notices.some((n) => n.window_start < '09:00')).toBe(true);
    for (const n of notices) {
      if (n.window_start < '09:00') expect(n).toMatchObject({ status: 'skipped', note: WINDOW_BEGUN_NOTE });
      else expect(n.status).toBe('done');
    }
  });

  it('a shift under way goes on from its last visit: told visits behind it stay as they are', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '17:00' });
    t.clock.set(at('07:30'));
    await preview(t);
    await commit(t);
    const morning = await visitRows();
    // Two more drivers confirm; the dispatcher plans them at 10:58.
    t.clock.set(new Date('2026-11-26T02:00:00Z').toISOString());
    await confirmedDrivers(t, [driver(7, { community: '', lat: '36.4300', lng: '116.0000' }), driver(8, { community: '', lat: '36.4800', lng: '115.9600' })]);
    const last = morning.at(-1)!;
    const now = `${String(Math.floor((minutes(last.starts_at) + 1) / 60)).padStart(2, '0')}:${String((minutes(last.starts_at) + 1) % 60).padStart(2, '0')}`;
    t.clock.set(at(now));
    const plan = await preview(t);
    const run = plan.run as unknown as { considered: number; planned: number; unplanned: number; conflicts: number; underway: number };
    expect(run.considered).toBe(run.planned + run.unplanned + run.conflicts + run.underway);
    expect(run.underway).toBe(3);
    const rows = await visitRows();
    for (const m of morning) expect(rows.find((r) => r.id === m.id)).toMatchObject({ status: 'booked', starts_at: m.starts_at, seq: m.seq, window_start: m.window_start });
    const fresh = rows.filter((r) => r.status === 'planned');
    expect(fresh.map((r) => r.seq).sort()).toEqual([4, 5]);
    const firstNew = fresh.find((r) => r.seq === 4)!;
    const freeAt = Math.max(minutes(now), minutes(last.starts_at) + last.service_minutes);
    expect(minutes(firstNew.starts_at)).toBeGreaterThanOrEqual(Math.floor(freeAt + travelMinutes(last, firstNew)));
    for (const r of fresh) expect(minutes(r.window_start)).toBeGreaterThanOrEqual(minutes(now));
  });

  it('a crew whose visits so far are closed goes on from the last one’s stop, after it', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3)]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '17:00' });
    t.clock.set(at('07:30'));
    await preview(t);
    await commit(t);
    const morning = await visitRows();
    // The crew closed them (the exam recorded): they no longer take a place, but say where the crew is.
    // issue 14: a finished visit is exam_recorded (closed by its exam), no longer `done`
    await t.deps.db.updateTable('visits').set({ status: 'exam_recorded', closed_reason: 'exam' }).where('date', '=', TOMORROW).execute();
    await t.deps.db.updateTable('cases').set({ status: 'completed' }).where('file_number', 'in', morning.map((v) => v.file_number)).execute();
    t.clock.set(new Date('2026-11-26T02:00:00Z').toISOString());
    await confirmedDrivers(t, [driver(7, { community: '', lat: '36.4300', lng: '116.0000' })]);
    const last = morning.at(-1)!;
    t.clock.set(at(last.starts_at));
    const plan = await preview(t);
    expect(plan.unplanned).toEqual([]);
    const fresh = (await visitRows()).filter((r) => r.status === 'planned');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.seq).toBe(4);
    const freeAt = minutes(last.starts_at) + last.service_minutes;
    expect(minutes(fresh[0]!.starts_at)).toBeGreaterThanOrEqual(Math.floor(freeAt + travelMinutes(last, fresh[0]!)));
    expect(minutes(fresh[0]!.window_start)).toBeGreaterThanOrEqual(minutes(last.starts_at));
  });

  it('the CLI lines write each figure as the sum it is, with the reason of each driver left out', async () => {
    await confirmedDrivers(t, [driver(1), driver(2), driver(3), driver(4, { community: '', lat: '36.9000', lng: '116.5000' })]);
    await addCrewShift(t, 1, { startsAt: '08:30', endsAt: '12:00', area: { communities: ['水城花园', '光岳小区'] } });
    t.clock.set(at('07:30'));
    const r = await previewPlan(t.deps, TOMORROW, { staffId: null, maxIterations: 2000 });
    const lines = previewLines(r);
    const [, considered, planned, unplanned, conflicts, underway] = /^considered (\d+) drivers = planned (\d+) \+ not planned (\d+) \+ conflicts (\d+) \+ under way (\d+) /.exec(lines[0]!)!.map(Number);
    expect(considered).toBe(4);
    expect(planned! + unplanned! + conflicts! + underway!).toBe(considered);
    expect(lines).toContain('  510000000004  no_shift_in_area  no shift on this date covers the driver’s community or area');
    expect((await latestRunLines(t.deps, TOMORROW))[0]).toContain(`considered 4 drivers = planned ${planned} + not planned ${unplanned}`);
    t.clock.set(at('09:00'));
    const c = await commitAndSend(t.deps, TOMORROW, null);
    const out = commitLines(c);
    expect(out[0]).toBe(`considered ${c.considered} visits = booked ${c.booked} + already booked ${c.unchanged} + left out ${c.leftOut.length}`);
    expect(c.booked + c.unchanged + c.leftOut.length).toBe(c.considered);
    for (const u of c.leftOut) expect(out).toContain(`  ${u.fileNumber}  window_begun  the planned window began before the commit: not booked (preview again to place the driver later today)`);
    const a = c.appointments;
    expect(out.at(-1)).toBe(`appointment SMS for the ${c.booked} booked = sent ${a.sent} + deferred ${a.deferred} + sending ${a.sending} + skipped ${a.skipped} + failed ${a.failed}`);
  });
});
