import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { renderRef, type MessageRef } from './i18n/messages.ts';

/** The closed set of error codes and their HTTP statuses (DESIGN.md "Errors"). */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_file: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** An Idempotency-Key sent again with another request body (issue 16). */
  idempotency_mismatch: 409,
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
  /** In English (logs); the client reads `text` rendered in its language (src/i18n). */
  message: string;
  line?: number;
  /** The catalogue sentence; without it the issue's `code` is tried as a key. Not sent as such. */
  text?: MessageRef;
}

/** A field issue worded by the catalogue (its English sentence kept as `message`). */
export function fieldIssue(field: string, code: string, text: MessageRef): FieldIssue {
  return { field, code, message: renderRef('en', text), text };
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** The catalogue sentence the client reads; without it, the code's generic one + `message`. */
  readonly text: MessageRef | undefined;

  constructor(code: ErrorCode, message: string, details?: unknown, text?: MessageRef) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.text = text;
  }

  /** An error worded by the catalogue; its English sentence is the message (for logs). */
  static keyed(code: ErrorCode, text: MessageRef, details?: unknown): AppError {
    return new AppError(code, renderRef('en', text), details, text);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function validationError(issues: FieldIssue[]): AppError {
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new AppError('validation_failed', `invalid request: ${summary}`, { issues }, { key: 'invalid_request', params: { summary } });
}
