import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { CompiledQuery } from 'kysely';
import { sql } from 'kysely';
import twilio from 'twilio';
import type { WebhookKind } from '../db/schema/outreach.ts';
import { AppError, validationError } from '../errors.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { createRouter } from '../http/router.ts';
import { addDays } from '../shared/civil-date.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import { planAnswer } from './answers.ts';
import { normaliseNumber } from './phone.ts';
import { parseKeypress, parseReply } from './reply.ts';
import { conversationContext } from './repository.ts';
import { statusRank, STATUS_RANK_SQL } from './status.ts';
import { VOICE_NO_INPUT, voiceScript } from './templates.ts';
import { MAX_PLAYS, ackTwiml, goodbyeTwiml, messagingTwiml, redirectTwiml, scriptTwiml } from './voice.ts';
import { processEvent, storeUnprocessed, type WebhookEvent } from './webhook-events.ts';

/**
 * Twilio's webhooks (issue 3): inbound SMS, the call's TwiML, the keypress, message and call
 * status. Every request must carry a valid `X-Twilio-Signature` for the public URL it was sent
 * to; the event is stored with its effects before we answer; a repeat has no second effect.
 */
export type Params = Record<string, string>;

export interface Handled {
  effects: CompiledQuery[];
  /** The TwiML answer; the same answer is given to a repeat unless `repeatTwiml` says otherwise. */
  twiml: string;
  repeatTwiml?: string;
  /** Not applicable yet (e.g. a status for a message still being recorded): keep for recovery. */
  defer?: string;
}

type Deps = AppDeps;
export type Handler = (deps: Deps, params: Params, live: boolean) => Promise<Handled>;

export function webhookUrl(deps: Pick<Deps, 'config'>, path: string, query: Record<string, string | number> = {}): string {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return `${deps.config.PUBLIC_BASE_URL}${path}${search ? `?${search}` : ''}`;
}

/** 403 unless the signature matches the configured public URL (correct behind a TLS proxy). */
export function verifyTwilioSignature(): MiddlewareHandler<AppEnv> {
  return async function twilioSignatureMiddleware(c, next) {
    const deps = c.get('deps');
    const signature = c.req.header('x-twilio-signature');
    const params = c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded') ? formParams(await c.req.text()) : {};
    const url = deps.config.PUBLIC_BASE_URL + c.req.path + new URL(c.req.url).search;
    if (!signature || !signatureMatches(deps.twilioAuthToken, signature, url, params)) {
      throw new AppError('forbidden', 'X-Twilio-Signature is missing or does not match this request');
    }
    c.set('twilioParams', params);
    await next();
  };
}

/** A form body as Twilio sends it: one value per field (the last, if a field repeats). */
function formParams(body: string): Params {
  const params: Params = {};
  for (const [k, v] of new URLSearchParams(body)) params[k] = v;
  return params;
}

/**
 * `twilio.validateRequest`, first trying the URL exactly as we rebuilt it: it is always one of
 * the forms the SDK tries first (without and with the port), so a genuine request costs one
 * HMAC and no URL parsing. Anything else gets the SDK's full check, with the same answer.
 */
function signatureMatches(authToken: string, signature: string, url: string, params: Params): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  return twilio.validateRequest(authToken, signature, url, params);
}

function required(params: Params, ...names: string[]): void {
  const missing = names.filter((n) => !params[n]);
  if (missing.length > 0) {
    throw validationError(missing.map((field) => ({ field, code: 'required', message: 'Twilio always sends this field' })));
  }
}

const EMPTY_MESSAGE = messagingTwiml(null);

// The day in China, kept until its midnight: the time-zone arithmetic of `todayIn` cost more
// than parsing the reply, on every SMS. Checked against both ends: an injected clock may go back.
let day = { starts: 0, ends: 0, today: '' };
function todayAt(now: Date): string {
  const t = now.getTime();
  if (t < day.starts || t >= day.ends) {
    const today = todayIn(now);
    day = { starts: instantAt(today, '00:00').getTime(), ends: instantAt(addDays(today, 1), '00:00').getTime(), today };
  }
  return day.today;
}

/** Inbound SMS: understand the reply, match it to the driver by number, answer once. */
export const inboundSms: Handler = async (deps, params, live) => {
  required(params, 'MessageSid', 'From');
  const phone = normaliseNumber(params.From!);
  const body = params.Body ?? '';
  const today = todayAt(deps.clock.now());
  const parsed = parseReply(body, today);
  const plan = await planAnswer(
    deps,
    { phone, channel: 'sms', intent: parsed.intent, rescheduleOn: parsed.rescheduleOn, partOfDay: parsed.partOfDay, inbound: { sid: params.MessageSid!, body } },
    { reply: live, today },
  );
  return { effects: plan.queries, twiml: messagingTwiml(plan.replyText), repeatTwiml: EMPTY_MESSAGE };
};

