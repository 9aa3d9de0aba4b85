import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseCategory } from '../../src/screening/case.ts';
import { haversineTable } from '../../src/scheduling/geo.ts';
import {
  DEFAULT_PLAN_SETTINGS,
  UNPLANNED_REASONS,
  hhmm,
  layoutPlan,
  minutesOf,
  readPlan,
  toProblem,
  type FixedVisit,
  type PlanDriver,
  type PlanShift,
  type TrailVisit,
} from '../../src/scheduling/plan-rules.ts';
import { solve } from '../../src/scheduling/vrptw/solve.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { SHUICHENG, TOMORROW, addCrewShift, confirmedDrivers } from '../helpers/scheduling.ts';

/**
 * Issue 14: the planner's figures add up. Over random small days (shifts with areas and hours,
 * drivers with or without places, preferences and cases, pinned and booked visits, a clock that
 * is before, during or after the shifts), every driver considered is in exactly one of planned,
 * unplanned, conflicts or under way; and on a plan for today nothing is offered before now.
 */
const DATE = '2026-11-27';
const COMMUNITIES = ['水城花园', '光岳小区', '东昌新村'];
const TRAVEL = { detourFactor: 1.3, speedKmh: 25 };

const point = fc.record({ lat: fc.double({ min: 36.4, max: 36.5, noNaN: true }), lng: fc.double({ min: 115.95, max: 116.05, noNaN: true }) });
const minuteOfDay = (min: number, max: number) => fc.integer({ min, max }).map((m) => hhmm(m));

const shiftArb = fc
  .record({
    start: fc.integer({ min: 6 * 60, max: 15 * 60 }),
    hours: fc.integer({ min: 30, max: 9 * 60 }),
    at: point,
    communities: fc.option(fc.subarray(COMMUNITIES, { minLength: 1 }), { nil: null }),
    capacity: fc.integer({ min: 1, max: 6 }),
  })
  .map(
    (s): Omit<PlanShift, 'id'> => ({
      startsAt: hhmm(s.start),
      endsAt: hhmm(Math.min(s.start + s.hours, 23 * 60 + 59)),
      start: s.at,
      end: s.at,
      areaCommunities: s.communities,
      area: null,
      capacity: s.capacity,
    }),
  );

const CATEGORIES: CaseCategory[] = ['annual_exam_70', 'downgrade_63', 'expiry_renewal', 'cancellation_notice'];
const caseArb = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  opensOn: fc.constantFrom('2026-11-01', '2027-01-01', '2027-07-01'),
  dueOn: fc.constantFrom('2026-11-20', '2026-12-05', '2027-02-01'),
  lapsesOn: fc.constantFrom(null, '2026-11-27', '2026-12-20', '2028-01-01'),
  needsCognitiveTest: fc.boolean(),
});
const driverArb = fc.record({
  community: fc.option(fc.constantFrom(...COMMUNITIES), { nil: null }),
  point: fc.option(point, { nil: null }),
  partOfDay: fc.constantFrom(null, 'am' as const, 'pm' as const),
  rescheduleOn: fc.constantFrom(null, '2026-11-27', '2026-11-30'),
  cases: fc.array(caseArb, { minLength: 1, maxLength: 2 }),
});
const fixedArb = fc.record({
  shift: fc.integer({ min: 0, max: 3 }),
  at: point,
  promised: fc.option(fc.integer({ min: 6 * 60, max: 20 * 60 }).map((m) => Math.floor(m / 30) * 30), { nil: null }),
  startsAt: fc.integer({ min: 0, max: 59 }),
  partOfDay: fc.constantFrom(null, 'am' as const, 'pm' as const),
});

