/**
 * The driver's SMS when 12123 accepted their business (issue 5). Pure. RULES.md §7: the surname
 * with 先生/女士, what was done, nothing medical (not even "passed the exam"), no ID number.
 */
import type { Business } from '../db/schema/submissions.ts';
import { honorific, type Addressee } from '../outreach/templates.ts';
import { BUSINESS_NAMES } from './payload.ts';

export interface Completed {
  business: Business;
  /** age_downgrade: the classes of the new licence. */
  targetClasses: string[] | null;
}

export function completedSms(signature: string, addressee: Addressee, done: readonly Completed[]): string {
  const order: Business[] = ['submit_certificate', 'age_downgrade', 'expiry_renewal'];
  const businesses = order.filter((b) => done.some((d) => d.business === b));
  const names = businesses.map((b) => {
    const classes = b === 'age_downgrade' ? done.find((d) => d.business === b)?.targetClasses : null;
    return classes && classes.length > 0 ? `${BUSINESS_NAMES[b]}（准驾车型${classes.join('')}）` : BUSINESS_NAMES[b];
  });
  // A downgrade or a renewal makes a new licence card, sent by post (the postal partner's service).
  const newCard = businesses.some((b) => b !== 'submit_certificate') ? '新驾驶证将邮寄给您，' : '';
  return `【${signature}】${honorific(addressee)}：已通过交管12123为您办结${names.join('、')}。${newCard}无需再到车管所。`;
}
