import type { Locale } from '../i18n/locale.ts';
import { render } from '../i18n/messages.ts';

/**
 * Progress of long CLI work (issue 18: import, screening, key rotation): on a terminal one line
 * redrawn in place - a bar, the share done, the rate and the time left - and when piped (a log
 * file, a cron mail) a plain line every PLAIN_EVERY_MS, the first after that long, and a last one
 * if any was written: work that ends sooner adds nothing to a log. Written to stderr by the CLI:
 * stdout keeps the command's answer.
 */
export interface ProgressSink {
  isTTY?: boolean | undefined;
  columns?: number | undefined;
  write(text: string): unknown;
}

export type ProgressUnit = 'rows' | 'bytes' | 'seconds' | 'percent';

export interface Progress {
  /** `done` of the total so far (a total of null: counted, without a share or time left). */
  update(done: number): void;
  /** What it is doing now (e.g. writing after the reading), shown instead of the rate. */
  phase(words: string): void;
  /** The last line, all done; the bar is left on the screen. */
  finish(): void;
  /** Ends the line where it is (the work failed: what follows starts on a line of its own). */
  stop(): void;
}

const REDRAW_MS = 100;
export const PLAIN_EVERY_MS = 5_000;
const BAR = 24;

export interface ProgressLine {
  label: string;
  done: number;
  total: number | null;
  unit: ProgressUnit;
  elapsedMs: number;
  phase: string | null;
  locale: Locale;
  bar: boolean;
}

function amount(n: number, unit: Exclude<ProgressUnit, 'percent'>, locale: Locale): string {
  if (unit === 'bytes') return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GB` : `${(n / (1 << 20)).toFixed(1)} MB`;
  if (unit === 'seconds') return render(locale, 'progress_seconds', { n: Math.round(n) });
  return render(locale, 'progress_rows', { n: n.toLocaleString('en-US') });
}

function duration(ms: number, locale: Locale): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s >= 60 ? render(locale, 'progress_minutes', { m: Math.floor(s / 60), s: s % 60 }) : render(locale, 'progress_seconds', { n: s });
}

/** Pure: one progress line (no ANSI codes, no carriage return). */
export function progressLine(p: ProgressLine): string {
  const share = p.total && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  const parts: string[] = [];
  if (p.bar && share !== null) {
    const full = Math.round(share * BAR);
    parts.push(`[${'#'.repeat(full)}${'-'.repeat(BAR - full)}]`);
  }
  if (share !== null) parts.push(`${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`);
  // A share of a hundred says itself in the percentage; its time left is what counts.
  if (p.unit !== 'percent') parts.push(p.total !== null ? `${amount(p.done, p.unit, p.locale)} / ${amount(p.total, p.unit, p.locale)}` : amount(p.done, p.unit, p.locale));
  if (p.phase) parts.push(p.phase);
  else if (p.unit === 'percent') {
    if (share !== null && share > 0 && share < 1 && p.elapsedMs >= 1000) parts.push(render(p.locale, 'progress_left', { left: duration(((1 - share) / share) * p.elapsedMs, p.locale) }));
  } else if (p.unit !== 'seconds' && p.elapsedMs >= 1000 && p.done > 0) {
    const perSecond = p.done / (p.elapsedMs / 1000);
    parts.push(render(p.locale, 'progress_rate', { rate: p.unit === 'bytes' ? `${(perSecond / (1 << 20)).toFixed(1)} MB` : Math.round(perSecond).toLocaleString('en-US') }));
    if (share !== null && share < 1) parts.push(render(p.locale, 'progress_left', { left: duration(((1 - share) / share) * p.elapsedMs, p.locale) }));
  }
  return `${p.label}: ${parts.join('  ')}`;
}

export function startProgress(sink: ProgressSink, options: { label: string; total: number | null; unit: ProgressUnit; locale: Locale; now?: () => number }): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tty = sink.isTTY === true;
  let done = 0;
  let phase: string | null = null;
  let drawn = tty ? -Infinity : started;
  let lines = 0;
  let finished = false;
  const line = () => progressLine({ label: options.label, done, total: options.total, unit: options.unit, elapsedMs: now() - started, phase, locale: options.locale, bar: tty });
  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - drawn < (tty ? REDRAW_MS : PLAIN_EVERY_MS)) return;
    drawn = t;
    lines++;
    const text = line();
    if (!tty) return void sink.write(`${text}\n`);
    // Clear to the end of the line: the new text may be shorter than the old.
    // A terminal that gives no width (0 under some wrappers): the line is not cut.
    const width = sink.columns && sink.columns > 20 ? sink.columns - 1 : Infinity;
    sink.write(`\r${text.slice(0, width)}\x1b[K`);
  };
  return {
    update(n) {
      done = n;
      draw(false);
    },
    phase(words) {
      phase = words;
      draw(tty);
    },
    finish() {
      if (finished) return;
      finished = true;
      if (lines === 0 && !tty) return;
      if (options.total !== null) done = Math.max(done, options.total);
      phase = null;
      draw(true);
      if (tty) sink.write('\n');
    },
    stop() {
      if (finished) return;
      finished = true;
      if (tty && lines > 0) sink.write('\n');
    },
  };
}
