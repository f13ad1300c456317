import { assertRasterImage, type RasterImage } from './types';

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface DetectionSizeOptions {
  /** Longest side after resizing; larger images are scaled down, smaller ones kept (PaddleOCR det_limit_side_len). */
  readonly limitSide?: number;
  /** The detection network downsamples by 32, so both sides must be multiples of it. */
  readonly multiple?: number;
}

/**
 * The detection input size for an image, as PaddleOCR's DetResizeForTest (limit_type "max") picks it:
 * scale so the longest side is at most `limitSide`, then round each side to the nearest multiple of
 * `multiple` (at least one multiple).
 */
export function detectionSize(width: number, height: number, options: DetectionSizeOptions = {}): Size {
  const limitSide = options.limitSide ?? 960;
  const multiple = options.multiple ?? 32;
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new RangeError(`detectionSize: image size must be positive, got ${width}x${height}`);
  }
  if (!(limitSide >= multiple && multiple >= 1)) {
    throw new RangeError(`detectionSize: need limitSide >= multiple >= 1, got ${limitSide} and ${multiple}`);
  }
  const ratio = Math.max(width, height) > limitSide ? limitSide / Math.max(width, height) : 1;
  const round = (side: number) => Math.max(Math.round(Math.trunc(side * ratio) / multiple) * multiple, multiple);
  return { width: round(width), height: round(height) };
}

/**
 * Bilinear resize with pixel-centre alignment (OpenCV INTER_LINEAR, no antialiasing), for any channel
 * count. Meant for small images such as line crops; whole pages go through sharp.
 */
export function resizeBilinear(image: RasterImage, width: number, height: number): RasterImage {
  assertRasterImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resizeBilinear: target size must be positive integers, got ${width}x${height}`);
  }
  const { width: sw, height: sh, channels: c, data: src } = image;
  if (sw === width && sh === height) return { width, height, channels: c, data: src.slice() };

  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const fx = new Float32Array(width);
  const scaleX = sw / width;
  for (let x = 0; x < width; x++) {
    const s = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), sw - 1);
    x0[x] = Math.floor(s);
    x1[x] = Math.min(x0[x] + 1, sw - 1);
    fx[x] = s - x0[x];
  }
  const out = new Uint8Array(width * height * c);
  const scaleY = sh / height;
  for (let y = 0; y < height; y++) {
    const s = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), sh - 1);
    const y0 = Math.floor(s);
    const y1 = Math.min(y0 + 1, sh - 1);
    const fy = s - y0;
    const row0 = y0 * sw * c;
    const row1 = y1 * sw * c;
    let o = y * width * c;
    for (let x = 0; x < width; x++) {
      const a = x0[x] * c;
      const b = x1[x] * c;
      const f = fx[x];
      for (let k = 0; k < c; k++) {
        const top = src[row0 + a + k] + (src[row0 + b + k] - src[row0 + a + k]) * f;
        const bottom = src[row1 + a + k] + (src[row1 + b + k] - src[row1 + a + k]) * f;
        out[o++] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { width, height, channels: c, data: out };
}
