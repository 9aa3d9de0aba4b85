/**
 * 排班计划, the planning board (issue 16 "Planning board"): for a date, each shift's crew, hours,
 * stops in order with the arrival windows and the SMS each driver will receive; the routes on a
 * map; the drivers left out with the reason; pin, move or remove a draft; re-plan; commit with a
 * confirmation that says how many SMS go out. Over the API's own services: planView (GET
 * /api/plans/{date}), previewPlan, commitAndSend, changeVisit, cancelVisit, and the outbox's
 * template and decision for the SMS (src/scheduling/appointment-preview.ts).
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { requireId } from '../params.ts';
import { localizeError } from '../../i18n/localize.ts';
import { appointmentPreviews, smsToSend, type AppointmentPreview } from '../../scheduling/appointment-preview.ts';
import { planView, type PlanView, type PlanVisit } from '../../scheduling/plan-view.ts';
import { commitAndSend, previewPlan, type CommitResult, type PlanRunSummary } from '../../scheduling/planning.ts';
import { cancelVisit, changeVisit } from '../../scheduling/visits.ts';
import { addDays, type CivilDate } from '../../shared/civil-date.ts';
import { isDateInput, resolveDateInput } from '../../shared/date-words.ts';
import { todayIn } from '../../shared/time.ts';
import { can } from '../../staff/permissions.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { withQuery } from '../components/table.tsx';
import { Badge, CsrfField, ErrorSummary, Field, Stat, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { count, longDate } from '../format.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { RouteMap, routeColour, type MapRoute } from './route-map.tsx';

export const BOARD = '/console/plans';
const CRUMBS: Crumb[] = [{ label: '工作台', href: '/console' }, { label: '排班计划' }];
/** What the board writes as the reason of a draft removed from the plan (kept in the audit log). */
export const REMOVE_REASON = '调度员从排班计划中移出';

type Shift = PlanView['shifts'][number];

interface Problem {
  errors: Record<string, string>;
  message?: string | undefined;
  dateText?: string | undefined;
}

const clockText = (hhmm: string) => (hhmm.startsWith('0') ? hhmm.slice(1) : hhmm);
const hours = (s: { startsAt: string; endsAt: string }) => `${clockText(s.startsAt)}-${clockText(s.endsAt)}`;
const shiftName = (i: number) => `${i + 1}号班次`;
const crewText = (s: Shift) => `邮政 ${s.postal.name} · ${s.examiner.name} 医生`;

/** The date of the URL or form: a date or a date word; tomorrow when there is none. */
function boardDate(c: Context<AppEnv>, text: string | undefined): CivilDate | null {
  const today = todayIn(c.get('deps').clock.now());
  if (text === undefined || text.trim() === '') return addDays(today, 1);
  return isDateInput(text.trim()) ? resolveDateInput(text.trim(), today) : null;
}

const DATE_ERROR = '请填写日期，如 2026-12-08，或 今天、明天、+3（3天后）。';
const CONFIRM_ERROR = '请先勾选“我已核对计划，确认发送”，再确认并发送。';

// ---------------------------------------------------------------------------------------------
// Pieces

function DateForm(props: { date: CivilDate | null; today: CivilDate; text?: string | undefined; error?: string | undefined }) {
  const quick = [
    { label: '今天', date: props.today },
    { label: '明天', date: addDays(props.today, 1) },
    { label: '后天', date: addDays(props.today, 2) },
  ];
  return (
    <form method="get" action={BOARD} class="filters">
      <Field label="日期" name="date" error={props.error} hint="如 2026-12-08，或 今天、明天、+3">
        <input id="date" name="date" type="text" inputmode="numeric" value={props.text ?? props.date ?? ''} />
      </Field>
      <div class="filter-actions">
        <button type="submit">查看</button>
        {quick.map((q) => (
          <a href={withQuery(BOARD, { date: q.date })} aria-current={q.date === props.date ? 'page' : undefined}>
            {q.label}
          </a>
        ))}
      </div>
    </form>
  );
}

