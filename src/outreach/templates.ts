/**
 * Texts sent to drivers (RULES.md §7): the first SMS, the voice script, and the short replies.
 *
 * Pure: no I/O and no clock; `today` is passed in so that dates can drop the year when it is the
 * current one. The texts carry the minimum personal data (PIPL): the surname with 先生/女士, dates
 * and what must be done; never the ID number, never medical data. They go through an overseas
 * provider (PIPL Art 36), which makes this doubly important.
 */
import { CANCELLATION_REASONS, CASE_CATEGORIES } from '../screening/case.ts';
import type { CancellationReason, CaseCategory } from '../screening/case.ts';
import { addDays } from '../shared/civil-date.ts';

export interface NoticeCase {
  category: CaseCategory;
  /** YYYY-MM-DD, last day on time. */
  dueOn: string;
  overdue: boolean;
  /** cancellation_notice only. */
  reason: CancellationReason | null;
}

/** Full name from the registry; only the surname is ever used. */
export interface Addressee {
  name: string;
  sex: 'M' | 'F';
}

export interface NoticeInput {
  signature: string;
  addressee: Addressee;
  cases: NoticeCase[];
  today: string;
}

export type AckKind = 'confirm' | 'decline' | 'reschedule' | 'opt_out' | 'ambiguous';

// ---------------------------------------------------------------------------------------------
// Names, dates, segments

// Two-character surnames (复姓) found in the registry's population; anything else is one character.
const COMPOUND_SURNAMES: ReadonlySet<string> = new Set([
  '欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙',
  '宇文', '司徒', '夏侯', '轩辕', '令狐', '钟离', '澹台', '端木', '申屠', '南宫',
  '西门', '独孤', '万俟', '闻人', '呼延', '司空', '太史', '东郭', '百里', '赫连',
  '第五', '公冶', '濮阳', '淳于', '单于', '仲孙', '拓跋', '左丘', '谷梁', '羊舌',
  '微生', '梁丘', '段干', '巫马', '公西', '漆雕', '乐正', '壤驷', '公良', '亓官',
  '司寇', '子车', '颛孙', '太叔', '东门', '公羊', '鲜于', '闾丘',
]);

/** The surname: a known compound surname, else the first character (code point, not UTF-16 unit). */
export function surnameOf(name: string): string {
  const chars = Array.from(name.trim());
  const two = chars.slice(0, 2).join('');
  if (chars.length > 2 && COMPOUND_SURNAMES.has(two)) return two;
  // A two-character name starting with a compound (e.g. 司马) is surname + given name: 司 + 马.
  return chars[0] ?? '';
}

export function honorific(a: Addressee): string {
  return surnameOf(a.name) + (a.sex === 'M' ? '先生' : '女士');
}

