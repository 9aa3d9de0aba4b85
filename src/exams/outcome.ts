/**
 * What a recorded exam does for each open case of the visit (issue 5, RULES.md §5). Pure.
 *
 * One exam yields one certificate, used by each case whose filing date falls within the
 * certificate's 6 months (Art 85): a passing exam files those cases; every other case goes to the
 * staff follow-up list with the reason, and - when the exam failed - whether a downgrade to
 * fewer classes would still pass.
 */
import { canonicalClasses, type LicenceClass } from '../registry/licence.ts';
import type { CaseCategory } from '../screening/case.ts';
import { addDays, addMonths, type CivilDate } from '../shared/civil-date.ts';
import { assessExam, type ExamFindings, type ExamResult } from './rules.ts';

/** The certificate is valid for 6 months from issue (Art 85): through the day before the same date 6 months on. */
export const CERTIFICATE_MONTHS = 6;

export function certificateValidUntil(issuedOn: CivilDate): CivilDate {
  return addDays(addMonths(issuedOn, CERTIFICATE_MONTHS), -1);
}

export interface OpenCaseOfVisit {
  id: string;
  category: CaseCategory;
  opensOn: CivilDate;
  /** Downgrade cases: the classes after the downgrade (RULES.md §4). */
  targetClasses: LicenceClass[] | null;
  triggerOn: CivilDate;
  needsCognitiveTest: boolean;
}

/**
 * The classes the driver will hold, whose thresholds apply (Art 14(2)): after a downgrade its
 * target classes (the latest downgrade when there are two), else the licence's classes.
 */
export function classesToHold(licenceClasses: readonly LicenceClass[], cases: readonly OpenCaseOfVisit[]): LicenceClass[] {
  const downgrades = cases.filter((c) => c.targetClasses !== null && c.category !== 'cancellation_notice').sort((a, b) => b.triggerOn.localeCompare(a.triggerOn));
  return canonicalClasses(downgrades[0]?.targetClasses ?? licenceClasses);
}

/** Classes whose vision or hearing thresholds are stricter than C1/C2's (RULES.md §5). */
const DEMANDING: ReadonlySet<LicenceClass> = new Set(['A1', 'A2', 'A3', 'B1', 'B2', 'N', 'P']);

/**
 * A failed exam may still allow fewer classes: the held classes without those needing 5.0
 * vision (with C1 for a former A/B holder, as at a downgrade, Art 65), then C1 alone, then C2
 * alone (the only classes allowing a hearing aid). The first such set that passes every item, or null.
 */
export function downgradeThatPasses(findings: ExamFindings, held: readonly LicenceClass[], needsCognitiveTest: boolean): LicenceClass[] | null {
  const lighter = held.filter((c) => !DEMANDING.has(c));
  const hadAB = held.some((c) => DEMANDING.has(c) && c !== 'N' && c !== 'P');
  const candidates: LicenceClass[][] = [canonicalClasses(hadAB ? [...lighter, 'C1'] : lighter), ['C1'], ['C2']];
  const current = canonicalClasses(held).join(' ');
  for (const classes of candidates) {
    if (classes.length === 0 || classes.join(' ') === current) continue;
    if (assessExam(findings, { classes, needsCognitiveTest }).pass) return classes;
  }
  return null;
}

export type CaseOutcome =
  | { caseId: string; outcome: 'submitted'; notBefore: CivilDate }
  | { caseId: string; outcome: 'follow_up'; reason: string; hint: string | null };

/** Businesses that need no exam and file nothing (RULES.md §3: a notice only). */
const NO_FILING: ReadonlySet<CaseCategory> = new Set(['cancellation_notice']);

export function outcomesOf(
  result: ExamResult,
  findings: ExamFindings,
  context: { held: readonly LicenceClass[]; cases: readonly OpenCaseOfVisit[]; certificateValidUntil: CivilDate; needsCognitiveTest: boolean },
): CaseOutcome[] {
  const failed = result.items.filter((i) => !i.pass);
  const failReason = failed.length === 0 ? '' : `exam failed: ${failed.map((i) => `${i.item} (${i.reason})`).join('; ')}`;
  const downgrade = result.pass ? null : downgradeThatPasses(findings, context.held, context.needsCognitiveTest);
  const hint =
    downgrade === null
      ? null
      : `a downgrade may still be possible: with ${downgrade.join(' ')} every item passes (ask the driver whether to apply for 降级换证)`;
  return context.cases
    .filter((c) => !NO_FILING.has(c.category))
    .map((c): CaseOutcome => {
      if (!result.pass) return { caseId: c.id, outcome: 'follow_up', reason: failReason, hint };
      // RULES.md §5: the certificate must still be valid on the day the case can be filed.
      if (c.opensOn > context.certificateValidUntil) {
        return { caseId: c.id, outcome: 'follow_up', reason: `the certificate expires on ${context.certificateValidUntil}, before the case opens on ${c.opensOn}`, hint: null };
      }
      return { caseId: c.id, outcome: 'submitted', notBefore: c.opensOn };
    });
}
