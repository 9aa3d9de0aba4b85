import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { VisitNoticeRow, VisitRow } from '../db/schema/scheduling.ts';
import type { AppDeps } from '../http/env.ts';
import { nextSendingTime, parseWindow, type SendingWindow } from '../outreach/ladder.ts';
import { smsSegments } from '../outreach/templates.ts';
import type { ProviderReceipt } from '../ports.ts';
import {
  asProviderError,
  claimsSettledBefore,
  drainDue,
  emptyTick,
  finishRows,
  mayHaveSent,
  reconcileClaims,
  recordAccepted,
  retryRows,
  shouldRetry,
  type OutboxTick,
  type StaleClaim,
} from '../shared/outbox.ts';
import { maskPhone } from '../shared/mask.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import { appointmentSms, cancelledSms, reminderSms, type Appointment } from './templates.ts';

/**
 * The visit SMS outbox (issue 4): appointment at commit, reminder the day before, cancellation.
 * Like outreach steps, whether a notice goes out is decided when it is due (a moved, cancelled
 * or opted-out driver gets nothing stale), and a claim (pending -> sending) precedes the provider
 * call so that no notice goes out twice; a claim left `sending` is reconciled with the provider.
 */
export interface VisitContext {
  visit: VisitRow;
  licence: { name: string; sex: 'M' | 'F'; phone: string; phone_kind: 'mobile' | 'landline' };
  crew: { postalName: string; examinerName: string };
  optedOut: boolean;
  /** This revision's appointment: its status, and when it went out if it did. */
  appointment: { status: string; sentAt: string | null } | null;
}

/**
 * Visits with what their SMS need: the driver, the crew's names, whether the number opted out,
 * and the status of the visit's appointment notice (its current revision). The notices below and
 * the planning board's previews (appointment-preview.ts) add what else they read.
 */
