/**
 * The physical-condition exam at the door (issue 5, RULES.md §5): the items of Art 14(2), with
 * the thresholds for the classes the driver will hold, judged item by item. Pure.
 */

/** Classes that need 5.0 on the log chart (RULES.md §5, Art 14(2)); every other class needs 4.9. */
const SHARP_VISION_CLASSES: ReadonlySet<string> = new Set(['A1', 'A2', 'A3', 'B1', 'B2', 'N', 'P']);
/** A hearing aid is allowed for these classes only (RULES.md §5, Art 14(2)). */
const HEARING_AID_CLASSES: ReadonlySet<string> = new Set(['C1', 'C2']);
/** Lower limbs: at most this difference in length (RULES.md §5, Art 14(2)). */
export const MAX_LEG_LENGTH_DIFFERENCE_CM = 5;

export interface Thresholds {
  /** Lowest vision of each eye, log chart (corrected vision allowed). */
  vision: 5.0 | 4.9;
  hearingAidAllowed: boolean;
}

/** For the classes the driver will hold (after a downgrade: its target classes). */
export function thresholdsFor(classes: readonly string[]): Thresholds {
  return {
    vision: classes.some((c) => SHARP_VISION_CLASSES.has(c)) ? 5.0 : 4.9,
    hearingAidAllowed: classes.length > 0 && classes.every((c) => HEARING_AID_CLASSES.has(c)),
  };
}

export interface ExamFindings {
  heightCm: number;
  /** Log-chart vision of each eye (4.0-5.3), with glasses if worn. */
  vision: { left: number; right: number; corrected: boolean };
  redGreenColourBlind: boolean;
  /** Each ear hears the tuning fork at 50 cm; `aid` if with a hearing aid. */
  hearing: { left: boolean; right: boolean; aid: boolean };
  upperLimbsNormal: boolean;
  lowerLimbs: { normal: boolean; lengthDifferenceCm: number };
  trunkAndNeckNormal: boolean;
  /** 三力测试, when a case needs it (Art 73 para 3). */
  /** 三力测试; null or absent when not taken (asked only when a case needs it). */
  cognitiveTest?: 'pass' | 'fail' | null | undefined;
}

export type ExamItem = 'height' | 'vision_left' | 'vision_right' | 'colour' | 'hearing_left' | 'hearing_right' | 'upper_limbs' | 'lower_limbs' | 'trunk_neck' | 'cognitive_test';

export interface ItemResult {
  item: ExamItem;
  pass: boolean;
  /** Why it failed, in words for the follow-up list (no figures beyond the item's own). */
  reason: string | null;
}

export interface ExamResult {
  pass: boolean;
  items: ItemResult[];
  thresholds: Thresholds;
}

const item = (name: ExamItem, pass: boolean, reason: string): ItemResult => ({ item: name, pass, reason: pass ? null : reason });

export function assessExam(findings: ExamFindings, context: { classes: readonly string[]; needsCognitiveTest: boolean }): ExamResult {
  const thresholds = thresholdsFor(context.classes);
  const f = findings;
  const hearingOk = (heard: boolean) => heard && (!f.hearing.aid || thresholds.hearingAidAllowed);
  const hearingReason = f.hearing.aid && !thresholds.hearingAidAllowed ? 'a hearing aid is allowed for C1/C2 only' : 'does not hear the tuning fork at 50 cm';
  const items: ItemResult[] = [
    // RULES.md §5 lists height as an item without a threshold: it is recorded, any real height passes.
    item('height', f.heightCm >= 100 && f.heightCm <= 250, 'height not plausibly measured'),
    item('vision_left', f.vision.left >= thresholds.vision, `left eye below ${thresholds.vision.toFixed(1)}`),
    item('vision_right', f.vision.right >= thresholds.vision, `right eye below ${thresholds.vision.toFixed(1)}`),
    item('colour', !f.redGreenColourBlind, 'red-green colour blindness'),
    item('hearing_left', hearingOk(f.hearing.left), hearingReason),
    item('hearing_right', hearingOk(f.hearing.right), hearingReason),
    item('upper_limbs', f.upperLimbsNormal, 'upper limbs'),
    item('lower_limbs', f.lowerLimbs.normal && f.lowerLimbs.lengthDifferenceCm <= MAX_LEG_LENGTH_DIFFERENCE_CM, `lower limbs (length difference over ${MAX_LEG_LENGTH_DIFFERENCE_CM} cm, or not normal)`),
    item('trunk_neck', f.trunkAndNeckNormal, 'trunk or neck'),
  ];
  if (context.needsCognitiveTest) items.push(item('cognitive_test', f.cognitiveTest === 'pass', f.cognitiveTest === null ? '三力测试 not taken' : '三力测试 failed'));
  return { pass: items.every((i) => i.pass), items, thresholds };
}
