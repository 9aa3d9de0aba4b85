/**
 * 审计日志 (issue 15 "Staff and audit"): who did what, when, searchable by action, person, subject
 * and days; above all "who saw which full ID number, when". Over listAuditEntries, as
 * GET /api/audit, with its permission (audit:read) and its filters in the URL.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { dateOf } from '../../http/date-input.ts';
import { isDateInput } from '../../shared/date-words.ts';
import { listAuditEntries, type AuditEntryView } from '../../staff/audit-log.ts';
import { listStaff, type StaffMember } from '../../staff/repository.ts';
import { Layout } from '../components/layout.tsx';
import { DataTable, FilterForm, withQuery, type Column, type FilterField } from '../components/table.tsx';
import { ErrorSummary, TimeText, type Crumb } from '../components/ui.tsx';
import { ROLE_LABELS } from '../labels.ts';
import { pageContext, pagePermission } from '../session.tsx';
import { AUDIT_ACTION_LABELS, actionLabel, auditDetailsText, subjectKind } from './audit-words.ts';
import { pageQuery } from './query.ts';

/** GET /api/audit's permission: the page shows the log to the same roles only. */
export const AUDIT_PERMISSION = 'audit:read' as const;

export const AUDIT_PATH = '/console/audit';
const PAGE_SIZE = 50;
const HOME: Crumb = { label: '工作台', href: '/console' };
const FILTERS = ['action', 'staffId', 'subject', 'from', 'to', 'cursor'] as const;

type Names = ReadonlyMap<string, StaffMember>;

/** Who acted; none: the command line, the system, or (for a failed sign-in) someone not signed in. */
function Actor(props: { entry: AuditEntryView; names: Names }) {
  const { staffId, action } = props.entry;
  if (staffId === null) {
    const who = action === 'staff.sign_in_failed' || action === 'staff.lock' ? '未登录的访问者' : '命令行或系统';
    return <span class="muted">{who}</span>;
  }
  const person = props.names.get(staffId);
  // The role is on the account's page and in the person filter: a narrow column on a phone.
  return person ? (
    <a href={`/console/staff/${staffId}`} title={ROLE_LABELS[person.role] ?? person.role}>
      {person.name}
    </a>
  ) : (
    <code>{staffId}</code>
  );
}

/** What was acted on, linked to its page where there is one. */
function Subject(props: { entry: AuditEntryView; names: Names }) {
  const { subject, action } = props.entry;
  if (subject === null) return <span class="muted">—</span>;
  switch (subjectKind(action)) {
    case 'staff': {
      const person = props.names.get(subject);
      return <a href={`/console/staff/${subject}`}>{person ? `账户：${person.name}` : `账户 ${subject}`}</a>;
    }
    case 'import':
      return <a href={`/console/imports/${subject}`}>导入记录</a>;
    case 'licence':
      return (
        <a href={`/console/drivers/${subject}`}>
          档案编号 {subject}
        </a>
      );
    default:
      return <code>{subject}</code>;
  }
}

function columns(names: Names): Column<AuditEntryView>[] {
  return [
    { header: '时间', cell: (e) => <TimeText at={e.at} /> },
    { header: '工作人员', cell: (e) => <Actor entry={e} names={names} /> },
    { header: '操作', cell: (e) => <span data-action={e.action}>{actionLabel(e.action)}</span> },
    { header: '对象', cell: (e) => <Subject entry={e} names={names} /> },
    { header: '详情', cell: (e) => auditDetailsText(e.action, e.details) || <span class="muted">—</span> },
  ];
}

function filterFields(staff: readonly StaffMember[]): FilterField[] {
  return [
    { name: 'action', label: '操作', type: 'select', options: Object.entries(AUDIT_ACTION_LABELS).map(([value, label]) => ({ value, label })) },
    { name: 'staffId', label: '工作人员', type: 'select', options: staff.map((s) => ({ value: s.id, label: `${s.name}（${ROLE_LABELS[s.role] ?? s.role}）` })) },
    { name: 'subject', label: '对象（档案编号或编号）', type: 'search' },
    { name: 'from', label: '从', type: 'date' },
    { name: 'to', label: '到', type: 'date' },
  ];
}

type Query = Partial<Record<(typeof FILTERS)[number], string>>;

/** A date the API would refuse is the form's error, in words; nothing is searched until it is right. */
function dateErrors(query: Query): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, label] of [['from', '开始日期'], ['to', '结束日期']] as const) {
    const value = query[name];
    if (value !== undefined && !isDateInput(value)) errors[`f-${name}`] = `${label}不是有效的日期，请按“年-月-日”填写，例如 2026-11-01。`;
  }
  return errors;
}

async function auditPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query: Query & Record<string, string | undefined> = pageQuery(c, FILTERS);
  const staff = await listStaff(deps.db, deps.clock.now());
  const names: Names = new Map(staff.map((s) => [s.id, s]));
  const errors = dateErrors(query);
  const ok = Object.keys(errors).length === 0;
  const result = ok
    ? await listAuditEntries(deps.db, {
        limit: PAGE_SIZE,
        cursor: query.cursor,
        action: query.action,
        staffId: query.staffId,
        subject: query.subject?.trim(),
        from: dateOf(deps, query.from),
        to: dateOf(deps, query.to),
      })
    : { items: [], nextCursor: null };
  if (!ok) c.status(400);
  const fullIdViews = withQuery(AUDIT_PATH, { action: 'licence.view_full_id' });
  return (
    <Layout ctx={ctx} title="审计日志" crumbs={[HOME, { label: '审计日志' }]}>
      <p class="section-hint">
        每一次查看完整身份证号、导入、筛查、账户变更等操作都记录在这里，不能修改或删除。日期按中国时间计算，包含开始和结束当天。
      </p>
      <nav class="quick-periods" aria-label="常用查询">
        <a href={fullIdViews} aria-current={query.action === 'licence.view_full_id' && !query.staffId && !query.subject ? 'true' : undefined}>
          谁查看了完整身份证号
        </a>
        <a href={withQuery(AUDIT_PATH, { action: 'registry.rejected_rows.download' })}>谁下载了含身份证号的文件</a>
        <a href={withQuery(AUDIT_PATH, { action: 'staff.sign_in_failed' })}>登录失败</a>
      </nav>
      <ErrorSummary errors={errors} />
      <FilterForm action={AUDIT_PATH} fields={filterFields(staff)} values={query} />
      <DataTable
        caption="操作记录（最新在前）"
        columns={columns(names)}
        rows={result.items}
        empty={ok ? '没有符合条件的记录。' : '请先改正上面的日期。'}
        path={AUDIT_PATH}
        query={query}
        next={result.nextCursor}
      />
    </Layout>
  );
}

export function auditPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(AUDIT_PATH, pagePermission(AUDIT_PERMISSION), async (c) => c.html(await auditPage(c)));
  return app;
}
