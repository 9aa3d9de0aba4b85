/**
 * 工作台 for a role that may read the dashboard (issue 15): the figures of a chosen period, the
 * same function and the same period rules as GET /api/dashboard (src/dashboard/routes.ts). The
 * period is a GET form, so that a period is a URL to share or bookmark. How each figure is counted:
 * README "Documented choices" 80, said here in a short hint under each figure.
 */
import type { Context } from 'hono';
import type { FunnelFigure, FunnelStep, DashboardFigures } from '../../dashboard/figures.ts';
import { dashboardPeriod, loadDashboard } from '../../dashboard/routes.ts';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { addDays, addMonths, formatYmd, type CivilDate } from '../../shared/civil-date.ts';
import { isDateInput } from '../../shared/date-words.ts';
import { fieldErrors } from '../form.ts';
import { BarChart, FunnelChart, PercentileStrip, percentText } from '../components/charts.tsx';
import { Layout, type PageContext } from '../components/layout.tsx';
import { withQuery } from '../components/table.tsx';
import { DateText, ErrorSummary, Field, Stat } from '../components/ui.tsx';
import { count } from '../format.ts';
import { pageQuery } from './query.ts';

/** The API route's permission: the page shows the figures to the same roles only. */
export const DASHBOARD_PERMISSION = 'dashboard:read' as const;

const PATH = '/console';

/** How each step of the funnel is counted, in the office's words (README choice 80). */
const STEP_HINTS: Record<FunnelStep, string> = {
  screened: '本期内规模最大的一次已完成筛查所查看的驾照数（每次筛查都覆盖全部驾照，不累加）。',
  due: '本期内首次筛查出需办理业务的驾驶人（每人只算一次）。',
  notified: '通知短信已送达、语音电话已接通，或驾驶人已回复。',
  confirmed: '驾驶人已确认上门体检（短信、按键或告诉工作人员）。',
  booked: '已预约上门时间。',
  visited: '医生已录入体检结果。',
  passed: '体检结果合格。',
  filed: '已向 12123 报送（含正在报送的）。',
  accepted: '12123 已受理。',
};

export interface QuickPeriod {
  label: string;
  from: CivilDate;
  to: CivilDate;
}

/** The quick links' periods, counted from today (China time). */
export function quickPeriods(today: CivilDate): QuickPeriod[] {
  const monthStart = formatYmd(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 1);
  return [
    { label: '近7天', from: addDays(today, -6), to: today },
    { label: '近30天', from: addDays(today, -29), to: today },
    { label: '本月', from: monthStart, to: today },
    { label: '上月', from: addMonths(monthStart, -1), to: addDays(monthStart, -1) },
  ];
}

type PeriodQuery = { from?: string | undefined; to?: string | undefined };

/** The form's errors in plain words; null when the period is one the API would take too. */
function periodErrors(query: PeriodQuery, err?: AppError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, label] of [['from', '开始日期'], ['to', '结束日期']] as const) {
    const value = query[name];
    if (value !== undefined && !isDateInput(value)) errors[name] = `${label}不是有效的日期，请按“年-月-日”填写，例如 2026-11-01。`;
  }
  if (err) {
    const issues = (err.details as { issues?: { field: string; code: string }[] } | undefined)?.issues ?? [];
    const texts = fieldErrors(err);
    for (const issue of issues) {
      errors[issue.field] = issue.code === 'bad_range' ? '开始日期不能晚于结束日期，且一次最多查看 366 天。' : (texts[issue.field] ?? '请检查这个日期。');
    }
  }
  return errors;
}

function PeriodForm(props: { today: CivilDate; values: PeriodQuery; current?: { from: CivilDate; to: CivilDate }; errors: Record<string, string> }) {
  const { values, current, errors } = props;
  return (
    <section class="card period" aria-labelledby="period-title">
      <h2 id="period-title">统计期间</h2>
      <ErrorSummary errors={errors} />
      <form method="get" action={PATH} class="period-form">
        <Field label="从" name="from" error={errors.from}>
          <input id="from" name="from" type="date" value={values.from ?? ''} required />
        </Field>
        <Field label="到" name="to" error={errors.to}>
          <input id="to" name="to" type="date" value={values.to ?? ''} required />
        </Field>
        <button type="submit">查看</button>
      </form>
      <nav class="quick-periods" aria-label="常用期间">
        {quickPeriods(props.today).map((p) => (
          <a href={withQuery(PATH, { from: p.from, to: p.to })} aria-current={current && current.from === p.from && current.to === p.to ? 'true' : undefined}>
            {p.label}
          </a>
        ))}
      </nav>
      <p class="section-hint">日期按中国时间计算，包含开始和结束当天。不选期间时显示近 30 天。</p>
    </section>
  );
}

