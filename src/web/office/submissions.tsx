/**
 * 12123 提交 (issue 15 "12123 queue"): the queue now (waiting, in flight, accepted, refused with
 * the gateway's reason, dead letters), pause and resume, sending dead letters again, and each
 * submission with every try. Over src/submissions/service.ts, as the API.
 */
import { Hono, type Context } from 'hono';
import { SUBMISSION_STATUSES, type SubmissionStatus } from '../../db/schema/submissions.ts';
import type { AppEnv } from '../../http/env.ts';
import { idOrUndefined, requireId } from '../params.ts';
import { can } from '../../staff/permissions.ts';
import { BUSINESS_NAMES } from '../../submissions/payload.ts';
import { listSubmissions, queueNow, retryDeadSubmissions, setSubmissionsPaused, submissionDetail, type SubmissionView } from '../../submissions/service.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, FilterForm, type Column } from '../components/table.tsx';
import { Badge, CsrfField, Stat, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { gatewayReason, statusLabel } from '../labels.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from './query.ts';

const HOME: Crumb = { label: '工作台', href: '/console' };
const LIST = '/console/submissions';

const EVENT_LABELS: Record<string, string> = {
  accepted: '12123 已受理',
  transient: '暂时失败，稍后重试',
  dead: '无法提交',
  retried: '人工重新提交',
  cancelled: '已取消',
};

const business = (b: string) => BUSINESS_NAMES[b as keyof typeof BUSINESS_NAMES] ?? b;

const columns: Column<SubmissionView>[] = [
  { header: '创建时间', cell: (s) => <a href={`${LIST}/${s.id}`}><TimeText at={s.createdAt} /></a> },
  { header: '档案编号', cell: (s) => <a href={`/console/drivers/${s.fileNumber}`}>{s.fileNumber}</a> },
  { header: '业务', cell: (s) => business(s.business) },
  { header: '状态', cell: (s) => (s.heldFor ? <Badge tone="warn">等待委托书</Badge> : <StatusBadge status={s.status} />) },
  { header: '尝试', kind: 'num', cell: (s) => String(s.attempts) },
  { header: '受理编号 / 原因', cell: (s) => s.reference ?? (s.lastError ? <span class="error-text">{gatewayReason(s.lastError)}</span> : '—') },
];

function QueueControls(props: { ctx: PageContext; paused: boolean; dead: number }) {
  return (
    <>
      <form method="post" action={`${LIST}/${props.paused ? 'resume' : 'pause'}`} class="inline" data-confirm={props.paused ? undefined : '暂停后所有提交都会停在队列里，直到恢复。确定暂停吗？'}>
        <CsrfField token={props.ctx.csrfToken} />
        <button type="submit" class={props.paused ? undefined : 'secondary'}>
          {props.paused ? '恢复发送' : '暂停发送'}
        </button>
      </form>
      {props.dead > 0 ? (
        <form method="post" action={`${LIST}/retry`} class="inline" data-confirm={`把 ${props.dead} 件无法提交的业务全部重新提交？`}>
          <CsrfField token={props.ctx.csrfToken} />
          <input type="hidden" name="all" value="true" />
          <button type="submit" class="secondary">全部重新提交（{count(props.dead)}）</button>
        </form>
      ) : null}
    </>
  );
}

async function listPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['status', 'fileNumber', 'cursor']);
  const status = (SUBMISSION_STATUSES as readonly string[]).includes(query.status ?? '') ? (query.status as SubmissionStatus) : undefined;
  const fileNumber = /^\d{12}$/.test(query.fileNumber ?? '') ? query.fileNumber : undefined;
  const [queue, list] = await Promise.all([queueNow(deps), listSubmissions(deps.db, { limit: 50, cursor: query.cursor, status, fileNumber })]);
  const manage = can(ctx.staff.role, 'submissions:manage');
  return (
    <Layout ctx={ctx} title="12123 提交" crumbs={[HOME, { label: '12123 提交' }]} actions={manage ? <QueueControls ctx={ctx} paused={queue.paused} dead={queue.dead} /> : undefined}>
      {queue.paused ? (
        <div class="flash flash-bad" role="status">
          发送已暂停：新的业务会排队，但不会提交到 12123，直到有人恢复发送。
        </div>
      ) : null}
      <div class="grid">
        <Stat label="等待提交" value={count(queue.ready)} />
        <Stat label="等待业务开放" value={count(queue.waitingForOpening)} note="到可办理日期后自动提交" />
        <Stat label="等待委托书" value={count(queue.waitingForAuthorisation)} note="邮政投递员登记驾驶人的委托书后提交" />
        <Stat label="提交中" value={count(queue.leased)} />
        <Stat label="无法提交" value={count(queue.dead)} note={queue.dead > 0 ? '需要人工处理' : undefined} />
      </div>
      <FilterForm
        action={LIST}
        values={query}
        fields={[
          { name: 'status', label: '状态', type: 'select', options: SUBMISSION_STATUSES.map((s) => ({ value: s, label: statusLabel(s).label })) },
          { name: 'fileNumber', label: '档案编号（12位）', type: 'search' },
        ]}
      />
      {query.fileNumber && !fileNumber ? <p class="error-text">档案编号应为 12 位数字，已忽略。</p> : null}
      <DataTable caption="提交记录（最新在前）" columns={columns} rows={list.items} empty="没有符合条件的提交。" path={LIST} query={query} next={list.nextCursor} />
    </Layout>
  );
}

