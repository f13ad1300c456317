import { assertRasterImage, type RasterImage } from './types';

/**
 * Per-channel normalisation `(value / 255 - mean[c]) / std[c]`, where `c` indexes the OUTPUT tensor
 * channel. PaddleOCR models were trained on OpenCV's BGR images, so the tensor's channel 0 is blue:
 * `channelOrder: 'bgr'` reverses an RGB image's channels on the way in.
 */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly channelOrder: 'rgb' | 'bgr';
}

/** PaddleOCR detection: ImageNet statistics applied in BGR order (NormalizeImage in det preprocessing). */
export const DET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  channelOrder: 'bgr',
};

/** PaddleOCR recognition and angle classification: `(x / 255 - 0.5) / 0.5`, i.e. values in [-1, 1]. */
export const REC_NORMALIZATION: Normalization = {
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  channelOrder: 'bgr',
};

/** Where `normalizeInto` writes: a [3, height, width] float plane set starting at `offset` in `data`. */
export interface ChwTarget {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly offset?: number;
}

/** 256-entry lookup per output channel: one table read per sample instead of a divide. */
function lookupTables(norm: Normalization): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean[c]) / norm.std[c];
    return table;
  });
}

const tableCache = new WeakMap<Normalization, Float32Array[]>();
function tablesFor(norm: Normalization): Float32Array[] {
  let tables = tableCache.get(norm);
  if (!tables) {
    tables = lookupTables(norm);
    tableCache.set(norm, tables);
  }
  return tables;
}

/**
 * Writes an RGB image (HWC uint8) into the top-left corner of a CHW float target, normalised. Target
 * cells outside the image are left untouched, so a zero-filled target gives PaddleOCR's zero padding.
 */
export function normalizeInto(image: RasterImage, target: ChwTarget, norm: Normalization): void {
  assertRasterImage(image, 3);
  const offset = target.offset ?? 0;
  if (image.width > target.width || image.height > target.height) {
    throw new RangeError(
      `normalizeInto: image ${image.width}x${image.height} does not fit target ${target.width}x${target.height}`,
    );
  }
  const plane = target.width * target.height;
  if (offset < 0 || offset + 3 * plane > target.data.length) {
    throw new RangeError(`normalizeInto: target buffer too small for 3x${target.height}x${target.width} at ${offset}`);
  }
  const tables = tablesFor(norm);
  // Source channel feeding each output channel.
  const source = norm.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const { width, height, data } = image;
  const out = target.data;
  for (let c = 0; c < 3; c++) {
    const table = tables[c];
    const s = source[c];
    const base = offset + c * plane;
    for (let y = 0; y < height; y++) {
      let i = y * width * 3 + s;
      let o = base + y * target.width;
      for (let x = 0; x < width; x++, i += 3) out[o++] = table[data[i]];
    }
  }
}

/** HWC uint8 RGB → CHW float32 of the same size, normalised. */
export function normalizeToChw(image: RasterImage, norm: Normalization): Float32Array {
  const data = new Float32Array(3 * image.width * image.height);
  normalizeInto(image, { data, width: image.width, height: image.height }, norm);
  return data;
}
