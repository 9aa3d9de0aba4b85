import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { AppError } from '../errors.ts';
import { maskIdNumber, maskPhone } from '../shared/mask.ts';
import { can, type Permission } from '../staff/permissions.ts';
import { findStaffByToken } from '../staff/repository.ts';
import { bearerToken } from '../staff/tokens.ts';
import { authThrottleOf } from './auth-throttle.ts';
import { clientAddress } from './client-address.ts';
import type { AppDeps, AppEnv } from './env.ts';

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** Puts the dependencies and a request id on the context; echoes the id in `X-Request-Id`. */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function requestContextMiddleware(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : deps.ids.next();
    c.set('deps', deps);
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    deps.logger.info('request', {
      requestId,
      method: c.req.method,
      ...requestTarget(c),
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      staffId: c.get('staff')?.id,
    });
  };
}

/*
 * What the request log says about the URL (RULES.md §6: no personal value in any log line). Not
 * the raw path: the route's template (`/api/licences/{fileNumber}`), its path parameters and its
 * query parameters, each value either of a known non-personal shape or masked. File numbers
 * identify one driver's record: masked to their last four digits. Community names are places, not
 * people: kept. Anything else (a parameter no route declares, a value of the wrong shape) is masked.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ENUM = /^[a-z_]{1,40}$/;
const COUNT = /^\d{1,6}$/;
const KEPT: Record<string, RegExp> = {
  id: UUID,
  caseId: UUID,
  c: UUID,
  n: COUNT,
  limit: COUNT,
  date: DATE,
  from: DATE,
  to: DATE,
  dueBefore: DATE,
  dueAfter: DATE,
  status: ENUM,
  category: ENUM,
  direction: ENUM,
  channel: ENUM,
  kind: ENUM,
  overdue: /^(true|false|1|0)$/,
  action: /^[a-z][a-z._-]{0,63}$/,
  community: /^[^\u0000-\u001f]{1,100}$/u,
};
const PARAM_NAME = /^[A-Za-z][\w.-]{0,40}$/;
const PATH_WORD = /^[A-Za-z][A-Za-z._-]{0,63}$/;
const MAX_LOGGED_PARAMS = 20;

/** `********0001`: a file number's last four digits. */
export function maskFileNumber(value: string): string {
  return /^\d{12}$/.test(value) ? `********${value.slice(-4)}` : maskValue(value);
}

/** Any value of unknown meaning: an ID or phone masked as RULES.md §6 says, anything else to its first character. */
export function maskValue(value: string): string {
  const compact = value.replace(/[\s-]/g, '');
  if (/^\d{17}[\dXx]$/.test(compact)) return maskIdNumber(compact);
  if (/^(?:\+?86|0086)?1[3-9]\d{9}$/.test(compact)) return maskPhone(compact.replace(/^(?:0086|\+?86)/, ''));
  const first = Array.from(value)[0] ?? '';
  return /\d/.test(first) ? '***' : `${first}***`;
}

function loggedValue(name: string, value: string): string {
  if (name === 'fileNumber') return maskFileNumber(value);
  return KEPT[name]?.test(value) ? value : maskValue(value);
}

/** A path of no known route, each segment that is not a plain word masked. */
export function maskedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment === '' || PATH_WORD.test(segment) ? segment : maskValue(segment)))
    .join('/');
}

/** The template of the route that answered (its last matched handler that is not middleware). */
function routeTemplate(c: Context<AppEnv>): string | null {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') return route.path;
  }
  return null;
}

function requestTarget(c: Context<AppEnv>): Record<string, unknown> {
  const template = routeTemplate(c);
  const target: Record<string, unknown> = template
    ? { route: template.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}'), ...pathParams(template, c.req.path) }
    : { route: null, path: maskedPath(c.req.path) };
  const query = Object.entries(c.req.queries()).slice(0, MAX_LOGGED_PARAMS);
  if (query.length > 0) {
    target.query = Object.fromEntries(
      query.map(([name, values]) => [PARAM_NAME.test(name) ? name : maskValue(name), values.map((v) => loggedValue(name, v)).join(',')]),
    );
  }
  return target;
}

/** The path parameters, read by aligning the template's segments with the request's. */
function pathParams(template: string, path: string): { params?: Record<string, string> } {
  const names = template.split('/');
  const values = path.split('/');
  const params: Record<string, string> = {};
  names.forEach((segment, i) => {
    const name = /^:(\w+)/.exec(segment)?.[1];
    if (name) params[name] = names.length === values.length ? loggedValue(name, values[i] ?? '') : maskValue(values[i] ?? '');
  });
  return Object.keys(params).length > 0 ? { params } : {};
}

/**
 * 401 without a valid token, 403 for a role without `permission` (DESIGN.md roles), 429 for a
 * client past its failed-attempt budget (auth-throttle.ts), checked before the token is looked at.
 */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async function requirePermissionMiddleware(c, next) {
    const deps = c.get('deps');
    const throttle = authThrottleOf(deps);
    const client = clientAddress(c, deps.config.TRUST_PROXY === 'on');
    const wait = throttle.blockedFor(client);
    if (wait > 0) throw tooManyFailures(c, wait);
    const token = bearerToken(c.req.header('authorization'));
    const staff = token ? await findStaffByToken(deps.db, token) : null;
    if (!staff) {
      // The limit is checked again as this failure is counted: a burst sent all at once passed
      // the check above together, before any of its look-ups ended.
      const { failures, retryAfter } = throttle.fail(client);
      if (failures === deps.config.AUTH_FAILURE_LIMIT) {
        // Once per window and client; no address: the line says an attack happened, not who.
        deps.logger.warn('failed token attempts reached AUTH_FAILURE_LIMIT: the client gets 429 until its window ends', { failures });
      }
      if (retryAfter > 0) throw tooManyFailures(c, retryAfter);
      c.header('WWW-Authenticate', 'Bearer');
      throw AppError.keyed('unauthorized', { key: 'token_required' });
    }
    if (!can(staff.role, permission)) {
      throw AppError.keyed('forbidden', { key: 'role_forbidden', params: { role: staff.role, permission } });
    }
    c.set('staff', staff);
    await next();
  };
}

function tooManyFailures(c: Context<AppEnv>, seconds: number): AppError {
  c.header('Retry-After', String(seconds));
  return AppError.keyed('too_many_requests', { key: 'too_many_token_failures', params: { seconds } }, { retryAfterSeconds: seconds });
}
