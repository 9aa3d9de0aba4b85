import type { ExamFindings } from '../../src/exams/rules.ts';

/** A healthy driver's findings: every item passes for any class. */
export const HEALTHY: ExamFindings = {
  heightCm: 168,
  vision: { left: 5.0, right: 5.0, corrected: false },
  redGreenColourBlind: false,
  hearing: { left: true, right: true, aid: false },
  upperLimbsNormal: true,
  lowerLimbs: { normal: true, lengthDifferenceCm: 0 },
  trunkAndNeckNormal: true,
  cognitiveTest: null,
};
