import { ACTIVE_VISIT_STATUSES, VISIT_STATUSES } from '../db/schema/scheduling.ts';
import { AppError } from '../errors.ts';
import { render, type MessageKey } from '../i18n/messages.ts';

/**
 * The life cycle of a visit (issue 14, "the done trap"), written down once: every state, every
 * event, and for each pair either the next state and what happens to the visit's cases, or the
 * refusal in words. Every writer of `visits.status` asks `nextVisitState` first and guards its
 * UPDATE with the state it read, so no visit ever reaches a state this table does not name.
 *
 * A visit is finished only when its exam is recorded or its no-show is; every other way out
 * (cancelled by staff, by the driver, by a cancelled shift, dropped by a re-plan) hands its
 * cases back to the planner or to the follow-up, so no case is left without a way forward.
 * Pure: no I/O, no clock.
 */

/** The values of `visits.status` (CHECK in db/migrations/0010_visit_lifecycle.sql). */
export const VISIT_STATES = VISIT_STATUSES;
export type VisitState = (typeof VISIT_STATES)[number];

/** States that hold their cases: the driver has a visit under way (the planner leaves them alone). */
export const ACTIVE_STATES = ACTIVE_VISIT_STATUSES;
/** Told to the driver and not closed: what the reminder, the SMS answers and the crew's route keep. */
export const TOLD_STATES = ['booked', 'confirmed', 'en_route', 'arrived'] as const satisfies readonly VisitState[];
/** The crew is on its way or at the door: a re-plan never moves these, it counts them as under way. */
export const UNDERWAY_STATES = ['en_route', 'arrived'] as const satisfies readonly VisitState[];
/** Finished: the visit did what a visit is for (RULES.md §5 exam) or nobody was at the door. */
export const FINISHED_STATES = ['exam_recorded', 'no_show'] as const satisfies readonly VisitState[];

export const VISIT_EVENTS = [
  'book',
  'confirm',
  'pin',
  'reschedule',
  'set_out',
  'arrive',
  'record_exam',
  'record_no_show',
  'mark_done',
  'cancel_by_staff',
  'cancel_by_driver',
  'shift_cancelled',
  'replan',
] as const;
export type VisitEvent = (typeof VISIT_EVENTS)[number];

/**
 * What a transition does to the visit's cases:
 * - `keep`: they stay with the visit (still active);
 * - `to_pool`: the visit is closed, its cases stay open and the driver is back in the planner's pool;
 * - `off_this_date`: as `to_pool`, but a re-plan of this date leaves the driver out (the dispatcher removed the draft);
 * - `to_follow_up`: the driver declined; the cases stay open and the conversation (declined) goes to outreach's follow-up;
 * - `settled_by_exam`: each case gets its 12123 submission or a staff follow-up (src/exams/outcome.ts).
 */
export type CaseEffect = 'keep' | 'to_pool' | 'off_this_date' | 'to_follow_up' | 'settled_by_exam';

/** `deleted`: the draft row is dropped (nobody was told); its cases go back to the pool. */
export type NextState = VisitState | 'deleted';

export interface Allowed {
  to: NextState;
  cases: CaseEffect;
  /** The driver gets an SMS about it (appointment, new appointment, or cancellation). */
  tellsDriver: boolean;
}
/** Why, as a catalogue key (src/i18n/messages.ts `refused_*`). */
export type RefusalKey = Extract<MessageKey, `refused_${string}`>;
export interface Refused {
  refused: RefusalKey;
}
export type Transition = Allowed | Refused;

/** The catalogue keys of the words of each state and event (zh-CN and English). */
const stateKey = (state: VisitState) => `visit_state_${state}` as const;
const eventKey = (event: VisitEvent) => `visit_event_${event}` as const;

/** The English words of each state and event (logs, tests); a client reads them in its language. */
export const STATE_WORDS = Object.fromEntries(VISIT_STATES.map((s) => [s, render('en', stateKey(s))])) as Record<VisitState, string>;
export const EVENT_WORDS = Object.fromEntries(VISIT_EVENTS.map((e) => [e, render('en', eventKey(e))])) as Record<VisitEvent, string>;

const go = (to: NextState, cases: CaseEffect, tellsDriver = false): Allowed => ({ to, cases, tellsDriver });
const no = (refused: RefusalKey): Refused => ({ refused });

const NOT_TOLD = no('refused_not_told');
const DRAFT_ONLY = no('refused_draft_only');
const ON_THE_WAY = no('refused_on_the_way');
const AT_THE_DOOR = no('refused_at_the_door');
const NO_DONE = no('refused_no_done');

function closedRow(why: Extract<RefusalKey, `refused_closed_${string}`>): Record<VisitEvent, Transition> {
  const c = no(why);
  return { book: c, confirm: c, pin: c, reschedule: c, set_out: c, arrive: c, record_exam: c, record_no_show: c, mark_done: NO_DONE, cancel_by_staff: c, cancel_by_driver: c, shift_cancelled: c, replan: c };
}

