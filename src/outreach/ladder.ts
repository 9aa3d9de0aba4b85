import type { StepChannel } from '../db/schema/outreach.ts';
import { addDays } from '../shared/civil-date.ts';
import { instantAt, todayIn } from '../shared/time.ts';

/**
 * The outreach ladder (issue 3): an SMS; no answer after 48 h, a voice call; no answer, a second
 * call the next day; then the staff call list. Written as steps separated by commas, each with
 * the wait after the previous step: `sms, voice+48h, voice+24h, call_list+24h`.
 */
export interface LadderStep {
  channel: StepChannel;
  /** Hours to wait after the previous step (the first step: after the start). */
  afterHours: number;
}

export const DEFAULT_LADDER = 'sms, voice+48h, voice+24h, call_list+24h';

const STEP = /^(sms|voice|call_list)(?:\+(\d{1,4})h)?$/;

export function parseLadder(text: string): LadderStep[] {
  const steps = text.split(',').map((part) => {
    const m = STEP.exec(part.trim());
    if (!m) throw new Error(`"${part.trim()}" is not a step: write sms, voice or call_list, optionally +Nh`);
    return { channel: m[1] as StepChannel, afterHours: Number(m[2] ?? 0) };
  });
  const last = steps.at(-1);
  if (!last || last.channel !== 'call_list') throw new Error('must end with call_list+Nh: the staff call list');
  if (steps.slice(0, -1).some((s) => s.channel === 'call_list')) throw new Error('call_list may only be the last step');
  if (!steps.some((s) => s.channel === 'voice')) throw new Error('needs a voice step: landlines get calls only');
  return steps;
}

export function ladderProblem(text: string): string | null {
  try {
    parseLadder(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The ladder for one number. A landline cannot receive SMS (RULES.md §2): its SMS steps are
 * dropped, and a wait that followed a dropped step is counted from the step before it.
 */
export function ladderFor(ladder: readonly LadderStep[], phoneKind: 'mobile' | 'landline'): LadderStep[] {
  if (phoneKind === 'mobile') return [...ladder];
  const kept: LadderStep[] = [];
  let carried = 0;
  for (const step of ladder) {
    if (step.channel === 'sms') {
      carried += step.afterHours;
      continue;
    }
    // The first call of a landline goes out when the SMS would have.
    kept.push({ channel: step.channel, afterHours: kept.length === 0 ? carried : step.afterHours });
    carried = 0;
  }
  return kept;
}

/** When a step due at `dueAt` may go: at once, or the next opening of the sending window. */
export interface SendingWindow {
  from: string;
  to: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function parseWindow(text: string): SendingWindow {
  const [from, to, ...rest] = text.split('-').map((s) => s.trim());
  if (!from || !to || rest.length > 0 || !HHMM.test(from) || !HHMM.test(to)) throw new Error('must be HH:MM-HH:MM, e.g. 08:00-20:00');
  if (from >= to) throw new Error('the window must start before it ends on the same day');
  return { from, to };
}

export function windowProblem(text: string): string | null {
  try {
    parseWindow(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** `now` if it is inside the window (Asia/Shanghai), else the window's next opening. */
export function nextSendingTime(now: Date, window: SendingWindow): Date {
  const today = todayIn(now);
  const opens = instantAt(today, window.from);
  const closes = instantAt(today, window.to);
  if (now < opens) return opens;
  if (now < closes) return now;
  return instantAt(addDays(today, 1), window.from);
}

export function hoursAfter(at: Date, hours: number): Date {
  return new Date(at.getTime() + hours * 3_600_000);
}
