/**
 * The Chinese words the console shows for the service's codes (categories, statuses, roles).
 * One table per kind, so that every page names a thing the same way.
 */
import type { CaseCategory } from '../screening/case.ts';
import type { Role } from '../staff/permissions.ts';

export const CATEGORY_LABELS: Record<CaseCategory, string> = {
  annual_exam_70: '70周岁以上年度体检',
  downgrade_63: '63周岁降级换证',
  downgrade_70: '70周岁降级换证',
  cancellation_notice: '注销提示',
  expiry_renewal: '期满换证',
};

export const ROLE_LABELS: Record<Role, string> = {
  admin: '车管所管理员',
  dispatcher: '邮政调度员',
  examiner: '体检医生',
  postal: '邮政投递员',
};

/** A status badge's words and tone: neutral, good, warn, bad. */
export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

export const STATUS_LABELS: Record<string, { label: string; tone: Tone }> = {
  // cases
  open: { label: '待办', tone: 'info' },
  superseded: { label: '已被取代', tone: 'neutral' },
  lapsed: { label: '已逾期失效', tone: 'bad' },
  completed: { label: '已办结', tone: 'good' },
  // imports and screening runs
  queued: { label: '排队中', tone: 'neutral' },
  running: { label: '进行中', tone: 'info' },
  failed: { label: '失败', tone: 'bad' },
  // visits
  planned: { label: '已排入计划', tone: 'neutral' },
  booked: { label: '已预约', tone: 'info' },
  confirmed: { label: '驾驶人已确认', tone: 'good' },
  en_route: { label: '在途', tone: 'info' },
  arrived: { label: '已到达', tone: 'info' },
  exam_recorded: { label: '已体检', tone: 'good' },
  no_show: { label: '未见到驾驶人', tone: 'warn' },
  cancelled: { label: '已取消', tone: 'neutral' },
  // 12123 submissions
  pending: { label: '等待提交', tone: 'neutral' },
  leased: { label: '提交中', tone: 'info' },
  accepted: { label: '已受理', tone: 'good' },
  dead: { label: '无法提交', tone: 'bad' },
  rejected: { label: '被退回', tone: 'bad' },
  // accounts
  active: { label: '启用', tone: 'good' },
  inactive: { label: '已停用', tone: 'neutral' },
  locked: { label: '已锁定', tone: 'warn' },
};

/** Imports and screening runs: a finished run is 已完成, not 已办结 as a case is. */
const RUN_LABELS: Record<string, { label: string; tone: Tone }> = {
  completed: { label: '已完成', tone: 'good' },
};

/** SMS and calls, as Twilio reports them (src/outreach/status.ts). */
const MESSAGE_LABELS: Record<string, { label: string; tone: Tone }> = {
  queued: { label: '排队中', tone: 'neutral' },
  accepted: { label: '已提交运营商', tone: 'neutral' },
  sending: { label: '发送中', tone: 'info' },
  sent: { label: '已发出', tone: 'info' },
  delivered: { label: '已送达', tone: 'good' },
  undelivered: { label: '未送达', tone: 'bad' },
  failed: { label: '失败', tone: 'bad' },
  received: { label: '已收到', tone: 'info' },
  initiated: { label: '正在呼叫', tone: 'info' },
  ringing: { label: '响铃中', tone: 'info' },
  'in-progress': { label: '通话中', tone: 'info' },
  completed: { label: '已接通', tone: 'good' },
  busy: { label: '忙线', tone: 'warn' },
  'no-answer': { label: '无人接听', tone: 'warn' },
  canceled: { label: '已取消', tone: 'neutral' },
  pending: { label: '待执行', tone: 'neutral' },
  done: { label: '已执行', tone: 'good' },
  skipped: { label: '已跳过', tone: 'neutral' },
};

export function statusLabel(status: string, kind?: 'run' | 'message'): { label: string; tone: Tone } {
  const special = kind === 'run' ? RUN_LABELS[status] : kind === 'message' ? MESSAGE_LABELS[status] : undefined;
  return special ?? STATUS_LABELS[status] ?? { label: status, tone: 'neutral' };
}

