import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { AppError } from '../../src/errors.ts';
import { poolOn } from '../../src/scheduling/repository.ts';
import {
  ACTIVE_STATES,
  EVENT_WORDS,
  FINISHED_STATES,
  isActive,
  isAllowed,
  nextVisitState,
  STATE_WORDS,
  TRANSITIONS,
  VISIT_EVENTS,
  VISIT_STATES,
  type CaseEffect,
  type NextState,
  type Transition,
  type VisitEvent,
  type VisitState,
} from '../../src/scheduling/visit-lifecycle.ts';
import { createTestApp, postJson, type TestApp } from '../helpers/app.ts';
import { driver as examDriver, examBody } from '../helpers/exams.ts';
import { advance, conversationOf, hours, sms } from '../helpers/outreach.ts';
import { addPerson, addShift, confirmedDrivers, TOMORROW } from '../helpers/scheduling.ts';

// The visit life cycle (issue 14, "the done trap"): the table, each pair of state and event
// through the pure gate and through real requests, and no case ever left without a way forward.

const _ = null;
/** The table as the issue reads it, written out again by hand: `null` = refused (409). */
const EXPECTED: Record<VisitState, Record<VisitEvent, NextState | null>> = {
  planned:       { book: 'booked', confirm: _, pin: 'planned', reschedule: _, set_out: _, arrive: _, record_exam: _, record_no_show: _, mark_done: _, cancel_by_staff: 'cancelled', cancel_by_driver: _, shift_cancelled: 'deleted', replan: 'deleted' },
  booked:        { book: _, confirm: 'confirmed', pin: _, reschedule: 'booked', set_out: 'en_route', arrive: 'arrived', record_exam: 'exam_recorded', record_no_show: 'no_show', mark_done: _, cancel_by_staff: 'cancelled', cancel_by_driver: 'cancelled', shift_cancelled: 'cancelled', replan: 'booked' },
  confirmed:     { book: _, confirm: 'confirmed', pin: _, reschedule: 'booked', set_out: 'en_route', arrive: 'arrived', record_exam: 'exam_recorded', record_no_show: 'no_show', mark_done: _, cancel_by_staff: 'cancelled', cancel_by_driver: 'cancelled', shift_cancelled: 'cancelled', replan: 'confirmed' },
  en_route:      { book: _, confirm: _, pin: _, reschedule: _, set_out: _, arrive: 'arrived', record_exam: 'exam_recorded', record_no_show: 'no_show', mark_done: _, cancel_by_staff: 'cancelled', cancel_by_driver: _, shift_cancelled: 'cancelled', replan: 'en_route' },
  arrived:       { book: _, confirm: _, pin: _, reschedule: _, set_out: _, arrive: _, record_exam: 'exam_recorded', record_no_show: 'no_show', mark_done: _, cancel_by_staff: _, cancel_by_driver: _, shift_cancelled: _, replan: 'arrived' },
  exam_recorded: { book: _, confirm: _, pin: _, reschedule: _, set_out: _, arrive: _, record_exam: _, record_no_show: _, mark_done: _, cancel_by_staff: _, cancel_by_driver: _, shift_cancelled: _, replan: _ },
  no_show:       { book: _, confirm: _, pin: _, reschedule: _, set_out: _, arrive: _, record_exam: _, record_no_show: _, mark_done: _, cancel_by_staff: _, cancel_by_driver: _, shift_cancelled: _, replan: _ },
  cancelled:     { book: _, confirm: _, pin: _, reschedule: _, set_out: _, arrive: _, record_exam: _, record_no_show: _, mark_done: _, cancel_by_staff: _, cancel_by_driver: _, shift_cancelled: _, replan: _ },
};

const PAIRS = VISIT_STATES.flatMap((state) => VISIT_EVENTS.map((event) => [state, event] as const));

