/**
 * The audit log in the office's words (issue 15 "Staff and audit"): a Chinese name for every
 * audited action, and each entry's details as a short sentence where the action is known, raw
 * otherwise (a new kind of detail is shown, never hidden). Pure.
 */
import type { AuditAction } from '../../staff/audit.ts';
import { dateTime, shortDate } from '../format.ts';
import { CATEGORY_LABELS, ROLE_LABELS } from '../labels.ts';

/** Every AuditAction (the Record's type makes a new action fail to compile until it has words), in the select's order. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  'licence.view_full_id': '查看完整身份证号',
  'registry.rejected_rows.download': '下载被拒绝的行（含完整身份证号）',
  'registry.import': '导入驾驶人数据',
  'screening.run': '运行筛查',
  'outreach.start': '开始通知驾驶人',
  'outreach.phone_outcome': '记录电话结果',
  'outreach.inbox_resolve': '处理看不懂的回复',
  'field_staff.add': '添加上门人员',
  'shift.create': '新建班次',
  'shift.cancel': '取消班次',
  'shift.update': '修改班次',
  'plan.commit': '确定上门计划',
  'visit.change': '变更上门预约',
  'exam.record': '录入体检结果',
  'exam.view': '查看体检记录',
  'authorisation.record': '记录委托书',
  'authorisation.view_photo': '查看委托书照片',
  'authorisation.withdraw': '撤回委托书',
  'follow_up.resolve': '处理体检后续事项',
  'submissions.pause': '暂停 12123 提交',
  'submissions.resume': '恢复 12123 提交',
  'submissions.retry': '重新提交 12123',
  'staff.add': '添加账户',
  'staff.sign_in': '登录',
  'staff.sign_in_failed': '登录失败',
  'staff.lock': '账户临时锁定',
  'staff.sign_out_everywhere': '在所有设备上退出',
  'staff.password_change': '修改自己的密码',
  'staff.password_reset': '重置密码',
  'staff.deactivate': '停用账户',
  'staff.activate': '启用账户',
  'staff.token_issue': '生成新的接口令牌',
};

export function actionLabel(action: string): string {
  return (AUDIT_ACTION_LABELS as Record<string, string>)[action] ?? action;
}

const SIGN_IN_FAILURES: Record<string, string> = {
  unknown_username: '没有这个用户名',
  no_password: '该账户没有设置密码',
  inactive: '账户已停用',
  wrong_password: '密码错误',
  wrong_current_password: '修改密码时当前密码输错',
};

const PHONE_OUTCOMES: Record<string, string> = {
  confirmed: '驾驶人确认上门体检',
  declined: '驾驶人不需要',
  reschedule: '驾驶人要改时间',
  opted_out: '驾驶人要求不再联系',
  no_answer: '无人接听',
  wrong_number: '号码有误',
};

const INBOX_MEANINGS: Record<string, string> = { confirm: '确认', decline: '不需要', opt_out: '不再联系', ignore: '忽略' };
const TRIGGERS: Record<string, string> = { api: '网页或接口', cli: '命令行', schedule: '定时任务' };
const FIELD_KINDS: Record<string, string> = { postal: '邮政投递员', examiner: '体检医生' };
const RESOLUTIONS: Record<string, string> = { revisit: '再次上门', handled: '已处理' };

type Details = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const word = (table: Record<string, string>, v: unknown): string | null => {
  const s = str(v);
  return s === null ? null : (table[s] ?? s);
};
const isDate = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** The words for one action's details; null when this action's details are not known here. */
const DESCRIBE: Partial<Record<AuditAction, (d: Details) => string | null>> = {
  'staff.add': (d) => {
    const role = word(ROLE_LABELS, d.role);
    const how = d.username === true ? (d.password === true ? '可用用户名和密码登录网页' : '有用户名，尚未设置密码') : '仅供程序使用（接口令牌）';
    return role ? `角色：${role}；${how}` : how;
  },
  'staff.sign_in': (d) => (d.rehashed === true ? '登录成功；密码已按当前强度重新加密保存' : '登录成功'),
  'staff.sign_in_failed': (d) => word(SIGN_IN_FAILURES, d.reason),
  'staff.lock': (d) => {
    const until = str(d.lockedUntil);
    const after = num(d.after);
    return until ? `${after ? `连续输错 ${after} 次，` : ''}锁定到 ${dateTime(until)}` : null;
  },
  'registry.import': (d) => {
    if (d.status === 'failed') return `整个文件没有导入${str(d.code) ? `（${str(d.code)}）` : ''}`;
    const total = num(d.totalRows);
    const rejected = num(d.rejected);
    return total === null ? null : `共 ${total} 行，拒绝 ${rejected ?? 0} 行`;
  },
  'registry.rejected_rows.download': (d) => (num(d.rows) === null ? null : `${num(d.rows)} 行${d.via === 'console' ? '（网页）' : ''}`),
  'licence.view_full_id': () => '',
  'screening.run': (d) => {
    const parts = [isDate(d.asOf) ? `基准日 ${shortDate(d.asOf)}` : null, num(d.leadDays) !== null ? `提前 ${num(d.leadDays)} 天` : null, word(TRIGGERS, d.trigger)];
    return parts.filter(Boolean).join('；') || null;
  },
  'outreach.start': (d) => {
    const started = num(d.started);
    const category = d.category === null ? '全部业务' : word(CATEGORY_LABELS, d.category);
    return started === null ? null : `通知 ${started} 位驾驶人；${category ?? '全部业务'}`;
  },
  'outreach.phone_outcome': (d) => word(PHONE_OUTCOMES, d.outcome),
  'outreach.inbox_resolve': (d) => {
    const meaning = word(INBOX_MEANINGS, d.meaning);
    return meaning ? `判定为“${meaning}”` : null;
  },
  'field_staff.add': (d) => word(FIELD_KINDS, d.kind),
  'shift.create': (d) => (isDate(d.date) ? `日期 ${shortDate(d.date)}` : null),
  'shift.cancel': (d) => (num(d.visits) === null ? null : `涉及 ${num(d.visits)} 个预约`),
  'shift.update': (d) => (num(d.droppedDrafts) ? `删除计划草案 ${num(d.droppedDrafts)} 个` : null),
  'plan.commit': (d) => (num(d.booked) === null ? null : `预约 ${num(d.booked)} 个，未能排入 ${num(d.leftOut) ?? 0} 个`),
  'visit.change': (d) => {
    if (d.noShow === true) return '未见到驾驶人';
    if (d.enRoute === true) return '出发上门';
    if (d.arrived === true) return '已到达';
    if (str(d.cancelled)) return `取消：${str(d.cancelled)}`;
    return null;
  },
  'exam.record': (d) => {
    if (typeof d.pass !== 'boolean') return null;
    return `${d.pass ? '合格' : '不合格'}；报送 12123 ${num(d.submissions) ?? 0} 件，后续事项 ${num(d.followUps) ?? 0} 件`;
  },
  'exam.view': () => '',
  'follow_up.resolve': (d) => word(RESOLUTIONS, d.resolution),
  'submissions.pause': () => '',
  'submissions.resume': () => '',
  'submissions.retry': (d) => (num(d.count) === null ? null : `${d.all === true ? '全部' : ''}重新提交 ${num(d.count)} 件`),
  'staff.sign_out_everywhere': () => '',
  'staff.password_change': () => '',
  'staff.password_reset': () => '',
  'staff.deactivate': () => '',
  'staff.activate': () => '',
  'staff.token_issue': () => '',
};

/** The details as stored (JSON), for an action or a shape this file does not know. */
function raw(details: Details): string {
  return Object.keys(details).length === 0 ? '' : JSON.stringify(details);
}

/** An entry's details in short Chinese; '' when there is nothing to say beyond the action. */
export function auditDetailsText(action: string, details: Details): string {
  const describe = (DESCRIBE as Record<string, ((d: Details) => string | null) | undefined>)[action];
  const text = describe ? describe(details) : null;
  return text ?? raw(details);
}

/** What kind of thing an action's subject is: where the page links it to. */
export type SubjectKind = 'staff' | 'import' | 'licence' | 'other';

export function subjectKind(action: string): SubjectKind {
  if (action.startsWith('staff.')) return 'staff';
  if (action.startsWith('registry.')) return 'import';
  if (action === 'licence.view_full_id') return 'licence';
  return 'other';
}
