/**
 * The console's navigation: each entry is shown only to roles whose permission lets them open it
 * (the same table as the API, src/staff/permissions.ts), so no link leads to a refusal.
 */
import { can, type Permission, type Role } from '../staff/permissions.ts';

export interface NavEntry {
  href: string;
  label: string;
  permission: Permission;
  /** Only these roles (the crew's own pages), where the permission alone would show it to more. */
  roles?: readonly Role[];
}

export const NAV: readonly NavEntry[] = [
  { href: '/console', label: '工作台', permission: 'self:read', roles: ['admin', 'dispatcher'] },
  { href: '/console/today', label: '今日上门', permission: 'field:self', roles: ['postal', 'examiner'] },
  { href: '/console/imports', label: '驾驶人数据导入', permission: 'registry:import' },
  { href: '/console/screenings', label: '筛查', permission: 'screening:read' },
  { href: '/console/cases', label: '待办业务', permission: 'cases:read' },
  { href: '/console/outreach', label: '通知与回复', permission: 'outreach:read' },
  { href: '/console/shifts', label: '排班', permission: 'scheduling:read' },
  { href: '/console/crews', label: '人员', permission: 'scheduling:read' },
  { href: '/console/plans', label: '排班计划', permission: 'scheduling:read' },
  { href: '/console/follow-ups', label: '后续处理', permission: 'follow-ups:manage' },
  { href: '/console/submissions', label: '12123 提交', permission: 'submissions:read' },
  { href: '/console/staff', label: '人员与权限', permission: 'staff:manage' },
  { href: '/console/audit', label: '审计日志', permission: 'audit:read' },
];

export function navFor(role: Role): NavEntry[] {
  return NAV.filter((entry) => can(role, entry.permission) && (!entry.roles || entry.roles.includes(role)));
}

/** The entry a path belongs to: the longest href that is the path or a folder of it. */
export function currentEntry(path: string, entries: readonly NavEntry[]): NavEntry | undefined {
  return entries
    .filter((e) => path === e.href || path.startsWith(`${e.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0];
}