/**
 * The gateway's reason as stored (English, from src/submissions/gateway-http.ts), in words for
 * staff; the 12123 platform's own message is kept as it came, after the Chinese explanation.
 */
export function gatewayReason(text: string): string {
  const answered = /^gateway answered HTTP (\d{3})(?: \(([^)]*)\))?(?:: ([\s\S]*))?$/.exec(text);
  if (answered) {
    const [, status, code, message] = answered;
    const kind = Number(status) >= 500 || status === '429' ? '12123 暂时不可用' : '12123 退回';
    return `${kind}（HTTP ${status}${code ? `，${code}` : ''}）${message ? `：${message}` : ''}`;
  }
  const timeout = /^gateway timeout after (\d+) ms$/.exec(text);
  if (timeout) return `12123 在 ${Math.round(Number(timeout[1]) / 1000)} 秒内没有回应`;
  const unreachable = /^gateway unreachable \(([^)]*)\)$/.exec(text);
  if (unreachable) return `连不上 12123（${unreachable[1]}）`;
  const noOutcome = /^no outcome after (\d+) tries/.exec(text);
  if (noOutcome) return `试了 ${noOutcome[1]} 次都没有结果（每次都在提交中被中断）`;
  return text;
}

/** `Art 79(9)` → `第79条第9项`, `Art 65 para 2` → `第65条第2款`: 《机动车驾驶证申领和使用规定》 as staff cite it. */
export function articleLabel(article: string): string {
  const m = /^Art (\d+)(?:\((\d+)\))?(?: para (\d+))?$/.exec(article);
  if (!m) return article;
  return `第${m[1]}条${m[3] ? `第${m[3]}款` : ''}${m[2] ? `第${m[2]}项` : ''}`;
}

export const REGULATION_NAME = '《机动车驾驶证申领和使用规定》';

export const SEX_LABELS: Record<string, string> = { M: '男', F: '女' };

export const VISIT_STOP_LABELS: Record<string, string> = { door: '家门口', gate: '小区门口' };

/** The outreach timeline's entries, in words. */
export const CHANNEL_LABELS: Record<string, string> = { sms: '短信', voice: '语音电话', phone: '人工电话' };

/** What a driver's answer meant (src/db/schema/outreach.ts AnswerIntent). */
export const INTENT_LABELS: Record<string, string> = {
  confirm: '确认上门',
  decline: '不需要上门',
  reschedule: '要求改期',
  opt_out: '退订',
  help: '询问',
  unknown: '未能识别',
  no_answer: '无人接听',
  wrong_number: '号码错误',
};

/** The exam's items (RULES.md §5, src/exams/rules.ts ExamItem). */
export const EXAM_ITEM_LABELS: Record<string, string> = {
  height: '身高',
  vision_left: '左眼视力',
  vision_right: '右眼视力',
  colour: '辨色',
  hearing_left: '左耳听力',
  hearing_right: '右耳听力',
  upper_limbs: '上肢',
  lower_limbs: '下肢',
  trunk_neck: '躯干和颈部',
  cognitive_test: '三力测试',
};

/** Why an exam left a case to staff (src/exams/outcome.ts, stored in English), in words. */
export function followUpReason(text: string | null): string {
  if (!text) return '—';
  const failed = /^exam failed: (.*)$/.exec(text);
  if (failed) {
    const items = [...failed[1]!.matchAll(/(\w+) \(/g)].map((m) => EXAM_ITEM_LABELS[m[1]!] ?? m[1]!);
    return `体检未通过：${[...new Set(items)].join('、')}`;
  }
  const short = /^the certificate expires on (\d{4}-\d{2}-\d{2}), before the case opens on (\d{4}-\d{2}-\d{2})$/.exec(text);
  if (short) return `体检证明 ${short[1]} 到期，早于业务可办理日 ${short[2]}：需在可办理后重新体检`;
  return text;
}

/** The hint beside a failed exam: a downgrade that would still pass. */
export function followUpHint(text: string | null): string | null {
  if (!text) return null;
  const downgrade = /^a downgrade may still be possible: with ([A-Z0-9 ]+) every item passes/.exec(text);
  return downgrade ? `降级为 ${downgrade[1]!.trim()} 时各项都合格：可询问驾驶人是否申请降级换证` : text;
}
