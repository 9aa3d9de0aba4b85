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
  /** Query parameters (list requests: To, PageSize). */
  query: Record<string, string>;
  auth: { username: string; password: string } | null;
}

/** A message or call the fake accepted (what Twilio would then hold). */
export interface FakeTwilioResource {
  kind: 'message' | 'call';
  sid: string;
  to: string;
  body: string | null;
  status: string;
  createdAt: Date;
  /** The JSON Twilio answers with for this resource. */
  json: Record<string, unknown>;
}

/**
 * What the test does around a create: `beforeCreate` may answer 'drop' (nothing is created and the
 * connection is cut: the sender died before Twilio took it); `afterAccept` runs once the resource
 * exists and before the answer leaves (kill the sender here: Twilio took it, the sender never knew).
 */
export interface FakeTwilioHooks {
  beforeCreate?: (request: FakeTwilioRequest) => Promise<'drop' | void> | 'drop' | void;
  afterAccept?: (resource: FakeTwilioResource) => Promise<'drop' | void> | 'drop' | void;
}

export interface FakeTwilioApi {
  /** e.g. `http://127.0.0.1:53211`, for TwilioSettings.apiBaseUrl. */
  url: string;
  requests: FakeTwilioRequest[];
  /** Every message and call created, in order. */
  created: FakeTwilioResource[];
  /**
   * The next `count` (default 1) requests get this status and a Twilio-style error body; with
   * `method`, only requests of that method (GET: the list look-ups, POST: the creates).
   */
  failNext(status: number, options?: { code?: number; message?: string; count?: number; method?: 'GET' | 'POST' }): void;
  /** The next `count` (default 1) requests are read and never answered. */
  hangNext(count?: number): void;
  /** Replaces the create hooks (none: plain Twilio). */
  setHooks(hooks: FakeTwilioHooks): void;
  close(): Promise<void>;
}

type Plan = ({ kind: 'fail'; status: number; code: number | undefined; message: string } | { kind: 'hang' }) & { method?: 'GET' | 'POST' };
type Answer = { status: number; body: unknown };

const RESOURCE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|Calls)\.json$/;

/**
 * Twilio's REST API, as far as creating and listing messages and calls goes: Basic auth, form
 * bodies, 201 with the resource's JSON, list pages filtered by `To` (newest first), Twilio's error
 * body. Driven through the real SDK by the tests. `now` dates the resources (a test's clock).
 */
