import type twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { ProviderError, type OutboundCall, type OutboundSms, type ProviderReceipt, type SentQuery, type Telephony } from '../ports.ts';
import type { Logger } from '../shared/logger.ts';
import { maskPhone } from '../shared/mask.ts';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** Messages from this number, or from a Messaging Service when messagingServiceSid is set; calls always from `from` */
  from?: string;
  messagingServiceSid?: string;
  /** e.g. http://127.0.0.1:4010 (tests, regional gateways): every SDK request to https://*.twilio.com goes there instead, keeping path and query. */
  apiBaseUrl?: string;
  /** Per request, in milliseconds. Default 10000. */
  timeoutMs?: number;
  /**
   * How the SDK's HTTP client (axios) sends: Node's http module (default), or `fetch` - on
   * Workers, where the SDK loads under nodejs_compat but requests through its http adapter never
   * complete (tried in workerd: ECONNABORTED after the timeout; test/workers/twilio-sdk.test.ts).
   */
  transport?: 'node' | 'fetch';
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The newest messages or calls to one number looked at when reconciling a claim. */
const LOOKUP_LIMIT = 100;
const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** Telephony through Twilio's REST API, with the official SDK. */
export function createTwilioTelephony(settings: TwilioSettings, logger: Logger): Telephony {
  const sender = smsSender(settings);
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The SDK is loaded with the first request, not at start: it is CommonJS of some weight (about
  // 0.1 s of every CLI start), and a deployment without Twilio never needs it.
  let loaded: Promise<TwilioClient> | undefined;
  const client = () =>
    (loaded ??= import('twilio').then(({ default: sdk }) => {
      // With an httpClient given, the SDK ignores its own timeout and autoRetry options: both are
      // set on the redirecting client.
      const httpClient = redirectingRequestClient(sdk, timeoutMs, settings.apiBaseUrl, settings.transport ?? 'node');
      return sdk(settings.accountSid, settings.authToken, { httpClient });
    }));

  return {
    provider: 'twilio',
    requestTimeoutMs: timeoutMs,
    async sendSms(sms: OutboundSms): Promise<ProviderReceipt> {
      const callback = sms.statusCallback === undefined ? {} : { statusCallback: sms.statusCallback };
      const create = async () => (await client()).messages.create({ to: sms.to, body: sms.body, ...sender, ...callback });
      return send(logger, 'sms', sms.to, create);
    },
    async placeCall(call: OutboundCall): Promise<ProviderReceipt> {
      if (!settings.from) throw new ProviderError('Twilio calls need a from number', false, 'config');
      const from = settings.from;
      const create = async () => (await client()).calls.create({ to: call.to, from, url: call.twimlUrl, method: 'POST', ...callbackParams(call) });
      return send(logger, 'call', call.to, create);
    },
    async findSent(query: SentQuery): Promise<ProviderReceipt[]> {
      try {
        const found = query.channel === 'sms' ? await sentMessages(await client(), query) : await placedCalls(await client(), query);
        logger.info('twilio lookup', { kind: query.channel, to: maskPhone(query.to), found: found.length });
        return found;
      } catch (error) {
        const failure = toProviderError(error);
        logger.warn('twilio lookup failed', { kind: query.channel, to: maskPhone(query.to), code: failure.code });
        throw failure;
      }
    },
  };
}

type TwilioClient = ReturnType<typeof twilio>;

type Created = { sid: string; status: string; direction: string; dateCreated: Date };

/**
 * Messages filtered by `To` only: Twilio's date filter is on `DateSent`, a day at a time, and a
 * message still queued has no `date_sent` yet, so the creation time and the exact text are
 * matched here, over the newest messages to that number.
 */
async function sentMessages(client: TwilioClient, query: SentQuery): Promise<ProviderReceipt[]> {
  const messages = await client.messages.list({ to: query.to, limit: LOOKUP_LIMIT, pageSize: LOOKUP_LIMIT });
  return ours(messages.filter((m) => m.body === query.body), query.since);
}

/** Calls filtered by `To`; `StartTime` too is empty while a call is queued. */
async function placedCalls(client: TwilioClient, query: SentQuery): Promise<ProviderReceipt[]> {
  return ours(await client.calls.list({ to: query.to, limit: LOOKUP_LIMIT, pageSize: LOOKUP_LIMIT }), query.since);
}

/** Created through the REST API (not an inbound message or call) since `since`, oldest first. */
function ours(created: Created[], since: Date): ProviderReceipt[] {
  return created
    .filter((c) => c.direction === 'outbound-api' && c.dateCreated instanceof Date && c.dateCreated.getTime() >= since.getTime())
    .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
    .map((c) => ({ sid: c.sid, status: c.status }));
}

/**
 * Rewrites `https://*.twilio.com/...` to the same path and query under `apiBaseUrl` (which may
 * carry a path prefix). Anything else is left alone.
 */
export function redirectTwilioUri(uri: string, apiBaseUrl: string): string {
  const url = new URL(uri);
  const isTwilio = url.protocol === 'https:' && (url.hostname === 'twilio.com' || url.hostname.endsWith('.twilio.com'));
  if (!isTwilio) return uri;
  const base = new URL(apiBaseUrl);
  return base.origin + base.pathname.replace(/\/+$/, '') + url.pathname + url.search;
}

/**
 * The SDK builds absolute https://*.twilio.com URIs (edge and region folded into the host) and
 * hands them to its http client; redirecting here catches every product domain at once.
 */
function redirectingRequestClient(sdk: typeof twilio, timeoutMs: number, apiBaseUrl: string | undefined, transport: 'node' | 'fetch'): RequestClient {
  class RedirectingRequestClient extends sdk.RequestClient {
    constructor(options: ConstructorParameters<typeof sdk.RequestClient>[0]) {
      super(options);
      // The SDK's own axios instance, whose every request goes through `request` below.
      if (transport === 'fetch') (this as unknown as { axios: { defaults: { adapter: unknown } } }).axios.defaults.adapter = 'fetch';
    }

    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      if (!apiBaseUrl) return super.request(opts);
      return super.request({ ...opts, uri: redirectTwilioUri(opts.uri, apiBaseUrl) });
    }
  }
  // autoRetry off (the SDK's default too): it would resend a POST after a 429 behind our back,
  // and a step must never go out twice. `timeout` covers both the socket and the whole request.
  return new RedirectingRequestClient({ timeout: timeoutMs, autoRetry: false });
}

