import { sql } from 'kysely';
import twilio from 'twilio';
import { expect } from 'vitest';
import { webhookAccountSid } from '../../src/outreach/webhooks.ts';
import { TEST_TWILIO_TOKEN, postCsv, postJson, type TestApp } from './app.ts';
import { csv, row, type RowInput } from './registry-csv.ts';

export const PUBLIC_BASE = 'https://checkup.example.test';

/** Drivers due for a downgrade at 63 on 2026-12-20 (B2 holders born 1963-12-20), screened as of 2026-11-26. */
export async function seedDrivers(t: TestApp, drivers: [fileNumber: string, input: RowInput][]): Promise<void> {
  const rows = drivers.map(([file, input]) => row(file, { birth: '1963-12-20', classes: 'B2', ...input }));
  expect((await postCsv(t, csv(rows))).status).toBe(201);
  expect((await postJson(t, '/api/screenings', { asOf: '2026-11-26' })).status).toBe(201);
}

/**
 * A webhook request signed with the Twilio SDK's own signature function, as Twilio sends it:
 * with the app's AccountSid, as Twilio always sends one, unless `params` has its own (or
 * `accountSid: null` leaves it out).
 */
export function twilioPost(
  t: TestApp,
  path: string,
  params: Record<string, string>,
  options: { token?: string; signedUrl?: string; signature?: string | null; accountSid?: string | null } = {},
) {
  const account = options.accountSid === undefined ? webhookAccountSid(t.deps.config) : options.accountSid;
  const sent = account === null || 'AccountSid' in params ? params : { AccountSid: account, ...params };
  const url = options.signedUrl ?? PUBLIC_BASE + path;
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.token ?? TEST_TWILIO_TOKEN, url, sent) : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  return t.app.request(path, { method: 'POST', headers, body: new URLSearchParams(sent).toString() });
}

let counter = 0;
export const sid = (prefix: 'SM' | 'CA') => prefix + (++counter).toString(16).padStart(32, '0');

export function sms(t: TestApp, from: string, body: string, messageSid = sid('SM')) {
  return twilioPost(t, '/twilio/sms', { MessageSid: messageSid, From: from, To: '+15005550006', Body: body });
}

export async function conversationOf(t: TestApp, fileNumber: string) {
  return t.deps.db.selectFrom('conversations').selectAll().where('file_number', '=', fileNumber).orderBy('started_at', 'desc').executeTakeFirstOrThrow();
}

export async function stepsOf(t: TestApp, conversationId: string) {
  return t.deps.db.selectFrom('outreach_steps').selectAll().where('conversation_id', '=', conversationId).orderBy('seq').execute();
}

export async function runSteps(t: TestApp) {
  const res = await t.request('/api/outreach/run', { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as { sent: number; skipped: number; deferred: number; failed: number; listed: number; retrying: number };
}

export async function startOutreach(t: TestApp, body: Record<string, unknown> = {}) {
  const res = await postJson(t, '/api/outreach/start', body);
  expect(res.status).toBe(201);
  return (await res.json()) as { started: number; remaining: number };
}

export const hours = (n: number) => n * 3_600_000;

export function advance(t: TestApp, ms: number): void {
  t.clock.set(new Date(t.clock.now().getTime() + ms).toISOString());
}

/** Rows of every table a webhook can write, in one read: a rejected request must change none. */
export async function webhookRows(t: TestApp) {
  const { rows } = await sql<{ events: number; messages: number; answers: number; conversations: number; opt_outs: number }>`SELECT
      (SELECT count(*) FROM webhook_events) AS events, (SELECT count(*) FROM messages) AS messages,
      (SELECT count(*) FROM answers) AS answers, (SELECT count(*) FROM conversations) AS conversations,
      (SELECT count(*) FROM opt_outs) AS opt_outs`.execute(t.deps.db);
  return rows[0]!;
}

/**
 * A raw form body signed as the SDK signs what it parses to (a repeated field as the list of its
 * values): any body gets past the signature check, so what follows it is what is tested.
 */
export function signedBody(t: TestApp, path: string, body: string, options: { token?: string } = {}) {
  // No prototype: a field named __proto__ is a field like any other, as on the server.
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(body)) {
    const seen = Object.hasOwn(fields, k) ? fields[k]! : undefined;
    fields[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  const signature = twilio.getExpectedTwilioSignature(options.token ?? TEST_TWILIO_TOKEN, PUBLIC_BASE + path, fields);
  return t.app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body });
}
