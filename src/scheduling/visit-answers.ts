import type { CompiledQuery } from 'kysely';
import type { VisitRow } from '../db/schema/scheduling.ts';
import { addDays } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import { minutesOf } from './plan-rules.ts';
import { computePlan, noticeInsert, reminderDue, visitUpdate, type PlannerDeps } from './planning.ts';
import { activeVisitsOfShifts, fixedVisit, openShiftsOn, poolOn } from './repository.ts';
import { appointmentOf, visitContext, type VisitContext } from './notices.ts';
import { confirmedSms, movedSms, optionsSms, type Option } from './templates.ts';

/**
 * A driver's SMS answer to an appointment (issue 4): `1` confirms the visit, `2` cancels it,
 * `3` moves it to the date asked for when that fits a shift (`3 12月3日上午`), else offers the
 * next feasible days; the booking stands until the driver picks one.
 */
export interface VisitAnswerPlan {
  queries: CompiledQuery[];
  /** What the reply is, for the messages list. */
  purpose: 'visit_confirmed' | 'visit_moved' | 'visit_options' | null;
  /** The SMS answer; null = the usual acknowledgement of the intent. */
  replyText: string | null;
  /** The conversation keeps its status: the answer was about the visit. */
  keepConversation: boolean;
}

const HORIZON_DAYS = 14;
const OPTIONS = 3;

export async function planVisitAnswer(
  deps: PlannerDeps,
  visitId: string,
  answer: { intent: 'confirm' | 'decline' | 'reschedule'; rescheduleOn?: string | undefined; partOfDay?: 'am' | 'pm' | undefined },
): Promise<VisitAnswerPlan | null> {
  const ctx = await visitContext(deps.db, visitId);
  if (!ctx) return null;
  const visit = ctx.visit;
  const now = deps.clock.now();
  const at = now.toISOString();
  const today = todayIn(now);
  const signature = deps.config.OUTREACH_SIGNATURE;
  switch (answer.intent) {
    case 'confirm':
      return {
        queries: [deps.db.updateTable('visits').set({ status: 'confirmed', confirmed_at: at, updated_at: at }).where('id', '=', visit.id).where('status', '=', 'booked').compile()],
        replyText: confirmedSms(appointmentOf(ctx, signature, today)),
        purpose: 'visit_confirmed',
        keepConversation: true,
      };
    case 'decline':
      // The driver said no: the visit goes, and the conversation takes the decline as usual.
      return {
        queries: [
          deps.db
            .updateTable('visits')
            .set({ status: 'cancelled', closed_at: at, closed_reason: 'driver_declined', updated_at: at })
            .where('id', '=', visit.id)
            .where('status', 'in', ['booked', 'confirmed'])
            .compile(),
        ],
        replyText: null,
        purpose: null,
        keepConversation: false,
      };
    case 'reschedule':
      return planMove(deps, ctx, answer, today);
  }
}

async function planMove(deps: PlannerDeps, ctx: VisitContext, answer: { rescheduleOn?: string | undefined; partOfDay?: 'am' | 'pm' | undefined }, today: string): Promise<VisitAnswerPlan> {
  const signature = deps.config.OUTREACH_SIGNATURE;
  const addressee = { name: ctx.licence.name, sex: ctx.licence.sex };
  const asked = answer.rescheduleOn;
  if (asked && asked > today && asked !== ctx.visit.date) {
    const parts = answer.partOfDay ? [answer.partOfDay] : (['am', 'pm'] as const);
    for (const part of parts) {
      const fit = await fitOn(deps, ctx.visit, asked, part);
      if (fit) {
        const moved = { ...ctx, visit: { ...ctx.visit, date: asked, window_start: fit.windowStart, window_end: fit.windowEnd } };
        return { queries: fit.queries, replyText: movedSms(appointmentOf({ ...moved, crew: fit.crew }, signature, today)), purpose: 'visit_moved', keepConversation: true };
      }
    }
  }
  const from = asked && asked > today ? asked : addDays(today, 1);
  const options = await feasibleOptions(deps, ctx.visit, from);
  return { queries: [], replyText: optionsSms(signature, addressee, options, today), purpose: 'visit_options', keepConversation: true };
}

