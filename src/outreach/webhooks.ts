import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { CompiledQuery } from 'kysely';
import { sql } from 'kysely';
import type { WebhookKind } from '../db/schema/outreach.ts';
import { AppError, validationError, type FieldIssue } from '../errors.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { createRouter } from '../http/router.ts';
import { addDays } from '../shared/civil-date.ts';
import { sameSignature, twilioSignature } from './twilio-signature.ts';
import { instantAt, todayIn } from '../shared/time.ts';
import { planAnswer } from './answers.ts';
import { normaliseNumber } from './phone.ts';
import { parseKeypress, parseReply } from './reply.ts';
import { conversationContext } from './repository.ts';
import { statusRank, STATUS_RANK_SQL } from './status.ts';
import { VOICE_NO_INPUT, voiceScript } from './templates.ts';
import { MAX_PLAYS, ackTwiml, goodbyeTwiml, messagingTwiml, redirectTwiml, scriptTwiml } from './voice.ts';
import { processEvent, signatureSeen, storeUnprocessed, type WebhookEvent } from './webhook-events.ts';

/**
 * Twilio's webhooks (issue 3): inbound SMS, the call's TwiML, the keypress, message and call
 * status. Every request must carry a valid `X-Twilio-Signature` for the public URL it was sent
 * to; the event is stored with its effects before we answer; a repeat has no second effect, and
 * neither has the same signature sent again with other fields (issue 13, `checkedParams`).
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

/**
 * The account whose webhooks we accept: TWILIO_ACCOUNT_SID, or without Twilio credentials (the
 * embedded default) a fixed development account that `cli simulate-reply` signs as (issue 13).
 */
export const DEVELOPMENT_ACCOUNT_SID = 'AC' + '0'.repeat(32);

export function webhookAccountSid(config: Pick<Deps['config'], 'TWILIO_ACCOUNT_SID'>): string {
  return config.TWILIO_ACCOUNT_SID ?? DEVELOPMENT_ACCOUNT_SID;
}

/** A webhook request whose X-Twilio-Signature checked out. */
interface SignedForm {
  /** Every value of every form field, in the order sent. */
  fields: Map<string, string[]>;
  /** Digest of (URL, signature): a signature is accepted once, whatever its fields parse to. */
  signature: string;
}

/** 403 unless the signature matches the configured public URL (correct behind a TLS proxy). */
async function readSignedForm(c: Context<AppEnv>): Promise<SignedForm> {
  const deps = c.get('deps');
  const signature = c.req.header('x-twilio-signature');
  const fields = c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded') ? formFields(await c.req.text()) : new Map<string, string[]>();
  const url = deps.config.PUBLIC_BASE_URL + c.req.path + new URL(c.req.url).search;
  if (!signature || !(await signatureMatches(deps.twilioAuthToken, signature, url, signedParams(fields)))) {
    throw AppError.keyed('forbidden', { key: 'twilio_signature' });
  }
  return { fields, signature: signatureDigest(url, signature) };
}

/** What is stored of a request's signature: a digest of the URL it was signed for and the signature. */
export function signatureDigest(url: string, signature: string): string {
  return createHash('sha256').update(url).update('\n').update(signature).digest('base64url');
}

function formFields(body: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body)) {
    const values = fields.get(k);
    if (values) values.push(v);
    else fields.set(k, [v]);
  }
  return fields;
}

/** The fields as the SDK signs them: a repeated field as the list of its values. */
function signedParams(fields: Map<string, string[]>): Record<string, string | string[]> {
  return Object.fromEntries([...fields].map(([k, values]) => [k, values.length === 1 ? values[0]! : values]));
}

/**
 * `twilio.validateRequest`, first trying the URL exactly as we rebuilt it, through WebCrypto
 * (src/outreach/twilio-signature.ts, as the Worker will): it is always one of the forms the SDK
 * tries first (without and with the port), so a genuine request costs one HMAC and no URL
 * parsing. Anything else gets the SDK's full check (other spellings of the URL), with the same
 * answer.
 */