/** The table: TRANSITIONS[state][event]. Read a row as "a visit that is <state> may ...". */
export const TRANSITIONS: Record<VisitState, Record<VisitEvent, Transition>> = {
  planned: {
    book: go('booked', 'keep', true),
    confirm: NOT_TOLD,
    pin: go('planned', 'keep'),
    reschedule: NOT_TOLD,
    set_out: NOT_TOLD,
    arrive: NOT_TOLD,
    record_exam: NOT_TOLD,
    record_no_show: NOT_TOLD,
    mark_done: NO_DONE,
    cancel_by_staff: go('cancelled', 'off_this_date'),
    cancel_by_driver: NOT_TOLD,
    shift_cancelled: go('deleted', 'to_pool'),
    // an unpinned draft is re-made by the re-plan; a pinned one keeps its shift (the planner's fixed visits)
    replan: go('deleted', 'to_pool'),
  },
  booked: {
    book: no('refused_booked_already'),
    confirm: go('confirmed', 'keep'),
    pin: DRAFT_ONLY,
    reschedule: go('booked', 'keep', true),
    set_out: go('en_route', 'keep'),
    arrive: go('arrived', 'keep'),
    record_exam: go('exam_recorded', 'settled_by_exam'),
    record_no_show: go('no_show', 'to_pool'),
    mark_done: NO_DONE,
    cancel_by_staff: go('cancelled', 'to_pool', true),
    cancel_by_driver: go('cancelled', 'to_follow_up'),
    shift_cancelled: go('cancelled', 'to_pool', true),
    // a re-plan never moves a told visit off its shift or out of its window
    replan: go('booked', 'keep'),
  },
  confirmed: {
    book: no('refused_confirmed_already'),
    // a second "1" from the driver changes nothing
    confirm: go('confirmed', 'keep'),
    pin: DRAFT_ONLY,
    reschedule: go('booked', 'keep', true),
    set_out: go('en_route', 'keep'),
    arrive: go('arrived', 'keep'),
    record_exam: go('exam_recorded', 'settled_by_exam'),
    record_no_show: go('no_show', 'to_pool'),
    mark_done: NO_DONE,
    cancel_by_staff: go('cancelled', 'to_pool', true),
    cancel_by_driver: go('cancelled', 'to_follow_up'),
    shift_cancelled: go('cancelled', 'to_pool', true),
    replan: go('confirmed', 'keep'),
  },
  en_route: {
    book: no('refused_underway_already'),
    confirm: ON_THE_WAY,
    pin: ON_THE_WAY,
    reschedule: ON_THE_WAY,
    set_out: no('refused_set_out_already'),
    arrive: go('arrived', 'keep'),
    record_exam: go('exam_recorded', 'settled_by_exam'),
    record_no_show: go('no_show', 'to_pool'),
    mark_done: NO_DONE,
    // the crew turns back: the driver is told and planned again
    cancel_by_staff: go('cancelled', 'to_pool', true),
    cancel_by_driver: ON_THE_WAY,
    shift_cancelled: go('cancelled', 'to_pool', true),
    replan: go('en_route', 'keep'),
  },
  arrived: {
    book: no('refused_underway_already'),
    confirm: AT_THE_DOOR,
    pin: AT_THE_DOOR,
    reschedule: AT_THE_DOOR,
    set_out: AT_THE_DOOR,
    arrive: no('refused_arrived_already'),
    record_exam: go('exam_recorded', 'settled_by_exam'),
    record_no_show: go('no_show', 'to_pool'),
    mark_done: NO_DONE,
    cancel_by_staff: AT_THE_DOOR,
    cancel_by_driver: AT_THE_DOOR,
    shift_cancelled: AT_THE_DOOR,
    replan: go('arrived', 'keep'),
  },
  exam_recorded: closedRow('refused_closed_exam'),
  no_show: closedRow('refused_closed_no_show'),
  cancelled: closedRow('refused_closed_cancelled'),
};

export function isAllowed(t: Transition): t is Allowed {
  return !('refused' in t);
}

/** The refusal as the client reads it (in its language): the state and the event in words, and why. */
export function refusalError(state: VisitState, event: VisitEvent, why: RefusalKey): AppError {
  const text = { key: 'visit_refused', params: { event: { key: eventKey(event) }, state: { key: stateKey(state) }, why: { key: why } } } as const;
  return AppError.keyed('conflict', text, { state, event });
}

/** The one gate of every status change: the transition, or a 409 naming the state and the event. */
export function nextVisitState(state: VisitState, event: VisitEvent): Allowed {
  const t = TRANSITIONS[state][event];
  if (!isAllowed(t)) throw refusalError(state, event, t.refused);
  return t;
}

/** The same gate for a writer that has no client to answer (a driver's SMS): null when refused. */
export function allowedTransition(state: VisitState, event: VisitEvent): Allowed | null {
  const t = TRANSITIONS[state][event];
  return isAllowed(t) ? t : null;
}

/** The states from which an event is allowed: the guard of a bulk UPDATE (`WHERE status IN ...`). */
export function statesAllowing(event: VisitEvent): VisitState[] {
  return VISIT_STATES.filter((s) => isAllowed(TRANSITIONS[s][event]));
}

/** The states an event takes to `to` (e.g. the drafts a re-plan drops): a bulk write's guard. */
export function statesWhere(event: VisitEvent, to: NextState): VisitState[] {
  return VISIT_STATES.filter((s) => {
    const t = TRANSITIONS[s][event];
    return isAllowed(t) && t.to === to;
  });
}

/** The state a transition leaves the row in (a writer that keeps the row: never `deleted`). */
export function rowState(t: Allowed): VisitState {
  if (t.to === 'deleted') throw new Error('this transition drops the draft: delete the row instead');
  return t.to;
}

export function isActive(state: VisitState): boolean {
  return (ACTIVE_STATES as readonly VisitState[]).includes(state);
}

export function isUnderway(state: VisitState): boolean {
  return (UNDERWAY_STATES as readonly VisitState[]).includes(state);
}