async function send(
  logger: Logger,
  kind: 'sms' | 'call',
  to: string,
  create: () => Promise<{ sid: string; status: string }>,
): Promise<ProviderReceipt> {
  try {
    const { sid, status } = await create();
    logger.info('twilio accepted', { kind, to: maskPhone(to), sid, status });
    return { sid, status };
  } catch (error) {
    const failure = toProviderError(error);
    logger.warn('twilio failed', { kind, to: maskPhone(to), code: failure.code, retryable: failure.retryable });
    throw failure;
  }
}

/**
 * Twilio's own message is left out on purpose: it often quotes the number ("The 'To' number
 * +86... is not a valid phone number"). The SDK error is not kept as `cause` either, since an
 * axios error carries the whole request body.
 */
function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const status = httpStatusOf(error);
  if (status !== null) {
    const twilioCode = numberField(error, 'code');
    const code = twilioCode ? String(twilioCode) : `http-${status}`;
    // 429 and 5xx: Twilio did not take the request, so sending again cannot send twice.
    const retryable = status === 429 || status >= 500;
    return new ProviderError(`Twilio answered HTTP ${status} (code ${code})`, retryable, code);
  }
  if (isAxiosError(error)) {
    // No answer: the request may have reached Twilio, so it must not be sent again.
    const reason = typeof error.code === 'string' ? error.code : 'no response';
    return new ProviderError(`Twilio did not answer (${reason})`, false, 'network');
  }
  return new ProviderError('Twilio request failed unexpectedly', false, 'unknown');
}

/** RestException and the newer TwilioServiceException both carry the HTTP status. */
function httpStatusOf(error: unknown): number | null {
  if (isAxiosError(error)) return null;
  return numberField(error, 'status');
}

function numberField(value: unknown, key: string): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'number' ? field : null;
}

function isAxiosError(error: unknown): error is { isAxiosError: true; code?: unknown } {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

function smsSender(settings: TwilioSettings): { messagingServiceSid: string } | { from: string } {
  if (settings.messagingServiceSid) return { messagingServiceSid: settings.messagingServiceSid };
  if (settings.from) return { from: settings.from };
  throw new Error('Twilio needs a from number or a messagingServiceSid');
}

/** Status callbacks only when asked for: without one the events would have nowhere to go. */
function callbackParams(call: OutboundCall) {
  if (!call.statusCallback) return {};
  return { statusCallback: call.statusCallback, statusCallbackMethod: 'POST', statusCallbackEvent: CALL_EVENTS };
}
