import { distance, perspectiveTransform } from './geometry';
import { assertRasterImage, type Quad, type RasterImage } from './types';

export interface CropOptions {
  /**
   * Turn crops at least `tallRatio` times taller than wide a quarter turn counter-clockwise, as
   * PaddleOCR does, so vertical lines reach the recogniser lying down. Default true.
   */
  readonly rotateTall?: boolean;
  readonly tallRatio?: number;
}

/**
 * Rectifies the quadrilateral `quad` (TL, TR, BR, BL) of `image` into an upright crop whose size is
 * the quad's longer opposite sides (PaddleOCR's get_rotate_crop_image): a perspective warp sampled
 * bilinearly, edges replicated.
 */
export function cropQuad(image: RasterImage, quad: Quad, options: CropOptions = {}): RasterImage {
  assertRasterImage(image);
  for (const [x, y] of quad) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`cropQuad: non-finite corner ${x},${y}`);
  }
  const width = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[1]), distance(quad[2], quad[3]))));
  const height = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[3]), distance(quad[1], quad[2]))));
  const m = perspectiveTransform(
    [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ],
    quad,
  );
  const { width: sw, height: sh, channels: c, data: src } = image;
  const out = new Uint8Array(width * height * c);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = m[6] * x + m[7] * y + m[8];
      let sx = (m[0] * x + m[1] * y + m[2]) / w;
      let sy = (m[3] * x + m[4] * y + m[5]) / w;
      sx = sx < 0 ? 0 : sx > sw - 1 ? sw - 1 : sx;
      sy = sy < 0 ? 0 : sy > sh - 1 ? sh - 1 : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 + 1 < sw ? x0 + 1 : x0;
      const y1 = y0 + 1 < sh ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const a = (y0 * sw + x0) * c;
      const b = (y0 * sw + x1) * c;
      const d = (y1 * sw + x0) * c;
      const e = (y1 * sw + x1) * c;
      for (let k = 0; k < c; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * fx;
        const bottom = src[d + k] + (src[e + k] - src[d + k]) * fx;
        out[o++] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  const crop: RasterImage = { width, height, channels: c, data: out };
  const tallRatio = options.tallRatio ?? 1.5;
  return (options.rotateTall ?? true) && height / width >= tallRatio ? rotate90CounterClockwise(crop) : crop;
}

/** A half turn: what the angle classifier's "180" label asks for. */
export function rotate180(image: RasterImage): RasterImage {
  assertRasterImage(image);
  const { width, height, channels: c, data } = image;
  const out = new Uint8Array(data.length);
  const pixels = width * height;
  for (let p = 0; p < pixels; p++) {
    const q = (pixels - 1 - p) * c;
    for (let k = 0; k < c; k++) out[q + k] = data[p * c + k];
  }
  return { width, height, channels: c, data: out };
}

/** A quarter turn counter-clockwise (numpy's rot90): the top-right corner becomes the top-left. */
export function rotate90CounterClockwise(image: RasterImage): RasterImage {
  assertRasterImage(image);
  const { width, height, channels: c, data } = image;
  const out = new Uint8Array(data.length);
  // Output is height wide and width tall; output (row r, col k) comes from input (row k, col width-1-r).
  for (let r = 0; r < width; r++) {
    for (let k = 0; k < height; k++) {
      const from = (k * width + (width - 1 - r)) * c;
      const to = (r * height + k) * c;
      for (let ch = 0; ch < c; ch++) out[to + ch] = data[from + ch];
    }
  }
  return { width: height, height: width, channels: c, data: out };
}