function RunFigures(props: { plan: PlanView }) {
  const visits = props.plan.shifts.flatMap((s) => s.visits);
  const drafts = visits.filter((v) => v.status === 'planned').length;
  const run = props.plan.run;
  return (
    <div class="grid">
      <Stat label="班次" value={count(props.plan.shifts.filter((s) => s.status === 'open').length)} />
      <Stat label="已排入的上门" value={count(visits.length)} note={`其中草稿 ${count(drafts)}，已通知 ${count(visits.length - drafts)}`} />
      <Stat label="未能排入" value={count(props.plan.unplanned.length)} />
      <Stat label="路程" value={run ? `${run.km} 公里` : '—'} note={run ? <>排班于 <TimeText at={run.createdAt} /></> : '还没有排班'} />
    </div>
  );
}

function PreviewForm(props: { ctx: PageContext; date: CivilDate; again: boolean }) {
  return (
    <form method="post" action={`${BOARD}/preview`} class="inline" data-busy="正在排班，驾驶人多时需要几秒钟…">
      <CsrfField token={props.ctx.csrfToken} />
      <input type="hidden" name="date" value={props.date} />
      <button type="submit" class={props.again ? 'secondary' : undefined}>
        {props.again ? '重新排班' : '生成排班'}
      </button>
    </form>
  );
}

/** The confirmation in words: how many visits are booked and how many SMS go out, now and later. */
export function commitQuestion(drafts: number, sms: ReturnType<typeof smsToSend>): string {
  const parts = [`将预约 ${count(drafts - sms.tooLate)} 个上门，立即发送 ${count(sms.now)} 条预约短信`];
  if (sms.later > 0) parts.push(`${count(sms.later)} 条在短信发送时段开始后发送`);
  if (sms.call > 0) parts.push(`${count(sms.call)} 位驾驶人不能收短信，需电话通知`);
  if (sms.tooLate > 0) parts.push(`${count(sms.tooLate)} 个时间窗已开始，不会预约`);
  return `${parts.join('；')}。`;
}

function CommitForm(props: { ctx: PageContext; date: CivilDate; drafts: number; previews: Map<string, AppointmentPreview>; error?: string | undefined }) {
  const question = commitQuestion(props.drafts, smsToSend(props.previews.values()));
  return (
    <form method="post" action={`${BOARD}/commit`} class="card stack commit-form" data-confirm={`${question}确定发送吗？`}>
      <h2>确认并发送</h2>
      <p>{question}</p>
      <p class="muted">确认后驾驶人会收到预约短信，前一天还会收到提醒；之后重新排班不会再改动已通知的上门。</p>
      <CsrfField token={props.ctx.csrfToken} />
      <input type="hidden" name="date" value={props.date} />
      <div class={props.error ? 'field field-error' : 'field'}>
        {props.error ? (
          <p class="error-text" id="confirm-error">
            {props.error}
          </p>
        ) : null}
        <label class="choice" for="confirm">
          <input id="confirm" name="confirm" type="checkbox" value="yes" required aria-describedby={props.error ? 'confirm-error' : undefined} />
          我已核对计划，确认发送
        </label>
      </div>
      <div>
        <button type="submit">确认并发送</button>
      </div>
    </form>
  );
}

const OUTCOME_BADGES: Record<AppointmentPreview['outcome'], { label: string; tone: 'good' | 'info' | 'warn' | 'bad' | 'neutral' }> = {
  send: { label: '确认后立即发送', tone: 'info' },
  later: { label: '发送时段开始后发送', tone: 'neutral' },
  call: { label: '不发短信，需电话通知', tone: 'warn' },
  too_late: { label: '时间窗已开始，不会预约', tone: 'bad' },
  sent: { label: '已发送', tone: 'good' },
  pending: { label: '等待发送', tone: 'neutral' },
  not_sent: { label: '未发送，需电话通知', tone: 'warn' },
};

/** The outbox's note (src/scheduling/notices.ts decideNotice) in the dispatcher's words. */
function callReason(note: string | null): string | null {
  if (!note) return null;
  if (note.startsWith('landline')) return '登记的是座机号码';
  if (note.startsWith('number opted out')) return '驾驶人已退订短信';
  return null;
}

