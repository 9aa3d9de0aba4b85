import type { CompiledQuery } from 'kysely';
import { sql } from 'kysely';
import type { OutreachStepRow } from '../db/schema/outreach.ts';
import type { AppDeps } from '../http/env.ts';
import type { ProviderReceipt } from '../ports.ts';
import { asProviderError, claimsSettledBefore, drainDue, finishRows, mayHaveSent, reconcileClaims, recordAccepted, retryRows, shouldRetry, type StaleClaim } from '../shared/outbox.ts';
import { maskPhone } from '../shared/mask.ts';
import { todayIn } from '../shared/time.ts';
import { hoursAfter, ladderFor, nextSendingTime, parseLadder, parseWindow, type LadderStep } from './ladder.ts';
import { conversationContext, type ConversationContext } from './repository.ts';
import { noticeSms, smsSegments } from './templates.ts';
import { webhookUrl } from './webhooks.ts';

/**
 * Runs the outreach steps that are due (issue 3). Whether a step goes out is decided now, not
 * when it was scheduled: a driver whose cases closed, who answered or opted out gets nothing.
 * A step is claimed (pending -> sending) by one conditional UPDATE before the provider is called,
 * so two workers never send it twice; a claim left by a crash or a failed write is reconciled
 * with the provider before anything is sent again (src/shared/outbox.ts).
 */
export type StepDecision =
  | { kind: 'send' }
  | { kind: 'defer'; until: Date }
  | { kind: 'skip'; note: string; close?: 'cases_closed'; optOut?: boolean }
  | { kind: 'advance'; note: string }
  | { kind: 'call_list' };

export function decideStep(step: Pick<OutreachStepRow, 'channel'>, ctx: ConversationContext, now: Date, window: { from: string; to: string }): StepDecision {
  const status = ctx.conversation.status;
  if (status !== 'active') return { kind: 'skip', note: `conversation ${status}` };
  if (ctx.cases.length === 0) return { kind: 'skip', note: 'no open case left', close: 'cases_closed' };
  if (ctx.optedOut) return { kind: 'skip', note: 'number opted out', optOut: true };
  if (step.channel === 'call_list') return { kind: 'call_list' };
  // RULES.md §2: a landline cannot receive SMS (the number may have changed since the start).
  if (step.channel === 'sms' && ctx.licence.phone_kind === 'landline') return { kind: 'advance', note: 'landline: no SMS' };
  const opens = nextSendingTime(now, window);
  if (opens.getTime() > now.getTime()) return { kind: 'defer', until: opens };
  return { kind: 'send' };
}

export interface TickResult {
  sent: number;
  skipped: number;
  deferred: number;
  failed: number;
  listed: number;
  retrying: number;
}


type Deps = AppDeps;

export async function runDueSteps(deps: Deps, budget: number): Promise<TickResult> {
  const result: TickResult = { sent: 0, skipped: 0, deferred: 0, failed: 0, listed: 0, retrying: 0 };
  await reconcileStaleClaims(deps, result);
  await drainDue(
    budget,
    () => result.sent + result.failed,
    () =>
      deps.db
        .selectFrom('outreach_steps')
        .selectAll()
        .where('status', '=', 'pending')
        .where('due_at', '<=', deps.clock.now().toISOString())
        .orderBy('due_at')
        .limit(Math.min(200, budget * 2))
        .execute(),
    (step) => runStep(deps, step, result),
  );
  return result;
}

async function runStep(deps: Deps, step: OutreachStepRow, result: TickResult): Promise<void> {
  const ctx = await conversationContext(deps.db, step.conversation_id);
  if (!ctx) return;
  const now = deps.clock.now();
  const decision = decideStep(step, ctx, now, parseWindow(deps.config.OUTREACH_WINDOW));
  const at = now.toISOString();
  switch (decision.kind) {
    case 'defer':
      await deps.db.updateTable('outreach_steps').set({ due_at: decision.until.toISOString(), updated_at: at }).where('id', '=', step.id).where('status', '=', 'pending').execute();
      result.deferred++;
      return;
    case 'skip':
      await deps.atomic([finishStep(deps, step, 'skipped', decision.note, null, 'pending'), ...closeFor(deps, ctx, decision, at)]);
      result.skipped++;
      return;
    case 'advance':
      await deps.atomic([finishStep(deps, step, 'skipped', decision.note, null, 'pending'), ...nextStep(deps, ctx, step, now, 0)]);
      result.skipped++;
      return;
    case 'call_list':
      await deps.atomic([
        finishStep(deps, step, 'done', 'on the staff call list', null, 'pending'),
        deps.db.updateTable('conversations').set({ status: 'unreachable', updated_at: at }).where('id', '=', ctx.conversation.id).where('status', '=', 'active').compile(),
      ]);
      result.listed++;
      return;
    case 'send':
      await sendStep(deps, step, ctx, result);
  }
}