export function visitsWithContext(db: Kysely<DB>) {
  return db
    .selectFrom('visits as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .innerJoin('shifts as s', 's.id', 'v.shift_id')
    .innerJoin('field_staff as p', 'p.id', 's.postal_id')
    .innerJoin('field_staff as e', 'e.id', 's.examiner_id')
    .selectAll('v')
    .select([
      'l.name',
      'l.sex',
      'l.phone',
      'l.phone_kind',
      'p.name as postal_name',
      'e.name as examiner_name',
      sql<number>`EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = l.phone)`.as('opted_out'),
      sql<string | null>`(SELECT n.status FROM visit_notices n WHERE n.visit_id = v.id AND n.kind = 'appointment' AND n.revision = v.revision)`.as('appointment_status'),
    ]);
}

export async function visitContext(db: Kysely<DB>, visitId: string): Promise<VisitContext | null> {
  const row = await visitsWithContext(db)
    .select(
      sql<string | null>`(SELECT n.updated_at FROM visit_notices n WHERE n.visit_id = v.id AND n.kind = 'appointment' AND n.revision = v.revision AND n.status = 'done')`.as(
        'appointment_sent_at',
      ),
    )
    .where('v.id', '=', visitId)
    .executeTakeFirst();
  if (!row) return null;
  const { name, sex, phone, phone_kind, postal_name, examiner_name, opted_out, appointment_status, appointment_sent_at, ...visit } = row;
  return {
    visit,
    licence: { name, sex, phone, phone_kind },
    crew: { postalName: postal_name, examinerName: examiner_name },
    optedOut: Number(opted_out) === 1,
    appointment: appointment_status ? { status: appointment_status, sentAt: appointment_sent_at } : null,
  };
}

export function appointmentOf(ctx: VisitContext, signature: string, today: string): Appointment {
  const v = ctx.visit;
  return {
    signature,
    addressee: { name: ctx.licence.name, sex: ctx.licence.sex },
    date: v.date,
    windowStart: v.window_start,
    windowEnd: v.window_end,
    atGate: v.stop_key.startsWith('c:'),
    crew: ctx.crew,
    needsCognitiveTest: v.needs_cognitive_test === 1,
    today,
  };
}

export type NoticeDecision = { kind: 'send' } | { kind: 'skip'; note: string } | { kind: 'defer'; until: Date };

/** The note of an appointment not sent because its window had begun: staff call the driver or cancel the visit. */
export const WINDOW_BEGUN_NOTE = 'the window had begun before it could be sent: call the driver, or cancel the visit';

/** A reminder right after the appointment is noise: skipped within this many hours. */
const REMINDER_QUIET_HOURS = 12;

export function decideNotice(n: Pick<VisitNoticeRow, 'kind' | 'revision'>, ctx: VisitContext, now: Date, window: SendingWindow): NoticeDecision {
  const v = ctx.visit;
  if (n.revision !== v.revision) return { kind: 'skip', note: 'superseded by a later change' };
  const live = v.status === 'booked' || v.status === 'confirmed';
  if (n.kind === 'cancelled' ? v.status !== 'cancelled' : !live) return { kind: 'skip', note: `visit ${v.status}` };
  const today = todayIn(now);
  if (n.kind !== 'cancelled' && v.date < today) return { kind: 'skip', note: 'the visit day has passed' };
  if (n.kind === 'reminder' && v.date <= today) return { kind: 'skip', note: 'too late for a day-before reminder' };
  // Checked at every send: an appointment whose window has begun would tell the driver a time
  // already past (a commit made late, a send deferred past the window's start).
  if (n.kind === 'appointment' && instantAt(v.date, v.window_start).getTime() < now.getTime()) return { kind: 'skip', note: WINDOW_BEGUN_NOTE };
  if (n.kind === 'reminder') {
    const a = ctx.appointment;
    // The appointment goes first; a reminder right after it is noise.
    if (a && (a.status === 'pending' || a.status === 'sending')) return { kind: 'defer', until: new Date(now.getTime() + 60_000) };
    if (a?.sentAt && now.getTime() - Date.parse(a.sentAt) < REMINDER_QUIET_HOURS * 3_600_000) return { kind: 'skip', note: 'the appointment went out a few hours ago' };
  }
  if (ctx.optedOut) return { kind: 'skip', note: 'number opted out' };
  // RULES.md §2: no SMS to a landline; the plan view lists these drivers for a staff call.
  if (ctx.licence.phone_kind === 'landline') return { kind: 'skip', note: 'landline: staff tell the driver by phone' };
  const opens = nextSendingTime(now, window);
  if (opens.getTime() > now.getTime()) return { kind: 'defer', until: opens };
  return { kind: 'send' };
}

export function noticeText(kind: VisitNoticeRow['kind'], ctx: VisitContext, signature: string, today: string): string {
  if (kind === 'cancelled') return cancelledSms(signature, { name: ctx.licence.name, sex: ctx.licence.sex }, ctx.visit.date, today);
  const a = appointmentOf(ctx, signature, today);
  return kind === 'appointment' ? appointmentSms(a) : reminderSms(a);
}

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger' | 'telephony'>;

export async function runDueVisitNotices(deps: Deps, budget: number): Promise<OutboxTick> {
  const result = emptyTick();
  await reconcileStaleClaims(deps, result);
  await drainDue(
    budget,
    () => result.sent + result.failed,
    () =>
      deps.db
        .selectFrom('visit_notices')
        .selectAll()
        .where('status', '=', 'pending')
        .where('due_at', '<=', deps.clock.now().toISOString())
        .orderBy('due_at')
        // an appointment before a reminder due at the same time (a commit after the reminder hour)
        .orderBy(sql`kind = 'reminder'`)
        .orderBy('id')
        .limit(200)
        .execute(),
    (n) => runNotice(deps, n, result),
  );
  return result;
}

async function runNotice(deps: Deps, n: VisitNoticeRow, result: OutboxTick): Promise<void> {
  const ctx = await visitContext(deps.db, n.visit_id);
  if (!ctx) return;
  const now = deps.clock.now();
  const decision = decideNotice(n, ctx, now, parseWindow(deps.config.OUTREACH_WINDOW));
  const at = now.toISOString();
  if (decision.kind === 'defer') {
    await deps.db.updateTable('visit_notices').set({ due_at: decision.until.toISOString(), updated_at: at }).where('id', '=', n.id).where('status', '=', 'pending').execute();
    result.deferred++;
    return;
  }
  if (decision.kind === 'skip') {
    // The crew goes, the driver does not know: staff must call (ids only in the log, no personal data).
    if (decision.note === WINDOW_BEGUN_NOTE) deps.logger.warn('appointment not sent: its window had begun', { visitId: n.visit_id, date: ctx.visit.date });
    await deps.atomic([finish(deps, n, 'skipped', decision.note, null, 'pending')]);
    result.skipped++;
    return;
  }
  const body = noticeText(n.kind, ctx, deps.config.OUTREACH_SIGNATURE, todayIn(now));
  const to = ctx.licence.phone;
  const claimed = await deps.db
    .updateTable('visit_notices')
    .set({ status: 'sending', claimed_at: at, attempts: sql`attempts + 1`, send_to: to, send_body: body, updated_at: at })
    .where('id', '=', n.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return;
  let receipt: ProviderReceipt;
  try {
    receipt = await deps.telephony.sendSms({ to, body, statusCallback: `${deps.config.PUBLIC_BASE_URL}/twilio/message-status` });
  } catch (err) {
    await recordFailure(deps, n, ctx, body, err, result);
    return;
  }
  const batch = takenQueries(deps, n, { ...recipientOf(ctx), phone: to }, body, receipt);
  result.sent++;
  if (await recordAccepted(deps, batch, { label: 'visit notice', to, sid: receipt.sid })) {
    deps.logger.info('visit notice sent', { kind: n.kind, to: maskPhone(to), sid: receipt.sid });
  }
}

/** What a notice taken by the provider writes: its message and the notice done. */
function takenQueries(deps: Deps, n: VisitNoticeRow, to: Recipient, body: string, receipt: ProviderReceipt, claimedAt?: string): CompiledQuery[] {
  const messageId = deps.ids.next();
  const at = deps.clock.now().toISOString();
  return [
    messageInsert(deps, { id: messageId, to, purpose: n.kind === 'cancelled' ? 'visit_cancelled' : n.kind, body, status: receipt.status, sid: receipt.sid, errorCode: null, at }),
    finishRows(deps.db, 'visit_notices', [n.id], { status: 'done', note: null, messageId, from: 'sending', at, ...(claimedAt === undefined ? {} : { claimedAt }) }),
  ];
}

async function recordFailure(deps: Deps, n: VisitNoticeRow, ctx: VisitContext, body: string, err: unknown, result: OutboxTick): Promise<void> {
  const error = asProviderError(err);
  const now = deps.clock.now();
  deps.logger.warn('visit notice failed', { kind: n.kind, code: error.code, retryable: error.retryable });
  if (shouldRetry(error, n.attempts)) {
    await deps.db.executeQuery(retryRows(deps.db, 'visit_notices', [n.id], error, now));
    result.retrying++;
    return;
  }
  // No answer: it may have gone out. The notice stays `sending`; reconciliation asks the provider.
  if (mayHaveSent(error)) {
    result.failed++;
    return;
  }
  const messageId = deps.ids.next();
  const at = now.toISOString();
  await deps.atomic([
    messageInsert(deps, { id: messageId, to: recipientOf(ctx), purpose: n.kind, body, status: 'failed', sid: null, errorCode: error.code, at }),
    finish(deps, n, 'failed', `provider: ${error.code ?? 'error'}`, messageId, 'sending'),
  ]);
  result.failed++;
}

/** Notices still `sending` after any send must have returned: reconciled with the provider. */
async function reconcileStaleClaims(deps: Deps, result: OutboxTick): Promise<void> {
  const stale = await deps.db
    .selectFrom('visit_notices as n')
    .innerJoin('visits as v', 'v.id', 'n.visit_id')
    .selectAll('n')
    .select(['v.conversation_id', 'v.file_number'])
    .where('n.status', '=', 'sending')
    .where('n.claimed_at', '<', claimsSettledBefore(deps.clock.now(), deps.telephony))
    .orderBy('n.claimed_at')
    .limit(200)
    .execute();
  const claims = stale.map(({ conversation_id, file_number, ...n }): StaleClaim & { n: VisitNoticeRow; conversationId: string | null; fileNumber: string } => ({
    n,
    conversationId: conversation_id,
    fileNumber: file_number,
    ids: [n.id],
    claimedAt: n.claimed_at ?? '',
    attempts: n.attempts,
    channel: 'sms',
    to: n.send_to,
    body: n.send_body,
  }));
  const { givenUp } = await reconcileClaims(deps, claims, {
    table: 'visit_notices',
    label: 'visit notice',
    taken: async (c, receipt) => takenQueries(deps, c.n, { conversationId: c.conversationId, fileNumber: c.fileNumber, phone: c.to }, c.body ?? '', receipt, c.claimedAt),
    givenUp: async (c, note) => [finishRows(deps.db, 'visit_notices', c.ids, { status: 'failed', note, messageId: null, from: 'sending', at: deps.clock.now().toISOString(), claimedAt: c.claimedAt })],
  });
  result.failed += givenUp;
}

function finish(deps: Deps, n: VisitNoticeRow, status: 'done' | 'failed' | 'skipped', note: string | null, messageId: string | null, from: 'pending' | 'sending'): CompiledQuery {
  return finishRows(deps.db, 'visit_notices', [n.id], { status, note, messageId, from, at: deps.clock.now().toISOString() });
}

/** Who an SMS goes to, as the messages table records it. */
export interface Recipient {
  conversationId: string | null;
  fileNumber: string;
  phone: string;
}

const recipientOf = (ctx: VisitContext): Recipient => ({ conversationId: ctx.visit.conversation_id, fileNumber: ctx.visit.file_number, phone: ctx.licence.phone });

/** An outbound SMS as a row of the messages table (visit notices, completion notices). */
export function messageInsert(
  deps: Pick<Deps, 'db' | 'telephony'>,
  m: { id: string; to: Recipient; purpose: string; body: string; status: string; sid: string | null; errorCode: string | null; at: string; provider?: 'twiml' },
): CompiledQuery {
  return deps.db
    .insertInto('messages')
    .values({
      id: m.id,
      conversation_id: m.to.conversationId,
      file_number: m.to.fileNumber,
      direction: 'out',
      channel: 'sms',
      phone: m.to.phone,
      purpose: m.purpose,
      body: m.body,
      segments: smsSegments(m.body),
      provider: m.provider ?? deps.telephony.provider,
      provider_sid: m.sid,
      status: m.status,
      error_code: m.errorCode,
      created_at: m.at,
      updated_at: m.at,
    })
    .compile();
}
