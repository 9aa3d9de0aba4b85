/**
 * The outreach pages' words (issue 15 "Outreach"), and where a driver stands on the ladder
 * (SMS, calls, answer) as a few steps staff read left to right. Pure.
 */
import type { ConversationView, PhoneOutcome } from '../../outreach/conversations.ts';
import type { InboxMeaning, InboxReason } from '../../outreach/inbox.ts';
import type { Tone } from '../labels.ts';

/** A conversation's status: not the account's 启用 nor the visit's 驾驶人已确认. */
export const CONVERSATION_LABELS: Record<ConversationView['status'], { label: string; tone: Tone }> = {
  active: { label: '通知中', tone: 'info' },
  unreachable: { label: '待人工电话', tone: 'warn' },
  confirmed: { label: '已确认', tone: 'good' },
  declined: { label: '已拒绝', tone: 'neutral' },
  reschedule: { label: '要求改期', tone: 'info' },
  opted_out: { label: '已退订', tone: 'neutral' },
  closed: { label: '已结束', tone: 'neutral' },
};

export const STEP_CHANNEL_LABELS: Record<string, string> = { sms: '发短信', voice: '语音电话', call_list: '转人工电话' };

export const ANSWER_CHANNEL_LABELS: Record<string, string> = { sms: '短信', voice: '语音电话按键', phone: '工作人员电话' };

/** What staff heard on a hand call: the phone-outcome API's choices. */
export const PHONE_OUTCOME_LABELS: Record<PhoneOutcome, string> = {
  confirmed: '确认上门体检',
  declined: '不需要（拒绝）',
  reschedule: '要求改期',
  opted_out: '不要再联系（退订）',
  no_answer: '无人接听',
  wrong_number: '号码错误（不是本人）',
};

export const INBOX_MEANING_LABELS: Record<InboxMeaning, string> = { confirm: '确认', decline: '拒绝', opt_out: '退订', ignore: '忽略' };

export const INBOX_REASON_LABELS: Record<InboxReason, string> = {
  unknown_number: '陌生号码：没有驾驶人在用这个号码',
  shared_number: '多人共用的号码：请选择是哪位驾驶人',
  not_understood: '系统没看懂这条回复',
};

export const PART_OF_DAY_LABELS: Record<'am' | 'pm', string> = { am: '上午', pm: '下午' };

export interface LadderMark {
  label: string;
  tone: Tone;
}

const DELIVERED = new Set(['delivered', 'read']);
const SMS_FAILED = new Set(['failed', 'undelivered', 'canceled']);
const CALL_ANSWERED = new Set(['in-progress', 'completed']);
const CALL_MISSED = new Set(['no-answer', 'busy', 'failed', 'canceled']);

function smsMark(sms: ConversationView['lastSms']): LadderMark | null {
  if (!sms) return null;
  if (DELIVERED.has(sms.status)) return { label: '短信已送达', tone: 'good' };
  if (SMS_FAILED.has(sms.status)) return { label: '短信未送达', tone: 'bad' };
  return { label: '短信已发出', tone: 'info' };
}

function callMark(call: ConversationView['lastCall'], calls: number): LadderMark | null {
  if (!call) return null;
  const nth = calls > 1 ? `第${calls}次电话` : '电话';
  if (CALL_ANSWERED.has(call.status)) return { label: `${nth}已接通`, tone: 'good' };
  if (CALL_MISSED.has(call.status)) return { label: `${nth}未接通`, tone: 'warn' };
  return { label: `${nth}正在呼叫`, tone: 'info' };
}

function answerMark(v: Pick<ConversationView, 'status' | 'answerChannel'>): LadderMark | null {
  const by = v.answerChannel ? `（${ANSWER_CHANNEL_LABELS[v.answerChannel] ?? v.answerChannel}）` : '';
  switch (v.status) {
    case 'confirmed':
      return { label: `已确认${by}`, tone: 'good' };
    case 'declined':
      return { label: `已拒绝${by}`, tone: 'neutral' };
    case 'reschedule':
      return { label: `要求改期${by}`, tone: 'info' };
    case 'opted_out':
      return { label: `已退订${by}`, tone: 'neutral' };
    case 'unreachable':
      return { label: '都没联系上，待人工电话', tone: 'warn' };
    case 'closed':
      return { label: '已结束', tone: 'neutral' };
    case 'active':
      return null;
  }
}

/** The driver's place on the ladder: what was sent, how it went, and the answer if any. */
export function ladderMarks(v: Pick<ConversationView, 'status' | 'answerChannel' | 'lastSms' | 'lastCall' | 'calls'>): LadderMark[] {
  const marks = [smsMark(v.lastSms), callMark(v.lastCall, v.calls), answerMark(v)].filter((m): m is LadderMark => m !== null);
  return marks.length > 0 ? marks : [{ label: '等待发送', tone: 'neutral' }];
}

/** What was tried before the driver came to the call list, in words. */
export function triedText(v: Pick<ConversationView, 'lastSms' | 'calls'>): string {
  const parts: string[] = [];
  if (v.lastSms) parts.push(DELIVERED.has(v.lastSms.status) ? '短信已送达，没有回复' : SMS_FAILED.has(v.lastSms.status) ? '短信未送达' : '短信已发出，没有回复');
  else parts.push('没有发出短信（座机不收短信）');
  parts.push(v.calls > 0 ? `语音电话 ${v.calls} 次，没有接通或没有按键` : '没有打过语音电话');
  return parts.join('；');
}
