import { assertTensor, type FloatTensor } from './types';

/** The angle classifier's two classes: upright, or turned by a half turn. */
export type LineAngle = 0 | 180;

export interface AngleScore {
  readonly angle: LineAngle;
  /** Probability of `angle`. */
  readonly confidence: number;
}

/** PaddleOCR's cls_thresh: a line is turned only when the classifier is at least this sure. */
export const CLS_THRESHOLD = 0.9;

/** Reads the classifier output [N, 2] (softmax over 0° / 180°). */
export function decodeAngles(output: FloatTensor): AngleScore[] {
  assertTensor(output, 2);
  const [n, classes] = output.shape;
  if (classes !== 2) throw new RangeError(`angle classifier output must be [N, 2], got [${output.shape.join(', ')}]`);
  const scores: AngleScore[] = [];
  for (let i = 0; i < n; i++) {
    const p0 = output.data[2 * i];
    const p180 = output.data[2 * i + 1];
    scores.push(p180 > p0 ? { angle: 180, confidence: p180 } : { angle: 0, confidence: p0 });
  }
  return scores;
}

/**
 * The page's orientation by majority of the lines the classifier is sure about (confidence ≥
 * `threshold`): 180 only when those voting 180 outnumber those voting 0. No sure votes → 0.
 */
export function pageOrientationVote(scores: readonly AngleScore[], threshold = CLS_THRESHOLD): LineAngle {
  let upright = 0;
  let turned = 0;
  for (const s of scores) {
    if (s.confidence < threshold) continue;
    if (s.angle === 180) turned++;
    else upright++;
  }
  return turned > upright ? 180 : 0;
}

export interface LineRotations {
  readonly pageAngle: LineAngle;
  /** Whether to turn each line crop by 180° before recognition. */
  readonly rotate: boolean[];
  /**
   * Lines the classifier is unsure about (confidence below the threshold): they are worth reading
   * both ways up and keeping the more confident reading (see `chooseReading`). A lone short line on
   * an upside-down page is the typical case: no sure vote exists to turn it.
   */
  readonly uncertain: boolean[];
}

/**
 * Which line crops to turn. Per line PaddleOCR turns only confident 180° lines; with the page vote the
 * page's orientation becomes the prior: on an upside-down page every line is turned unless the
 * classifier is sure it is upright, so short, ambiguous lines (digits, "ON") follow their page.
 */
export function lineRotations(
  scores: readonly AngleScore[],
  options: { threshold?: number; usePageVote?: boolean } = {},
): LineRotations {
  const threshold = options.threshold ?? CLS_THRESHOLD;
  const pageAngle = (options.usePageVote ?? true) ? pageOrientationVote(scores, threshold) : 0;
  const rotate = scores.map((s) =>
    pageAngle === 180 ? !(s.angle === 0 && s.confidence >= threshold) : s.angle === 180 && s.confidence >= threshold,
  );
  return { pageAngle, rotate, uncertain: scores.map((s) => s.confidence < threshold) };
}

/**
 * A line the classifier was unsure of is read the other way up too only when its upright reading is
 * less confident than this. Measured on the bench corpus (tools/bench/README.md, "Where the time goes"): 9 of
 * 104 lines were uncertain, their second readings took 12 % of recognition, and the only one that won
 * had an upright reading of confidence 0.42; every upright reading at or above 0.5 beat its alternate.
 * Reading the alternate lazily, after the upright reading, keeps the accuracy and skips most of them.
 */
export const ALTERNATE_BELOW_CONFIDENCE = 0.9;

/** Whether to read a line's alternate (the crop turned the other way), given its upright reading's confidence. */
export function needsAlternate(mainConfidence: number, below = ALTERNATE_BELOW_CONFIDENCE): boolean {
  return mainConfidence < below;
}

/** Index of the reading to keep: the alternate (the crop turned the other way) only when it is more confident. */
export function chooseReading(main: { confidence: number }, alternate?: { confidence: number }): 'main' | 'alternate' {
  return alternate !== undefined && alternate.confidence > main.confidence ? 'alternate' : 'main';
}

/**
 * The page's orientation after reading: the turn most lines ended up read with (ties keep `voted`).
 * It decides the reading order, so a page whose only lines were read upside-down-turned is ordered
 * as an upside-down page.
 */
export function resolvePageAngle(voted: LineAngle, lineAngles: readonly LineAngle[]): LineAngle {
  const turned = lineAngles.filter((a) => a === 180).length;
  const upright = lineAngles.length - turned;
  return turned > upright ? 180 : upright > turned ? 0 : voted;
}
