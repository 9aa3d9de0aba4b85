/**
 * The appointment SMS a commit would send, per draft visit of a date (issue 16, the planning
 * board): the text from the same template and context as the outbox (noticeText), and whether it
 * would go out, decided by the outbox's own rule (decideNotice) as if the visit were booked now.
 * Visits told before: where their appointment stands. One query for the whole date.
 */
import { sql } from 'kysely';
import type { AppDeps } from '../http/env.ts';
import { parseWindow } from '../outreach/ladder.ts';
import { todayIn } from '../shared/time.ts';
import { decideNotice, noticeText, visitsWithContext, WINDOW_BEGUN_NOTE, type VisitContext } from './notices.ts';

/** What happens to a visit's appointment SMS: for a draft, at the commit; for a told visit, what did. */
export type AppointmentOutcome =
  /** A draft: sent at the commit. */
  | 'send'
  /** A draft: kept and sent when the sending hours open (OUTREACH_WINDOW). */
  | 'later'
  /** A draft: no SMS (landline, opted out): staff tell the driver by phone. */
  | 'call'
  /** A draft whose window has begun: the commit leaves it out. */
  | 'too_late'
  /** Told before: the appointment went out, is on its way, or was not sent. */
  | 'sent'
  | 'pending'
  | 'not_sent';

export interface AppointmentPreview {
  visitId: string;
  outcome: AppointmentOutcome;
  /** Exactly the text the driver receives (or received); null when nothing is sent. */
  text: string | null;
  /** Why no SMS, in the outbox's words (landline, opted out...), for a `call`. */
  note: string | null;
}

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config'>;

async function contextsOn(deps: Deps, date: string) {
  const rows = await visitsWithContext(deps.db)
    .select(sql<string | null>`(SELECT n.send_body FROM visit_notices n WHERE n.visit_id = v.id AND n.kind = 'appointment' AND n.revision = v.revision)`.as('appointment_body'))
    .where('v.date', '=', date)
    .where('v.status', 'in', ['planned', 'booked', 'confirmed'])
    .execute();
  return rows.map((row) => {
    const { name, sex, phone, phone_kind, postal_name, examiner_name, opted_out, appointment_status, appointment_body, ...visit } = row;
    const ctx: VisitContext = {
      visit,
      licence: { name, sex, phone, phone_kind },
      crew: { postalName: postal_name, examinerName: examiner_name },
      optedOut: Number(opted_out) === 1,
      appointment: null,
    };
    return { ctx, told: appointment_status ? { status: appointment_status, body: appointment_body } : null };
  });
}

function toldOutcome(told: { status: string; body: string | null } | null): AppointmentOutcome {
  if (told?.status === 'done') return 'sent';
  if (told?.status === 'pending' || told?.status === 'sending') return 'pending';
  return 'not_sent';
}

/** The appointment of every active visit of the date, drafts as the commit would send them now. */
export async function appointmentPreviews(deps: Deps, date: string): Promise<Map<string, AppointmentPreview>> {
  const now = deps.clock.now();
  const today = todayIn(now);
  const window = parseWindow(deps.config.OUTREACH_WINDOW);
  const signature = deps.config.OUTREACH_SIGNATURE;
  const out = new Map<string, AppointmentPreview>();
  for (const { ctx, told } of await contextsOn(deps, date)) {
    const id = ctx.visit.id;
    if (ctx.visit.status !== 'planned') {
      const outcome = toldOutcome(told);
      const text = told?.body ?? (outcome === 'not_sent' ? null : noticeText('appointment', ctx, signature, today));
      out.set(id, { visitId: id, outcome, text, note: null });
      continue;
    }
    // As the commit leaves it: booked, and its appointment of the same revision due now.
    const booked: VisitContext = { ...ctx, visit: { ...ctx.visit, status: 'booked' } };
    const decision = decideNotice({ kind: 'appointment', revision: ctx.visit.revision }, booked, now, window);
    const text = noticeText('appointment', booked, signature, today);
    if (decision.kind === 'send') out.set(id, { visitId: id, outcome: 'send', text, note: null });
    else if (decision.kind === 'defer') out.set(id, { visitId: id, outcome: 'later', text, note: null });
    else if (decision.note === WINDOW_BEGUN_NOTE) out.set(id, { visitId: id, outcome: 'too_late', text: null, note: decision.note });
    else out.set(id, { visitId: id, outcome: 'call', text: null, note: decision.note });
  }
  return out;
}

/** How many appointment SMS a commit now would send at once and later (the board's confirmation). */
export function smsToSend(previews: Iterable<AppointmentPreview>): { now: number; later: number; call: number; tooLate: number } {
  const n = { now: 0, later: 0, call: 0, tooLate: 0 };
  for (const p of previews) {
    if (p.outcome === 'send') n.now++;
    else if (p.outcome === 'later') n.later++;
    else if (p.outcome === 'call') n.call++;
    else if (p.outcome === 'too_late') n.tooLate++;
  }
  return n;
}
