/**
 * 人工电话 (issue 15 "Outreach"): the drivers no SMS or call reached, to phone by hand, each
 * with a form for what staff heard. The same services as GET /api/outreach/call-list and
 * POST /api/outreach/conversations/{id}/phone-outcome.
 */
import { Hono, type Context } from 'hono';
import { AppError, validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { requireId } from '../params.ts';
import { issuesFromZod } from '../../http/route.ts';
import { listCallList, PHONE_OUTCOMES, PhoneOutcomeBodySchema, recordPhoneOutcome, type ConversationView } from '../../outreach/conversations.ts';
import { can } from '../../staff/permissions.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { withQuery } from '../components/table.tsx';
import { CsrfField, ErrorSummary, Field, TimeText } from '../components/ui.tsx';
import { CATEGORY_LABELS } from '../labels.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { PART_OF_DAY_LABELS, PHONE_OUTCOME_LABELS, triedText } from './outreach-labels.ts';
import { cardForm, Choices, DriverCell, formText, OUTREACH, OUTREACH_CRUMBS, OutreachTabs, refusedFlash, tabCounts, type FailedForm } from './outreach-parts.tsx';
import { pageQuery } from './query.ts';

const CALLS = `${OUTREACH}/calls`;
const PAGE_SIZE = 20;

function OutcomeForm(props: { ctx: PageContext; v: ConversationView; failed?: FailedForm | undefined }) {
  const { v } = props;
  const { values, errors, fid, linked } = cardForm(v.id, props.failed);
  return (
    <form method="post" action={`${CALLS}/${v.id}#call-${v.id}`} class="outcome-form">
      <ErrorSummary errors={linked} />
      <CsrfField token={props.ctx.csrfToken} />
      <Choices name="outcome" legend="电话结果" id={fid('outcome')} error={errors.outcome} options={PHONE_OUTCOMES} labels={PHONE_OUTCOME_LABELS} checked={values.outcome} />
      <div class="form-row">
        <Field label="改期到（要求改期时填写）" name={fid('rescheduleOn')} error={errors.rescheduleOn}>
          <input id={fid('rescheduleOn')} name="rescheduleOn" type="date" value={values.rescheduleOn ?? ''} />
        </Field>
        <Field label="上午或下午" name={fid('partOfDay')} error={errors.partOfDay}>
          <select id={fid('partOfDay')} name="partOfDay">
            <option value="">不限</option>
            {(['am', 'pm'] as const).map((p) => (
              <option value={p} selected={values.partOfDay === p}>
                {PART_OF_DAY_LABELS[p]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="备注（不要写身份证号或病情）" name={fid('note')} error={errors.note}>
        <textarea id={fid('note')} name="note" rows={2} maxlength={200}>
          {values.note ?? ''}
        </textarea>
      </Field>
      <button type="submit">记录电话结果</button>
    </form>
  );
}

function CallCard(props: { ctx: PageContext; v: ConversationView; mayCall: boolean; failed?: FailedForm | undefined }) {
  const { v } = props;
  return (
    <li class="card call-card" id={`call-${v.id}`}>
      <h3>
        <DriverCell fileNumber={v.fileNumber} name={v.driver.name} />
      </h3>
      <dl class="facts">
        <dt>电话</dt>
        <dd>
          <a href={`tel:${v.driver.phone}`}>{v.driver.phoneDisplay}</a>
        </dd>
        <dt>社区</dt>
        <dd>{v.driver.community ?? '—'}</dd>
        <dt>业务</dt>
        <dd>{v.categories.map((c) => CATEGORY_LABELS[c] ?? c).join('、')}</dd>
        <dt>已尝试</dt>
        <dd>{triedText(v)}</dd>
        <dt>转入人工电话</dt>
        <dd>
          <TimeText at={v.updatedAt} />
        </dd>
      </dl>
      {props.mayCall ? <OutcomeForm ctx={props.ctx} v={v} failed={props.failed} /> : null}
    </li>
  );
}

async function callsPage(c: Context<AppEnv>, failed?: FailedForm) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['cursor']);
  const [counts, list] = await Promise.all([tabCounts(deps), listCallList(deps, { limit: PAGE_SIZE, cursor: query.cursor }, ctx.staff.role)]);
  const mayCall = can(ctx.staff.role, 'outreach:call');
  return (
    <Layout ctx={ctx} title="人工电话" crumbs={[...OUTREACH_CRUMBS, { label: '人工电话' }]}>
      <OutreachTabs current="calls" counts={counts} />
      <p class="section-hint">短信和语音电话都没有联系上的驾驶人，等待时间最长的在前。打完电话请记录结果：确认、拒绝、改期、退订或号码错误后，驾驶人会离开这个列表；无人接听的仍留在这里。</p>
      {list.items.length === 0 ? (
        <p class="card empty">现在没有需要人工打电话的驾驶人。</p>
      ) : (
        <ul class="call-list">
          {list.items.map((v) => (
            <CallCard ctx={ctx} v={v} mayCall={mayCall} failed={failed} />
          ))}
        </ul>
      )}
      {query.cursor || list.nextCursor ? (
        <nav class="pager" aria-label="翻页">
          {query.cursor ? <a href={CALLS}>回到第一页</a> : <span />}
          {list.nextCursor ? (
            <a href={withQuery(CALLS, query, { cursor: list.nextCursor })} rel="next">
              下一页
            </a>
          ) : null}
        </nav>
      ) : null}
    </Layout>
  );
}

/** The form as the API's body: empty fields left out. */
function outcomeBody(form: Record<string, unknown>): Record<string, string> {
  const body: Record<string, string> = {};
  for (const name of ['outcome', 'rescheduleOn', 'partOfDay', 'note']) if (formText(form, name)) body[name] = formText(form, name);
  return body;
}

function doneText(outcome: string): string {
  const label = PHONE_OUTCOME_LABELS[outcome as keyof typeof PHONE_OUTCOME_LABELS] ?? outcome;
  if (outcome === 'no_answer') return `已记录：${label}。驾驶人仍在人工电话列表中，可以稍后再打。`;
  return `已记录电话结果：${label}。`;
}

async function postOutcome(c: Context<AppEnv>) {
  const id = c.req.param('id') ?? '';
  const form = await c.req.parseBody();
  const body = outcomeBody(form);
  const fail = (err: AppError) => {
    c.status(400);
    return callsPage(c, { id, values: body, errors: fieldErrors(err) });
  };
  const parsed = PhoneOutcomeBodySchema.safeParse(body);
  if (!parsed.success) return c.html(await fail(validationError(issuesFromZod(parsed.error, 'body'))));
  try {
    requireId(id, { key: 'conversation_not_found' });
    const staff = c.get('session').staff;
    await recordPhoneOutcome(c.get('deps'), id, parsed.data, { id: staff.id, role: staff.role });
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') return c.html(await fail(err));
    return refusedFlash(c, err, CALLS);
  }
  setFlash(c, { tone: 'good', text: doneText(parsed.data.outcome) });
  return c.redirect(CALLS, 303);
}

export function callPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(CALLS, pagePermission('outreach:read'), async (c) => c.html(await callsPage(c)));
  app.post(`${CALLS}/:id`, pagePermission('outreach:call'), postOutcome);
  return app;
}