describe('the transition table, through nextVisitState', () => {
  it.each(PAIRS)('%s + %s', (state, event) => {
    const expected = EXPECTED[state][event];
    if (expected === null) {
      let error: unknown;
      try {
        nextVisitState(state, event);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AppError);
      const e = error as AppError;
      expect(e.code).toBe('conflict');
      expect(e.status).toBe(409);
      // the refusal names the state and the event in words
      expect(e.message).toContain(STATE_WORDS[state]);
      expect(e.message).toContain(EVENT_WORDS[event]);
      expect(e.details).toEqual({ state, event });
    } else {
      expect(nextVisitState(state, event).to).toBe(expected);
    }
  });

  it('never lets a visit be marked done without an exam, from any state', () => {
    for (const s of VISIT_STATES) expect(() => nextVisitState(s, 'mark_done')).toThrow(/finished only by recording its exam or a no-show/);
  });

  it('hands the cases on whenever a visit stops being active, and only then', () => {
    const released: readonly CaseEffect[] = ['to_pool', 'off_this_date', 'to_follow_up'];
    for (const [state, event] of PAIRS) {
      const t = TRANSITIONS[state][event];
      if (!isAllowed(t)) continue;
      const stillActive = t.to !== 'deleted' && isActive(t.to);
      if (stillActive) expect(t.cases, `${state} + ${event}`).toBe('keep');
      else if (t.to === 'exam_recorded') expect(t.cases).toBe('settled_by_exam');
      else expect(released, `${state} + ${event}`).toContain(t.cases);
    }
  });

  it('lets every active state reach a finished one (exam recorded or no-show), and closed states go nowhere', () => {
    for (const start of ACTIVE_STATES) {
      const seen = new Set<VisitState>([start]);
      const queue: VisitState[] = [start];
      while (queue.length > 0) {
        const s = queue.shift()!;
        for (const e of VISIT_EVENTS) {
          const t = TRANSITIONS[s][e];
          if (isAllowed(t) && t.to !== 'deleted' && !seen.has(t.to)) {
            seen.add(t.to);
            queue.push(t.to);
          }
        }
      }
      expect(FINISHED_STATES.some((f) => seen.has(f)), start).toBe(true);
    }
    for (const s of ['exam_recorded', 'no_show', 'cancelled'] as const) for (const e of VISIT_EVENTS) expect(isAllowed(TRANSITIONS[s][e])).toBe(false);
  });
});

/**
 * Where the cases of one driver's visits stand after events applied through the table alone: each
 * case is held by the active visit, settled by an exam, or was handed on with a named effect.
 */
function playModel(events: readonly VisitEvent[]): { stranded: string[] } {
  const cases = ['case-a', 'case-b'];
  let visit: { state: VisitState } | null = { state: 'planned' };
  const where = new Map<string, CaseEffect | 'held'>(cases.map((c) => [c, 'held']));
  for (const event of events) {
    if (visit === null) {
      // a new visit for the driver: only from cases that were handed on to planning or follow-up
      if (event !== 'replan') continue;
      const open = cases.filter((c) => where.get(c) !== 'settled_by_exam');
      if (open.length === 0) continue;
      for (const c of open) where.set(c, 'held');
      visit = { state: 'planned' };
      continue;
    }
    const step: Transition = TRANSITIONS[visit.state][event];
    if (!isAllowed(step)) continue;
    if (step.to === 'deleted' || !isActive(step.to)) {
      for (const c of cases) if (where.get(c) === 'held') where.set(c, step.cases);
      visit = null;
    } else visit = { state: step.to };
  }
  const wayForward: readonly (CaseEffect | 'held')[] = ['held', 'settled_by_exam', 'to_pool', 'off_this_date', 'to_follow_up'];
  const stranded = cases.filter((c) => !wayForward.includes(where.get(c)!) || (where.get(c) === 'held' && visit === null));
  return { stranded };
}

