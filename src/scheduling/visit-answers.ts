import type { CompiledQuery } from 'kysely';
import type { ShiftRow, VisitRow } from '../db/schema/scheduling.ts';
import { addDays } from '../shared/civil-date.ts';
import { todayIn } from '../shared/time.ts';
import type { PlanDriver, PlannedRoute, PlannedVisit, PlanSettings } from './plan-rules.ts';
import { computePlan, noticeInsert, planSettings, reminderDue, visitUpdate, type PlannerDeps } from './planning.ts';
import { activeVisitsOfShifts, fixedVisit, openShiftsOn, poolOn } from './repository.ts';
import { appointmentOf, visitContext, type VisitContext } from './notices.ts';
import { confirmedSms, movedSms, optionsSms, type Option } from './templates.ts';
import { allowedTransition, nextVisitState, rowState } from './visit-lifecycle.ts';

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
  const event = answer.intent === 'confirm' ? 'confirm' : answer.intent === 'decline' ? 'cancel_by_driver' : 'reschedule';
  // The life cycle decides (visit-lifecycle.ts); a refused answer (the crew set out meanwhile)
  // is not about the visit any more: the conversation takes it as usual.
  const t = allowedTransition(visit.status, event);
  if (!t) return null;
  switch (answer.intent) {
    case 'confirm':
      return {
        // a second "1" changes nothing (the table's confirmed -> confirmed)
        queries:
          visit.status === t.to
            ? []
            : [deps.db.updateTable('visits').set({ status: rowState(t), confirmed_at: at, updated_at: at }).where('id', '=', visit.id).where('status', '=', visit.status).compile()],
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
            .set({ status: rowState(t), closed_at: at, closed_reason: 'driver_declined', updated_at: at })
            .where('id', '=', visit.id)
            .where('status', '=', visit.status)
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
  // The driver as the planner sees them (the cases, the stop), read once for every date tried.
  const [driver] = await poolOn(deps.db, ctx.visit.date, { fileNumbers: [ctx.visit.file_number], ignoreVisits: true });
  if (!driver) return { queries: [], replyText: optionsSms(signature, addressee, [], today), purpose: 'visit_options', keepConversation: true };
  const mover = { visit: ctx.visit, driver };
  if (asked && asked > today && asked !== ctx.visit.date) {
    const shifts = await openShiftsOn(deps.db, asked);
    for (const part of answer.partOfDay ? [answer.partOfDay] : (['am', 'pm'] as const)) {
      const fit = await fitOn(deps, mover, asked, part, shifts);
      if (fit) {
        const { queries, crew } = await moveWrites(deps, ctx.visit, fit);
        const moved = { ...ctx, crew, visit: { ...ctx.visit, date: asked, window_start: fit.mine.windowStart, window_end: fit.mine.windowEnd } };
        return { queries, replyText: movedSms(appointmentOf(moved, signature, today)), purpose: 'visit_moved', keepConversation: true };
      }
    }
  }
  const from = asked && asked > today ? asked : addDays(today, 1);
  const options = await feasibleOptions(deps, mover, from);
  return { queries: [], replyText: optionsSms(signature, addressee, options, today), purpose: 'visit_options', keepConversation: true };
}

interface Mover {
  visit: VisitRow;
  driver: PlanDriver;
}

interface Fit {
  date: string;
  part: 'am' | 'pm';
  route: PlannedRoute;
  mine: PlannedVisit;
  /** The visits already on the route's shifts (their drafts may take new windows). */
  others: VisitRow[];
}

/**
 * Whether the driver fits one of the date's shifts in that part of the day, with every visit
 * already there kept on its shift and inside the window its driver was told.
 */
async function fitOn(deps: PlannerDeps, mover: Mover, date: string, part: 'am' | 'pm', openShifts: readonly ShiftRow[]): Promise<Fit | null> {
  const settings = planSettings(deps.config);
  const shifts = openShifts.filter((s) => coversPart(s, part, settings));
  if (shifts.length === 0) return null;
  const others = (await activeVisitsOfShifts(deps.db, shifts.map((s) => s.id))).filter((v) => v.id !== mover.visit.id);
  const { plan } = await computePlan(deps, date, shifts, [{ ...mover.driver, partOfDay: part, rescheduleOn: null }], others.map((v) => fixedVisit(v, { keepPromise: true })), {
    maxIterations: 300,
    timeBudgetMs: 300,
  });
  if (plan.conflicts.length > 0) return null;
  for (const route of plan.routes) {
    const mine = route.visits.find((v) => v.candidate.fixed === null);
    if (mine) return { date, part, route, mine, others };
  }
  return null;
}

/** The moved visit (a new revision, booked again), its new route's order, and its reminder. */
async function moveWrites(deps: PlannerDeps, visit: VisitRow, fit: Fit): Promise<{ queries: CompiledQuery[]; crew: VisitContext['crew'] }> {
  const at = deps.clock.now().toISOString();
  const { route, mine } = fit;
  const drafts = new Set(fit.others.filter((v) => v.status === 'planned').map((v) => v.id));
  const queries: CompiledQuery[] = [
    deps.db
      .updateTable('visits')
      .set((eb) => ({
        shift_id: route.shiftId,
        date: fit.date,
        seq: mine.seq,
        starts_at: mine.startsAt,
        window_start: mine.windowStart,
        window_end: mine.windowEnd,
        part_of_day: fit.part,
        cases: JSON.stringify(mine.candidate.caseIds),
        status: rowState(nextVisitState(visit.status, 'reschedule')),
        confirmed_at: null,
        revision: eb('revision', '+', 1),
        updated_at: at,
      }))
      .where('id', '=', visit.id)
      .where('status', '=', visit.status)
      .compile(),
    ...route.visits.flatMap((v) => (v.candidate.fixed ? [visitUpdate(deps, v, route.shiftId, at, drafts.has(v.candidate.fixed.visitId))] : [])),
    // The reply is the new appointment; the reminder of the new revision follows the day before.
    noticeInsert(deps, visit.id, 'reminder', reminderDue(deps, fit.date), at),
  ];
  const crew = await deps.db
    .selectFrom('shifts as s')
    .innerJoin('field_staff as p', 'p.id', 's.postal_id')
    .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
    .select(['p.name as postalName', 'e.name as examinerName'])
    .where('s.id', '=', route.shiftId)
    .executeTakeFirstOrThrow();
  return { queries, crew };
}

/** A shift can take 上午 visits when it starts before the morning ends, 下午 ones when it ends after the afternoon starts. */
function coversPart(s: Pick<ShiftRow, 'starts_at' | 'ends_at'>, part: 'am' | 'pm', settings: PlanSettings): boolean {
  return part === 'am' ? s.starts_at < settings.morningEnds : s.ends_at > settings.afternoonStarts;
}

/** The next days and parts of day (after `from`) where the driver fits, at most three. */
export async function feasibleOptions(deps: PlannerDeps, mover: Mover, from: string): Promise<Option[]> {
  const shifts = await deps.db
    .selectFrom('shifts')
    .selectAll()
    .where('status', '=', 'open')
    .where('date', '>=', from)
    .where('date', '<=', addDays(from, HORIZON_DAYS))
    .where('date', '<>', mover.visit.date)
    .orderBy('date')
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
  const options: Option[] = [];
  for (const date of new Set(shifts.map((s) => s.date))) {
    const ofDate = shifts.filter((s) => s.date === date);
    for (const part of ['am', 'pm'] as const) {
      if (options.length >= OPTIONS) return options;
      if (await fitOn(deps, mover, date, part, ofDate)) options.push({ date, part });
    }
  }
  return options;
}
