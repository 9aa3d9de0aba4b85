/** Forms of the console: an AppError's field issues as the words each field shows. */
import type { AppError } from '../errors.ts';
import { renderRef, type MessageRef } from '../i18n/messages.ts';

/** An AppError's field issues as `{ field: text }` in Chinese, for a form (the first issue of each field). */
export function fieldErrors(err: AppError): Record<string, string> {
  const issues = (err.details as { issues?: { field: string; message: string; text?: MessageRef }[] } | undefined)?.issues ?? [];
  const out: Record<string, string> = {};
  for (const i of issues) out[i.field] ??= i.text ? renderRef('zh-CN', i.text) : i.message;
  return out;
}
