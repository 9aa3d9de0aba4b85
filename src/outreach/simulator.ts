import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { AppError } from '../errors.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { normaliseNumber } from './phone.ts';
import { webhookAccountSid, webhookUrl } from './webhooks.ts';
import { twilioSignature } from './twilio-signature.ts';

/**
 * The driver's side, played locally (issue 3: `npm run cli -- simulate-reply`): a reply SMS or a
 * keypress is signed exactly as Twilio signs it and sent through the app's real webhook, from
 * the configured account (or, without Twilio credentials, the development account).
 */
export interface SimulatedAnswer {
  status: number;
  /** The SMS the driver gets back, or the TwiML of the call. */
  reply: string | null;
  conversationStatus: string | null;
}

export async function signedForm(deps: Pick<AppDeps, 'config' | 'twilioAuthToken'>, path: string, params: Record<string, string>): Promise<RequestInit> {
  const signature = await twilioSignature(deps.twilioAuthToken, webhookUrl(deps, '') + path, params);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  };
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/** Who answers: a phone number as the driver's phone sends it, or the driver of a file number or a case. */
export type SimulatedDriver = { phone: string } | { fileNumber: string } | { caseId: string };

/**
 * The full number a simulated driver answers from. A masked number (as `outreach messages` prints
 * it) or one that no licence and no conversation has is refused with what to give instead: a
 * reply from it would only land in the inbox, and the reader would think the driver answered.
 */
export async function simulatedNumber(deps: Pick<AppDeps, 'db'>, driver: SimulatedDriver): Promise<string> {
  if ('phone' in driver) {
    if (driver.phone.includes('*')) throw AppError.keyed('validation_failed', { key: 'simulate_masked_phone' });
    const phone = normaliseNumber(driver.phone);
    const known =
      (await deps.db.selectFrom('conversations').select('id').where('phone', '=', phone).executeTakeFirst()) ??
      (await deps.db.selectFrom('licences').select('file_number').where('phone', '=', phone).executeTakeFirst());
    if (!known) throw AppError.keyed('not_found', { key: 'simulate_unknown_phone' });
    return phone;
  }
  const fileNumber =
    'fileNumber' in driver
      ? driver.fileNumber
      : (await deps.db.selectFrom('cases').select('file_number').where('id', '=', driver.caseId).executeTakeFirst())?.file_number;
  if (fileNumber === undefined) throw AppError.keyed('not_found', { key: 'simulate_unknown_case' });
  const licence = await deps.db.selectFrom('licences').select('phone').where('file_number', '=', fileNumber).executeTakeFirst();
  if (!licence) throw AppError.keyed('not_found', { key: 'simulate_unknown_file_number' });
  return licence.phone;
}

export async function simulateReply(
  deps: AppDeps,
  app: Hono<AppEnv>,
  input: { phone: string; text?: string | undefined; digits?: string | undefined },
): Promise<SimulatedAnswer> {
  const phone = normaliseNumber(input.phone);
  const conversation = () =>
    deps.db.selectFrom('conversations').select(['id', 'status']).where('phone', '=', phone).orderBy('started_at', 'desc').executeTakeFirst();
  let path: string;
  let params: Record<string, string>;
  if (input.digits !== undefined) {
    const current = await conversation();
    if (!current) return { status: 404, reply: null, conversationStatus: null };
    path = `/twilio/voice/gather?c=${current.id}&n=0`;
    params = { AccountSid: webhookAccountSid(deps.config), CallSid: sid('CA'), From: deps.config.TWILIO_FROM_NUMBER ?? '+10000000000', To: phone, Digits: input.digits };
  } else {
    path = '/twilio/sms';
    params = { AccountSid: webhookAccountSid(deps.config), MessageSid: sid('SM'), From: phone, To: deps.config.TWILIO_FROM_NUMBER ?? '+10000000000', Body: input.text ?? '' };
  }
  const res = await app.request(path, await signedForm(deps, path, params));
  const xml = await res.text();
  const message = /<Message>([\s\S]*?)<\/Message>/.exec(xml)?.[1] ?? null;
  return { status: res.status, reply: input.digits !== undefined ? xml : unescapeXml(message), conversationStatus: (await conversation())?.status ?? null };
}

function unescapeXml(text: string | null): string | null {
  return text === null ? null : text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
