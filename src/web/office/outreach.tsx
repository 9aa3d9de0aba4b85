/**
 * 通知与回复 (issue 15 "Outreach"): start a campaign from a case filter, and each driver's place
 * on the ladder (SMS, calls, answer). The call list, the inbox and the opt-outs are the other
 * tabs (outreach-*.tsx). Over the same services as /api/outreach (src/outreach/).
 */
import { Hono, type Context } from 'hono';
import { validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { issuesFromZod } from '../../http/route.ts';
import { CONVERSATION_STATUSES, listConversations, StartBodySchema, type ConversationStatusFilter, type ConversationView } from '../../outreach/conversations.ts';
import { startOutreach } from '../../outreach/start.ts';
import { CASE_CATEGORIES } from '../../screening/case.ts';
import { can } from '../../staff/permissions.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, FilterForm, type Column } from '../components/table.tsx';
import { Badge, CsrfField, ErrorSummary, Field, TimeText } from '../components/ui.tsx';
import { count } from '../format.ts';
import { CATEGORY_LABELS } from '../labels.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { callPages } from './outreach-calls.tsx';
import { inboxPages } from './outreach-inbox.tsx';
import { CONVERSATION_LABELS, STEP_CHANNEL_LABELS } from './outreach-labels.ts';
import { optOutPages } from './outreach-opt-outs.tsx';
import { DriverCell, LadderCell, OUTREACH, OUTREACH_CRUMBS, OutreachTabs, tabCounts } from './outreach-parts.tsx';
import { pageQuery } from './query.ts';

const PAGE_SIZE = 50;

const categories = (v: ConversationView) => v.categories.map((c) => CATEGORY_LABELS[c] ?? c).join('、');

const columns: Column<ConversationView>[] = [
  { header: '驾驶人', cell: (v) => <DriverCell fileNumber={v.fileNumber} name={v.driver.name} /> },
  { header: '社区', cell: (v) => v.driver.community ?? '—' },
  { header: '业务', cell: categories },
  { header: '状态', cell: (v) => <Badge tone={CONVERSATION_LABELS[v.status].tone}>{CONVERSATION_LABELS[v.status].label}</Badge> },
  { header: '进度', cell: (v) => <LadderCell conversation={v} /> },
  {
    header: '下一步',
    cell: (v) =>
      v.nextStep ? (
        <>
          {STEP_CHANNEL_LABELS[v.nextStep.channel] ?? v.nextStep.channel}
          <br />
          <TimeText at={v.nextStep.dueAt} />
        </>
      ) : (
        '—'
      ),
  },
  { header: '最近变化', cell: (v) => <TimeText at={v.updatedAt} /> },
];

interface StartForm {
  values: Record<string, string>;
  errors: Record<string, string>;
}

function StartCampaign(props: { ctx: PageContext; form?: StartForm | undefined }) {
  const values = props.form?.values ?? {};
  const errors = props.form?.errors ?? {};
  return (
    <form method="post" action={`${OUTREACH}/start`} class="card start-form" data-confirm="将按所选条件给驾驶人发出通知（先发短信，没有回复再打电话）。确定开始吗？">
      <h2>开始通知</h2>
      <p class="muted">
        给有待办业务、还没有在通知中的驾驶人发通知：先发短信，48 小时没有回复打语音电话，仍联系不上就转到“人工电话”。已退订或号码错误的驾驶人不会再收到通知。到期最早的驾驶人先通知。
      </p>
      <ErrorSummary errors={errors} />
      <CsrfField token={props.ctx.csrfToken} />
      <div class="form-row">
        <Field label="业务类别" name="category" error={errors.category}>
          <select id="category" name="category">
            <option value="">全部类别</option>
            {CASE_CATEGORIES.map((c) => (
              <option value={c} selected={values.category === c}>
                {CATEGORY_LABELS[c]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="社区" name="community" error={errors.community} hint="与驾驶人信息中的社区名称一致；不填为全部社区">
          <input id="community" name="community" type="text" maxlength={100} value={values.community ?? ''} />
        </Field>
        <Field label="最多通知人数" name="limit" error={errors.limit} hint="1 到 100,000，默认 100">
          <input id="limit" name="limit" type="number" min={1} max={100000} inputmode="numeric" value={values.limit ?? '100'} />
        </Field>
      </div>
      <button type="submit">开始通知</button>
    </form>
  );
}

function statusFilter(value: string | undefined): ConversationStatusFilter | undefined {
  return (CONVERSATION_STATUSES as readonly string[]).includes(value ?? '') ? (value as ConversationStatusFilter) : undefined;
}

async function conversationsPage(c: Context<AppEnv>, form?: StartForm) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['status', 'fileNumber', 'cursor']);
  const fileNumber = /^\d{12}$/.test(query.fileNumber ?? '') ? query.fileNumber : undefined;
  const [counts, list] = await Promise.all([
    tabCounts(deps),
    listConversations(deps, { limit: PAGE_SIZE, cursor: query.cursor, status: statusFilter(query.status), fileNumber }, ctx.staff.role),
  ]);
  return (
    <Layout ctx={ctx} title="通知与回复" crumbs={[OUTREACH_CRUMBS[0]!, { label: '通知与回复' }]}>
      <OutreachTabs current="conversations" counts={counts} />
      {can(ctx.staff.role, 'outreach:run') ? <StartCampaign ctx={ctx} form={form} /> : null}
      <h2>每位驾驶人的通知进度</h2>
      <FilterForm
        action={OUTREACH}
        values={query}
        fields={[
          { name: 'status', label: '状态', type: 'select', options: CONVERSATION_STATUSES.map((s) => ({ value: s, label: CONVERSATION_LABELS[s].label })) },
          { name: 'fileNumber', label: '档案编号（12位）', type: 'search' },
        ]}
      />
      {query.fileNumber && !fileNumber ? <p class="error-text">档案编号应为 12 位数字，已忽略。</p> : null}
      <DataTable caption="通知进度（最近有变化的在前）" columns={columns} rows={list.items} empty="没有符合条件的通知。" path={OUTREACH} query={query} next={list.nextCursor} />
    </Layout>
  );
}

/** The form's text as the API's body: empty fields left out, the limit as a number. */
function startBody(form: Record<string, unknown>): Record<string, unknown> {
  const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
  const body: Record<string, unknown> = {};
  if (text('category')) body.category = text('category');
  if (text('community')) body.community = text('community');
  if (text('limit')) body.limit = /^\d+$/.test(text('limit')) ? Number(text('limit')) : text('limit');
  return body;
}

async function postStart(c: Context<AppEnv>) {
  const form = await c.req.parseBody();
  const values = Object.fromEntries(['category', 'community', 'limit'].map((n) => [n, typeof form[n] === 'string' ? (form[n] as string) : '']));
  const parsed = StartBodySchema.safeParse(startBody(form));
  if (!parsed.success) {
    c.status(400);
    return c.html(await conversationsPage(c, { values, errors: fieldErrors(validationError(issuesFromZod(parsed.error, 'body'))) }));
  }
  const result = await startOutreach(c.get('deps'), { staffId: c.get('session').staff.id, ...parsed.data });
  const rest = result.remaining > 0 ? `还有 ${count(result.remaining)} 位符合条件的驾驶人没有开始（超过人数上限），可以再次开始。` : '';
  setFlash(
    c,
    result.started > 0
      ? { tone: 'good', text: `已开始通知 ${count(result.started)} 位驾驶人，短信会在发送时段内陆续发出。${rest}` }
      : { tone: 'info', text: `没有需要开始通知的驾驶人：符合条件的驾驶人都已在通知中、已退订或号码有误。${rest}` },
  );
  return c.redirect(OUTREACH, 303);
}

export function outreachPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(OUTREACH, pagePermission('outreach:read'), async (c) => c.html(await conversationsPage(c)));
  app.post(`${OUTREACH}/start`, pagePermission('outreach:run'), postStart);
  app.route('/', callPages());
  app.route('/', inboxPages());
  app.route('/', optOutPages());
  return app;
}