async function signatureMatches(authToken: string, signature: string, url: string, params: Record<string, string | string[]>): Promise<boolean> {
  if (sameSignature(signature, await twilioSignature(authToken, url, params))) return true;
  // Loaded only here: the SDK is CommonJS of some weight, and a genuine request never needs it.
  const { default: twilio } = await import('twilio');
  return twilio.validateRequest(authToken, signature, url, params);
}

/**
 * What a signed request may carry (issue 13). Twilio adds parameters over time, so the policy is
 * not a list of the names it sends today:
 * - any name that is a letter followed by letters, digits or `_` (every name Twilio documents) is
 *   accepted and stored, and ignored unless a handler reads it; other names are refused (400),
 *   among them `_c` / `_n`, our own names for the call's query parameters;
 * - a field that appears twice is refused (400): the SDK signs a repeated field as its values
 *   concatenated, so `Body=1&Body=2` carries the signature of a single `Body` of `1Body2`;
 * - at most 100 fields; `Body` at most 1,600 characters (Twilio's own limit for a message), any
 *   other value at most 4,096 (room for media URLs and an incoming call's `CallToken`; Add-ons,
 *   whose JSON results can be longer, must stay off for the number);
 * - the fields a webhook acts on must have their documented shape: `AccountSid` (AC + 32 hex) of
 *   this service's account (403 for another account: it is not ours), `MessageSid` (SM or MM + 32
 *   hex), `CallSid` (CA + 32 hex), statuses in lower case, `ErrorCode` digits, `From` present.
 */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_FIELDS = 100;
const MAX_VALUE = 4096;
const MAX_BODY = 1600;

const SHAPES = {
  account: [/^AC[0-9a-f]{32}$/i, 'must be AC followed by 32 hex digits'],
  message: [/^(SM|MM)[0-9a-f]{32}$/i, 'must be SM or MM followed by 32 hex digits'],
  call: [/^CA[0-9a-f]{32}$/i, 'must be CA followed by 32 hex digits'],
  status: [/^[a-z][a-z_-]{0,31}$/, 'must be a status word in lower case'],
  digits: [/^\d{1,10}$/, 'must be digits'],
  present: [/\S/, 'Twilio always sends this field'],
} as const satisfies Record<string, readonly [RegExp, string]>;
type Shape = keyof typeof SHAPES;

/** The fields each webhook acts on: required ones first, then optional ones (checked if sent). */
const FIELDS: Record<WebhookKind, { required: Partial<Record<string, Shape>>; optional?: Partial<Record<string, Shape>> }> = {
  sms: { required: { MessageSid: 'message', From: 'present' } },
  message_status: { required: { MessageSid: 'message', MessageStatus: 'status' }, optional: { ErrorCode: 'digits' } },
  voice: { required: { CallSid: 'call' } },
  gather: { required: { CallSid: 'call' } },
  call_status: { required: { CallSid: 'call', CallStatus: 'status' }, optional: { ErrorCode: 'digits' } },
};

/** Our own query parameters of the call's URLs: the conversation and the play. */
const QUERY: Record<string, readonly [RegExp, string]> = {
  c: [/^[0-9a-f-]{36}$/i, 'must be a conversation id'],
  n: [/^\d{1,2}$/, 'must be a play number'],
};

function issue(field: string, code: string, message: string): FieldIssue {
  return { field: field.slice(0, 64), code, message, text: { key: 'twilio_field', params: { rule: message } } };
}

function formIssues(fields: Map<string, string[]>): FieldIssue[] {
  if (fields.size > MAX_FIELDS) return [issue('body', 'too_many_fields', `at most ${MAX_FIELDS} parameters`)];
  const issues: FieldIssue[] = [];
  for (const [name, values] of fields) {
    const value = values[0]!;
    if (!NAME.test(name)) issues.push(issue(name, 'invalid_name', 'a parameter name is a letter followed by up to 63 letters, digits or _'));
    else if (values.length > 1) issues.push(issue(name, 'duplicate', 'a parameter may appear only once'));
    else if (name === 'Body' ? value.length > MAX_BODY && [...value].length > MAX_BODY : value.length > MAX_VALUE) {
      issues.push(issue(name, 'too_long', `at most ${name === 'Body' ? MAX_BODY : MAX_VALUE} characters`));
    }
    if (issues.length >= 10) break;
  }
  return issues;
}

