/**
 * 后续处理 (issue 16 "Follow-ups", on the office's side): cases an exam could not settle (a failed
 * exam, a certificate too short), each closed by staff as 重新安排上门 (back to planning) or
 * 已另行处理; and the visits where nobody was at the door, whose drivers went back to planning.
 * Over the exams' and the scheduling's own services, as the API.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.ts';
import { followUpPage, resolveFollowUp, type FollowUpView } from '../../exams/views.ts';
import type { AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { listNoShows, noShowPeriod, type NoShowView } from '../../scheduling/no-shows.ts';
import { NO_SHOW_WORDS } from '../crew/words.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, type Column } from '../components/table.tsx';
import { Badge, CsrfField, DateText, TimeText, type Crumb } from '../components/ui.tsx';
import { CATEGORY_LABELS, followUpHint, followUpReason } from '../labels.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from './query.ts';

const HOME: Crumb = { label: '工作台', href: '/console' };
const PATH = '/console/follow-ups';
const RESOLUTIONS = { revisit: '重新安排上门', handled: '已另行处理' } as const;

function ResolveForm(props: { ctx: PageContext; f: FollowUpView }) {
  return (
    <form method="post" action={`${PATH}/${props.f.caseId}`} class="inline-form">
      <CsrfField token={props.ctx.csrfToken} />
      <fieldset>
        <legend class="visually-hidden">处理方式</legend>
        {(Object.keys(RESOLUTIONS) as (keyof typeof RESOLUTIONS)[]).map((r) => (
          <label>
            <input type="radio" name="resolution" value={r} required /> {RESOLUTIONS[r]}
          </label>
        ))}
      </fieldset>
      <label for={`note-${props.f.caseId}`} class="visually-hidden">
        备注
      </label>
      <input id={`note-${props.f.caseId}`} name="note" maxlength={500} placeholder="备注（可不填；不要写身份证号或病情）" />
      <button type="submit">保存</button>
    </form>
  );
}

function followUpColumns(ctx: PageContext): Column<FollowUpView>[] {
  return [
    { header: '体检时间', cell: (f) => <TimeText at={f.examinedAt} /> },
    { header: '驾驶人', cell: (f) => <a href={`/console/drivers/${f.fileNumber}`}>{f.driver.nameMasked}</a> },
    { header: '业务', cell: (f) => CATEGORY_LABELS[f.category as keyof typeof CATEGORY_LABELS] ?? f.category },
    { header: '到期', cell: (f) => <DateText date={f.dueOn} /> },
    {
      header: '原因',
      cell: (f) => (
        <>
          {followUpReason(f.reason)}
          {f.hint ? <p class="hint">{followUpHint(f.hint)}</p> : null}
        </>
      ),
    },
    {
      header: '处理',
      cell: (f) =>
        f.resolvedAt ? (
          <>
            <Badge tone="good">{RESOLUTIONS[f.resolution ?? 'handled']}</Badge> <TimeText at={f.resolvedAt} />
            {f.note ? <p class="hint">{f.note}</p> : null}
          </>
        ) : (
          <ResolveForm ctx={ctx} f={f} />
        ),
    },
  ];
}

const noShowColumns: Column<NoShowView>[] = [
  { header: '日期', cell: (n) => <DateText date={n.date} /> },
  { header: '时段', cell: (n) => n.window },
  { header: '驾驶人', cell: (n) => <a href={`/console/drivers/${n.fileNumber}`}>{n.name}</a> },
  { header: '社区', cell: (n) => n.community ?? '—' },
  { header: '上门人员', cell: (n) => `${n.crew.postal}、${n.crew.examiner}` },
  { header: '原因', cell: (n) => (n.reason ? NO_SHOW_WORDS[n.reason] : '—') + (n.note ? `：${n.note}` : '') },
  { header: '现在', cell: (n) => (n.nextVisitOn ? <>已重新安排 <DateText date={n.nextVisitOn} /></> : <Badge tone="warn">待重新排班</Badge>) },
];

async function followUpsPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['status', 'cursor']);
  const status = query.status === 'resolved' || query.status === 'all' ? query.status : 'open';
  const [list, noShows] = await Promise.all([
    followUpPage(deps, { status, limit: 50, cursor: query.cursor }),
    listNoShows(deps, { ...noShowPeriod(deps, {}), limit: 100 }),
  ]);
  const tab = (value: string, label: string) => (
    <a href={value === 'open' ? PATH : `${PATH}?status=${value}`} aria-current={status === value ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <Layout ctx={ctx} title="后续处理" crumbs={[HOME, { label: '后续处理' }]}>
      <p class="muted">体检没能办结的业务需要工作人员决定下一步：重新安排上门后，驾驶人回到排班名单；已另行处理的（例如驾驶人选择降级换证或放弃）就此关闭。</p>
      <nav class="tabs" aria-label="后续处理的范围">
        {tab('open', '待处理')} {tab('resolved', '已处理')} {tab('all', '全部')}
      </nav>
      <DataTable caption="体检后待处理的业务（最早的在前）" columns={followUpColumns(ctx)} rows={list.items} empty="没有待处理的业务。" path={PATH} query={query} next={list.nextCursor} />
      <h2>未见到驾驶人（近两周）</h2>
      <p class="muted">上门时家中无人的，驾驶人已自动回到排班名单，下次排班时会再安排。</p>
      <DataTable caption="上门未见到驾驶人" columns={noShowColumns} rows={noShows.items} empty="近两周没有上门未见到驾驶人的情况。" path={PATH} query={{}} />
    </Layout>
  );
}

async function postResolve(c: Context<AppEnv>) {
  const form = await c.req.parseBody();
  const resolution = form.resolution === 'revisit' || form.resolution === 'handled' ? form.resolution : null;
  const note = typeof form.note === 'string' && form.note.trim() !== '' ? form.note.trim().slice(0, 500) : null;
  if (!resolution) {
    setFlash(c, { tone: 'bad', text: '请选择处理方式：重新安排上门，或已另行处理。' });
    return c.redirect(PATH, 303);
  }
  try {
    await resolveFollowUp(c.get('deps'), c.req.param('caseId') ?? '', { resolution, note }, c.get('session').staff.id);
    setFlash(c, { tone: 'good', text: resolution === 'revisit' ? '已处理：驾驶人回到排班名单，下次排班时会安排上门。' : '已处理：这件业务已关闭。' });
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    setFlash(c, { tone: 'bad', text: localizeError(err, 'zh-CN').message });
  }
  return c.redirect(PATH, 303);
}

export function followUpPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(PATH, pagePermission('follow-ups:manage'), async (c) => c.html(await followUpsPage(c)));
  app.post(`${PATH}/:caseId`, pagePermission('follow-ups:manage'), postResolve);
  return app;
}