describe('no case without a way forward (the table alone)', () => {
  it('after any sequence of events every case is held, settled by its exam, or handed on', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...VISIT_EVENTS), { maxLength: 30 }), (events) => {
        expect(playModel(events).stranded).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Through the API, on one app and one SQLite file for the whole file: each visit is placed in its
// state directly (a real row of a real driver with real cases), then the event is a real request.

let t: TestApp;
let shiftId: string;
const files: string[] = [];
let nextFile = 0;
const takeDriver = () => {
  const f = files[nextFile++];
  if (!f) throw new Error('the test seeded too few drivers');
  return f;
};

const API_DRIVERS = 8 * 8 + 10;
const PROPERTY_RUNS = 200;
/** Drivers left over for fast-check to shrink a failing run with (each try takes a fresh driver). */
const SHRINK_DRIVERS = 100;


let seq = 0;
/** A visit of `file` in `state` on TOMORROW at 14:00 (a window not begun), serving the driver's open cases. */
async function placeVisit(file: string, state: VisitState, date = TOMORROW): Promise<string> {
  const db = t.deps.db;
  const cases = await db.selectFrom('cases').select('id').where('file_number', '=', file).where('status', '=', 'open').where('category', '<>', 'cancellation_notice').execute();
  const conversation = await conversationOf(t, file);
  const at = t.clock.now().toISOString();
  const id = randomUUID();
  const closed = !isActive(state);
  await db
    .insertInto('visits')
    .values({
      id,
      file_number: file,
      conversation_id: conversation.id,
      shift_id: shiftId,
      date,
      status: state,
      seq: ++seq,
      starts_at: '14:10',
      service_minutes: 10,
      window_start: '14:00',
      window_end: '15:00',
      stop_key: 'c:水城花园',
      stop_label: '水城花园',
      lat: 36.47,
      lng: 115.99,
      part_of_day: null,
      cases: JSON.stringify(cases.map((c) => c.id)),
      needs_cognitive_test: 0,
      created_at: at,
      updated_at: at,
      booked_at: state === 'planned' ? null : at,
      closed_at: closed ? at : null,
      closed_reason: state === 'exam_recorded' ? 'exam' : closed ? state : null,
    })
    .execute();
  return id;
}

const visitRow = (id: string) => t.deps.db.selectFrom('visits').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const sideRows = async (id: string) => ({
  notices: (await t.deps.db.selectFrom('visit_notices').select('id').where('visit_id', '=', id).execute()).length,
  exams: (await t.deps.db.selectFrom('exams').select('id').where('visit_id', '=', id).execute()).length,
});

/** The request that carries `event` for one visit (the driver's SMS events need the driver's phone). */
async function send(event: VisitEvent, visitId: string, file: string): Promise<Response> {
  const phone = `+86${(await t.deps.db.selectFrom('licences').select('phone').where('file_number', '=', file).executeTakeFirstOrThrow()).phone.replace(/^\+86/, '')}`;
  switch (event) {
    case 'book':
      return postJson(t, `/api/plans/${TOMORROW}/commit`, {}, 'dispatcher');
    case 'pin':
      return t.request(`/api/visits/${visitId}`, { method: 'PATCH', body: JSON.stringify({ pinned: true }), headers: { 'content-type': 'application/json' }, as: 'dispatcher' });
    case 'set_out':
      return postJson(t, `/api/visits/${visitId}/en-route`, {}, 'examiner');
    case 'arrive':
      return postJson(t, `/api/visits/${visitId}/arrived`, {}, 'examiner');
    case 'record_exam':
      return postJson(t, `/api/visits/${visitId}/exam`, examBody(), 'examiner');
    case 'record_no_show':
      return postJson(t, `/api/visits/${visitId}/no-show`, {}, 'dispatcher');
    case 'mark_done':
      return postJson(t, `/api/visits/${visitId}/done`, {}, 'admin');
    case 'cancel_by_staff':
      return postJson(t, `/api/visits/${visitId}/cancel`, { reason: '测试取消' }, 'dispatcher');
    case 'confirm':
      return sms(t, phone, '1');
    case 'cancel_by_driver':
      return sms(t, phone, '2');
    default:
      throw new Error(`no single-visit request for ${event}`);
  }
}

/** Events a single request carries for one visit (re-plan, shift cancel and the driver's move: below). */
const REQUEST_EVENTS = ['book', 'pin', 'set_out', 'arrive', 'record_exam', 'record_no_show', 'mark_done', 'cancel_by_staff'] as const satisfies readonly VisitEvent[];

describe('on a real app and SQLite file', () => {
  beforeAll(async () => {
    t = await createTestApp({ lang: 'en' });
    // C1 drivers born 1956 (an annual exam due, as in test/helpers/exams.ts), numbered past 99
    const drivers = Array.from({ length: API_DRIVERS + PROPERTY_RUNS + SHRINK_DRIVERS }, (_, i) => {
      const [, input] = examDriver(1);
      return [`51${String(i + 1).padStart(10, '0')}`, { ...input, phone: `1371${String(i + 1).padStart(7, '0')}`, name: `孙测${i + 1}` }] as [string, typeof input];
    });
    await confirmedDrivers(t, drivers);
    files.push(...drivers.map(([f]) => f));
    const me = (await (await t.request('/api/me', { as: 'examiner' })).json()) as { id: string };
    const postalId = await addPerson(t, 'postal', '吴投递');
    const examinerId = await addPerson(t, 'examiner', '冯医生');
    await t.deps.db.updateTable('field_staff').set({ staff_id: me.id }).where('id', '=', examinerId).execute();
    shiftId = await addShift(t, { postalId, examinerId, startsAt: '08:00', endsAt: '18:00', capacity: 200 });
    advance(t, hours(24)); // 2026-11-27 10:00 in Shanghai: the visits' day
  }, 60_000);
  afterAll(async () => t?.cleanup());

  describe('each event from each state, through real requests', () => {
    const cells = VISIT_STATES.flatMap((state) => REQUEST_EVENTS.map((event) => [state, event] as const));
    it.each(cells)('%s + %s', async (state, event) => {
      const file = takeDriver();
      const id = await placeVisit(file, state);
      const before = await visitRow(id);
      const sides = await sideRows(id);
      const res = await send(event, id, file);
      const expected = EXPECTED[state][event];
      if (expected === null) {
        expect(res.status, await res.clone().text()).toBe(409);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('conflict');
        if (event !== 'book') expect(body.error.message).toContain(STATE_WORDS[state]);
        expect(await visitRow(id)).toEqual(before);
        expect(await sideRows(id)).toEqual(sides);
      } else {
        expect([200, 201], await res.clone().text()).toContain(res.status);
        expect((await visitRow(id)).status).toBe(expected);
      }
      // leave nothing active behind for the next cells (commit books every draft of the date)
      await t.deps.db.updateTable('visits').set({ status: 'cancelled', closed_reason: 'test_done' }).where('id', '=', id).where('status', 'in', ACTIVE_STATES).execute();
    });

    it('sets out and arrives only on the visit’s day', async () => {
    const id = await placeVisit(takeDriver(), 'booked', '2026-11-28');
    for (const path of ['en-route', 'arrived']) {
      const res = await postJson(t, `/api/visits/${id}/${path}`, {}, 'dispatcher');
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('the crew sets out and arrives on that day');
    }
    expect((await visitRow(id)).status).toBe('booked');
    await t.deps.db.updateTable('visits').set({ status: 'cancelled', closed_reason: 'test_done' }).where('id', '=', id).execute();
  });

  it('the driver’s SMS confirms or cancels a told visit, and leaves one the crew set out for alone', async () => {
      for (const [state, event, expected] of [
        ['booked', 'confirm', 'confirmed'],
        ['confirmed', 'confirm', 'confirmed'],
        ['booked', 'cancel_by_driver', 'cancelled'],
        ['en_route', 'cancel_by_driver', 'en_route'],
        ['arrived', 'confirm', 'arrived'],
      ] as const) {
        const file = takeDriver();
        const id = await placeVisit(file, state);
        expect((await send(event, id, file)).status).toBe(200);
        expect((await visitRow(id)).status, `${state} + ${event}`).toBe(expected);
        await t.deps.db.updateTable('visits').set({ status: 'cancelled', closed_reason: 'test_done' }).where('id', '=', id).where('status', 'in', ACTIVE_STATES).execute();
      }
    });

    it('a re-plan keeps visits under way where they are and counts them; a shift with a crew at the door cannot be cancelled', async () => {
      const enRoute = await placeVisit(takeDriver(), 'en_route');
      const before = await visitRow(enRoute);
      const res = await postJson(t, `/api/plans/${TOMORROW}/preview`, { maxIterations: 300 }, 'dispatcher');
      expect(res.status, await res.clone().text()).toBe(200);
      const plan = (await res.json()) as { run: { underway: number } | null };
      expect(plan.run?.underway).toBe(1);
      const after = await visitRow(enRoute);
      expect({ status: after.status, shift: after.shift_id, seq: after.seq, startsAt: after.starts_at }).toEqual({
        status: 'en_route',
        shift: before.shift_id,
        seq: before.seq,
        startsAt: before.starts_at,
      });
      // drop the drafts the preview made (the pool of seeded drivers), as the table's replan does
      await t.deps.db.deleteFrom('visits').where('status', '=', 'planned').execute();

      const arrived = await placeVisit(takeDriver(), 'arrived');
      const cancel = await postJson(t, `/api/shifts/${shiftId}/cancel`, {}, 'dispatcher');
      expect(cancel.status).toBe(409);
      expect(((await cancel.json()) as { error: { message: string } }).error.message).toContain('arrived at the door');
      expect((await visitRow(arrived)).status).toBe('arrived');
      expect((await visitRow(enRoute)).status).toBe('en_route');
      expect((await t.deps.db.selectFrom('shifts').select('status').where('id', '=', shiftId).executeTakeFirstOrThrow()).status).toBe('open');
      await t.deps.db.updateTable('visits').set({ status: 'cancelled', closed_reason: 'test_done' }).where('id', 'in', [arrived, enRoute]).execute();
    });
  });

  /** Every case of the driver's visits has a way forward (issue 14), read from the database. */
  async function strandedCases(file: string): Promise<string[]> {
    const db = t.deps.db;
    const visits = await db.selectFrom('visits').selectAll().where('file_number', '=', file).execute();
    const active = visits.filter((v) => isActive(v.status));
    expect(active.length).toBeLessThanOrEqual(1);
    const held = new Set(active.flatMap((v) => JSON.parse(v.cases) as string[]));
    const conversation = await conversationOf(t, file);
    // the planner finds the driver for another date: no visit under way, conversation confirmed
    const inPool = (await poolOn(db, '2026-11-30', { fileNumbers: [file], ignoreVisits: false })).length === 1;
    const stranded: string[] = [];
    for (const v of visits) {
      const ids = JSON.parse(v.cases) as string[];
      if (v.status === 'exam_recorded') {
        const exam = await db.selectFrom('exams').select('id').where('visit_id', '=', v.id).executeTakeFirst();
        if (!exam) stranded.push(...ids.map((c) => `${c}: exam_recorded without an exam`));
        else for (const c of ids) if (!(await db.selectFrom('exam_cases').select('case_id').where('exam_id', '=', exam.id).where('case_id', '=', c).executeTakeFirst())) stranded.push(`${c}: not settled by the exam`);
        continue;
      }
      for (const c of ids) {
        const settled = await db.selectFrom('exam_cases').select('case_id').where('case_id', '=', c).executeTakeFirst();
        if (held.has(c) || settled) continue;
        const row = await db.selectFrom('cases').select('status').where('id', '=', c).executeTakeFirstOrThrow();
        // open, and either the planner takes the driver again or the driver declined (outreach's follow-up)
        const followUp = conversation.status === 'declined';
        if (row.status !== 'open' || !(inPool || followUp)) stranded.push(`${c}: ${v.status} (${v.closed_reason}) with conversation ${conversation.status}`);
      }
    }
    return stranded;
  }

  const PROPERTY_EVENTS = ['book', 'confirm', 'cancel_by_driver', 'pin', 'set_out', 'arrive', 'record_exam', 'record_no_show', 'mark_done', 'cancel_by_staff'] as const satisfies readonly VisitEvent[];

  describe('no case without a way forward (through the API)', () => {
    // Each run is a fresh driver with a draft and up to 8 real requests on the file's app; fewer
    // runs than the table's property (each request is a real write), still every event many times.
    it('after any sequence of requests, every case is in an active visit, settled by its exam, or open for planning or follow-up', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom(...PROPERTY_EVENTS), { minLength: 1, maxLength: 8 }), async (events) => {
          const file = takeDriver();
          const id = await placeVisit(file, 'planned');
          for (const event of events) {
            const before = await visitRow(id);
            const res = await send(event, id, file);
            const after = await visitRow(id);
            const expected = EXPECTED[before.status][event];
            if (event === 'confirm' || event === 'cancel_by_driver') {
              // an SMS is always answered; it acts on the visit only when the table allows it
              expect(res.status).toBe(200);
              expect(after.status).toBe(expected === null || !['booked', 'confirmed'].includes(before.status) ? before.status : expected);
            } else if (expected === null) {
              expect(res.status, `${before.status} + ${event}`).toBe(409);
              expect(after).toEqual(before);
            } else {
              expect([200, 201], `${before.status} + ${event}: ${await res.clone().text()}`).toContain(res.status);
              expect(after.status).toBe(expected);
            }
          }
          expect(await strandedCases(file)).toEqual([]);
          await t.deps.db.updateTable('visits').set({ status: 'cancelled', closed_reason: 'test_done' }).where('id', '=', id).where('status', 'in', ACTIVE_STATES).execute();
        }),
        { numRuns: PROPERTY_RUNS },
      );
    }, 60_000);
  });
});

