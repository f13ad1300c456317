import { componentOutlinePoints, connectedComponents } from './components';
import { distance, minAreaRect, orderQuad, rectCorners, unclipRect } from './geometry';
import { assertTensor, type FloatTensor, type Point, type Quad } from './types';

/** The detection network's text probability per pixel, row-major. */
export interface ProbabilityMap {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

export interface DbPostprocessOptions {
  /** Size of the image the boxes are reported in (the map is scaled onto it). */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Pixel probability above which a pixel counts as text (PaddleOCR det_db_thresh). */
  readonly threshold?: number;
  /** Minimum mean probability inside a candidate box (det_db_box_thresh). */
  readonly boxThreshold?: number;
  /** How far boxes are grown back out, since DB shrinks text regions in training (det_db_unclip_ratio). */
  readonly unclipRatio?: number;
  /** Shortest side, in map pixels, below which a candidate is noise. */
  readonly minSize?: number;
  /** Upper bound on candidate regions examined, in scan order (max_candidates). */
  readonly maxCandidates?: number;
}

export interface TextBox {
  /** Corners in source-image pixels, top-left, top-right, bottom-right, bottom-left. */
  readonly quad: Quad;
  /** Mean probability inside the unexpanded box. */
  readonly score: number;
}

export const DB_DEFAULTS = {
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 2.0,
  minSize: 3,
  maxCandidates: 1000,
} as const;

/** Views a detection output of shape [N, 1, H, W] (or [1, H, W] / [H, W]) as the map of item `index`. */
export function probabilityMapFromTensor(tensor: FloatTensor, index = 0): ProbabilityMap {
  assertTensor(tensor);
  const shape = tensor.shape;
  if (shape.length < 2 || shape.length > 4 || (shape.length >= 3 && shape[shape.length - 3] !== 1)) {
    throw new RangeError(`detection output must be [N, 1, H, W], got [${shape.join(', ')}]`);
  }
  const height = shape[shape.length - 2];
  const width = shape[shape.length - 1];
  const count = shape.length === 4 ? shape[0] : 1;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`detection output has ${count} maps, asked for ${index}`);
  }
  const plane = width * height;
  return { data: tensor.data.subarray(index * plane, (index + 1) * plane), width, height };
}

/** Mean of the map over pixel centres inside a convex polygon (PaddleOCR's box_score_fast). */
export function boxScore(map: ProbabilityMap, polygon: readonly Point[]): number {
  const { data, width, height } = map;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of polygon) {
    minY = Math.min(minY, p[1]);
    maxY = Math.max(maxY, p[1]);
  }
  const eps = 1e-6;
  const y0 = Math.max(0, Math.ceil(minY - eps));
  const y1 = Math.min(height - 1, Math.floor(maxY + eps));
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const [ax, ay] = polygon[j];
      const [bx, by] = polygon[i];
      if ((ay - eps > y && by - eps > y) || (ay + eps < y && by + eps < y)) continue;
      if (Math.abs(by - ay) < eps) {
        left = Math.min(left, ax, bx);
        right = Math.max(right, ax, bx);
      } else {
        const x = ax + ((y - ay) * (bx - ax)) / (by - ay);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    const x0 = Math.max(0, Math.ceil(left - eps));
    const x1 = Math.min(width - 1, Math.floor(right + eps));
    const row = y * width;
    for (let x = x0; x <= x1; x++) sum += data[row + x];
    count += Math.max(0, x1 - x0 + 1);
  }
  return count === 0 ? 0 : sum / count;
}

function validateMap(map: ProbabilityMap): void {
  const { width, height } = map;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`probability map size must be positive integers, got ${width}x${height}`);
  }
  if (map.data.length !== width * height) {
    throw new RangeError(`probability map has ${map.data.length} values, expected ${width * height}`);
  }
}

/**
 * Differentiable Binarization post-processing, as PaddleOCR's DBPostProcess: threshold the map,
 * take connected regions, fit each a minimum-area rectangle, drop small or low-scoring ones, grow the
 * rest by the unclip distance, and map them onto the source image. Boxes come in scan order of their
 * regions (roughly top to bottom); reading order is a separate step.
 */
export function extractBoxes(map: ProbabilityMap, options: DbPostprocessOptions): TextBox[] {
  validateMap(map);
  const { sourceWidth, sourceHeight } = options;
  if (!(Number.isInteger(sourceWidth) && Number.isInteger(sourceHeight) && sourceWidth > 0 && sourceHeight > 0)) {
    throw new RangeError(`extractBoxes: source size must be positive integers, got ${sourceWidth}x${sourceHeight}`);
  }
  const threshold = options.threshold ?? DB_DEFAULTS.threshold;
  const boxThreshold = options.boxThreshold ?? DB_DEFAULTS.boxThreshold;
  const unclipRatio = options.unclipRatio ?? DB_DEFAULTS.unclipRatio;
  const minSize = options.minSize ?? DB_DEFAULTS.minSize;
  const maxCandidates = options.maxCandidates ?? DB_DEFAULTS.maxCandidates;

  const { data, width, height } = map;
  const bitmap = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bitmap[i] = data[i] > threshold ? 1 : 0;

  const scaleX = sourceWidth / width;
  const scaleY = sourceHeight / height;
  const boxes: TextBox[] = [];
  const components = connectedComponents(bitmap, width, height);
  for (const component of components.slice(0, maxCandidates)) {
    const rect = minAreaRect(componentOutlinePoints(component));
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const score = boxScore(map, rectCorners(rect));
    if (score < boxThreshold) continue;
    const grown = unclipRect(rect, unclipRatio);
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    const quad = orderQuad(
      rectCorners(grown).map(([x, y]): Point => [
        clamp(Math.round(x * scaleX), 0, sourceWidth - 1),
        clamp(Math.round(y * scaleY), 0, sourceHeight - 1),
      ]),
    );
    // PaddleOCR's filter_tag_det_res: a box 3 px or less across after clipping is no text line.
    if (Math.trunc(distance(quad[0], quad[1])) <= 3 || Math.trunc(distance(quad[0], quad[3])) <= 3) continue;
    boxes.push({ quad, score });
  }
  return boxes;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
