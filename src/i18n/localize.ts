import { AppError, type FieldIssue } from '../errors.ts';
import type { Locale } from './locale.ts';
import { genericMessage, isMessageKey, render, renderRef, type MessageRef } from './messages.ts';

/** An issue as the client reads it: the catalogue's sentence in `locale`; `text` is not sent. */
export function localizeIssue(issue: FieldIssue, locale: Locale): Omit<FieldIssue, 'text'> {
  const { text, ...rest } = issue;
  let message: string;
  if (text) message = renderRef(locale, text);
  else if (isMessageKey(issue.code) && !/\{\w+\}/.test(render('en', issue.code))) message = render(locale, issue.code);
  else message = locale === 'en' ? issue.message : `${render(locale, 'issue_generic')}：${issue.message}`;
  return { ...rest, message };
}

/**
 * A rejected registry row's error in `locale`: in English as stored ("file_number must be ..."),
 * in zh-CN as field then reason. A row stored before the catalogue (no `text`) keeps its English.
 */
export function localizeRowError<E extends { field: string; message: string; text?: MessageRef }>(e: E, locale: Locale): Omit<E, 'text'> {
  const { text, ...rest } = e;
  if (locale === 'en') return rest;
  return { ...rest, message: text ? `${e.field}：${renderRef(locale, text)}` : `${render(locale, 'issue_generic')}：${e.message}` };
}

function issuesOf(details: unknown): FieldIssue[] | null {
  if (typeof details !== 'object' || details === null) return null;
  const issues = (details as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as FieldIssue[]) : null;
}

/**
 * An error's message and details in `locale`. `invalid_request` is summed up from its issues as
 * worded for this locale; an error without a key (a site not converted yet) reads as the
 * generic sentence of its code followed by the English detail.
 */
export function localizeError(err: AppError, locale: Locale): { message: string; details: unknown } {
  const issues = issuesOf(err.details);
  const localIssues = issues?.map((i) => localizeIssue(i, locale)) ?? null;
  const details = localIssues ? { ...(err.details as object), issues: localIssues } : err.details;
  const separator = locale === 'en' ? ': ' : '：';
  let message: string;
  if ((err.text?.key === 'invalid_request' || err.text?.key === 'invalid_upload') && localIssues) {
    const summary = localIssues.map((i) => `${i.field}${separator}${i.message}`).join(locale === 'en' ? '; ' : '；');
    message = render(locale, err.text.key, { summary });
  } else if (err.text) message = renderRef(locale, err.text);
  else message = locale === 'en' ? err.message : `${genericMessage(locale, err.code)}：${err.message}`;
  return { message, details };
}
