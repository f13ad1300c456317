/**
 * An 8-bit image with interleaved channels (RGB when `channels` is 3), row-major, no row padding:
 * the layout sharp's `.raw()` output and a uint8 [H, W, C] tensor share.
 */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/** A point in pixel coordinates: x to the right, y downwards. */
export type Point = [x: number, y: number];

/** Four corners ordered top-left, top-right, bottom-right, bottom-left. */
export type Quad = [Point, Point, Point, Point];

/** A dense float32 tensor with its shape (row-major, last dimension fastest). */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Builds a RasterImage, checking that the buffer matches the stated size. */
export function rasterImage(width: number, height: number, channels: number, data: Uint8Array): RasterImage {
  const image = { width, height, channels, data };
  assertRasterImage(image);
  return image;
}

/** Throws a descriptive error when `image` is not a well-formed RasterImage (optionally with `channels`). */
export function assertRasterImage(image: RasterImage, channels?: number): void {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (!Number.isInteger(image.channels) || image.channels < 1 || image.channels > 4) {
    throw new RangeError(`image channels must be 1..4, got ${image.channels}`);
  }
  if (channels !== undefined && image.channels !== channels) {
    throw new RangeError(`expected a ${channels}-channel image, got ${image.channels} channels`);
  }
  const expected = width * height * image.channels;
  if (image.data.length !== expected) {
    throw new RangeError(
      `image data has ${image.data.length} bytes, expected ${expected} for ${width}x${height}x${image.channels}`,
    );
  }
}

/** Throws when `tensor.data` does not hold exactly the product of `tensor.shape` values. */
export function assertTensor(tensor: FloatTensor, rank?: number): void {
  if (rank !== undefined && tensor.shape.length !== rank) {
    throw new RangeError(`expected a rank-${rank} tensor, got shape [${tensor.shape.join(', ')}]`);
  }
  const size = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.shape.some((d) => !Number.isInteger(d) || d < 0) || size !== tensor.data.length) {
    throw new RangeError(`tensor shape [${tensor.shape.join(', ')}] does not match ${tensor.data.length} values`);
  }
}