function shapeIssues(params: Params, fields: Partial<Record<string, Shape>>, required: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [field, shape] of Object.entries(fields)) {
    const value = params[field];
    if (!value) {
      if (required) issues.push(issue(field, 'required', SHAPES.present[1]));
    } else if (!SHAPES[shape!][0].test(value)) issues.push(issue(field, 'invalid', SHAPES[shape!][1]));
  }
  return issues;
}

/**
 * The checked parameters of a signed request: 400 naming each bad field, 403 for another
 * account. Our query parameters of the call's URLs join them as `_c` and `_n`.
 */
function checkedParams(deps: Deps, kind: WebhookKind, fields: Map<string, string[]>, query: Record<string, string>): Params {
  const formProblems = formIssues(fields);
  if (formProblems.length > 0) throw validationError(formProblems);
  const params: Params = Object.fromEntries([...fields].map(([k, values]) => [k, values[0]!]));
  const account = params.AccountSid;
  const accountProblems = shapeIssues(params, { AccountSid: 'account' }, true);
  if (accountProblems.length === 0 && account!.toLowerCase() !== webhookAccountSid(deps.config).toLowerCase()) {
    throw AppError.keyed('forbidden', { key: 'twilio_account' });
  }
  const spec = FIELDS[kind];
  const issues = [...accountProblems, ...shapeIssues(params, spec.required, true), ...shapeIssues(params, spec.optional ?? {}, false)];
  if (kind === 'voice' || kind === 'gather') {
    for (const [name, [shape, message]] of Object.entries(QUERY)) {
      const value = query[name];
      if (value === undefined) continue;
      if (!shape.test(value)) issues.push(issue(name, 'invalid', message));
      else params[`_${name}`] = value;
    }
  }
  if (issues.length > 0) throw validationError(issues);
  return params;
}

function required(params: Params, ...names: string[]): void {
  const missing = names.filter((n) => !params[n]);
  if (missing.length > 0) {
    throw validationError(missing.map((field) => issue(field, 'required', 'Twilio always sends this field')));
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

/**
 * Runs one webhook: store + effects in one batch, the TwiML answer after. `signature` is the
 * request's digest; the recovery pass passes none and the stored one is kept.
 */
export async function runWebhook(deps: Deps, kind: WebhookKind, params: Params, live = true, signature: string | null = null): Promise<string> {
  const { handler, key } = WEBHOOKS[kind];
  const event: WebhookEvent = { kind, dedupeKey: key(params), params, signature };
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
  return async function twilioWebhook(c: Context<AppEnv>) {
    const deps = c.get('deps');
    const form = await readSignedForm(c);
    let params: Params;
    try {
      params = checkedParams(deps, kind, form.fields, c.req.query());
    } catch (err) {
      // A signature seen before is a replay, however its fields parse now (a boundary shift can
      // make them malformed): the empty answer of a duplicate, as Twilio expects for a repeat.
      if (err instanceof AppError && (await signatureSeen(deps, form.signature))) return twimlResponse(c, EMPTY_MESSAGE);
      throw err;
    }
    return twimlResponse(c, await runWebhook(deps, kind, params, true, form.signature));
  };
}

function twimlResponse(c: Context<AppEnv>, twiml: string): Response {
  return c.body(twiml, 200, { 'content-type': 'text/xml; charset=utf-8' });
}

export function twilioWebhooks() {
  const router = createRouter();
  router.post('/twilio/sms', route('sms'));
  router.post('/twilio/message-status', route('message_status'));
  router.post('/twilio/voice', route('voice'));
  router.post('/twilio/voice/gather', route('gather'));
  router.post('/twilio/call-status', route('call_status'));
  return router;
}
