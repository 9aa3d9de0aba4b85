/**
 * 待处理回复 (issue 15 "Outreach"): replies staff must decide (a number no driver uses, a number
 * several drivers share, a text the parser did not understand), each with a form to choose what it
 * meant; decided ones move to the second tab. The same services as GET /api/outreach/inbox and
 * POST /api/outreach/inbox/{id}/resolve: a decision acts as the parser would have.
 */
import { Hono, type Context } from 'hono';
import { AppError, validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { requireId } from '../params.ts';
import { issuesFromZod } from '../../http/route.ts';
import { INBOX_MEANINGS, listInbox, resolveInboxItem, ResolveInboxBodySchema, type InboxItem } from '../../outreach/inbox.ts';
import { can } from '../../staff/permissions.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { withQuery } from '../components/table.tsx';
import { Badge, CsrfField, ErrorSummary, Field, TimeText } from '../components/ui.tsx';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { ANSWER_CHANNEL_LABELS, CONVERSATION_LABELS, INBOX_MEANING_LABELS, INBOX_REASON_LABELS } from './outreach-labels.ts';
import { cardForm, Choices, formText, OUTREACH, OUTREACH_CRUMBS, OutreachTabs, refusedFlash, tabCounts, type FailedForm } from './outreach-parts.tsx';
import { pageQuery } from './query.ts';

const INBOX = `${OUTREACH}/inbox`;
const PAGE_SIZE = 20;

function conversationLabel(status: string): string {
  return CONVERSATION_LABELS[status as keyof typeof CONVERSATION_LABELS]?.label ?? status;
}

/** The driver control: none for a known driver, a choice for a shared number, the file number for an unknown one. */
function DriverChoice(props: { item: InboxItem; values: Record<string, string>; errors: Record<string, string>; fid: (name: string) => string }) {
  const { item, values, errors, fid } = props;
  if (item.reason === 'shared_number') {
    return (
      <Field label="是哪位驾驶人（退订或忽略不用选）" name={fid('driver')} error={errors.driver}>
        <select id={fid('driver')} name="caseId">
          <option value="">请选择</option>
          {item.drivers
            .filter((d) => d.caseId !== null)
            .map((d) => (
              <option value={d.caseId!} selected={values.caseId === d.caseId}>
                {d.name}（{d.fileNumberMasked}）
              </option>
            ))}
        </select>
      </Field>
    );
  }
  if (item.reason === 'unknown_number') {
    return (
      <Field label="驾驶人档案编号（12位；退订或忽略不用填）" name={fid('driver')} error={errors.driver} hint="按回复内容或回电确认是哪位驾驶人后填写">
        <input id={fid('driver')} name="fileNumber" type="text" inputmode="numeric" maxlength={12} value={values.fileNumber ?? ''} autocomplete="off" />
      </Field>
    );
  }
  return null;
}

function ResolveForm(props: { ctx: PageContext; item: InboxItem; failed?: FailedForm | undefined }) {
  const { item } = props;
  const { values, errors, fid, linked } = cardForm(item.id, props.failed);
  return (
    <form method="post" action={`${INBOX}/${item.id}#reply-${item.id}`} class="outcome-form">
      <ErrorSummary errors={linked} />
      <CsrfField token={props.ctx.csrfToken} />
      <Choices name="meaning" legend="这条回复的意思" id={fid('meaning')} error={errors.meaning} options={INBOX_MEANINGS} labels={INBOX_MEANING_LABELS} checked={values.meaning} />
      <DriverChoice item={item} values={values} errors={errors} fid={fid} />
      <Field label="备注（不要写身份证号或病情）" name={fid('note')} error={errors.note}>
        <textarea id={fid('note')} name="note" rows={2} maxlength={200}>
          {values.note ?? ''}
        </textarea>
      </Field>
      <button type="submit">保存</button>
    </form>
  );
}

function InboxCard(props: { ctx: PageContext; item: InboxItem; mayResolve: boolean; failed?: FailedForm | undefined }) {
  const { item } = props;
  return (
    <li class="card inbox-card" id={`reply-${item.id}`}>
      <p class="muted">
        <TimeText at={item.at} /> · {ANSWER_CHANNEL_LABELS[item.channel] ?? item.channel} · {INBOX_REASON_LABELS[item.reason]}
      </p>
      <blockquote class="reply-body">{item.body ?? '（没有文字）'}</blockquote>
      <dl class="facts">
        <dt>来自号码</dt>
        <dd>{item.phoneDisplay}</dd>
        <dt>驾驶人</dt>
        <dd>
          {item.drivers.length === 0 ? (
            <span class="muted">没有驾驶人在用这个号码</span>
          ) : (
            <ul class="plain">
              {item.drivers.map((d) => (
                <li>
                  {d.name}（{d.fileNumberMasked}）<span class="muted">：{conversationLabel(d.conversationStatus)}</span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        {item.resolution ? (
          <>
            <dt>处理结果</dt>
            <dd>
              <Badge tone="good">{INBOX_MEANING_LABELS[item.resolution.meaning]}</Badge> <TimeText at={item.resolution.at} />
            </dd>
          </>
        ) : null}
      </dl>
      {props.mayResolve && item.status === 'open' ? <ResolveForm ctx={props.ctx} item={item} failed={props.failed} /> : null}
    </li>
  );
}

async function inboxPage(c: Context<AppEnv>, failed?: FailedForm) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['status', 'cursor']);
  const status = query.status === 'resolved' ? 'resolved' : 'open';
  const [counts, list] = await Promise.all([tabCounts(deps), listInbox(deps, { limit: PAGE_SIZE, cursor: query.cursor, status }, ctx.staff.role)]);
  const mayResolve = can(ctx.staff.role, 'outreach:call');
  return (
    <Layout ctx={ctx} title="待处理回复" crumbs={[...OUTREACH_CRUMBS, { label: '待处理回复' }]}>
      <OutreachTabs current="inbox" counts={counts} />
      <p class="section-hint">系统不能自动处理的回复：陌生号码、多人共用的号码、没看懂的内容。请选择这条回复的意思；保存后按系统看懂时的方式处理（不会再给驾驶人回短信），并记入审计。最早的在前。</p>
      <nav class="subtabs" aria-label="回复状态">
        <a href={INBOX} aria-current={status === 'open' ? 'page' : undefined}>
          待处理
        </a>
        <a href={`${INBOX}?status=resolved`} aria-current={status === 'resolved' ? 'page' : undefined}>
          已处理
        </a>
      </nav>
      {list.items.length === 0 ? (
        <p class="card empty">{status === 'open' ? '没有等待处理的回复。' : '还没有处理过的回复。'}</p>
      ) : (
        <ul class="call-list">
          {list.items.map((item) => (
            <InboxCard ctx={ctx} item={item} mayResolve={mayResolve} failed={failed} />
          ))}
        </ul>
      )}
      {query.cursor || list.nextCursor ? (
        <nav class="pager" aria-label="翻页">
          {query.cursor ? <a href={withQuery(INBOX, query, { cursor: null })}>回到第一页</a> : <span />}
          {list.nextCursor ? (
            <a href={withQuery(INBOX, query, { cursor: list.nextCursor })} rel="next">
              下一页
            </a>
          ) : null}
        </nav>
      ) : null}
    </Layout>
  );
}

/** The service's words for the driver fields name programs' fields (caseId, fileNumber): the form's words instead. */
const DRIVER_ISSUES: Record<string, string> = {
  required: '请选择或填写是哪位驾驶人（确认或拒绝时必须指明）',
  not_on_number: '这位驾驶人不使用这个号码',
  unknown_case: '没有找到这位驾驶人的待办业务',
  unknown_file_number: '没有这个档案编号的驾驶证',
  mismatch: '所选驾驶人与档案编号不一致',
  invalid_format: '档案编号应为 12 位数字',
};

function formErrors(err: AppError): Record<string, string> {
  const errors = fieldErrors(err);
  const issues = (err.details as { issues?: { field: string; code: string }[] } | undefined)?.issues ?? [];
  for (const issue of issues) {
    if (issue.field !== 'caseId' && issue.field !== 'fileNumber') continue;
    delete errors[issue.field];
    errors.driver = DRIVER_ISSUES[issue.code] ?? '请检查驾驶人';
  }
  return errors;
}

function doneText(meaning: string, outcome: string | null): string {
  const label = INBOX_MEANING_LABELS[meaning as keyof typeof INBOX_MEANING_LABELS] ?? meaning;
  if (meaning === 'ignore') return '已忽略这条回复。';
  if (outcome === 'applied') return `已按“${label}”处理这条回复。`;
  return `已记录为“${label}”。驾驶人的状态没有变化（${outcome === 'after_opt_out' ? '这个号码已退订' : '没有可以更新的通知'}）。`;
}

async function postResolve(c: Context<AppEnv>) {
  const id = c.req.param('id') ?? '';
  const form = await c.req.parseBody();
  const body: Record<string, string> = {};
  for (const name of ['meaning', 'caseId', 'fileNumber', 'note']) if (formText(form, name)) body[name] = formText(form, name);
  const fail = async (err: AppError) => {
    c.status(400);
    return c.html(await inboxPage(c, { id, values: body, errors: formErrors(err) }));
  };
  const parsed = ResolveInboxBodySchema.safeParse(body);
  if (!parsed.success) return fail(validationError(issuesFromZod(parsed.error, 'body')));
  let outcome: string | null;
  try {
    requireId(id, { key: 'inbox_item_not_found' });
    const staff = c.get('session').staff;
    ({ outcome } = await resolveInboxItem(c.get('deps'), id, parsed.data, { id: staff.id, role: staff.role }));
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') return fail(err);
    return refusedFlash(c, err, INBOX);
  }
  setFlash(c, { tone: 'good', text: doneText(parsed.data.meaning, outcome) });
  return c.redirect(INBOX, 303);
}

export function inboxPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(INBOX, pagePermission('outreach:read'), async (c) => c.html(await inboxPage(c)));
  app.post(`${INBOX}/:id`, pagePermission('outreach:call'), postResolve);
  return app;
}