function closeFor(deps: Deps, ctx: ConversationContext, decision: Extract<StepDecision, { kind: 'skip' }>, at: string): CompiledQuery[] {
  const q = deps.db.updateTable('conversations').where('id', '=', ctx.conversation.id).where('status', '=', 'active');
  if (decision.close) return [q.set({ status: 'closed', closed_at: at, closed_reason: decision.close, updated_at: at }).compile()];
  if (decision.optOut) return [q.set({ status: 'opted_out', updated_at: at }).compile()];
  return [];
}

async function sendStep(deps: Deps, step: OutreachStepRow, ctx: ConversationContext, result: TickResult): Promise<void> {
  const now = deps.clock.now();
  const to = ctx.licence.phone;
  const body = step.channel === 'sms' ? noticeSms({ signature: deps.config.OUTREACH_SIGNATURE, addressee: { name: ctx.licence.name, sex: ctx.licence.sex }, cases: ctx.cases, today: todayIn(now) }) : null;
  // The number and text go with the claim: reconciliation looks them up at the provider.
  const claimed = await deps.db
    .updateTable('outreach_steps')
    .set({ status: 'sending', claimed_at: now.toISOString(), attempts: sql`attempts + 1`, send_to: to, send_body: body, updated_at: now.toISOString() })
    .where('id', '=', step.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  // Another worker claimed it first.
  if (Number(claimed.numUpdatedRows) !== 1) return;
  let receipt: ProviderReceipt;
  try {
    receipt =
      body !== null
        ? await deps.telephony.sendSms({ to, body, statusCallback: webhookUrl(deps, '/twilio/message-status') })
        : await deps.telephony.placeCall({
            to,
            twimlUrl: webhookUrl(deps, '/twilio/voice', { c: ctx.conversation.id, n: 0 }),
            statusCallback: webhookUrl(deps, '/twilio/call-status'),
          });
  } catch (err) {
    await recordFailure(deps, step, ctx, body, err, result);
    return;
  }
  const at = deps.clock.now().toISOString();
  const batch = sentQueries(deps, step, ctx, { to, body, receipt, at, base: now });
  result.sent++;
  if (await recordAccepted(deps, batch, { label: 'outreach step', to, sid: receipt.sid })) {
    deps.logger.info('outreach step sent', { step: step.seq, channel: step.channel, to: maskPhone(to), sid: receipt.sid });
  }
}

/** What a step taken by the provider writes: its message, the step done, the next rung. */
function sentQueries(
  deps: Deps,
  step: OutreachStepRow,
  ctx: ConversationContext,
  s: { to: string; body: string | null; receipt: ProviderReceipt; at: string; base: Date; claimedAt?: string },
): CompiledQuery[] {
  const messageId = deps.ids.next();
  // The kind of the number sent to; the registry may have changed it since a claim was made.
  const phoneKind = s.to === ctx.licence.phone ? ctx.licence.phone_kind : ctx.conversation.phone_kind;
  return [
    insertMessage(deps, { id: messageId, ctx, to: s.to, channel: step.channel === 'sms' ? 'sms' : 'voice', body: s.body, status: s.receipt.status, sid: s.receipt.sid, errorCode: null, at: s.at }),
    finishRows(deps.db, 'outreach_steps', [step.id], { status: 'done', note: null, messageId, from: 'sending', at: s.at, ...(s.claimedAt === undefined ? {} : { claimedAt: s.claimedAt }) }),
    deps.db.updateTable('conversations').set({ phone: s.to, phone_kind: phoneKind, updated_at: s.at }).where('id', '=', ctx.conversation.id).compile(),
    ...nextStep(deps, ctx, step, s.base),
  ];
}

async function recordFailure(deps: Deps, step: OutreachStepRow, ctx: ConversationContext, body: string | null, err: unknown, result: TickResult): Promise<void> {
  const error = asProviderError(err);
  const at = deps.clock.now();
  deps.logger.warn('outreach step failed', { step: step.seq, channel: step.channel, code: error.code, retryable: error.retryable });
  // The provider certainly did not take it: try again a little later, a few times.
  if (shouldRetry(error, step.attempts)) {
    await deps.db.executeQuery(retryRows(deps.db, 'outreach_steps', [step.id], error, at));
    result.retrying++;
    return;
  }
  // No answer: it may have gone out. The step stays `sending`; reconciliation asks the provider.
  if (mayHaveSent(error)) {
    result.failed++;
    return;
  }
  const messageId = deps.ids.next();
  const iso = at.toISOString();
  await deps.atomic([
    insertMessage(deps, { id: messageId, ctx, to: ctx.licence.phone, channel: step.channel === 'sms' ? 'sms' : 'voice', body, status: 'failed', sid: null, errorCode: error.code, at: iso }),
    finishStep(deps, step, 'failed', `provider: ${error.code ?? 'error'}`, messageId, 'sending'),
    ...nextStep(deps, ctx, step, at),
  ]);
  result.failed++;
}

/**
 * Steps still `sending` after any send must have returned: the process died, or the write after
 * the provider took the step failed. Reconciled with the provider (src/shared/outbox.ts).
 */
async function reconcileStaleClaims(deps: Deps, result: TickResult): Promise<void> {
  const now = deps.clock.now();
  const stale = await deps.db
    .selectFrom('outreach_steps')
    .selectAll()
    .where('status', '=', 'sending')
    .where('claimed_at', '<', claimsSettledBefore(now, deps.telephony))
    .orderBy('claimed_at')
    .limit(200)
    .execute();
  const claims = stale.map((step): StaleClaim & { step: OutreachStepRow } => ({
    step,
    ids: [step.id],
    claimedAt: step.claimed_at ?? '',
    attempts: step.attempts,
    channel: step.channel === 'sms' ? 'sms' : 'call',
    to: step.send_to,
    body: step.send_body,
  }));
  const contextOf = async (step: OutreachStepRow) => {
    const ctx = await conversationContext(deps.db, step.conversation_id);
    if (!ctx) throw new Error('outreach step without a conversation');
    return ctx;
  };
  const { givenUp } = await reconcileClaims(deps, claims, {
    table: 'outreach_steps',
    label: 'outreach step',
    taken: async (c, receipt) => {
      const ctx = await contextOf(c.step);
      const at = deps.clock.now().toISOString();
      return sentQueries(deps, c.step, ctx, { to: c.to, body: c.body, receipt, at, base: new Date(c.claimedAt), claimedAt: c.claimedAt });
    },
    givenUp: async (c, note) => {
      const ctx = await contextOf(c.step);
      return [
        finishRows(deps.db, 'outreach_steps', [c.step.id], { status: 'failed', note, messageId: null, from: 'sending', at: deps.clock.now().toISOString(), claimedAt: c.claimedAt }),
        ...nextStep(deps, ctx, c.step, now),
      ];
    },
  });
  result.failed += givenUp;
}

function finishStep(deps: Deps, step: OutreachStepRow, status: 'done' | 'failed' | 'skipped', note: string | null, messageId: string | null, from: 'pending' | 'sending'): CompiledQuery {
  return finishRows(deps.db, 'outreach_steps', [step.id], { status, note, messageId, from, at: deps.clock.now().toISOString() });
}

export function ladderOf(deps: Pick<Deps, 'config'>, phoneKind: 'mobile' | 'landline'): LadderStep[] {
  return ladderFor(parseLadder(deps.config.OUTREACH_LADDER), phoneKind);
}

/** The next rung, created only now; UNIQUE (conversation_id, seq) keeps it single. */
function nextStep(deps: Deps, ctx: ConversationContext, step: OutreachStepRow, now: Date, afterHours?: number): CompiledQuery[] {
  const next = ladderOf(deps, ctx.conversation.phone_kind)[step.seq + 1];
  if (!next) return [];
  return [stepInsert(deps, ctx.conversation.id, step.seq + 1, next.channel, hoursAfter(now, afterHours ?? next.afterHours))];
}

/**
 * A pending step, inserted from its conversation's row: when the conversation was not created
 * (another start won the race), nothing is inserted.
 */
export function stepInsert(deps: Pick<Deps, 'db' | 'ids' | 'clock'>, conversationId: string, seq: number, channel: LadderStep['channel'], dueAt: Date): CompiledQuery {
  const at = deps.clock.now().toISOString();
  const values = deps.db
    .selectFrom('conversations')
    .select([
      sql.val(deps.ids.next()).as('id'),
      'id as conversation_id',
      sql.val(seq).as('seq'),
      sql.val(channel).as('channel'),
      sql.val(dueAt.toISOString()).as('due_at'),
      sql.val('pending').as('status'),
      sql.val(at).as('created_at'),
      sql.val(at).as('updated_at'),
    ])
    .where('id', '=', conversationId);
  return deps.db
    .insertInto('outreach_steps')
    .columns(['id', 'conversation_id', 'seq', 'channel', 'due_at', 'status', 'created_at', 'updated_at'])
    .expression(values)
    .onConflict((oc) => oc.columns(['conversation_id', 'seq']).doNothing())
    .compile();
}

function insertMessage(
  deps: Deps,
  m: { id: string; ctx: ConversationContext; to: string; channel: 'sms' | 'voice'; body: string | null; status: string; sid: string | null; errorCode: string | null; at: string },
): CompiledQuery {
  return deps.db
    .insertInto('messages')
    .values({
      id: m.id,
      conversation_id: m.ctx.conversation.id,
      file_number: m.ctx.conversation.file_number,
      direction: 'out',
      channel: m.channel,
      phone: m.to,
      purpose: 'notice',
      body: m.body,
      segments: m.body === null ? null : smsSegments(m.body),
      provider: deps.telephony.provider,
      provider_sid: m.sid,
      status: m.status,
      error_code: m.errorCode,
      created_at: m.at,
      updated_at: m.at,
    })
    .compile();
}
