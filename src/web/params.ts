/** A page's path parameters: an id that is not one is the page of nothing (404), before any query. */
import { AppError } from '../errors.ts';
import type { MessageRef } from '../i18n/messages.ts';

const UUID_SHAPE = /^[0-9a-f-]{36}$/i;

/** `value` when it has the shape of an id, else the not-found error `notFound`. */
export function requireId(value: string | undefined, notFound: MessageRef): string {
  if (value === undefined || !UUID_SHAPE.test(value)) throw AppError.keyed('not_found', notFound);
  return value;
}

/** `value` when it has the shape of an id, else undefined (a form's optional id). */
export function idOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && UUID_SHAPE.test(value) ? value : undefined;
}
