import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake received it. */
export interface FakeTwilioRequest {
  method: string;
  path: string;
  /** Form fields, the last value of a repeated field. */
  params: Record<string, string>;
  /** Every value of every form field (StatusCallbackEvent is sent once per event). */
  paramLists: Record<string, string[]>;
  auth: { username: string; password: string } | null;
}

export interface FakeTwilioApi {
  /** e.g. `http://127.0.0.1:53211`, for TwilioSettings.apiBaseUrl. */
  url: string;
  requests: FakeTwilioRequest[];
  /** The next `count` (default 1) requests get this status and a Twilio-style error body. */
  failNext(status: number, options?: { code?: number; message?: string; count?: number }): void;
  /** The next `count` (default 1) requests are read and never answered. */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

type Plan = { kind: 'fail'; status: number; code: number | undefined; message: string } | { kind: 'hang' };
type Answer = { status: number; body: unknown };

const RESOURCE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|Calls)\.json$/;

/**
 * Twilio's REST API, as far as creating messages and calls goes: Basic auth, form bodies, 201
 * with the resource's JSON, Twilio's error body. Driven through the real SDK by the tests.
 */
export async function startFakeTwilioApi(opts: { accountSid: string; authToken: string }): Promise<FakeTwilioApi> {
  const requests: FakeTwilioRequest[] = [];
  const plans: Plan[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readRequest(req);
    requests.push(request);
    const plan = plans.shift();
    if (plan?.kind === 'hang') return;
    const answer = plan ? errorAnswer(plan.status, plan.message, plan.code) : route(request, opts);
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer.body));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, { code, message = `HTTP ${status}`, count = 1 } = {}) {
      for (let i = 0; i < count; i++) plans.push({ kind: 'fail', status, code, message });
    },
    hangNext(count = 1) {
      for (let i = 0; i < count; i++) plans.push({ kind: 'hang' });
    },
    close() {
      // Hanging and keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function readRequest(req: IncomingMessage): Promise<FakeTwilioRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const params: Record<string, string> = {};
  const paramLists: Record<string, string[]> = {};
  for (const [key, value] of form) {
    params[key] = value;
    (paramLists[key] ??= []).push(value);
  }
  const path = new URL(req.url ?? '/', 'http://fake').pathname;
  return { method: req.method ?? 'GET', path, params, paramLists, auth: basicAuth(req.headers.authorization) };
}

function basicAuth(header: string | undefined): FakeTwilioRequest['auth'] {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function route(request: FakeTwilioRequest, opts: { accountSid: string; authToken: string }): Answer {
  const { auth } = request;
  if (auth?.username !== opts.accountSid || auth.password !== opts.authToken) {
    return errorAnswer(401, 'Authenticate', 20003);
  }
  const match = RESOURCE.exec(request.path);
  if (request.method !== 'POST' || !match || match[1] !== opts.accountSid) {
    return errorAnswer(404, `The requested resource ${request.path} was not found`, 20404);
  }
  return match[2] === 'Messages' ? createMessage(request.params, opts.accountSid) : createCall(request.params, opts.accountSid);
}

function createMessage(params: Record<string, string>, accountSid: string): Answer {
  const { To: to, From: from, MessagingServiceSid: service, Body: body } = params;
  if (!to) return errorAnswer(400, "A 'To' phone number is required.", 21604);
  if (!from && !service) return errorAnswer(400, "A 'From' phone number is required.", 21603);
  if (!body) return errorAnswer(400, 'Message body is required.', 21602);
  const sid = 'SM' + hex32();
  const now = rfc2822Now();
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
  // Through a Messaging Service Twilio picks the sender later, so it answers `accepted` and no from.
  const status = from ? 'queued' : 'accepted';
  return {
    status: 201,
    body: {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: service ?? null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid,
      status,
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to,
      uri,
    },
  };
}

function createCall(params: Record<string, string>, accountSid: string): Answer {
  const { To: to, From: from } = params;
  if (!to) return errorAnswer(400, "A 'To' phone number is required.", 21201);
  if (!from) return errorAnswer(400, "A 'From' phone number is required.", 21213);
  if (!params.Url && !params.Twiml && !params.ApplicationSid) return errorAnswer(400, 'Url is required.', 21205);
  const sid = 'CA' + hex32();
  const now = rfc2822Now();
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
  return {
    status: 201,
    body: {
      account_sid: accountSid,
      annotation: null,
      answered_by: null,
      api_version: '2010-04-01',
      caller_name: null,
      date_created: now,
      date_updated: now,
      direction: 'outbound-api',
      duration: null,
      end_time: null,
      forwarded_from: null,
      from,
      from_formatted: from,
      group_sid: null,
      parent_call_sid: null,
      phone_number_sid: 'PN' + hex32(),
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid,
      start_time: null,
      status: 'queued',
      subresource_uris: { recordings: uri.replace('.json', '/Recordings.json') },
      to,
      to_formatted: to,
      trunk_sid: null,
      uri,
    },
  };
}

function errorAnswer(status: number, message: string, code: number | undefined): Answer {
  const coded = code === undefined ? {} : { code, more_info: `https://www.twilio.com/docs/errors/${code}` };
  return { status, body: { ...coded, message, status } };
}

function hex32(): string {
  return randomBytes(16).toString('hex');
}

/** Twilio dates look like `Thu, 26 Nov 2026 02:00:00 +0000`. */
function rfc2822Now(): string {
  return new Date().toUTCString().replace('GMT', '+0000');
}
