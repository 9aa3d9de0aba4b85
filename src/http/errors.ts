import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, type ErrorCode } from '../errors.ts';
import { localizeError } from '../i18n/localize.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import type { AppEnv } from './env.ts';
import { maskedPath } from './middleware.ts';

function codeForStatus(status: number): ErrorCode {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'too_many_requests';
  return status >= 500 ? 'internal' : 'validation_failed';
}

/** The one place where errors become responses: `{ error: { code, message, details, requestId } }`. */
export function renderError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? 'none';
  let appError: AppError;
  if (err instanceof AppError) appError = err;
  else if (err instanceof HTTPException) appError = new AppError(codeForStatus(err.status), err.message || 'request rejected');
  else {
    // Unexpected: log the stack (scrubbed by the logger), show nothing of it.
    c.get('deps')?.logger.error('unhandled error', { requestId, error: err.message, stack: err.stack });
    appError = AppError.keyed('internal', { key: 'internal_error' });
  }
  // zh-CN unless Accept-Language prefers English (issue 14); codes stay as they are.
  const locale = negotiateLocale(c.req.header('accept-language'));
  const { message, details } = localizeError(appError, locale);
  c.header('Content-Language', locale);
  const body = { error: { code: appError.code, message, details, requestId } };
  return c.json(body, appError.status);
}

/** The path is echoed masked: a mistyped URL may hold an ID number or a phone. */
export function renderNotFound(c: Context<AppEnv>): Response {
  return renderError(AppError.keyed('not_found', { key: 'no_route', params: { method: c.req.method, path: maskedPath(c.req.path) } }), c);
}