async function detailPage(c: Context<AppEnv>) {
  const ctx = pageContext(c);
  const s = await submissionDetail(c.get('deps').db, requireId(c.req.param('id'), { key: 'submission_not_found' }));
  const manage = can(ctx.staff.role, 'submissions:manage');
  return (
    <Layout ctx={ctx} title={`${business(s.business)}：${s.fileNumber}`} crumbs={[HOME, { label: '12123 提交', href: LIST }, { label: '提交详情' }]}>
      <div class="card">
        <dl class="facts">
          <dt>状态</dt>
          <dd>
            <StatusBadge status={s.status} /> {s.heldFor ? <Badge tone="warn">等待委托书：邮政投递员登记后提交</Badge> : null}
          </dd>
          <dt>档案编号</dt>
          <dd>
            <a href={`/console/drivers/${s.fileNumber}`}>{s.fileNumber}</a>
          </dd>
          <dt>体检开始</dt>
          <dd>
            <TimeText at={s.examStartedAt} />
          </dd>
          <dt>最早可提交</dt>
          <dd>{s.notBefore}</dd>
          <dt>尝试次数</dt>
          <dd>{s.attempts}</dd>
          <dt>受理编号</dt>
          <dd>{s.reference ?? '—'}</dd>
          <dt>受理时间</dt>
          <dd>
            <TimeText at={s.acceptedAt} />
          </dd>
          <dt>最近一次的原因</dt>
          <dd>{s.lastError ? gatewayReason(s.lastError) : '—'}</dd>
        </dl>
      </div>
      {manage && s.status === 'dead' ? (
        <form method="post" action={`${LIST}/retry`} data-confirm="确认已处理退回原因，重新提交这件业务？">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="id" value={s.id} />
          <button type="submit">重新提交</button>
        </form>
      ) : null}
      <h2>每一次提交</h2>
      <DataTable
        caption="与 12123 的往来（最早在前）"
        columns={[
          { header: '时间', cell: (e) => <TimeText at={e.at} /> },
          { header: '结果', cell: (e) => EVENT_LABELS[e.kind] ?? e.kind },
          { header: 'HTTP 状态', kind: 'num', cell: (e) => (e.httpStatus === null ? '—' : String(e.httpStatus)) },
          { header: '说明', cell: (e) => (e.error ? gatewayReason(e.error) : '—') },
        ]}
        rows={s.events}
        empty="还没有提交过。"
        path={`${LIST}/${s.id}`}
        query={{}}
      />
    </Layout>
  );
}

async function postRetry(c: Context<AppEnv>) {
  const form = await c.req.parseBody();
  const id = idOrUndefined(form.id);
  const retried = await retryDeadSubmissions(c.get('deps'), id ? { ids: [id] } : { all: form.all === 'true' }, c.get('session').staff.id);
  setFlash(c, retried > 0 ? { tone: 'good', text: `已重新提交 ${count(retried)} 件业务，稍后可在列表中查看结果。` } : { tone: 'info', text: '没有需要重新提交的业务（可能已被别人处理）。' });
  return c.redirect(id ? `${LIST}/${id}` : LIST, 303);
}

async function postPause(c: Context<AppEnv>, paused: boolean) {
  await setSubmissionsPaused(c.get('deps'), paused, c.get('session').staff.id);
  setFlash(c, paused ? { tone: 'info', text: '已暂停发送。正在提交的几件会完成，其余留在队列里。' } : { tone: 'good', text: '已恢复发送。' });
  return c.redirect(LIST, 303);
}

export function submissionPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(LIST, pagePermission('submissions:read'), async (c) => c.html(await listPage(c)));
  app.post(`${LIST}/pause`, pagePermission('submissions:manage'), (c) => postPause(c, true));
  app.post(`${LIST}/resume`, pagePermission('submissions:manage'), (c) => postPause(c, false));
  app.post(`${LIST}/retry`, pagePermission('submissions:manage'), postRetry);
  app.get(`${LIST}/:id`, pagePermission('submissions:read'), async (c) => c.html(await detailPage(c)));
  return app;
}