/** `12月26日`, or `2027年1月5日` outside today's year: how elderly readers expect a date. */
export function chineseDate(date: string, today: string): string {
  const year = Number(date.slice(0, 4));
  const monthDay = `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
  return date.slice(0, 4) === today.slice(0, 4) ? monthDay : `${year}年${monthDay}`;
}

const SINGLE_UCS2 = 70;
// Concatenated UCS-2 parts lose 3 units to the UDH.
const PART_UCS2 = 67;

/** SMS parts for a UCS-2 text (all our texts hold Chinese, so never GSM-7). */
export function smsSegments(text: string): number {
  if (text.length === 0) return 0;
  return text.length <= SINGLE_UCS2 ? 1 : Math.ceil(text.length / PART_UCS2);
}

// ---------------------------------------------------------------------------------------------
// What the notice says

const VISIT_KEYS_SMS = '回复1预约上门，2不需要，3改期，TD退订。';
const NOTICE_KEYS_SMS = '回复1表示已知晓，3请工作人员联系您，TD退订。';
const VISIT_PROMPT = '按1，预约上门体检；按2，不需要；按3，改期；按9，重听。';
const NOTICE_PROMPT = '按1，表示已知晓；按3，请工作人员联系您；按9，重听。';
const VISIT_OFFER_SMS = '邮政人员和医生可到您家或小区门口为您上门体检，约十分钟。';
const VISIT_OFFER_VOICE = '邮政人员和医生可以到您家或小区门口为您上门体检，大约十分钟。';

// What the driver must do, per visit category; both downgrades are the same business.
const TASKS: Readonly<Record<Exclude<CaseCategory, 'cancellation_notice'>, string>> = {
  annual_exam_70: '提交年度身体条件证明',
  downgrade_63: '办理驾驶证降级换证',
  downgrade_70: '办理驾驶证降级换证',
  expiry_renewal: '办理驾驶证期满换证',
};

// The licence classes are named only as far as the driver needs to recognise them.
const NO_LONGER_DRIVABLE: Readonly<Record<CancellationReason, string>> = {
  only_mnp_at_63: '年满63周岁后不能再驾驶轮式自行机械车、无轨电车、有轨电车',
  only_c3c4_at_70: '年满70周岁后不能再驾驶低速载货汽车、三轮汽车等车型',
};
const NO_LONGER_DRIVABLE_UNKNOWN = '按规定您已不能再驾驶原准驾车型';

interface Visit {
  tasks: string[];
  dueOn: string;
  overdue: boolean;
}

interface Cancellation {
  reason: CancellationReason | null;
  dueOn: string;
}

interface Summary {
  visit: Visit | null;
  cancellations: Cancellation[];
}

function isVisitCase(c: NoticeCase): c is NoticeCase & { category: keyof typeof TASKS } {
  return c.category !== 'cancellation_notice';
}

function earliest(dates: readonly string[]): string {
  return dates.reduce((a, b) => (b < a ? b : a));
}

function summarise(cases: readonly NoticeCase[]): Summary {
  if (cases.length === 0) throw new Error('a notice needs at least one case');
  const visits = cases.filter(isVisitCase);
  const visit: Visit | null =
    visits.length === 0
      ? null
      : {
          // Set keeps first-seen order; sorting by category order makes the text independent of it.
          tasks: [...new Set([...visits].sort(byCategory).map((c) => TASKS[c.category]))],
          dueOn: earliest(visits.map((c) => c.dueOn)),
          overdue: visits.some((c) => c.overdue),
        };
  return { visit, cancellations: cancellationsOf(cases) };
}

function byCategory(a: NoticeCase, b: NoticeCase): number {
  return CASE_CATEGORIES.indexOf(a.category) - CASE_CATEGORIES.indexOf(b.category);
}

/** One entry per reason (a driver may hold two licences), each with its earliest date. */
function cancellationsOf(cases: readonly NoticeCase[]): Cancellation[] {
  const notices = cases.filter((c) => c.category === 'cancellation_notice');
  const reasons: (CancellationReason | null)[] = [...CANCELLATION_REASONS, null];
  return reasons.flatMap((reason) => {
    const dates = notices.filter((c) => c.reason === reason).map((c) => c.dueOn);
    return dates.length === 0 ? [] : [{ reason, dueOn: earliest(dates) }];
  });
}

function noLongerDrivable(reason: CancellationReason | null): string {
  return reason === null ? NO_LONGER_DRIVABLE_UNKNOWN : NO_LONGER_DRIVABLE[reason];
}

function deadlineSms(visit: Visit, today: string): string {
  return visit.overdue ? '已超过办理期限，请尽快办理' : `办理期限至${chineseDate(visit.dueOn, today)}`;
}

function deadlineVoice(visit: Visit, today: string): string {
  return visit.overdue ? '已经超过办理期限，请尽快办理' : `办理期限是${chineseDate(visit.dueOn, today)}`;
}

// Alone, the cancellation is the whole licence; beside visit cases it may be another licence of
// the driver, so it says "the classes concerned".
function cancellationClause(c: Cancellation, today: string, alone: boolean): string {
  const what = alone ? '您的驾驶证' : '相应车型';
  return `${noLongerDrivable(c.reason)}，我所将自${chineseDate(c.dueOn, today)}起依法注销${what}。`;
}

// ---------------------------------------------------------------------------------------------
// The first SMS and the voice script

/** The first outreach SMS: one text for all the driver's cases. */
export function noticeSms(input: NoticeInput): string {
  const { visit, cancellations } = summarise(input.cases);
  const head = `【${input.signature}】${honorific(input.addressee)}您好：`;
  if (visit === null) {
    return head + cancellations.map((c) => cancellationClause(c, input.today, true)).join('') + NOTICE_KEYS_SMS;
  }
  const need = `您需${visit.tasks.join('、')}，${deadlineSms(visit, input.today)}。`;
  const also = cancellations.map((c) => `另，${cancellationClause(c, input.today, false)}`).join('');
  return head + need + VISIT_OFFER_SMS + also + VISIT_KEYS_SMS;
}

/** Sentences for the Mandarin TTS voice, in order; the keypress prompt comes last. */
export function voiceScript(input: NoticeInput): string[] {
  const { visit, cancellations } = summarise(input.cases);
  const greeting = `${honorific(input.addressee)}您好，这里是${input.signature}。`;
  if (visit === null) {
    return [greeting, ...cancellations.map((c) => cancellationClause(c, input.today, true)), NOTICE_PROMPT];
  }
  return [
    greeting,
    `您需要${visit.tasks.join('、')}，${deadlineVoice(visit, input.today)}。`,
    VISIT_OFFER_VOICE,
    ...cancellations.map((c) => `另外，${cancellationClause(c, input.today, false)}`),
    VISIT_PROMPT,
  ];
}

// ---------------------------------------------------------------------------------------------
// Replies

const PART_OF_DAY = { am: '上午', pm: '下午' } as const;

// `confirm` must also fit notice-only conversations (1 = 已知晓), where no one comes to the door.
const ACK_SMS: Readonly<Record<Exclude<AckKind, 'reschedule'>, string>> = {
  confirm: '已收到您的确认，谢谢！如需上门，工作人员会提前与您联系约定时间。',
  decline: '已收到，您不需要上门体检。如有需要，可随时回复1预约。',
  opt_out: '您已退订，今后不再收到本服务的短信和电话。',
  ambiguous: '已收到您的回复，工作人员将尽快与您联系。',
};

/** The date asked for, e.g. `12月3日上午`; with the year when today is unknown. */
function askedWhen(extra: { rescheduleOn?: string; partOfDay?: 'am' | 'pm'; today?: string }): string {
  const date = extra.rescheduleOn === undefined ? '' : chineseDate(extra.rescheduleOn, extra.today ?? '');
  const part = extra.partOfDay === undefined ? '' : PART_OF_DAY[extra.partOfDay];
  return date + part;
}

/** The short SMS reply to an answer. */
export function ackSms(
  kind: AckKind,
  signature: string,
  extra: { rescheduleOn?: string; partOfDay?: 'am' | 'pm'; today?: string } = {},
): string {
  if (kind !== 'reschedule') return `【${signature}】${ACK_SMS[kind]}`;
  const when = askedWhen(extra);
  return `【${signature}】已收到您的改期要求${when === '' ? '' : `（${when}）`}，工作人员将尽快与您联系。`;
}

/** The one help reply to an answer we could not read. */
export function helpSms(signature: string): string {
  return `【${signature}】请回复：1预约上门，2不需要，3改期（可加日期，如“3 12月3日”），TD退订。`;
}

const VOICE_ACK: Readonly<Record<'confirm' | 'decline' | 'reschedule', string>> = {
  confirm: '好的，已收到您的确认。如需上门，工作人员会提前与您联系约定时间。',
  decline: '好的，已记录您不需要上门体检。',
  // Also key 3 of notice-only calls (请工作人员联系您): both mean staff will call back.
  reschedule: '好的，已记录，工作人员会尽快与您联系。',
};

/** Spoken after a keypress. */
export function voiceAck(kind: 'confirm' | 'decline' | 'reschedule'): string {
  return VOICE_ACK[kind];
}

/** Spoken when no key or an invalid key was pressed, before the prompt is repeated. */
export const VOICE_NO_INPUT = '对不起，没有收到有效的按键。';
export const VOICE_GOODBYE = '感谢您的接听，再见。';

// ---------------------------------------------------------------------------------------------
// Catalogue for the README

const SAMPLE_ADDRESSEE: Addressee = { name: '张三', sex: 'M' };

// Sample due dates spread over the following weeks so that the "earliest" rule shows; the
// cancellation uses the longer of the two reasons (the worst case for the length).
const SAMPLE_DUE_IN_DAYS: Readonly<Record<CaseCategory, number>> = {
  annual_exam_70: 30,
  downgrade_63: 45,
  downgrade_70: 40,
  cancellation_notice: 50,
  expiry_renewal: 60,
};

function sampleCase(category: CaseCategory, today: string): NoticeCase {
  const reason = category === 'cancellation_notice' ? 'only_mnp_at_63' : null;
  return { category, dueOn: addDays(today, SAMPLE_DUE_IN_DAYS[category]), overdue: false, reason };
}

/** Every non-empty subset of the categories, in a fixed order (by bitmask over CASE_CATEGORIES). */
function allCombinations(): CaseCategory[][] {
  const count = 2 ** CASE_CATEGORIES.length;
  return Array.from({ length: count - 1 }, (_, i) => CASE_CATEGORIES.filter((_, bit) => ((i + 1) >> bit) & 1));
}

function catalogueEntry(index: number, categories: CaseCategory[], signature: string, today: string): string {
  const input: NoticeInput = {
    signature,
    addressee: SAMPLE_ADDRESSEE,
    cases: categories.map((c) => sampleCase(c, today)),
    today,
  };
  const sms = noticeSms(input);
  const voice = voiceScript(input).map((s, i) => `${i + 1}. ${s}`);
  return [
    `### ${index}. ${categories.map((c) => `\`${c}\``).join(' + ')}`,
    '',
    `SMS: ${sms.length} characters, ${smsSegments(sms)} segment(s)`,
    '',
    `> ${sms}`,
    '',
    'Voice:',
    '',
    ...voice,
    '',
  ].join('\n');
}

/**
 * Every non-empty combination of categories rendered for the README: markdown with, per
 * combination, the SMS text, its character count and segment count, and the voice script.
 * Deterministic.
 */
export function templateCatalogue(signature: string, today: string): string {
  const combos = allCombinations();
  const intro = [
    '## Notice texts for every combination of cases',
    '',
    `Rendered with signature 【${signature}】, addressee 张三 (M), today ${today}; each case is due ` +
      `${Object.entries(SAMPLE_DUE_IN_DAYS).map(([c, d]) => `\`${c}\` +${d} d`).join(', ')}, none overdue; ` +
      'the cancellation notice uses `only_mnp_at_63`. Segments are UCS-2: 70 characters in one, 67 per part beyond.',
    '',
  ];
  return [...intro, ...combos.map((c, i) => catalogueEntry(i + 1, c, signature, today))].join('\n');
}
