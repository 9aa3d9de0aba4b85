import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The closed set of error codes and their HTTP statuses (DESIGN.md "Errors"). */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_file: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** Too many failed token attempts from one client: wait `Retry-After` seconds. */
  too_many_requests: 429,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One failing field: `field` names it, `code` says why, `message` in words (no personal data). */
export interface FieldIssue {
  field: string;
  code: string;
  message: string;
  line?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function validationError(issues: FieldIssue[]): AppError {
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new AppError('validation_failed', `invalid request: ${summary}`, { issues });
}