export async function startFakeTwilioApi(opts: { accountSid: string; authToken: string; now?: () => Date }): Promise<FakeTwilioApi> {
  const requests: FakeTwilioRequest[] = [];
  const created: FakeTwilioResource[] = [];
  const plans: Plan[] = [];
  let hooks: FakeTwilioHooks = {};
  const now = opts.now ?? (() => new Date());
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readRequest(req);
    requests.push(request);
    const index = plans.findIndex((p) => p.method === undefined || p.method === request.method);
    const plan = index < 0 ? undefined : plans.splice(index, 1)[0];
    if (plan?.kind === 'hang') return;
    const answer = plan ? errorAnswer(plan.status, plan.message, plan.code) : await answerFor(request);
    if (answer === 'drop') {
      res.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer.body));
  }

  async function answerFor(request: FakeTwilioRequest): Promise<Answer | 'drop'> {
    const answer = route(request, opts, created, now);
    if (!('create' in answer)) return answer;
    if ((await hooks.beforeCreate?.(request)) === 'drop') return 'drop';
    const resource = answer.create();
    if (!resource) return answer;
    created.push(resource);
    if ((await hooks.afterAccept?.(resource)) === 'drop') return 'drop';
    return { status: 201, body: resource.json };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    created,
    failNext(status, { code, message = `HTTP ${status}`, count = 1, method } = {}) {
      for (let i = 0; i < count; i++) plans.push({ kind: 'fail', status, code, message, ...(method ? { method } : {}) });
    },
    hangNext(count = 1) {
      for (let i = 0; i < count; i++) plans.push({ kind: 'hang' });
    },
    setHooks(next) {
      hooks = next;
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
  const url = new URL(req.url ?? '/', 'http://fake');
  const query = Object.fromEntries(url.searchParams);
  return { method: req.method ?? 'GET', path: url.pathname, params, paramLists, query, auth: basicAuth(req.headers.authorization) };
}

function basicAuth(header: string | undefined): FakeTwilioRequest['auth'] {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** An error or list answer, or a resource to create once the hooks allow it (null: refused). */
type Routed = Answer | { status: 201; body: null; create: () => FakeTwilioResource | null };

function route(request: FakeTwilioRequest, opts: { accountSid: string; authToken: string }, created: FakeTwilioResource[], now: () => Date): Answer | Routed {
  const { auth } = request;
  if (auth?.username !== opts.accountSid || auth.password !== opts.authToken) {
    return errorAnswer(401, 'Authenticate', 20003);
  }
  const match = RESOURCE.exec(request.path);
  if (!match || match[1] !== opts.accountSid || (request.method !== 'POST' && request.method !== 'GET')) {
    return errorAnswer(404, `The requested resource ${request.path} was not found`, 20404);
  }
  const kind = match[2] === 'Messages' ? 'message' : 'call';
  if (request.method === 'GET') return listPage(request, opts.accountSid, kind, created);
  const invalid = kind === 'message' ? invalidMessage(request.params) : invalidCall(request.params);
  if (invalid) return invalid;
  return {
    status: 201,
    body: null,
    create: () => (kind === 'message' ? createMessage(request.params, opts.accountSid, now()) : createCall(request.params, opts.accountSid, now())),
  };
}

/** One page (the only one) of the resources to `To`, newest first, as Twilio's list answers. */
function listPage(request: FakeTwilioRequest, accountSid: string, kind: 'message' | 'call', created: FakeTwilioResource[]): Answer {
  const { To: to, PageSize: pageSize = '50' } = request.query;
  const size = Math.min(1000, Number(pageSize) || 50);
  const items = created.filter((r) => r.kind === kind && (to === undefined || r.to === to)).reverse().slice(0, size);
  const uri = `/2010-04-01/Accounts/${accountSid}/${kind === 'message' ? 'Messages' : 'Calls'}.json`;
  return {
    status: 200,
    body: {
      [kind === 'message' ? 'messages' : 'calls']: items.map((r) => r.json),
      end: Math.max(0, items.length - 1),
      first_page_uri: `${uri}?PageSize=${size}&Page=0`,
      next_page_uri: null,
      page: 0,
      page_size: size,
      previous_page_uri: null,
      start: 0,
      uri: `${uri}?PageSize=${size}&Page=0`,
    },
  };
}

function invalidMessage(params: Record<string, string>): Answer | null {
  const { To: to, From: from, MessagingServiceSid: service, Body: body } = params;
  if (!to) return errorAnswer(400, "A 'To' phone number is required.", 21604);
  if (!from && !service) return errorAnswer(400, "A 'From' phone number is required.", 21603);
  if (!body) return errorAnswer(400, 'Message body is required.', 21602);
  return null;
}

function createMessage(params: Record<string, string>, accountSid: string, at: Date): FakeTwilioResource {
  const { To: to = '', From: from, MessagingServiceSid: service, Body: body = '' } = params;
  const sid = 'SM' + hex32();
  const date = rfc2822(at);
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
  // Through a Messaging Service Twilio picks the sender later, so it answers `accepted` and no from.
  const status = from ? 'queued' : 'accepted';
  const json = {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body,
    date_created: date,
    date_sent: null,
    date_updated: date,
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
  };
  return { kind: 'message', sid, to, body, status, createdAt: at, json };
}

function invalidCall(params: Record<string, string>): Answer | null {
  const { To: to, From: from } = params;
  if (!to) return errorAnswer(400, "A 'To' phone number is required.", 21201);
  if (!from) return errorAnswer(400, "A 'From' phone number is required.", 21213);
  if (!params.Url && !params.Twiml && !params.ApplicationSid) return errorAnswer(400, 'Url is required.', 21205);
  return null;
}

function createCall(params: Record<string, string>, accountSid: string, at: Date): FakeTwilioResource {
  const { To: to = '', From: from = '' } = params;
  const sid = 'CA' + hex32();
  const date = rfc2822(at);
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
  const json = {
    account_sid: accountSid,
    annotation: null,
    answered_by: null,
    api_version: '2010-04-01',
    caller_name: null,
    date_created: date,
    date_updated: date,
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
  };
  return { kind: 'call', sid, to, body: null, status: 'queued', createdAt: at, json };
}

function errorAnswer(status: number, message: string, code: number | undefined): Answer {
  const coded = code === undefined ? {} : { code, more_info: `https://www.twilio.com/docs/errors/${code}` };
  return { status, body: { ...coded, message, status } };
}

function hex32(): string {
  return randomBytes(16).toString('hex');
}

/** Twilio dates look like `Thu, 26 Nov 2026 02:00:00 +0000` (whole seconds). */
function rfc2822(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}