const rateCell = (rate: number | null) => percentText(rate);

function FunnelSection(props: { funnel: readonly FunnelFigure[] }) {
  return (
    <section aria-labelledby="funnel-title">
      <h2 id="funnel-title">办理进度</h2>
      <p class="section-hint">
        本期应办理的驾驶人各自走到了哪一步（从期间开始至今）。走到后面一步的人，前面各步也都计入，所以比例不会超过 100%。
      </p>
      <FunnelChart id="funnel" title="办理漏斗：从筛查到 12123 受理" steps={props.funnel.map((s) => ({ label: s.label, count: s.count, rate: s.rateFromPrevious }))} scaleFrom={1} />
      {/* Focusable and named as DataTable's: a table wider than a phone scrolls, and the keyboard must reach it. */}
      <div class="table-wrap figures-wrap" tabindex={0} role="region" aria-label="各步骤人数与比例">
        <table>
          <caption>各步骤人数与比例</caption>
          <thead>
            <tr>
              <th scope="col">步骤及计算方法</th>
              <th scope="col" class="num">人数</th>
              <th scope="col" class="num">较上一步</th>
              <th scope="col" class="num">占应办理</th>
            </tr>
          </thead>
          <tbody>
            {props.funnel.map((s) => (
              <tr data-step={s.step}>
                <th scope="row" class="step">
                  {s.label}
                  <span class="step-hint">{STEP_HINTS[s.step]}</span>
                </th>
                <td class="num" data-figure="count">{count(s.count)}</td>
                <td class="num" data-figure="from-previous">{rateCell(s.rateFromPrevious)}</td>
                <td class="num" data-figure="from-due">{rateCell(s.rateFromDue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A key figure with the machine-readable name the page test reads it by. */
function Figure(props: { name: string; label: string; value: string; hint: string }) {
  return <Stat label={props.label} value={<span data-figure={props.name}>{props.value}</span>} note={props.hint} />;
}

function KeyFigures(props: { d: DashboardFigures }) {
  const { d } = props;
  const v = d.visitsPerCrewDay;
  return (
    <section aria-labelledby="key-title">
      <h2 id="key-title">本期工作量</h2>
      <div class="grid figures-grid">
        <Figure name="opt-outs" label="退订" value={count(d.optOuts)} hint="本期内退订通知的手机号（回复 TD、退订，或告诉工作人员）。" />
        <Figure name="no-shows" label="上门未遇" value={count(d.noShows)} hint="上门日期在本期内、驾驶人不在的预约。" />
        <Figure name="unreachable" label="联系不上" value={count(d.unreachable)} hint="本期内短信和电话都没联系上、转为人工回访的驾驶人。" />
        <Figure
          name="per-crew-day"
          label="每组每天体检"
          value={v.perCrewDay === null ? '—' : count(v.perCrewDay)}
          hint={`本期 ${count(v.visits)} 人次体检，${count(v.crewDays)} 个出勤组日（一名投递员和一名医生同一天至少上门一次）。`}
        />
      </div>
    </section>
  );
}

const minutes = (m: number | null) => (m === null ? '—' : `${count(m)} 分钟`);

function AcceptanceSection(props: { e: DashboardFigures['examToAcceptance'] }) {
  const { e } = props;
  return (
    <section aria-labelledby="acceptance-title">
      <h2 id="acceptance-title">体检开始到 12123 受理</h2>
      <p class="section-hint">
        本期内 12123 受理的业务，从体检开始到受理的用时；承诺 {e.promiseMinutes} 分钟内办完。中位数：一半的业务快于此；90% 分位：九成的业务快于此。
      </p>
      <PercentileStrip
        id="acceptance"
        medianMinutes={e.medianMinutes}
        p90Minutes={e.p90Minutes}
        promiseMinutes={e.promiseMinutes}
        measured={e.measured}
        withinPromiseShare={e.withinPromiseShare}
      />
      <div class="grid figures-grid">
        <Figure name="median" label="中位数" value={minutes(e.medianMinutes)} hint={`共计时 ${count(e.measured)} 件。`} />
        <Figure name="p90" label="90% 分位" value={minutes(e.p90Minutes)} hint="九成业务的用时不超过此值。" />
        <Figure
          name="within-promise"
          label={`${e.promiseMinutes} 分钟内办完`}
          value={percentText(e.withinPromiseShare)}
          hint={`${count(e.withinPromise)} / ${count(e.measured)} 件。`}
        />
        <Figure
          name="waited"
          label="等待办理期开始"
          value={count(e.waitedForOpening)}
          hint="体检时还不到可办理的日期，受理前须等待，不计入用时。"
        />
      </div>
    </section>
  );
}

const communityName = (c: string | null) => c ?? '未登记小区';

function OverdueSection(props: { o: DashboardFigures['overdueByCommunity'] }) {
  const { o } = props;
  const bars = o.top.map((c) => ({ label: communityName(c.community), value: c.cases }));
  if (o.others > 0) bars.push({ label: '其他小区', value: o.others });
  return (
    <section aria-labelledby="overdue-title">
      <h2 id="overdue-title">逾期未办结（按小区）</h2>
      <p class="section-hint">截至最近一次筛查，已过办理期限、仍未办结的业务，按驾驶人登记的小区统计；这是当前情况，与所选期间无关。</p>
      <BarChart id="overdue" title="逾期未办结的业务（按小区）" unit="件" bars={bars} empty="没有逾期未办结的业务" />
      <div class="table-wrap figures-wrap" tabindex={0} role="region" aria-label="逾期未办结的业务（按小区）">
        <table>
          <caption>逾期未办结的业务，共 {count(o.total)} 件</caption>
          <thead>
            <tr>
              <th scope="col">小区</th>
              <th scope="col" class="num">业务数</th>
              <th scope="col">名单</th>
            </tr>
          </thead>
          <tbody>
            {o.top.length === 0 ? (
              <tr>
                <td colspan={3} class="empty">
                  没有逾期未办结的业务。
                </td>
              </tr>
            ) : (
              o.top.map((c) => (
                <tr data-community={c.community ?? ''}>
                  <th scope="row">{communityName(c.community)}</th>
                  <td class="num" data-figure="cases">{count(c.cases)}</td>
                  <td>
                    {c.community === null ? (
                      <a href="/console/cases?overdue=true">查看全部逾期业务</a>
                    ) : (
                      <a href={withQuery('/console/cases', { community: c.community, overdue: 'true' })}>查看名单</a>
                    )}
                  </td>
                </tr>
              ))
            )}
            {o.others > 0 ? (
              <tr>
                <th scope="row">其他小区</th>
                <td class="num" data-figure="others">{count(o.others)}</td>
                <td>
                  <a href="/console/cases?overdue=true">查看全部逾期业务</a>
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DashboardView(props: { ctx: PageContext; values: PeriodQuery; errors: Record<string, string>; figures: DashboardFigures | null }) {
  const { ctx, figures } = props;
  const current = figures ? { from: figures.from, to: figures.to } : undefined;
  return (
    <Layout ctx={ctx} title="工作台">
      <PeriodForm today={ctx.today} values={props.values} errors={props.errors} {...(current ? { current } : {})} />
      {figures ? (
        <>
          <p class="period-line">
            统计期间：<DateText date={figures.from} long /> 至 <DateText date={figures.to} long />
          </p>
          <FunnelSection funnel={figures.funnel} />
          <KeyFigures d={figures} />
          <AcceptanceSection e={figures.examToAcceptance} />
          <OverdueSection o={figures.overdueByCommunity} />
        </>
      ) : (
        <p class="muted">请改正统计期间后再查看。</p>
      )}
    </Layout>
  );
}

/**
 * GET /console for a role with dashboard:read: parse the period, the same checks and function as
 * the API; a period the API would refuse is a form error (400), never an error page.
 */
export async function dashboardPage(c: Context<AppEnv>, ctx: PageContext): Promise<Response> {
  const deps = c.get('deps');
  const query: PeriodQuery = pageQuery(c, ['from', 'to']);
  const typed = periodErrors(query);
  if (Object.keys(typed).length > 0) {
    c.status(400);
    return c.html(<DashboardView ctx={ctx} values={query} errors={typed} figures={null} />);
  }
  let period: { from: CivilDate; to: CivilDate };
  try {
    period = dashboardPeriod(deps, query);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err;
    c.status(400);
    return c.html(<DashboardView ctx={ctx} values={query} errors={periodErrors(query, err)} figures={null} />);
  }
  const figures = await loadDashboard(deps, period.from, period.to);
  return c.html(<DashboardView ctx={ctx} values={period} errors={{}} figures={figures} />);
}
