/** The outreach pages' shared pieces: the tab bar with how many wait on each, the driver and ladder cells, refusals as flash. */
import type { Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { callListCount, conversationCount, type ConversationView } from '../../outreach/conversations.ts';
import { countInbox } from '../../outreach/inbox.ts';
import { countOptOuts } from '../../outreach/opt-outs.ts';
import { Badge, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { setFlash } from '../session.tsx';
import { ladderMarks } from './outreach-labels.ts';

export const OUTREACH = '/console/outreach';
export const OUTREACH_CRUMBS: Crumb[] = [
  { label: '工作台', href: '/console' },
  { label: '通知与回复', href: OUTREACH },
];

export interface TabCounts {
  conversations: number;
  calls: number;
  inbox: number;
  optOuts: number;
}

export type OutreachTab = keyof TabCounts;

export async function tabCounts(deps: Pick<AppDeps, 'db'>): Promise<TabCounts> {
  const [conversations, calls, inbox, optOuts] = await Promise.all([conversationCount(deps.db), callListCount(deps.db), countInbox(deps, 'open'), countOptOuts(deps.db)]);
  return { conversations, calls, inbox, optOuts };
}

const TABS: { tab: OutreachTab; href: string; label: string }[] = [
  { tab: 'conversations', href: OUTREACH, label: '通知进度' },
  { tab: 'calls', href: `${OUTREACH}/calls`, label: '人工电话' },
  { tab: 'inbox', href: `${OUTREACH}/inbox`, label: '待处理回复' },
  { tab: 'optOuts', href: `${OUTREACH}/opt-outs`, label: '退订' },
];

export function OutreachTabs(props: { current: OutreachTab; counts: TabCounts }) {
  return (
    <nav class="tabs" aria-label="通知与回复">
      <ul>
        {TABS.map((t) => (
          <li>
            <a href={t.href} aria-current={t.tab === props.current ? 'page' : undefined}>
              {t.label}
              <span class="tab-count" data-count={t.tab}>
                {count(props.counts[t.tab])}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function DriverCell(props: { fileNumber: string; name: string }) {
  return (
    <>
      <a href={`/console/drivers/${props.fileNumber}`}>{props.name}</a>
      <br />
      <span class="muted">{props.fileNumber}</span>
    </>
  );
}

export function LadderCell(props: { conversation: ConversationView }) {
  return (
    <ol class="ladder">
      {ladderMarks(props.conversation).map((m) => (
        <li>
          <Badge tone={m.tone}>{m.label}</Badge>
        </li>
      ))}
    </ol>
  );
}


/** A service's refusal of a form (not found, already done, closed) as a flash on the page it came from. */
export function refusedFlash(c: Context<AppEnv>, err: unknown, back: string) {
  if (!(err instanceof AppError) || err.code === 'validation_failed') throw err;
  setFlash(c, { tone: 'bad', text: `没有执行：${localizeError(err, 'zh-CN').message}` });
  return c.redirect(back, 303);
}

/** A text field of a posted form, trimmed; '' when absent or a file. */
export function formText(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A failed form of a list of cards: the item it belongs to, what was typed, and the errors by field. */
export interface FailedForm {
  id: string;
  values: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * What one card's form shows: its own typed values and errors when the failed post was its own,
 * ids of its own (each form on the page has its fields), and the errors keyed by those ids for
 * the summary's links.
 */
export function cardForm(id: string, failed: FailedForm | undefined) {
  const own = failed?.id === id ? failed : undefined;
  const values = own?.values ?? {};
  const errors = own?.errors ?? {};
  const fid = (name: string) => `${name}-${id}`;
  const linked = Object.fromEntries(Object.entries(errors).map(([name, text]) => [fid(name), text]));
  return { values, errors, fid, linked };
}

/** A required choice of radio buttons with its legend and error. */
export function Choices<V extends string>(props: { name: string; legend: string; id: string; error?: string | undefined; options: readonly V[]; labels: Record<V, string>; checked?: string | undefined }) {
  return (
    <fieldset class={props.error ? 'choices field-error' : 'choices'} id={props.id}>
      <legend>{props.legend}</legend>
      {props.error ? <p class="error-text">{props.error}</p> : null}
      {props.options.map((o) => (
        <label class="choice">
          <input type="radio" name={props.name} value={o} checked={props.checked === o} required />
          {props.labels[o]}
        </label>
      ))}
    </fieldset>
  );
}
