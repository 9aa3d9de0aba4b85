/**
 * 筛查 (issue 15 "Screening and cases"): run a screening for a date, see the result by category,
 * the history of runs. Over runScreening and src/screening/views.ts, as the API.
 */
import { Hono, type Context } from 'hono';
import { AppError, validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { requireId } from '../params.ts';
import { dateOf } from '../../http/date-input.ts';
import { issuesFromZod } from '../../http/route.ts';
import { localizeError } from '../../i18n/localize.ts';
import { CASE_CATEGORIES } from '../../screening/case.ts';
import { runScreening } from '../../screening/run.ts';
import { ScreeningBody, getRun, listRunsPage, type RunView } from '../../screening/views.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, withQuery, type Column } from '../components/table.tsx';
import { CsrfField, DateText, ErrorSummary, Field, Stat, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { CATEGORY_LABELS } from '../labels.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from './query.ts';

const HOME: Crumb = { label: '工作台', href: '/console' };
const LIST = '/console/screenings';
const TRIGGER_LABELS: Record<string, string> = { api: '网页或接口', cli: '命令行', schedule: '每日自动' };

interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  problem?: string;
}

function RunForm(props: { ctx: PageContext; form: FormState }) {
  const { values, errors } = props.form;
  return (
    <form method="post" action={LIST} class="card stack" data-busy="正在筛查全部驾驶人，数据多时需要几十秒，请不要关闭页面…">
      <h2>开始筛查</h2>
      <p class="muted">按所选日期检查全部驾驶人：70周岁以上的年度体检、63/70周岁降级、注销提示和期满换证。同一天重复筛查结果不变，已不需要办理的业务会自动关闭。</p>
      <ErrorSummary errors={errors} />
      {props.form.problem ? (
        <div class="error-summary" role="alert">
          <p>{props.form.problem}</p>
        </div>
      ) : null}
      <CsrfField token={props.ctx.csrfToken} />
      <Field label="筛查日期" name="asOf" error={errors.asOf} hint="一般为今天。">
        <input id="asOf" name="asOf" type="date" value={values.asOf ?? props.ctx.today} required />
      </Field>
      <details>
        <summary>高级设置</summary>
        <Field label="提前天数" name="leadDays" error={errors.leadDays} hint="到期前多少天开始列为待办，默认 60 天。">
          <input id="leadDays" name="leadDays" type="number" min={0} max={3650} value={values.leadDays ?? '60'} />
        </Field>
        <Field label="期满换证的最低年龄" name="renewalMinAge" error={errors.renewalMinAge} hint="默认 60 周岁；0 表示所有驾驶人。">
          <input id="renewalMinAge" name="renewalMinAge" type="number" min={0} max={150} value={values.renewalMinAge ?? '60'} />
        </Field>
      </details>
      <p data-busy-status role="status" class="muted"></p>
      <div>
        <button type="submit">开始筛查</button>
      </div>
    </form>
  );
}

const runColumns: Column<RunView>[] = [
  { header: '开始时间', cell: (r) => <a href={`${LIST}/${r.id}`}><TimeText at={r.startedAt} /></a> },
  { header: '筛查日期', cell: (r) => <DateText date={r.asOf} /> },
  { header: '方式', cell: (r) => TRIGGER_LABELS[r.trigger] ?? r.trigger },
  { header: '状态', cell: (r) => <StatusBadge status={r.status} kind="run" /> },
  { header: '驾驶人', kind: 'num', cell: (r) => count(r.licencesScreened) },
  { header: '待办', kind: 'num', cell: (r) => count(r.counts.flaggedTotal ?? 0) },
  { header: '新增', kind: 'num', cell: (r) => count(r.counts.created ?? 0) },
  { header: '关闭', kind: 'num', cell: (r) => count((r.counts.superseded ?? 0) + (r.counts.lapsed ?? 0)) },
];

async function listPage(c: Context<AppEnv>, form: FormState = { values: {}, errors: {} }) {
  const ctx = pageContext(c);
  const query = pageQuery(c, ['cursor']);
  const runs = await listRunsPage(c.get('deps').db, { limit: 20, cursor: query.cursor });
  return (
    <Layout ctx={ctx} title="筛查" crumbs={[HOME, { label: '筛查' }]}>
      <RunForm ctx={ctx} form={form} />
      <h2>筛查记录</h2>
      <DataTable caption="筛查记录（最新在前）" columns={runColumns} rows={runs.items} empty="还没有筛查过。" path={LIST} query={query} next={runs.nextCursor} />
    </Layout>
  );
}

/** The form's text as the API's body: numbers as numbers, empty fields left out. */
function screeningRequest(form: Record<string, string>) {
  const body: Record<string, unknown> = {};
  if (form.asOf) body.asOf = form.asOf;
  for (const name of ['leadDays', 'renewalMinAge'] as const) {
    const text = form[name]?.trim();
    if (text) body[name] = /^\d+$/.test(text) ? Number(text) : text;
  }
  return ScreeningBody.safeParse(body);
}

async function postRun(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const raw = await c.req.parseBody();
  const values = Object.fromEntries(['asOf', 'leadDays', 'renewalMinAge'].map((n) => [n, typeof raw[n] === 'string' ? (raw[n] as string) : '']));
  const parsed = screeningRequest(values);
  if (!parsed.success) {
    c.status(400);
    return c.html(await listPage(c, { values, errors: fieldErrors(validationError(issuesFromZod(parsed.error, 'form'))) }));
  }
  try {
    const run = await runScreening(deps, { ...parsed.data, asOf: dateOf(deps, parsed.data.asOf), staffId: c.get('session').staff.id, trigger: 'api' });
    setFlash(c, { tone: 'good', text: `筛查完成：检查了 ${count(run.licences_screened)} 名驾驶人。` });
    return c.redirect(`${LIST}/${run.id}`, 303);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    // Another run under way, or a date the rules refuse: said on the form, nothing stored.
    c.status(err.status);
    return c.html(await listPage(c, { values, errors: err.code === 'validation_failed' ? fieldErrors(err) : {}, problem: localizeError(err, 'zh-CN').message }));
  }
}

async function runPage(c: Context<AppEnv>) {
  const ctx = pageContext(c);
  const run = await getRun(c.get('deps').db, requireId(c.req.param('id'), { key: 'screening_run_not_found' }));
  const flagged = run.counts.flagged ?? {};
  const casesOf = (category: string) => withQuery('/console/cases', { category });
  return (
    <Layout ctx={ctx} title={`筛查：${run.asOf}`} crumbs={[HOME, { label: '筛查', href: LIST }, { label: '筛查结果' }]}>
      <p class="muted">
        <TimeText at={run.startedAt} /> 开始，方式：{TRIGGER_LABELS[run.trigger] ?? run.trigger}；提前 {run.leadDays} 天，期满换证 {run.renewalMinAge} 周岁起。
      </p>
      {run.error ? (
        <div class="error-summary" role="alert">
          <p>筛查没有完成：{run.error}。之前的业务保持不变。</p>
        </div>
      ) : null}
      <div class="grid">
        <Stat label="状态" value={<StatusBadge status={run.status} kind="run" />} />
        <Stat label="检查驾驶人" value={count(run.licencesScreened)} />
        <Stat label="待办业务" value={count(run.counts.flaggedTotal ?? 0)} />
        <Stat label="新增" value={count(run.counts.created ?? 0)} />
        <Stat label="重新打开" value={count(run.counts.reopened ?? 0)} />
        <Stat label="已不需办理（关闭）" value={count(run.counts.superseded ?? 0)} />
        <Stat label="已逾期失效" value={count(run.counts.lapsed ?? 0)} />
      </div>
      <h2>按业务类别</h2>
      <DataTable
        caption="本次筛查列为待办的业务"
        columns={[
          { header: '业务类别', cell: (k: string) => <a href={casesOf(k)}>{CATEGORY_LABELS[k as keyof typeof CATEGORY_LABELS]}</a> },
          { header: '件数', kind: 'num', cell: (k: string) => count(flagged[k] ?? 0) },
        ]}
        rows={[...CASE_CATEGORIES]}
        empty=""
        path=""
        query={{}}
      />
    </Layout>
  );
}

export function screeningPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(LIST, pagePermission('screening:read'), async (c) => c.html(await listPage(c)));
  app.post(LIST, pagePermission('screening:run'), postRun);
  app.get(`${LIST}/:id`, pagePermission('screening:read'), async (c) => c.html(await runPage(c)));
  return app;
}
