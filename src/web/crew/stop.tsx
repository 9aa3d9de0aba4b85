/**
 * One stop (issue 16 "Status at each stop"): the driver, the place, the call and map links, and
 * the actions the visit's life cycle allows now (src/scheduling/visit-lifecycle.ts decides):
 * 出发 (with the optional "about 15 minutes" SMS), 已到达, 未见到驾驶人 (why, and a note); then
 * what follows for the driver. The 委托书 form for the postal worker and the exam form's link for
 * the examiner. Over the same services as the API routes.
 */
import type { Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { authorisationOf } from '../../scheduling/authorisation.ts';
import { crewStop, type CrewStop } from '../../scheduling/my-day.ts';
import { sendOnTheWaySms } from '../../scheduling/on-the-way.ts';
import { allowedTransition, type VisitEvent, type VisitState } from '../../scheduling/visit-lifecycle.ts';
import { NO_SHOW_REASONS, recordNoShow, recordProgress, type NoShowReason } from '../../scheduling/visits.ts';
import { can } from '../../staff/permissions.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { CsrfField, ErrorSummary, Field, StatusBadge, type Crumb } from '../components/ui.tsx';
import { longDate } from '../format.ts';
import { pageContext, setFlash } from '../session.tsx';
import { AuthorisationSection, type AuthorisationForm } from './authorisation.tsx';
import { StopLinks, StopPlace } from './today.tsx';
import { NO_SHOW_WORDS, ON_THE_WAY_WORDS, clockText } from './words.ts';

export const STOP_PERMISSION = 'field:self' as const;
/** The permission of POST /api/visits/{id}/en-route, arrived and no-show. */
export const PROGRESS_PERMISSION = 'visits:progress' as const;

export const TODAY_CRUMB: Crumb = { label: '今日上门', href: '/console/today' };
export const stopHref = (visitId: string) => `/console/stops/${visitId}`;

const may = (state: string, event: VisitEvent) => allowedTransition(state as VisitState, event) !== null;

/** What happens next for the driver, once the visit is closed or under way. */
function FollowUp(props: { stop: CrewStop }) {
  const v = props.stop.visit;
  if (v.status === 'no_show') {
    return (
      <div class="card follow-up" role="status">
        <h2>未见到驾驶人</h2>
        <p>这位驾驶人已退回排班池：调度员会重新安排上门，驾驶人会收到新的预约短信。这一站不用再做什么。</p>
      </div>
    );
  }
  if (v.status === 'exam_recorded') {
    return (
      <div class="card follow-up" role="status">
        <h2>体检已记录</h2>
        <p>合格的业务在委托书登记后自动提交 12123，驾驶人办结后会收到短信；不合格或证明期限不够的业务已转给车管所工作人员跟进。</p>
      </div>
    );
  }
  return null;
}

export interface NoShowForm {
  reason?: string;
  note?: string;
  errors?: Record<string, string>;
}

function Actions(props: { ctx: PageContext; stop: CrewStop; noShow: NoShowForm }) {
  const { ctx, stop } = props;
  const v = stop.visit;
  if (!can(ctx.staff.role, PROGRESS_PERMISSION)) return null;
  const onDay = stop.date === ctx.today;
  const setOut = onDay && may(v.status, 'set_out');
  const arrive = onDay && may(v.status, 'arrive');
  const noShow = stop.date <= ctx.today && may(v.status, 'record_no_show');
  if (!setOut && !arrive && !noShow) {
    return stop.date > ctx.today && may(v.status, 'set_out') ? <p class="card empty">这一站在 {longDate(stop.date)}：当天才能出发和记录到达。</p> : null;
  }
  const errors = props.noShow.errors ?? {};
  return (
    <section class="card stop-actions" aria-labelledby="actions-title">
      <h2 id="actions-title">这一站的进展</h2>
      {setOut ? (
        <form method="post" action={`${stopHref(v.id)}/en-route`} class="action-form">
          <CsrfField token={ctx.csrfToken} />
          <label class="choice big-choice">
            <input type="checkbox" name="tellDriver" value="1" />
            给驾驶人发短信：约15分钟后到
          </label>
          <button type="submit" class="big">
            出发
          </button>
        </form>
      ) : null}
      {arrive ? (
        <form method="post" action={`${stopHref(v.id)}/arrived`} class="action-form">
          <CsrfField token={ctx.csrfToken} />
          <button type="submit" class="big">
            已到达
          </button>
        </form>
      ) : null}
      {noShow ? (
        <form method="post" action={`${stopHref(v.id)}/no-show`} class="action-form no-show-form" data-confirm="确认没有见到驾驶人？这一站将结束，驾驶人退回排班池。">
          <CsrfField token={ctx.csrfToken} />
          <h3>没有见到驾驶人</h3>
          <ErrorSummary errors={errors} />
          <Field label="原因" name="reason" error={errors['reason']}>
            <select id="reason" name="reason" required>
              <option value="">请选择</option>
              {NO_SHOW_REASONS.map((r) => (
                <option value={r} selected={props.noShow.reason === r}>
                  {NO_SHOW_WORDS[r]}
                </option>
              ))}
            </select>
          </Field>
          <Field label="说明（可不填）" name="note" error={errors['note']} hint="例如：敲门和打电话都没人应。不要写身份证号或病情。">
            <textarea id="note" name="note" rows={2} maxlength={200}>
              {props.noShow.note ?? ''}
            </textarea>
          </Field>
          <button type="submit" class="big danger">
            未见到驾驶人
          </button>
        </form>
      ) : null}
    </section>
  );
}

function ExamLink(props: { ctx: PageContext; stop: CrewStop }) {
  const v = props.stop.visit;
  if (!can(props.ctx.staff.role, 'exams:record') || !may(v.status, 'record_exam') || props.stop.date > props.ctx.today) return null;
  return (
    <p>
      <a class="button big" href={`${stopHref(v.id)}/exam`}>
        填写体检表{v.needsCognitiveTest ? '（含三力测试）' : ''}
      </a>
    </p>
  );
}

export async function renderStop(c: Context<AppEnv>, forms: { noShow?: NoShowForm; authorisation?: AuthorisationForm } = {}) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const stop = await crewStop(deps, ctx.staff, c.req.param('visitId') ?? '');
  const v = stop.visit;
  const authorisation = can(ctx.staff.role, 'authorisations:read') ? await authorisationOf(deps, v.id, ctx.staff) : null;
  return (
    <Layout ctx={ctx} title={`第 ${v.seq} 站：${v.driver.name}`} crumbs={[TODAY_CRUMB, { label: `第 ${v.seq} 站` }]}>
      <div class="card stop-card">
        <div class="stop-head">
          <span class="stop-window">
            {stop.date === ctx.today ? '今天' : longDate(stop.date)} {clockText(v.windowStart)}-{clockText(v.windowEnd)}
          </span>
          <StatusBadge status={v.status} />
        </div>
        <StopPlace visit={v} />
        <p class="stop-needs">要办：{v.needs.join('、')}</p>
        <StopLinks visit={v} mapUrl={deps.config.CREW_MAP_URL} />
      </div>
      <FollowUp stop={stop} />
      <Actions ctx={ctx} stop={stop} noShow={forms.noShow ?? {}} />
      <ExamLink ctx={ctx} stop={stop} />
      {can(ctx.staff.role, 'authorisations:record') ? <AuthorisationSection ctx={ctx} stop={stop} recorded={authorisation} form={forms.authorisation ?? {}} /> : null}
    </Layout>
  );
}

