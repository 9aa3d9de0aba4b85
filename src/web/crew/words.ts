/** The crew's pages in words (issue 16): what the phone says about stops, no-shows, 委托书 and exams. */
import type { NoShowReason } from '../../scheduling/visits.ts';

export const NO_SHOW_WORDS: Record<NoShowReason, string> = {
  nobody_home: '家中无人',
  no_answer: '电话打不通，无人开门',
  wrong_address: '地址不对，找不到',
  away: '驾驶人外出或住院',
  other: '其他原因',
};

export const RELATION_WORDS: Record<string, string> = {
  self: '驾驶人本人',
  spouse: '配偶',
  child: '子女',
  relative: '其他亲属',
  other: '其他',
};

export const ON_THE_WAY_WORDS: Record<string, string> = {
  sent: '已给驾驶人发短信：约15分钟后到。',
  landline: '驾驶人留的是固定电话，没有发短信；需要时请打电话告知。',
  opted_out: '驾驶人已退订短信，没有发送；需要时请打电话告知。',
  outside_window: '现在不在发送短信的时段内，没有发送；需要时请打电话告知。',
  failed: '短信没有发出去；需要时请打电话告知。',
};

/** `9:00` for `09:00`. */
export const clockText = (hhmm: string) => (hhmm.startsWith('0') ? hhmm.slice(1) : hhmm);

/** A phone number for a `tel:` link: digits and a leading +. */
export const telHref = (phone: string) => `tel:${phone.replace(/[^\d+]/g, '')}`;

/** The map links of a stop: `geo:` always; an https map only when CREW_MAP_URL names one. */
export function mapLinks(lat: number, lng: number, template: string | undefined): { geo: string; web: string | null } {
  const web = template ? template.replaceAll('{lat}', String(lat)).replaceAll('{lng}', String(lng)) : null;
  return { geo: `geo:${lat},${lng}`, web };
}
