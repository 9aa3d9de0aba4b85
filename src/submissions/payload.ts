/**
 * The JSON a submission sends to the 12123 integration gateway (issue 5). Pure.
 *
 * ```json
 * {
 *   "version": 1,
 *   "business": "submit_certificate" | "age_downgrade" | "expiry_renewal",
 *   "businessName": "提交身体条件证明" | "超龄降级换证" | "期满换证",
 *   "caseId": "0192…",              // our case id
 *   "fileNumber": "371500123456",   // 档案编号: the licence, as the registry names it
 *   "category": "annual_exam_70",   // the screening category (RULES.md §3)
 *   "dueOn": "2026-12-31",
 *   "certificate": {                // 身体条件证明 (Art 85), issued at the door
 *     "number": "LC-2026-000123", "institution": "聊城市人民医院",
 *     "issuedOn": "2026-11-26", "validUntil": "2027-05-25",
 *     "examStartedAt": "2026-11-26T01:02:03.000Z", "examEndedAt": "2026-11-26T01:10:00.000Z"
 *   },
 *   "targetClasses": ["C1"],        // age_downgrade only: the classes after the downgrade (RULES.md §4)
 *   "cognitiveTest": "pass" | "not_required",   // expiry_renewal only (三力测试, Art 73 para 3)
 *   "agent": "postal"               // filed by the postal worker with the driver's 委托书 (Art 105)
 * }
 * ```
 *
 * No ID number, name, phone or medical finding: the file number identifies the licence to the
 * gateway, and a certificate is only ever filed when the exam passed (minimum data, PIPL).
 */
import type { Business } from '../db/schema/submissions.ts';
import type { LicenceClass } from '../registry/licence.ts';
import type { CaseCategory } from '../screening/case.ts';

export const BUSINESS_NAMES: Record<Business, string> = {
  submit_certificate: '提交身体条件证明',
  age_downgrade: '超龄降级换证',
  expiry_renewal: '期满换证',
};

/** The 12123 business that settles a case; null for a notice that files nothing. */
export function businessOf(category: CaseCategory): Business | null {
  switch (category) {
    case 'annual_exam_70':
      return 'submit_certificate'; // Art 74
    case 'downgrade_63':
    case 'downgrade_70':
      return 'age_downgrade'; // Art 65
    case 'expiry_renewal':
      return 'expiry_renewal'; // Art 63, with a review (Art 72-73)
    case 'cancellation_notice':
      return null;
  }
}

export interface CertificateOfExam {
  number: string;
  institution: string;
  issuedOn: string;
  validUntil: string;
  examStartedAt: string;
  examEndedAt: string;
}

export interface SubmissionPayload {
  version: 1;
  business: Business;
  businessName: string;
  caseId: string;
  fileNumber: string;
  category: CaseCategory;
  dueOn: string;
  certificate: CertificateOfExam;
  targetClasses?: LicenceClass[];
  cognitiveTest?: 'pass' | 'not_required';
  agent: 'postal';
}

export function buildPayload(
  business: Business,
  c: { id: string; fileNumber: string; category: CaseCategory; dueOn: string; targetClasses: LicenceClass[] | null; needsCognitiveTest: boolean },
  certificate: CertificateOfExam,
): SubmissionPayload {
  return {
    version: 1,
    business,
    businessName: BUSINESS_NAMES[business],
    caseId: c.id,
    fileNumber: c.fileNumber,
    category: c.category,
    dueOn: c.dueOn,
    certificate,
    ...(business === 'age_downgrade' ? { targetClasses: c.targetClasses ?? [] } : {}),
    // A passing exam includes a passed 三力测试 whenever the case needs one (src/exams/rules.ts).
    ...(business === 'expiry_renewal' ? { cognitiveTest: c.needsCognitiveTest ? ('pass' as const) : ('not_required' as const) } : {}),
    agent: 'postal',
  };
}
