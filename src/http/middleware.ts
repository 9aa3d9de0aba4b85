import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors.ts';
import { can, type Permission } from '../staff/permissions.ts';
import { findStaffByToken } from '../staff/repository.ts';
import { bearerToken } from '../staff/tokens.ts';
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
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      staffId: c.get('staff')?.id,
    });
  };
}

/** 401 without a valid token, 403 for a role without `permission` (DESIGN.md roles). */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async function requirePermissionMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    const staff = token ? await findStaffByToken(c.get('deps').db, token) : null;
    if (!staff) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', 'a valid API token is required: Authorization: Bearer TOKEN');
    }
    if (!can(staff.role, permission)) {
      throw new AppError('forbidden', `the role ${staff.role} may not do this (needs ${permission})`);
    }
    c.set('staff', staff);
    await next();
  };
}
