import { normalizeInto, REC_NORMALIZATION } from './normalize';
import { resizeBilinear } from './resize';
import { assertRasterImage, type FloatTensor, type RasterImage } from './types';

/** Height the PP-OCRv4 recogniser and the angle classifier expect. */
export const REC_HEIGHT = 48;
/** Fixed input width of the ppocr mobile v2 angle classifier. */
export const CLS_WIDTH = 192;
/** Widest recognition input by default: about 40 width/height, ~80 Latin characters. */
export const REC_MAX_WIDTH = 2048;

/** One line ready for a model: a [3, height, width] tensor whose first `contentWidth` columns hold the image. */
export interface LineInput {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly contentWidth: number;
}

export interface RecInputOptions {
  readonly height?: number;
  /** Crops wider than this (after scaling to `height`) are squeezed to it. */
  readonly maxWidth?: number;
  /** Tensor width; the scaled crop is padded with zeros up to it (squeezed if wider). Default: the crop's width. */
  readonly width?: number;
}

/** Width of a crop scaled to the model height, aspect kept: ceil(height × w / h), within [1, maxWidth]. */
export function recInputWidth(cropWidth: number, cropHeight: number, options: RecInputOptions = {}): number {
  const height = options.height ?? REC_HEIGHT;
  const maxWidth = options.maxWidth ?? REC_MAX_WIDTH;
  if (!(cropWidth > 0 && cropHeight > 0))
    throw new RangeError(`recInputWidth: bad crop size ${cropWidth}x${cropHeight}`);
  return Math.min(Math.max(Math.ceil((height * cropWidth) / cropHeight), 1), maxWidth);
}

/**
 * The batch width class of a recognition input: its width rounded up to a multiple of `step` (at most
 * `maxWidth`). Inputs of one class share a tensor with little padding, and each class keeps one
 * input shape, which GPU execution providers favour.
 */
export function recWidthBucket(width: number, options: { step?: number; maxWidth?: number } = {}): number {
  const step = options.step ?? 32;
  const maxWidth = options.maxWidth ?? REC_MAX_WIDTH;
  if (!(width > 0) || !(step >= 1)) throw new RangeError(`recWidthBucket: bad width ${width} or step ${step}`);
  return Math.min(Math.ceil(width / step) * step, maxWidth);
}

/** One recogniser run's worth of items: all of one width class, at most the batch size. */
export interface WidthClassBatch<T> {
  readonly widthClass: number;
  readonly items: T[];
}

/**
 * Groups items (line inputs, or references to them) by the width class of their recognition input
 * and cuts each group into runs of at most `batchSize`: lines of similar width share a batch with
 * little padding. Groups come in order of first appearance, items in their given order.
 */
export function widthClassBatches<T>(
  items: readonly T[],
  widthOf: (item: T) => number,
  batchSize: number,
  options: { step?: number; maxWidth?: number } = {},
): WidthClassBatch<T>[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const widthClass = recWidthBucket(widthOf(item), options);
    const members = groups.get(widthClass);
    if (members) members.push(item);
    else groups.set(widthClass, [item]);
  }
  const batches: WidthClassBatch<T>[] = [];
  for (const [widthClass, members] of groups) {
    for (let start = 0; start < members.length; start += batchSize) {
      batches.push({ widthClass, items: members.slice(start, start + batchSize) });
    }
  }
  return batches;
}

/**
 * A line crop as recognition input (PaddleOCR resize_norm_img): scaled to the model height with its
 * aspect ratio, normalised to [-1, 1] in BGR order, zero-padded on the right to `width`.
 */
export function toRecInput(crop: RasterImage, options: RecInputOptions = {}): LineInput {
  assertRasterImage(crop, 3);
  const height = options.height ?? REC_HEIGHT;
  const natural = recInputWidth(crop.width, crop.height, options);
  const width = options.width ?? natural;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`toRecInput: bad tensor width ${width}`);
  const contentWidth = Math.min(natural, width);
  const scaled = resizeBilinear(crop, contentWidth, height);
  const data = new Float32Array(3 * height * width);
  normalizeInto(scaled, { data, width, height }, REC_NORMALIZATION);
  return { data, height, width, contentWidth };
}

/** A line crop as angle-classifier input: [3, 48, 192], scaled to height 48, squeezed or zero-padded. */
export function toClsInput(crop: RasterImage): LineInput {
  return toRecInput(crop, { height: REC_HEIGHT, width: CLS_WIDTH, maxWidth: CLS_WIDTH });
}

/**
 * Stacks line inputs of one height into an [N, 3, height, W] batch, W = the widest input (or
 * `width`), narrower ones zero-padded on the right.
 */
export function batchLineInputs(inputs: readonly LineInput[], width?: number): FloatTensor {
  if (inputs.length === 0) throw new RangeError('batchLineInputs: empty batch');
  const height = inputs[0].height;
  const batchWidth = width ?? Math.max(...inputs.map((i) => i.width));
  for (const input of inputs) {
    if (input.height !== height) throw new RangeError(`batchLineInputs: mixed heights ${height} and ${input.height}`);
    if (input.width > batchWidth) throw new RangeError(`batchLineInputs: input width ${input.width} > ${batchWidth}`);
    if (input.data.length !== 3 * height * input.width) {
      throw new RangeError(`batchLineInputs: input holds ${input.data.length} values, not 3x${height}x${input.width}`);
    }
  }
  const item = 3 * height * batchWidth;
  const data = new Float32Array(inputs.length * item);
  inputs.forEach((input, n) => {
    if (input.width === batchWidth) {
      data.set(input.data, n * item);
      return;
    }
    for (let row = 0; row < 3 * height; row++) {
      const from = row * input.width;
      data.set(input.data.subarray(from, from + input.width), n * item + row * batchWidth);
    }
  });
  return { data, shape: [inputs.length, 3, height, batchWidth] };
}