export async function stopPage(c: Context<AppEnv>) {
  return c.html(await renderStop(c));
}

/** A refusal of the service (the life cycle, another day, another crew) as the flash of the stop page. */
async function refused(c: Context<AppEnv>, visitId: string, run: () => Promise<string>) {
  try {
    setFlash(c, { tone: 'good', text: await run() });
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'not_found' || err.code === 'forbidden') throw err;
    setFlash(c, { tone: 'bad', text: `没有记录：${localizeError(err, 'zh-CN').message}` });
  }
  return c.redirect(stopHref(visitId), 303);
}

export async function postEnRoute(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const staff = c.get('session').staff;
  const visitId = c.req.param('visitId') ?? '';
  const form = await c.req.parseBody();
  return refused(c, visitId, async () => {
    const v = await recordProgress(deps, visitId, 'set_out', staff);
    if (form['tellDriver'] !== '1') return '已记录出发。';
    return `已记录出发。${ON_THE_WAY_WORDS[await sendOnTheWaySms(deps, v.id)]}`;
  });
}

export async function postArrived(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const visitId = c.req.param('visitId') ?? '';
  return refused(c, visitId, async () => {
    await recordProgress(deps, visitId, 'arrive', c.get('session').staff);
    return '已记录到达。';
  });
}

export async function postNoShow(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const visitId = c.req.param('visitId') ?? '';
  const form = await c.req.parseBody();
  const reason = typeof form['reason'] === 'string' ? form['reason'] : '';
  const note = typeof form['note'] === 'string' ? form['note'].trim() : '';
  const errors: Record<string, string> = {};
  if (!(NO_SHOW_REASONS as readonly string[]).includes(reason)) errors['reason'] = '请选择没有见到驾驶人的原因';
  if (note.length > 200) errors['note'] = '说明最多 200 个字';
  if (Object.keys(errors).length > 0) {
    c.status(400);
    return c.html(await renderStop(c, { noShow: { reason, note, errors } }));
  }
  return refused(c, visitId, async () => {
    await recordNoShow(deps, visitId, c.get('session').staff, { reason: reason as NoShowReason, ...(note ? { note } : {}) });
    return '已记录未见到驾驶人：驾驶人已退回排班池，调度员会重新安排。';
  });
}