function SmsCell(props: { preview: AppointmentPreview | undefined }) {
  const p = props.preview;
  if (!p) return <span class="muted">—</span>;
  const badge = OUTCOME_BADGES[p.outcome];
  const why = p.outcome === 'call' ? callReason(p.note) : null;
  return (
    <>
      <Badge tone={badge.tone}>{badge.label}</Badge>
      {why ? <span class="muted block">{why}</span> : null}
      {p.text ? (
        <details class="sms">
          <summary>短信内容</summary>
          <p class="sms-text">{p.text}</p>
        </details>
      ) : null}
    </>
  );
}

function VisitActions(props: { ctx: PageContext; date: CivilDate; visit: PlanVisit; shifts: readonly Shift[] }) {
  const { visit: v, ctx } = props;
  const action = `${BOARD}/visits/${v.id}`;
  const others = props.shifts.map((s, i) => ({ s, i })).filter(({ s }) => s.id !== v.shiftId && s.status === 'open');
  return (
    <div class="visit-actions">
      {/* One form, the button pressed says what to do: half the page's bytes of two forms a stop. */}
      <form method="post" action={action}>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="date" value={props.date} />
        <button type="submit" name="action" value={v.pinned ? 'unpin' : 'pin'} class="secondary">
          {v.pinned ? '取消固定' : '固定'}
        </button>
        {others.length > 0 ? (
          <>
            {/* aria-label, not a hidden label: an absolutely placed label would stick out of the scrolling table on a phone */}
            <select name="shiftId" aria-label={`把 ${v.driver.name} 移到其他班次`}>
              {others.map(({ s, i }) => (
                <option value={s.id}>
                  {shiftName(i)} {hours(s)}
                </option>
              ))}
            </select>
            <button type="submit" name="action" value="move" class="secondary">
              移过去
            </button>
          </>
        ) : null}
      </form>
      <form method="post" action={`${action}/remove`} data-confirm={`把 ${v.driver.name} 移出这一天的计划吗？重新排班时不会再排入。`}>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="date" value={props.date} />
        <button type="submit" class="secondary">移出</button>
      </form>
    </div>
  );
}

function StopRow(props: { ctx: PageContext; date: CivilDate; visit: PlanVisit; shifts: readonly Shift[]; preview: AppointmentPreview | undefined; manage: boolean }) {
  const v = props.visit;
  return (
    <tr id={`visit-${v.id}`}>
      <td class="num">{v.seq}</td>
      <td>
        <strong>{`${clockText(v.windowStart)}-${clockText(v.windowEnd)}`}</strong>
        <span class="muted block">计划 {clockText(v.startsAt)} 开始，约 {v.serviceMinutes} 分钟</span>
      </td>
      <td>
        <a href={`/console/drivers/${v.fileNumber}`}>{v.driver.name}</a>
        <span class="muted block">{v.driver.phoneDisplay}</span>
      </td>
      <td>
        {v.stop.label}
        <span class="muted block">
          {v.stop.atGate ? '小区门口' : '家门口'}
          {v.needsCognitiveTest ? '，含三力测试' : ''}
        </span>
      </td>
      <td>
        <StatusBadge status={v.status} /> {v.pinned && v.status === 'planned' ? <Badge tone="info">已固定</Badge> : null}
      </td>
      <td>
        <SmsCell preview={props.preview} />
      </td>
      {props.manage ? <td>{v.status === 'planned' ? <VisitActions ctx={props.ctx} date={props.date} visit={v} shifts={props.shifts} /> : <span class="muted">已通知，不能在此改动</span>}</td> : null}
    </tr>
  );
}

