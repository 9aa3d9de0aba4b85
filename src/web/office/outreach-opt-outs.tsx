/** 退订 (issue 15 "Outreach"): who opted out, when, by which channel; the same service as GET /api/outreach/opt-outs. */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { listOptOuts } from '../../outreach/opt-outs.ts';
import { Layout } from '../components/layout.tsx';
import { DataTable, type Column } from '../components/table.tsx';
import { TimeText } from '../components/ui.tsx';
import { pageContext, pagePermission } from '../session.tsx';
import { ANSWER_CHANNEL_LABELS } from './outreach-labels.ts';
import { DriverCell, OUTREACH, OUTREACH_CRUMBS, OutreachTabs, tabCounts } from './outreach-parts.tsx';
import { pageQuery } from './query.ts';

const OPT_OUTS = `${OUTREACH}/opt-outs`;

type OptOut = Awaited<ReturnType<typeof listOptOuts>>['items'][number];

const columns: Column<OptOut>[] = [
  { header: '退订时间', cell: (o) => <TimeText at={o.at} /> },
  { header: '号码', cell: (o) => o.phoneDisplay },
  { header: '驾驶人', cell: (o) => (o.fileNumber && o.name ? <DriverCell fileNumber={o.fileNumber} name={o.name} /> : <span class="muted">没有对应的驾驶人</span>) },
  { header: '方式', cell: (o) => ANSWER_CHANNEL_LABELS[o.channel] ?? o.channel },
];

async function optOutsPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['cursor']);
  const [counts, list] = await Promise.all([tabCounts(deps), listOptOuts(deps.db, { limit: 50, cursor: query.cursor }, ctx.staff.role)]);
  return (
    <Layout ctx={ctx} title="退订" crumbs={[...OUTREACH_CRUMBS, { label: '退订' }]}>
      <OutreachTabs current="optOuts" counts={counts} />
      <p class="section-hint">回复 TD、退订，按键退订，或在电话里告诉工作人员不要再联系的号码。这些号码不会再收到通知短信或电话；最新的在前。</p>
      <DataTable caption="退订的号码（最新在前）" columns={columns} rows={list.items} empty="还没有人退订。" path={OPT_OUTS} query={query} next={list.nextCursor} />
    </Layout>
  );
}

export function optOutPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(OPT_OUTS, pagePermission('outreach:read'), async (c) => c.html(await optOutsPage(c)));
  return app;
}