interface Fit {
  queries: CompiledQuery[];
  windowStart: string;
  windowEnd: string;
  crew: VisitContext['crew'];
}

/**
 * Whether the driver fits one of the date's shifts in that part of the day, with every visit
 * already there kept on its shift and inside the window its driver was told.
 */
async function fitOn(deps: PlannerDeps, visit: VisitRow, date: string, part: 'am' | 'pm'): Promise<Fit | null> {
  const shifts = (await openShiftsOn(deps.db, date)).filter((s) => coversPart(s.starts_at, s.ends_at, part));
  if (shifts.length === 0) return null;
  const [driver] = await poolOn(deps.db, date, { fileNumbers: [visit.file_number], ignoreVisits: true });
  if (!driver) return null;
  const others = (await activeVisitsOfShifts(deps.db, shifts.map((s) => s.id))).filter((v) => v.id !== visit.id);
  const { plan } = await computePlan(deps, date, shifts, [{ ...driver, partOfDay: part, rescheduleOn: null }], others.map((v) => fixedVisit(v, { keepPromise: true })), {
    maxIterations: 300,
    timeBudgetMs: 300,
  });
  if (plan.conflicts.length > 0) return null;
  const route = plan.routes.find((r) => r.visits.some((v) => v.candidate.fixed === null));
  if (!route) return null;
  const at = deps.clock.now().toISOString();
  const drafts = new Set(others.filter((v) => v.status === 'planned').map((v) => v.id));
  const queries: CompiledQuery[] = [];
  let mine: { windowStart: string; windowEnd: string } | null = null;
  for (const v of route.visits) {
    if (v.candidate.fixed) {
      queries.push(visitUpdate(deps, v, route.shiftId, at, drafts.has(v.candidate.fixed.visitId)));
      continue;
    }
    mine = { windowStart: v.windowStart, windowEnd: v.windowEnd };
    queries.unshift(
      deps.db
        .updateTable('visits')
        .set((eb) => ({
          shift_id: route.shiftId,
          date,
          seq: v.seq,
          starts_at: v.startsAt,
          window_start: v.windowStart,
          window_end: v.windowEnd,
          part_of_day: part,
          cases: JSON.stringify(v.candidate.caseIds),
          status: 'booked',
          confirmed_at: null,
          revision: eb('revision', '+', 1),
          updated_at: at,
        }))
        .where('id', '=', visit.id)
        .where('status', 'in', ['booked', 'confirmed'])
        .compile(),
    );
  }
  // The reply is the new appointment; the reminder of the new revision follows the day before.
  queries.push(noticeInsert(deps, visit.id, 'reminder', reminderDue(deps, date), at));
  const crew = await deps.db
    .selectFrom('shifts as s')
    .innerJoin('field_staff as p', 'p.id', 's.postal_id')
    .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
    .select(['p.name as postalName', 'e.name as examinerName'])
    .where('s.id', '=', route.shiftId)
    .executeTakeFirstOrThrow();
  return mine ? { queries, ...mine, crew } : null;
}

function coversPart(startsAt: string, endsAt: string, part: 'am' | 'pm'): boolean {
  return part === 'am' ? minutesOf(startsAt) < 12 * 60 : minutesOf(endsAt) > 13 * 60;
}

/** The next days and parts of day (after `from`) where the driver fits, at most three. */
export async function feasibleOptions(deps: PlannerDeps, visit: VisitRow, from: string): Promise<Option[]> {
  const dates = await deps.db
    .selectFrom('shifts')
    .select('date')
    .distinct()
    .where('status', '=', 'open')
    .where('date', '>=', from)
    .where('date', '<=', addDays(from, HORIZON_DAYS))
    .where('date', '<>', visit.date)
    .orderBy('date')
    .execute();
  const options: Option[] = [];
  for (const { date } of dates) {
    for (const part of ['am', 'pm'] as const) {
      if (options.length >= OPTIONS) return options;
      if (await fitOn(deps, visit, date, part)) options.push({ date, part });
    }
  }
  return options;
}