const dayArb = fc.record({
  shifts: fc.array(shiftArb, { minLength: 1, maxLength: 3 }),
  drivers: fc.array(driverArb, { maxLength: 8 }),
  fixed: fc.array(fixedArb, { maxLength: 4 }),
  now: fc.option(fc.integer({ min: 0, max: 24 * 60 }), { nil: null }),
  // visits of today the crews closed already (exam recorded, no-show): where each crew has been
  trail: fc.array(fc.record({ shift: fc.integer({ min: 0, max: 2 }), at: point, start: fc.integer({ min: 6 * 60, max: 20 * 60 }) }), { maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
type Day = typeof dayArb extends fc.Arbitrary<infer T> ? T : never;

function build(day: Day) {
  const shifts: PlanShift[] = day.shifts.map((s, i) => ({ ...s, id: `shift-${i}` }));
  const drivers: PlanDriver[] = day.drivers.map((d, i) => ({
    ...d,
    fileNumber: `d${i}`,
    conversationId: null,
    address: `测试路${i}号`,
    cases: d.cases.map((c, k) => ({ ...c, id: `d${i}-c${k}` })),
  }));
  const fixed: FixedVisit[] = day.fixed.map((f, i) => ({
    visitId: `v${i}`,
    fileNumber: `f${i}`,
    conversationId: null,
    // shift index 3 may not exist: a visit on a shift that is not open is reported, not lost
    shiftId: `shift-${f.shift}`,
    stopKey: `p:${i}`,
    stopLabel: `门牌${i}`,
    point: f.at,
    serviceMinutes: 10,
    caseIds: [`f${i}-c`],
    needsCognitiveTest: false,
    partOfDay: f.partOfDay,
    promised: f.promised === null ? null : { start: hhmm(f.promised), end: hhmm(f.promised + 60) },
    startsAt: f.promised === null ? undefined : hhmm(f.promised + f.startsAt),
  }));
  const trail: TrailVisit[] = day.trail.map((v, i) => ({ shiftId: `shift-${v.shift}`, stopKey: `t:${i}`, point: v.at, startsAt: hhmm(v.start), serviceMinutes: 10 }));
  const layout = layoutPlan(DATE, shifts, drivers, fixed, DEFAULT_PLAN_SETTINGS, { now: day.now, trail });
  const table = haversineTable(layout.points, TRAVEL);
  const problem = toProblem(layout, table, DEFAULT_PLAN_SETTINGS);
  const solution = solve(problem, { seed: day.seed, maxIterations: 20, timeLimitMs: 60_000 });
  return { drivers, fixed, layout, table, plan: readPlan(layout, solution, DEFAULT_PLAN_SETTINGS, table) };
}

describe('the planner’s figures', () => {
  it('every driver considered is planned, unplanned, a conflict or under way: exactly one of them', () => {
    fc.assert(
      fc.property(dayArb, (day) => {
        const { drivers, fixed, plan } = build(day);
        const planned = plan.routes.flatMap((r) => r.visits.map((v) => v.candidate.fileNumber));
        const underway = fixed.filter((f, i) => f.promised !== null && day.now !== null && minutesOf(f.startsAt!) < day.now && day.shifts[day.fixed[i]!.shift] !== undefined);
        expect(plan.underway).toBe(underway.length);
        const every = [...planned, ...plan.unplanned.map((u) => u.fileNumber), ...plan.conflicts.map((u) => u.fileNumber), ...underway.map((f) => f.fileNumber)];
        expect(every.length).toBe(drivers.length + fixed.length);
        expect(new Set(every)).toEqual(new Set([...drivers.map((d) => d.fileNumber), ...fixed.map((f) => f.fileNumber)]));
        for (const u of [...plan.unplanned, ...plan.conflicts]) expect(Object.keys(UNPLANNED_REASONS)).toContain(u.reason);
      }),
      { numRuns: 2000 },
    );
  });

  it('a plan for today offers no window that has begun, and no visit before the crew can be there', () => {
    fc.assert(
      fc.property(
        dayArb.filter((d) => d.now !== null),
        (day) => {
          const { layout, table, plan } = build(day);
          const now = day.now!;
          for (const r of plan.routes) {
            const i = layout.shifts.findIndex((s) => s.id === r.shiftId);
            const crew = layout.crews[i]!;
            expect(crew.earliest).toBeGreaterThanOrEqual(now);
            // after every visit the crew has closed or has behind it
            for (const v of day.trail.filter((x) => x.shift === i)) expect(crew.earliest).toBeGreaterThanOrEqual(v.start + 10);
            let free = crew.earliest;
            let at = crew.start;
            for (const v of r.visits) {
              const start = minutesOf(v.startsAt);
              if (v.candidate.fixed?.promised) {
                // a told window is kept as told
                expect([v.windowStart, v.windowEnd]).toEqual([v.candidate.fixed.promised.start, v.candidate.fixed.promised.end]);
              } else {
                expect(minutesOf(v.windowStart)).toBeGreaterThanOrEqual(now);
              }
              // startsAt is rounded to the minute
              expect(start).toBeGreaterThanOrEqual(Math.floor(free + table.minutes[at * table.size + v.candidate.location]! - 0.5));
              expect(start).toBeGreaterThanOrEqual(now);
              free = start + v.candidate.serviceMinutes;
              at = v.candidate.location;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('says the day is too short only for a driver who fitted the whole day', () => {
    fc.assert(
      fc.property(
        dayArb.filter((d) => d.now !== null),
        (day) => {
          const short = build(day).plan.unplanned.filter((u) => u.reason === 'day_too_short').map((u) => u.fileNumber);
          if (short.length === 0) return;
          // The same day planned before any shift began (no clock) leaves none of them out for the hours.
          const early = build({ ...day, now: null }).plan.unplanned;
          for (const f of short) expect(early.find((u) => u.fileNumber === f)?.reason).not.toBe('outside_shift_hours');
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** The commit's answer (issue 14). */
interface CommitJson {
  considered: number;
  booked: number;
  unchanged: number;
  leftOut: { fileNumber: string; reason: string }[];
  appointments: { sent: number; deferred: number; sending: number; skipped: number; failed: number };
}

describe('the commit’s figures', () => {
  let t: TestApp;
  let shifts: string[];
  const files = Array.from({ length: 6 }, (_, i) => `5200000000${String(i + 1).padStart(2, '0')}`);

  beforeAll(async () => {
    // Sending hours from 09:00 and two SMS a minute: some appointments wait, some windows begin meanwhile.
    t = await createTestApp({ env: { OUTREACH_WINDOW: '09:00-20:00', OUTREACH_RATE_PER_MINUTE: '2' } });
    await confirmedDrivers(
      t,
      files.map((f, i) => [f, { phone: `1340000${String(i + 1).padStart(4, '0')}`, name: `周测${i + 1}`, ...SHUICHENG }]),
    );
    await t.deps.db.updateTable('licences').set({ phone_kind: 'landline' }).where('file_number', '=', files[0]!).execute();
    shifts = [await addCrewShift(t, 1, { startsAt: '07:00', endsAt: '18:00', capacity: 20 }), await addCrewShift(t, 2, { startsAt: '07:00', endsAt: '18:00', capacity: 20 })];
  });
  afterAll(() => t.cleanup());

  const visitArb = fc.record({ take: fc.boolean(), booked: fc.boolean(), shift: fc.integer({ min: 0, max: 1 }), window: fc.integer({ min: 14, max: 35 }) });

  it('considered = booked + unchanged + left out, the appointments add up to the booked, and no begun window is ever sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(visitArb, { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 6 * 60, max: 18 * 60 }),
        fc.integer({ min: 0, max: 120 }),
        async (visits, commitAt, later) => {
          const db = t.deps.db;
          await db.deleteFrom('visit_notices').execute();
          await db.deleteFrom('messages').where('purpose', 'in', ['appointment', 'reminder']).execute();
          await db.deleteFrom('visits').execute();
          t.clock.set(new Date('2026-11-26T02:00:00Z').toISOString());
          const conversations = await db.selectFrom('conversations').select(['id', 'file_number']).execute();
          const at = t.clock.now().toISOString();
          const chosen = visits.flatMap((v, i) => (v.take ? [{ ...v, file: files[i]! }] : []));
          for (const [k, v] of chosen.entries()) {
            const start = hhmm(v.window * 30);
            await db
              .insertInto('visits')
              .values({
                id: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
                file_number: v.file,
                conversation_id: conversations.find((c) => c.file_number === v.file)?.id ?? null,
                shift_id: shifts[v.shift]!,
                date: TOMORROW,
                status: v.booked ? 'booked' : 'planned',
                seq: k + 1,
                starts_at: hhmm(v.window * 30 + 10),
                service_minutes: 10,
                window_start: start,
                window_end: hhmm(v.window * 30 + 60),
                stop_key: 'c:水城花园',
                stop_label: '水城花园',
                lat: 36.47,
                lng: 115.99,
                part_of_day: null,
                cases: '[]',
                needs_cognitive_test: 0,
                created_at: at,
                updated_at: at,
              })
              .execute();
          }
          const now = new Date(`${TOMORROW}T${hhmm(commitAt)}:00+08:00`);
          t.clock.set(now.toISOString());
          const res = await postJson(t, `/api/plans/${TOMORROW}/commit`, {}, 'dispatcher');
          const drafts = chosen.filter((v) => !v.booked);
          if (drafts.length === 0) {
            expect(res.status).toBe(409);
            return;
          }
          expect(res.status, await res.clone().text()).toBe(200);
          const r = (await res.json()) as CommitJson;
          expect(r.considered).toBe(chosen.length);
          expect(r.booked + r.unchanged + r.leftOut.length).toBe(r.considered);
          expect(r.unchanged).toBe(chosen.length - drafts.length);
          const begun = drafts.filter((v) => v.window * 30 < commitAt).map((v) => v.file);
          expect(r.leftOut.map((u) => u.fileNumber).sort()).toEqual(begun.sort());
          expect(r.leftOut.every((u) => u.reason === 'window_begun')).toBe(true);
          const a = r.appointments;
          expect(a.sent + a.deferred + a.sending + a.skipped + a.failed).toBe(r.booked);
          // Later sends check again: an appointment goes out only while its window is ahead.
          t.clock.set(new Date(now.getTime() + later * 60_000).toISOString());
          expect((await postJson(t, '/api/visits/notices/run', {}, 'dispatcher')).status).toBe(200);
          const sent = await db
            .selectFrom('messages as m')
            .innerJoin('visit_notices as n', 'n.message_id', 'm.id')
            .innerJoin('visits as v', 'v.id', 'n.visit_id')
            .select(['v.window_start', 'm.created_at'])
            .where('m.purpose', '=', 'appointment')
            .execute();
          for (const m of sent) expect(new Date(`${TOMORROW}T${m.window_start}:00+08:00`).getTime()).toBeGreaterThanOrEqual(Date.parse(m.created_at));
        },
      ),
      { numRuns: 400 },
    );
  });
});
