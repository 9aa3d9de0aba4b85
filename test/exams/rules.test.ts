import { describe, expect, it } from 'vitest';
import { assessExam, thresholdsFor, type ExamFindings } from '../../src/exams/rules.ts';
import { HEALTHY } from '../helpers/exam-findings.ts';

const healthy: ExamFindings = HEALTHY;

const failed = (r: ReturnType<typeof assessExam>) => r.items.filter((i) => !i.pass).map((i) => i.item);

describe('exam thresholds by the classes the driver will hold (RULES.md §5, Art 14(2))', () => {
  it('needs 5.0 for A1 A2 A3 B1 B2 N P and 4.9 for the others', () => {
    expect(thresholdsFor(['B2']).vision).toBe(5.0);
    expect(thresholdsFor(['C1', 'N']).vision).toBe(5.0);
    expect(thresholdsFor(['C1']).vision).toBe(4.9);
    expect(thresholdsFor(['C1', 'F']).vision).toBe(4.9);
  });

  it('allows a hearing aid for C1/C2 only', () => {
    expect(thresholdsFor(['C1']).hearingAidAllowed).toBe(true);
    expect(thresholdsFor(['C1', 'C2']).hearingAidAllowed).toBe(true);
    expect(thresholdsFor(['C1', 'E']).hearingAidAllowed).toBe(false);
    expect(thresholdsFor([]).hearingAidAllowed).toBe(false);
  });
});

describe('judging an exam item by item', () => {
  it('passes a healthy driver', () => {
    expect(assessExam(healthy, { classes: ['B2'], needsCognitiveTest: false })).toMatchObject({ pass: true });
  });

  it('fails 4.9 for a B2 holder but passes it after a downgrade to C1', () => {
    const f = { ...healthy, vision: { left: 4.9, right: 5.0, corrected: true } };
    expect(failed(assessExam(f, { classes: ['B2'], needsCognitiveTest: false }))).toEqual(['vision_left']);
    expect(assessExam(f, { classes: ['C1'], needsCognitiveTest: false }).pass).toBe(true);
  });

  it('fails a hearing aid outside C1/C2 and says why', () => {
    const f = { ...healthy, hearing: { left: true, right: true, aid: true } };
    const r = assessExam(f, { classes: ['C1', 'E'], needsCognitiveTest: false });
    expect(failed(r)).toEqual(['hearing_left', 'hearing_right']);
    expect(r.items.find((i) => i.item === 'hearing_left')?.reason).toBe('a hearing aid is allowed for C1/C2 only');
    expect(assessExam(f, { classes: ['C1'], needsCognitiveTest: false }).pass).toBe(true);
  });

  it('accepts a leg length difference of 5 cm, not more', () => {
    expect(assessExam({ ...healthy, lowerLimbs: { normal: true, lengthDifferenceCm: 5 } }, { classes: ['C1'], needsCognitiveTest: false }).pass).toBe(true);
    expect(failed(assessExam({ ...healthy, lowerLimbs: { normal: true, lengthDifferenceCm: 5.5 } }, { classes: ['C1'], needsCognitiveTest: false }))).toEqual(['lower_limbs']);
  });

  it('needs the 三力测试 passed only when a case asks for it (Art 73 para 3)', () => {
    expect(failed(assessExam(healthy, { classes: ['C1'], needsCognitiveTest: true }))).toEqual(['cognitive_test']);
    expect(assessExam({ ...healthy, cognitiveTest: 'pass' }, { classes: ['C1'], needsCognitiveTest: true }).pass).toBe(true);
    expect(failed(assessExam({ ...healthy, cognitiveTest: 'fail' }, { classes: ['C1'], needsCognitiveTest: true }))).toEqual(['cognitive_test']);
  });

  it('fails colour blindness and abnormal limbs, trunk or neck', () => {
    const f = { ...healthy, redGreenColourBlind: true, upperLimbsNormal: false, trunkAndNeckNormal: false };
    expect(failed(assessExam(f, { classes: ['C1'], needsCognitiveTest: false }))).toEqual(['colour', 'upper_limbs', 'trunk_neck']);
  });
});
