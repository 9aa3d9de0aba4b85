/**
 * /console, the page after sign-in: for a role that may read the dashboard, the 工作台 figures
 * (./dashboard.tsx); for the others, what this person can do here, in the order of the day's work.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { Layout } from '../components/layout.tsx';
import { can } from '../../staff/permissions.ts';
import { navFor } from '../nav.ts';
import { pageContext, pagePermission } from '../session.tsx';
import { DASHBOARD_PERMISSION, dashboardPage } from './dashboard.tsx';

const WHAT: Record<string, string> = {
  '/console/imports': '上传车管所导出的驾驶人信息，查看被拒绝的行并下载修改。',
  '/console/screenings': '按日期筛查到期需要体检、降级或换证的驾驶人。',
  '/console/cases': '查看和筛选待办业务，导出名单，打开驾驶人详情。',
  '/console/outreach': '发送短信和语音通知，处理驾驶人的回复和人工回访。',
  '/console/submissions': '查看 12123 提交队列：等待、受理、退回及重试。',
  '/console/staff': '管理工作人员账户、角色和程序用的 API 令牌。',
  '/console/audit': '查询谁在何时查看了完整身份证号等操作记录。',
  '/console/follow-ups': '体检未通过、证明不够用或上门未见到的驾驶人：决定下一步。',
};

export function homePage(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/console', pagePermission('self:read'), async (c) => {
    const ctx = pageContext(c);
    if (can(ctx.staff.role, DASHBOARD_PERMISSION)) return dashboardPage(c, ctx);
    const entries = navFor(ctx.staff.role).filter((e) => e.href !== '/console');
    return c.html(
      <Layout ctx={ctx} title="工作台">
        <p>您好，{ctx.staff.name}。今天可以做的事：</p>
        <div class="grid">
          {entries.map((e) => (
            <a class="card" href={e.href}>
              <strong>{e.label}</strong>
              <p class="muted">{WHAT[e.href] ?? ''}</p>
            </a>
          ))}
        </div>
      </Layout>,
    );
  });
  return app;
}
