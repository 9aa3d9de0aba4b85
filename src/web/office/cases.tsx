/**
 * 待办业务 and the driver page (issue 15 "Screening and cases"): the case list with its filters in
 * the URL, sort, keyset paging and CSV export; the driver page with the licence (the full ID behind
 * an audited button), every case with its dates and the article it rests on, the outreach
 * timeline, visits, exam results and 12123 submissions, each as the role may see it.
 */
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { AppEnv } from '../../http/env.ts';
import { driverOverview, licenceWithFullId, type DriverOverview } from '../../registry/licence-view.ts';
import { CASE_CATEGORIES } from '../../screening/case.ts';
import { casesCsv } from '../../screening/cases-query.ts';
import { CasesQuery, casePage, type CaseView } from '../../screening/views.ts';
import { CASE_STATUSES } from '../../db/schema/screening.ts';
import { BUSINESS_NAMES } from '../../submissions/payload.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, FilterForm, withQuery, type Column, type FilterField } from '../components/table.tsx';
import { Badge, CsrfField, DateText, Masked, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { CATEGORY_LABELS, CHANNEL_LABELS, INTENT_LABELS, REGULATION_NAME, SEX_LABELS, articleLabel, gatewayReason, statusLabel } from '../labels.ts';
import { pageContext, pagePermission } from '../session.tsx';
import { pageQuery } from './query.ts';

const HOME: Crumb = { label: '工作台', href: '/console' };
const LIST = '/console/cases';
const FILTER_NAMES = ['category', 'status', 'overdue', 'community', 'district', 'dueBefore', 'dueAfter', 'fileNumber', 'sort', 'cursor'] as const;

const FILTERS: FilterField[] = [
  { name: 'category', label: '业务类别', type: 'select', options: CASE_CATEGORIES.map((c) => ({ value: c, label: CATEGORY_LABELS[c] })) },
  { name: 'status', label: '状态', type: 'select', all: '待办（默认）', options: [...CASE_STATUSES.filter((s) => s !== 'open'), 'all'].map((s) => ({ value: s, label: s === 'all' ? '全部状态' : statusLabel(s).label })) },
  { name: 'overdue', label: '只看逾期', type: 'checkbox' },
  { name: 'district', label: '区县', type: 'search' },
  { name: 'community', label: '社区', type: 'search' },
  { name: 'dueBefore', label: '到期早于', type: 'date' },
  { name: 'dueAfter', label: '到期晚于', type: 'date' },
  { name: 'fileNumber', label: '档案编号', type: 'search' },
  { name: 'sort', label: '排序', type: 'select', all: '到期日从早到晚', options: [{ value: 'due_desc', label: '到期日从晚到早' }] },
];

/** What each filter's error is about, for the line above the table. */
const FILTER_LABELS: Record<string, string> = Object.fromEntries(FILTERS.map((f) => [f.name, f.label]));

const caseColumns: Column<CaseView>[] = [
  { header: '到期日', cell: (r) => <DateText date={r.dueOn} /> },
  { header: '驾驶人', cell: (r) => <a href={`/console/drivers/${r.fileNumber}`}>{r.driver.name}</a> },
  { header: '档案编号', cell: (r) => r.fileNumber },
  { header: '社区', cell: (r) => r.driver.community ?? '—' },
  { header: '业务', cell: (r) => CATEGORY_LABELS[r.category] },
  {
    header: '状态',
    cell: (r) => (
      <>
        <StatusBadge status={r.status} /> {r.overdue ? <Badge tone="bad">逾期</Badge> : null}
      </>
    ),
  },
  { header: '依据', cell: (r) => r.articles.map(articleLabel).join('、') },
];

/** The URL's filters through the API's own schema; what does not parse is named and left out. */
function parseFilters(c: Context<AppEnv>) {
  const query = pageQuery(c, FILTER_NAMES);
  const parsed = CasesQuery.safeParse({ ...query, limit: '50' });
  if (parsed.success) return { query, filter: parsed.data, problems: [] as string[] };
  const bad = new Set(parsed.error.issues.map((i) => String(i.path[0])));
  const kept = Object.fromEntries(Object.entries(query).filter(([k]) => !bad.has(k)));
  return { query, filter: CasesQuery.parse({ ...kept, limit: '50' }), problems: [...bad].map((name) => FILTER_LABELS[name] ?? name) };
}

async function listPage(c: Context<AppEnv>) {
  const ctx = pageContext(c);
  const { query, filter, problems } = parseFilters(c);
  const result = await casePage(c.get('deps'), filter, ctx.staff.role);
  const { cursor: _cursor, ...filters } = query;
  return (
    <Layout
      ctx={ctx}
      title="待办业务"
      crumbs={[HOME, { label: '待办业务' }]}
      actions={
        <a class="button secondary" href={withQuery(`${LIST}.csv`, filters)}>
          导出当前筛选（CSV）
        </a>
      }
    >
      <FilterForm action={LIST} fields={FILTERS} values={query} />
      {problems.length > 0 ? <p class="error-text" role="alert">以下条件的写法不对，已忽略：{problems.join('、')}。日期请写成 2026-12-07。</p> : null}
      <DataTable caption="业务（按到期日）" columns={caseColumns} rows={result.items} empty="没有符合条件的业务。" path={LIST} query={query} next={result.nextCursor} />
    </Layout>
  );
}

async function csvExport(c: Context<AppEnv>) {
  const { filter } = parseFilters(c);
  const { limit: _limit, cursor: _cursor, ...rest } = filter;
  const deps = c.get('deps');
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', 'attachment; filename="cases.csv"');
  return stream(c, async (out) => {
    for await (const chunk of casesCsv(deps.db, rest, 'zh-CN')) await out.write(chunk);
  });
}

function LicenceFacts(props: { ctx: PageContext; d: DriverOverview; fullId?: string | undefined }) {
  const l = props.d.licence;
  return (
    <div class="card">
      <dl class="facts">
        <dt>姓名</dt>
        <dd>{l.name}</dd>
        <dt>身份证号</dt>
        <dd>
          {props.fullId ? (
            <span class="masked">{props.fullId}</span>
          ) : (
            <>
              <Masked value={l.idNumberMasked} />
              {l.fullIdUrl ? (
                <form method="post" action={`/console/drivers/${props.d.fileNumber}/full-id`} class="inline">
                  <CsrfField token={props.ctx.csrfToken} />{' '}
                  <button type="submit" class="link">
                    显示完整号码（将记入审计）
                  </button>
                </form>
              ) : null}
            </>
          )}
        </dd>
        <dt>档案编号</dt>
        <dd>{props.d.fileNumber}</dd>
        <dt>联系电话</dt>
        <dd>
          <a href={`tel:${l.phone}`}>{l.phoneDisplay}</a>
        </dd>
        <dt>地址</dt>
        <dd>
          {l.address}
          {l.community ? `（${l.community}）` : ''}
        </dd>
        {l.birthDate ? (
          <>
            <dt>出生日期 / 性别</dt>
            <dd>
              <DateText date={l.birthDate} /> / {SEX_LABELS[l.sex ?? ''] ?? '—'}
            </dd>
          </>
        ) : null}
        {l.classes ? (
          <>
            <dt>准驾车型</dt>
            <dd>{l.classes.join(' ')}</dd>
          </>
        ) : null}
        {l.validUntil ? (
          <>
            <dt>有效期至</dt>
            <dd>
              <DateText date={l.validUntil} />
              {l.extensionUntil ? <>（延长至 <DateText date={l.extensionUntil} />）</> : null}
            </dd>
          </>
        ) : null}
        {l.lastCertSubmittedOn !== undefined ? (
          <>
            <dt>最近提交身体条件证明</dt>
            <dd>
              <DateText date={l.lastCertSubmittedOn} />
            </dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}

function timelineText(item: NonNullable<DriverOverview['timeline']>[number]): string {
  const channel = CHANNEL_LABELS[item.channel] ?? item.channel;
  if (item.kind === 'message') return `${channel}${item.direction === 'in' ? '收到' : '发出'}${item.body ? `：${item.body}` : ''}`;
  if (item.kind === 'answer') return `驾驶人答复（${channel}）：${INTENT_LABELS[item.intent ?? ''] ?? item.intent ?? ''}${item.note ? `，${item.note}` : ''}`;
  return `外呼步骤 ${item.seq ?? ''}（${channel}）${item.note ? `：${item.note}` : ''}`;
}

function DriverSections(props: { d: DriverOverview }) {
  const d = props.d;
  return (
    <>
      <h2>业务</h2>
      <DataTable
        caption={`这位驾驶人的全部业务（依据${REGULATION_NAME}）`}
        columns={[
          { header: '业务', cell: (c) => CATEGORY_LABELS[c.category] },
          { header: '状态', cell: (c) => <><StatusBadge status={c.status} /> {c.overdue ? <Badge tone="bad">逾期</Badge> : null}</> },
          { header: '可办理', cell: (c) => <DateText date={c.opensOn} /> },
          { header: '到期', cell: (c) => <DateText date={c.dueOn} /> },
          { header: '逾期失效', cell: (c) => <DateText date={c.lapsesOn} /> },
          { header: '依据', cell: (c) => c.articles.map(articleLabel).join('、') },
        ]}
        rows={d.cases}
        empty="没有业务。"
        path=""
        query={{}}
      />
      {d.timeline ? (
        <>
          <h2>通知与回复</h2>
          <DataTable
            caption="短信、电话和驾驶人的答复（时间顺序）"
            columns={[
              { header: '时间', cell: (i) => <TimeText at={i.at} /> },
              { header: '内容', cell: (i) => timelineText(i) },
              { header: '状态', cell: (i) => (i.status ? <StatusBadge status={i.status} kind="message" /> : '—') },
            ]}
            rows={d.timeline}
            empty="还没有通知过。"
            path=""
            query={{}}
          />
        </>
      ) : null}
      {d.visits ? (
        <>
          <h2>上门</h2>
          <DataTable
            caption="上门体检安排"
            columns={[
              { header: '日期', cell: (v) => <DateText date={v.date} long /> },
              { header: '时段', cell: (v) => `${v.windowStart}-${v.windowEnd}` },
              { header: '状态', cell: (v) => <StatusBadge status={v.status} /> },
            ]}
            rows={d.visits}
            empty="还没有安排上门。"
            path=""
            query={{}}
          />
        </>
      ) : null}
      {d.exams ? (
        <>
          <h2>体检结果</h2>
          <DataTable
            caption="体检结果（医疗信息：仅管理员和体检医生可见）"
            columns={[
              { header: '时间', cell: (e) => <TimeText at={e.startedAt} /> },
              { header: '结论', cell: (e) => (e.pass ? <Badge tone="good">合格</Badge> : <Badge tone="bad">不合格</Badge>) },
              { header: '准驾车型', cell: (e) => e.classes.join(' ') },
              { header: '证明编号', cell: (e) => e.certificate.number },
              { header: '证明有效期至', cell: (e) => <DateText date={e.certificate.validUntil} /> },
            ]}
            rows={d.exams}
            empty="还没有体检结果。"
            path=""
            query={{}}
          />
        </>
      ) : null}
      {d.submissions ? (
        <>
          <h2>12123 提交</h2>
          <DataTable
            caption="网上办理"
            columns={[
              { header: '业务', cell: (s) => <a href={`/console/submissions/${s.id}`}>{BUSINESS_NAMES[s.business as keyof typeof BUSINESS_NAMES] ?? s.business}</a> },
              { header: '状态', cell: (s) => <StatusBadge status={s.status} /> },
              { header: '受理编号 / 原因', cell: (s) => s.reference ?? (s.lastError ? gatewayReason(s.lastError) : '—') },
            ]}
            rows={d.submissions}
            empty="还没有提交。"
            path=""
            query={{}}
          />
        </>
      ) : null}
    </>
  );
}

async function driverPage(c: Context<AppEnv>, fullId?: string) {
  const ctx = pageContext(c);
  const fileNumber = c.req.param('fileNumber') ?? '';
  const d = await driverOverview(c.get('deps'), /^\d{12}$/.test(fileNumber) ? fileNumber : '000000000000', { id: ctx.staff.id, role: ctx.staff.role });
  return (
    <Layout ctx={ctx} title={`驾驶人：${d.licence.name}`} crumbs={[HOME, { label: '待办业务', href: LIST }, { label: '驾驶人' }]}>
      <LicenceFacts ctx={ctx} d={d} fullId={fullId} />
      <DriverSections d={d} />
    </Layout>
  );
}

export function casePages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(LIST, pagePermission('cases:read'), async (c) => c.html(await listPage(c)));
  app.get(`${LIST}.csv`, pagePermission('cases:read'), csvExport);
  app.get('/console/drivers/:fileNumber', pagePermission('cases:read'), async (c) => c.html(await driverPage(c)));
  // A post, not a link: showing a full ID number is an action, audited, and never cached or prefetched.
  app.post('/console/drivers/:fileNumber/full-id', pagePermission('licences:read-full'), async (c) => {
    const licence = await licenceWithFullId(c.get('deps'), c.req.param('fileNumber'), c.get('session').staff.id);
    return c.html(await driverPage(c, licence.idNumber));
  });
  return app;
}