function ShiftCard(props: { ctx: PageContext; date: CivilDate; shift: Shift; index: number; shifts: readonly Shift[]; previews: Map<string, AppointmentPreview>; manage: boolean }) {
  const { shift: s, index } = props;
  const title = `${shiftName(index)}：${crewText(s)}`;
  if (s.status === 'cancelled') {
    return (
      <section class="card shift-card" aria-label={title}>
        <h2>
          <s>{title}</s> <Badge tone="bad">已取消</Badge>
        </h2>
      </section>
    );
  }
  return (
    <section class="card shift-card" aria-labelledby={`shift-${s.id}`}>
      <h2 id={`shift-${s.id}`}>
        <svg class="swatch" viewBox="0 0 24 10" width={24} height={10} aria-hidden="true">
          <line x1={0} y1={5} x2={24} y2={5} stroke={routeColour(index)} stroke-width={4} />
        </svg>
        {title}
      </h2>
      <p class="muted">
        {hours(s)}，从 {s.start.label} 出发{s.end.label !== s.start.label ? `，到 ${s.end.label} 结束` : '并返回'}；已排 {s.visits.length} / {s.capacity} 个上门。
      </p>
      {s.visits.length === 0 ? (
        <p class="muted">这个班次还没有排入上门。</p>
      ) : (
        <div class="table-wrap" tabindex={0} role="region" aria-label={`${shiftName(index)}的站点`}>
          <table>
            <caption>{`${shiftName(index)}的站点（按到达顺序）`}</caption>
            <thead>
              <tr>
                <th scope="col" class="num">顺序</th>
                <th scope="col">到达时间窗</th>
                <th scope="col">驾驶人</th>
                <th scope="col">地点</th>
                <th scope="col">状态</th>
                <th scope="col">预约短信</th>
                {props.manage ? <th scope="col">调整</th> : null}
              </tr>
            </thead>
            <tbody>
              {s.visits.map((v) => (
                <StopRow ctx={props.ctx} date={props.date} visit={v} shifts={props.shifts} preview={props.previews.get(v.id)} manage={props.manage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Unplanned(props: { plan: PlanView }) {
  const rows = props.plan.unplanned;
  return (
    <section class="card" aria-labelledby="unplanned">
      <h2 id="unplanned">未能排入的驾驶人（{count(rows.length)}）</h2>
      {rows.length === 0 ? (
        <p class="muted">{props.plan.run ? '所有已确认的驾驶人都排入了计划。' : '还没有排班。'}</p>
      ) : (
        <ul class="plain unplanned">
          {rows.map((u) => (
            <li>
              {u.driver ? <a href={`/console/drivers/${u.fileNumber}`}>{u.driver.name}</a> : <span>档案号 {u.fileNumber}</span>}
              {u.driver?.community ? <span class="muted">（{u.driver.community}）</span> : null}：{u.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The map's routes: each open shift from its start through its stops to its end. */
export function mapRoutes(plan: PlanView): MapRoute[] {
  return plan.shifts
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.status === 'open')
    .map(({ s, i }) => ({
      id: s.id,
      label: `${shiftName(i)}：${crewText(s)}（${hours(s)}）`,
      start: s.start,
      end: s.end,
      stops: s.visits.map((v) => ({ seq: v.seq, label: `${v.stop.label} ${v.driver.name}`, window: `${clockText(v.windowStart)}-${clockText(v.windowEnd)}`, lat: v.stop.lat, lng: v.stop.lng })),
    }));
}

// ---------------------------------------------------------------------------------------------
// The page

export function BoardPage(props: { ctx: PageContext; date: CivilDate; plan: PlanView; previews: Map<string, AppointmentPreview>; problem?: Problem | undefined }) {
  const { ctx, date, plan, problem } = props;
  const manage = can(ctx.staff.role, 'scheduling:manage');
  const drafts = plan.shifts.flatMap((s) => s.visits).filter((v) => v.status === 'planned').length;
  const open = plan.shifts.filter((s) => s.status === 'open');
  const past = date < ctx.today;
  return (
    <Layout
      ctx={ctx}
      title="排班计划"
      crumbs={CRUMBS}
      actions={manage && open.length > 0 && !past ? <PreviewForm ctx={ctx} date={date} again={plan.run !== null} /> : undefined}
    >
      <DateForm date={date} today={ctx.today} text={problem?.dateText} error={problem?.errors.date} />
      <ProblemBox problem={problem} />
      <h2>{longDate(date)}</h2>
      {date === ctx.today ? <p class="section-hint">今天的计划从现在开始安排：已经过去的时间不再排入，已出发的上门保持不变。</p> : null}
      {past ? <p class="section-hint">这一天已经过去，只能查看。</p> : null}
      {open.length === 0 ? <p class="card empty">这一天没有开放的班次。请先在“排班”页面为这一天安排班次。</p> : null}
      <RunFigures plan={plan} />
      {manage && drafts > 0 && !past ? <CommitForm ctx={ctx} date={date} drafts={drafts} previews={props.previews} error={problem?.errors.confirm} /> : null}
      {open.length > 0 ? (
        <section aria-labelledby="map-heading">
          <h2 id="map-heading">路线图</h2>
          <RouteMap routes={mapRoutes(plan)} title={`${longDate(date)}各班次的路线`} id="board-map" />
        </section>
      ) : null}
      {plan.shifts.map((s, i) => (
        <ShiftCard ctx={ctx} date={date} shift={s} index={i} shifts={plan.shifts} previews={props.previews} manage={manage && !past} />
      ))}
      <Unplanned plan={plan} />
    </Layout>
  );
}

function ProblemBox(props: { problem: Problem | undefined }) {
  const p = props.problem;
  if (!p) return null;
  const { date: _date, ...others } = p.errors;
  return (
    <>
      <ErrorSummary errors={others} />
      {p.message ? (
        <div class="error-summary" role="alert">
          <p>{p.message}</p>
        </div>
      ) : null}
    </>
  );
}

async function renderBoard(c: Context<AppEnv>, date: CivilDate, problem?: Problem) {
  const deps = c.get('deps');
  const [plan, previews] = await Promise.all([planView(deps.db, date, c.get('session').staff.role, 'zh-CN'), appointmentPreviews(deps, date)]);
  return c.html(<BoardPage ctx={pageContext(c)} date={date} plan={plan} previews={previews} problem={problem} />);
}

async function boardPage(c: Context<AppEnv>) {
  const text = c.req.query('date');
  const date = boardDate(c, text);
  if (date !== null) return renderBoard(c, date);
  c.status(400);
  return renderBoard(c, boardDate(c, undefined)!, { errors: { date: DATE_ERROR }, dateText: text?.slice(0, 40) });
}

// ---------------------------------------------------------------------------------------------
// Posts: each one the API's service, then back to the board of the date with a flash message.

async function formOf(c: Context<AppEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function back(c: Context<AppEnv>, date: CivilDate, anchor = '') {
  return c.redirect(`${withQuery(BOARD, { date })}${anchor}`, 303);
}

/** A refusal of the service (a conflict, a field issue) on the board itself; nothing was changed. */
async function refused(c: Context<AppEnv>, date: CivilDate, err: unknown) {
  if (!(err instanceof AppError) || err.status >= 500) throw err;
  c.status(err.status);
  const errors = err.code === 'validation_failed' ? fieldErrors(err) : {};
  return renderBoard(c, date, { errors, message: `没有改动：${localizeError(err, 'zh-CN').message}` });
}

/** The form's date; a form without a valid one re-renders tomorrow's board with the error (400). */
async function postedDate(c: Context<AppEnv>, form: Record<string, string>): Promise<CivilDate | Response> {
  const date = form.date ? boardDate(c, form.date) : null;
  if (date) return date;
  c.status(400);
  return renderBoard(c, boardDate(c, undefined)!, { errors: { date: DATE_ERROR }, dateText: form.date?.slice(0, 40) });
}

export function previewFlash(r: PlanRunSummary): string {
  const parts = [`已排班：${count(r.planned)} 位驾驶人排入计划`, `${count(r.unplanned.length)} 位未能排入（原因见页面下方）`];
  if (r.conflicts.length > 0) parts.push(`${count(r.conflicts.length)} 个已固定或已预约的上门不再合适，保持原样`);
  if (r.underway > 0) parts.push(`${count(r.underway)} 个已经开始的上门保持不变`);
  return `${parts.join('，')}。`;
}

export function commitFlash(r: CommitResult): string {
  const a = r.appointments;
  const head = `已确认 ${count(r.booked)} 个上门${r.unchanged > 0 ? `（之前已通知的 ${count(r.unchanged)} 个不变）` : ''}。`;
  const sms = `预约短信：已发送 ${count(a.sent)} 条，稍后发送 ${count(a.deferred + a.sending)} 条，未发送 ${count(a.skipped)} 条（需电话通知），失败 ${count(a.failed)} 条。`;
  const late = r.leftOut.length > 0 ? `${count(r.leftOut.length)} 个上门的时间窗已开始，没有预约，请重新排班。` : '';
  return head + sms + late;
}

async function postPreview(c: Context<AppEnv>) {
  const form = await formOf(c);
  const date = await postedDate(c, form);
  if (date instanceof Response) return date;
  try {
    const r = await previewPlan(c.get('deps'), date, { staffId: c.get('session').staff.id });
    setFlash(c, { tone: 'good', text: previewFlash(r) });
    return back(c, date);
  } catch (err) {
    return refused(c, date, err);
  }
}

async function postCommit(c: Context<AppEnv>) {
  const form = await formOf(c);
  const date = await postedDate(c, form);
  if (date instanceof Response) return date;
  if (form.confirm !== 'yes') {
    c.status(400);
    return renderBoard(c, date, { errors: { confirm: CONFIRM_ERROR } });
  }
  try {
    const r = await commitAndSend(c.get('deps'), date, c.get('session').staff.id);
    setFlash(c, { tone: r.leftOut.length > 0 || r.appointments.failed > 0 ? 'info' : 'good', text: commitFlash(r) });
    return back(c, date);
  } catch (err) {
    return refused(c, date, err);
  }
}

async function postVisit(c: Context<AppEnv>) {
  const form = await formOf(c);
  const date = await postedDate(c, form);
  if (date instanceof Response) return date;
  const id = c.req.param('id') ?? '';
  try {
    requireId(id, { key: 'visit_not_found' });
    if (form.action !== 'move' && form.action !== 'pin' && form.action !== 'unpin') {
      c.status(400);
      return renderBoard(c, date, { errors: { action: '请选择固定、取消固定或移到其他班次。' } });
    }
    const change = form.action === 'move' ? { shiftId: form.shiftId ?? '' } : { pinned: form.action === 'pin' };
    await changeVisit(c.get('deps'), id, change, c.get('session').staff.id);
    setFlash(c, { tone: 'good', text: form.action === 'move' ? '已移到所选班次并固定，顺序已重新排好。' : form.action === 'pin' ? '已固定：重新排班时这个上门保持在原班次。' : '已取消固定。' });
    return back(c, date, `#visit-${id}`);
  } catch (err) {
    return refused(c, date, err);
  }
}

async function postRemove(c: Context<AppEnv>) {
  const form = await formOf(c);
  const date = await postedDate(c, form);
  if (date instanceof Response) return date;
  const id = c.req.param('id') ?? '';
  try {
    requireId(id, { key: 'visit_not_found' });
    await cancelVisit(c.get('deps'), id, REMOVE_REASON, c.get('session').staff.id);
    setFlash(c, { tone: 'good', text: '已移出这一天的计划：重新排班时不会再排入，驾驶人可以排到其他日期。' });
    return back(c, date);
  } catch (err) {
    return refused(c, date, err);
  }
}

export function boardPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(BOARD, pagePermission('scheduling:read'), boardPage);
  app.post(`${BOARD}/preview`, pagePermission('scheduling:manage'), postPreview);
  app.post(`${BOARD}/commit`, pagePermission('scheduling:manage'), postCommit);
  app.post(`${BOARD}/visits/:id`, pagePermission('scheduling:manage'), postVisit);
  app.post(`${BOARD}/visits/:id/remove`, pagePermission('scheduling:manage'), postRemove);
  return app;
}