/** The call's script, fetched by Twilio when the driver picks up (and for each repeat). */
export const voiceScriptHook: Handler = async (deps, params) => {
  const conversationId = params._c ?? '';
  const play = Number(params._n ?? 0);
  const context = await conversationContext(deps.db, conversationId);
  const live = context && !context.optedOut && context.cases.length > 0 && !['closed', 'opted_out'].includes(context.conversation.status);
  if (!context || !live) return { effects: [], twiml: goodbyeTwiml() };
  const script = voiceScript({
    signature: deps.config.OUTREACH_SIGNATURE,
    addressee: { name: context.licence.name, sex: context.licence.sex },
    cases: context.cases,
    today: todayAt(deps.clock.now()),
  });
  const urls = {
    gather: webhookUrl(deps, '/twilio/voice/gather', { c: conversationId, n: play }),
    again: webhookUrl(deps, '/twilio/voice', { c: conversationId, n: play + 1 }),
  };
  return { effects: [], twiml: scriptTwiml(script, play, urls) };
};

/** The key the driver pressed: 1 confirm, 2 decline, 3 reschedule, 9 repeat. */
export const gatherHook: Handler = async (deps, params) => {
  const conversationId = params._c ?? '';
  const play = Number(params._n ?? 0);
  const again = webhookUrl(deps, '/twilio/voice', { c: conversationId, n: play + 1 });
  const key = parseKeypress(params.Digits);
  if (key === 'repeat' || key === 'invalid') {
    if (play + 1 >= MAX_PLAYS) return { effects: [], twiml: goodbyeTwiml() };
    return { effects: [], twiml: redirectTwiml(again, key === 'invalid' ? VOICE_NO_INPUT : null) };
  }
  const conversation = await deps.db.selectFrom('conversations').select(['phone']).where('id', '=', conversationId).executeTakeFirst();
  if (!conversation) return { effects: [], twiml: goodbyeTwiml() };
  const plan = await planAnswer(deps, { phone: conversation.phone, channel: 'voice', intent: key, conversationId }, { reply: false });
  return { effects: plan.queries, twiml: ackTwiml(key) };
};

function statusHook(sidField: string, statusField: string): Handler {
  return async (deps, params) => {
    required(params, sidField, statusField);
    const sid = params[sidField]!;
    const status = params[statusField]!;
    const known = await deps.db.selectFrom('messages').select('id').where('provider_sid', '=', sid).executeTakeFirst();
    if (!known) return { effects: [], twiml: EMPTY_MESSAGE, defer: 'no message with this sid yet' };
    // Forward only: a late or out-of-order callback never moves a message back from a final status.
    const update = deps.db
      .updateTable('messages')
      .set({ status, error_code: params.ErrorCode || null, updated_at: deps.clock.now().toISOString() })
      .where('provider_sid', '=', sid)
      .where(sql<boolean>`${STATUS_RANK_SQL} < ${statusRank(status)}`)
      .compile();
    return { effects: [update], twiml: EMPTY_MESSAGE };
  };
}

export const messageStatusHook = statusHook('MessageSid', 'MessageStatus');
export const callStatusHook = statusHook('CallSid', 'CallStatus');

/** Handler and dedupe key of each kind, shared by the routes and the recovery pass. */
export const WEBHOOKS: Record<WebhookKind, { handler: Handler; key(params: Params): string }> = {
  sms: { handler: inboundSms, key: (p) => `sms:${p.MessageSid ?? ''}` },
  message_status: { handler: messageStatusHook, key: (p) => `message_status:${p.MessageSid ?? ''}:${p.MessageStatus ?? ''}` },
  voice: { handler: voiceScriptHook, key: (p) => `voice:${p.CallSid ?? ''}:${p._n ?? 0}` },
  gather: { handler: gatherHook, key: (p) => `gather:${p.CallSid ?? ''}:${p._n ?? 0}` },
  call_status: { handler: callStatusHook, key: (p) => `call_status:${p.CallSid ?? ''}:${p.CallStatus ?? ''}` },
};

/** Runs one webhook: store + effects in one batch, the TwiML answer after. */
export async function runWebhook(deps: Deps, kind: WebhookKind, params: Params, live = true): Promise<string> {
  const { handler, key } = WEBHOOKS[kind];
  const event: WebhookEvent = { kind, dedupeKey: key(params), params };
  let handled: Handled;
  try {
    handled = await handler(deps, params, live);
    if (handled.defer) {
      await storeUnprocessed(deps, event, handled.defer);
      return handled.twiml;
    }
    const result = await processEvent(deps, event, handled.effects);
    return result === 'duplicate' ? (handled.repeatTwiml ?? handled.twiml) : handled.twiml;
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') throw err;
    // Keep what Twilio sent, so it is not lost; the recovery pass applies it later.
    await storeUnprocessed(deps, event, err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  }
}

function route(kind: WebhookKind) {
  return async (c: Context<AppEnv>) => {
    const query = c.req.query();
    const params = { ...c.get('twilioParams'), ...(query.c ? { _c: query.c } : {}), ...(query.n ? { _n: query.n } : {}) };
    const twiml = await runWebhook(c.get('deps'), kind, params);
    return c.body(twiml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  };
}

export function twilioWebhooks() {
  const router = createRouter();
  router.use('/twilio/*', verifyTwilioSignature());
  router.post('/twilio/sms', route('sms'));
  router.post('/twilio/message-status', route('message_status'));
  router.post('/twilio/voice', route('voice'));
  router.post('/twilio/voice/gather', route('gather'));
  router.post('/twilio/call-status', route('call_status'));
  return router;
}
