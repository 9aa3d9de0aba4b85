/**
 * The console's small shared pieces (DESIGN.md "The staff console"): status badge, Chinese date,
 * masked value, form field with its error, flash message, breadcrumbs, the CSRF field. Pure
 * hono/jsx, auto-escaped.
 */
import type { Child, PropsWithChildren } from 'hono/jsx';
import type { CivilDate } from '../../shared/civil-date.ts';
import { dateTime, longDate, shortDate } from '../format.ts';
import { statusLabel, type Tone } from '../labels.ts';

export function Badge(props: PropsWithChildren<{ tone?: Tone }>) {
  return <span class={`badge badge-${props.tone ?? 'neutral'}`}>{props.children}</span>;
}

/** A status code in the words of labels.ts, coloured by its tone. */
export function StatusBadge(props: { status: string; kind?: 'run' | 'message' }) {
  const { label, tone } = statusLabel(props.status, props.kind);
  return <Badge tone={tone}>{label}</Badge>;
}

/** A calendar date; `long` adds the weekday (2026年12月7日 星期一). The machine value in `datetime`. */
export function DateText(props: { date: CivilDate | null | undefined; long?: boolean }) {
  if (!props.date) return <span class="muted">—</span>;
  return <time datetime={props.date}>{props.long ? longDate(props.date) : shortDate(props.date)}</time>;
}

/** An instant in China Standard Time. */
export function TimeText(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  return <time datetime={props.at}>{dateTime(props.at)}</time>;
}

/**
 * A value the role sees masked (RULES.md §6). The page passes what the service returned for this
 * role: the component only marks it, it never unmasks.
 */
export function Masked(props: { value: string; label?: string }) {
  return (
    <span class="masked" title={props.label ?? '已按权限遮挡'}>
      {props.value}
    </span>
  );
}

/** A labelled form control with its hint and, after a failed post, its error. */
export function Field(props: PropsWithChildren<{ label: string; name: string; error?: string | undefined; hint?: string }>) {
  const described = [props.hint ? `${props.name}-hint` : '', props.error ? `${props.name}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={props.error ? 'field field-error' : 'field'} data-field={props.name} aria-describedby={described || undefined}>
      <label for={props.name}>{props.label}</label>
      {props.hint ? <p class="hint" id={`${props.name}-hint`}>{props.hint}</p> : null}
      {props.error ? (
        <p class="error-text" id={`${props.name}-error`}>
          {props.error}
        </p>
      ) : null}
      {props.children}
    </div>
  );
}

/** The list of a failed form's errors, on top, each linking to its field. */
export function ErrorSummary(props: { errors: Record<string, string> }) {
  const entries = Object.entries(props.errors);
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1}>
      <h2>请修改以下内容</h2>
      <ul>
        {entries.map(([name, text]) => (
          <li>
            <a href={`#${name}`}>{text}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface FlashMessage {
  tone: 'good' | 'bad' | 'info';
  text: string;
}

export function Flash(props: { flash: FlashMessage | null }) {
  if (!props.flash) return null;
  return (
    <div class={`flash flash-${props.flash.tone}`} role={props.flash.tone === 'bad' ? 'alert' : 'status'}>
      {props.flash.text}
    </div>
  );
}

export interface Crumb {
  label: string;
  href?: string;
}

export function Breadcrumbs(props: { crumbs: readonly Crumb[] }) {
  if (props.crumbs.length === 0) return null;
  return (
    <nav class="breadcrumbs" aria-label="当前位置">
      <ol>
        {props.crumbs.map((crumb, i) => (
          <li>{crumb.href && i < props.crumbs.length - 1 ? <a href={crumb.href}>{crumb.label}</a> : <span aria-current="page">{crumb.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}

/** The hidden CSRF field every state-changing form carries (src/web/session.ts checks it). */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** A key figure: a label over a big number. */
export function Stat(props: { label: string; value: Child; note?: Child }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.note ? <div class="stat-note">{props.note}</div> : null}
    </div>
  );
}