// ---------------------------------------------------------------------------------------------

function run(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}
function all<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
}

describe('migration 0010 of visits written before it', () => {
  it('keeps exam-closed visits as exam_recorded, turns done-without-exam into cancelled (done_without_exam) back in the pool, and keeps every key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdc-0010-'));
    const path = join(dir, 'old.db');
    try {
      const raw = new sqlite3.Database(path);
      await run(raw, 'PRAGMA foreign_keys = ON;');
      const migrations = await loadMigrations();
      await migrate(raw, migrations.filter((m) => m.name < '0010'));
      const at = '2026-11-20T02:00:00.000Z';
      const licence = (f: string) =>
        `('${f}', 'sealed', 1, '371500********0000', '1950-01-01', 'M', '测试${f.slice(-1)}', '+8613700000${f.slice(-3)}', 'mobile', '测试小区', '水城花园', 'C1', '1990-05-20', '2030-05-20', NULL, NULL, 'active', 36.47, 115.99, 'imp', '${at}', '${at}')`;
      const visit = (id: string, f: string, status: string, reason: string | null, c: string) =>
        `('${id}', '${f}', 'conv-${f}', 'shift', '2026-11-21', '${status}', 1, '09:10', 10, '09:00', '10:00', 'c:水城花园', '水城花园', 36.47, 115.99, NULL, '["${c}"]', 0, 0, 1, '${at}', '${at}', '${at}', NULL, ${reason ? `'${at}'` : 'NULL'}, ${reason ? `'${reason}'` : 'NULL'}, ${reason ? "'st'" : 'NULL'})`;
      await run(
        raw,
        `INSERT INTO staff VALUES ('st', '测试admin', 'admin', 'hash', 1, '${at}');
         INSERT INTO imports (id, staff_id, source, status, started_at) VALUES ('imp', 'st', 'cli', 'completed', '${at}');
         INSERT INTO screening_runs (id, staff_id, trigger, as_of, lead_days, renewal_min_age, status, started_at) VALUES ('run', 'st', 'cli', '2026-11-20', 60, 70, 'completed', '${at}');
         INSERT INTO licences VALUES ${['900000000001', '900000000002', '900000000003'].map(licence).join(', ')};
         INSERT INTO cases VALUES
           ('c1', '900000000001', 'annual_exam_70', '2026-05-19', '2026-05-20', '2026-12-31', NULL, 0, NULL, 0, NULL, 'open', 'run', '${at}', '${at}', NULL),
           ('c2', '900000000002', 'annual_exam_70', '2026-05-19', '2026-05-20', '2026-12-31', NULL, 0, NULL, 0, NULL, 'open', 'run', '${at}', '${at}', NULL),
           ('c3', '900000000003', 'annual_exam_70', '2026-05-19', '2026-05-20', '2026-12-31', NULL, 0, NULL, 0, NULL, 'open', 'run', '${at}', '${at}', NULL);
         INSERT INTO conversations (id, file_number, phone, phone_kind, status, categories, started_at, updated_at) VALUES
           ('conv-900000000001', '900000000001', '+8613700000001', 'mobile', 'confirmed', '[]', '${at}', '${at}'),
           ('conv-900000000002', '900000000002', '+8613700000002', 'mobile', 'confirmed', '[]', '${at}', '${at}'),
           ('conv-900000000003', '900000000003', '+8613700000003', 'mobile', 'confirmed', '[]', '${at}', '${at}');
         INSERT INTO field_staff VALUES ('p', 'postal', '吴投递', '+8613900000001', '聊城邮政', NULL, 1, '${at}', '${at}'),
           ('e', 'examiner', '冯医生', '+8613900000002', '聊城市人民医院', NULL, 1, '${at}', '${at}');
         INSERT INTO shifts VALUES ('shift', '2026-11-21', '08:30', '12:00', 'p', 'e', '支局', 36.45, 115.98, '支局', 36.45, 115.98, NULL, NULL, NULL, NULL, 10, 'open', 'st', '${at}', '${at}');
         INSERT INTO visits VALUES ${visit('v1', '900000000001', 'done', 'exam', 'c1')}, ${visit('v2', '900000000002', 'done', 'done', 'c2')}, ${visit('v3', '900000000003', 'booked', null, 'c3')};
         INSERT INTO exams (id, visit_id, file_number, examiner_id, recorded_by, started_at, ended_at, pass, classes, medical, certificate_number, institution, issued_on, valid_until, created_at) VALUES ('x1', 'v1', '900000000001', 'e', 'st', '${at}', '${at}', 1, '["C1"]', 'sealed', 'LC-1', '医院', '2026-11-20', '2027-11-20', '${at}');
         INSERT INTO exam_cases (exam_id, case_id, outcome) VALUES ('x1', 'c1', 'submitted');
         INSERT INTO visit_notices (id, visit_id, kind, revision, due_at, status, created_at, updated_at) VALUES
           ('n2', 'v2', 'appointment', 1, '${at}', 'done', '${at}', '${at}'), ('n3', 'v3', 'appointment', 1, '${at}', 'done', '${at}', '${at}');`,
      );
      // 0010 first, then whatever came after it.
      expect((await migrate(raw))[0]).toBe('0010_visit_lifecycle.sql');
      expect(await all(raw, 'SELECT id, status, closed_reason FROM visits ORDER BY id')).toEqual([
        { id: 'v1', status: 'exam_recorded', closed_reason: 'exam' },
        { id: 'v2', status: 'cancelled', closed_reason: 'done_without_exam' },
        { id: 'v3', status: 'booked', closed_reason: null },
      ]);
      expect(await all(raw, 'PRAGMA foreign_key_check')).toEqual([]);
      const objects = (await all<{ name: string }>(raw, "SELECT name FROM sqlite_master WHERE name LIKE 'visits%' OR name IN ('shifts_capacity_update', 'exams_visit_closed_by_exam') ORDER BY name")).map((r) => r.name);
      expect(objects).toEqual(
        expect.arrayContaining(['visits', 'visits_one_active', 'visits_shift', 'visits_date', 'visits_booked_conversation', 'visits_capacity_insert', 'visits_capacity_update', 'visits_open_shift_insert', 'shifts_capacity_update', 'exams_visit_closed_by_exam']),
      );
      expect(objects).not.toContain('visits_before_0010');
      // the keys are still enforced, and so is one visit under way per driver
      await expect(run(raw, `INSERT INTO visit_notices (id, visit_id, kind, revision, due_at, status, created_at, updated_at) VALUES ('n9', 'nope', 'reminder', 1, '${at}', 'pending', '${at}', '${at}')`)).rejects.toThrow(/FOREIGN KEY/);
      // (the columns as 0010 left them: later migrations add theirs at the end)
      const columns = (await all<{ name: string }>(raw, 'PRAGMA table_info(visits)')).slice(0, 27).map((c) => c.name);
      await expect(run(raw, `INSERT INTO visits (${columns.join(', ')}) VALUES ${visit('v4', '900000000003', 'en_route', null, 'c3')}`)).rejects.toThrow(/UNIQUE/);
      await new Promise<void>((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve())));

      // The way forward: the driver of the done-without-exam visit is in the planner's pool again.
      const reopened = await openNodeDatabase(path);
      try {
        const pool = await poolOn(reopened.db, '2026-11-30');
        expect(pool.map((d) => d.fileNumber)).toEqual(['900000000002']);
        expect(pool[0]!.cases.map((c) => c.id)).toEqual(['c2']);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
