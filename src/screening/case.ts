import type { CivilDate } from '../shared/civil-date.ts';
import type { LicenceClass } from '../registry/licence.ts';

/** Screening categories (RULES.md §3). */
export const CASE_CATEGORIES = [
  'annual_exam_70',
  'downgrade_63',
  'downgrade_70',
  'cancellation_notice',
  'expiry_renewal',
] as const;
export type CaseCategory = (typeof CASE_CATEGORIES)[number];

export const CANCELLATION_REASONS = ['only_mnp_at_63', 'only_c3c4_at_70'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** A flagged case as the rules compute it for one screening date. */
export interface ScreenedCase {
  fileNumber: string;
  category: CaseCategory;
  triggerOn: CivilDate;
  opensOn: CivilDate;
  dueOn: CivilDate;
  /** First day the licence is exposed to cancellation; null where the law sets none. */
  lapsesOn: CivilDate | null;
  overdue: boolean;
  /** Downgrade cases: the classes after the downgrade; `[]` for cancellation notices; else null. */
  targetClasses: LicenceClass[] | null;
  needsCognitiveTest: boolean;
  reason: CancellationReason | null;
}

export interface ScreeningParams {
  /** D: the screening date. */
  asOf: CivilDate;
  /** L: outreach lead time in days (default 60). */
  leadDays: number;
  /** R: minimum age for renewal outreach (default 60; 0 = every driver). */
  renewalMinAge: number;
}
