import { detectionSize, resizeBilinear } from './resize';
import type { RasterImage } from './types';

describe('detectionSize', () => {
  it.each<[string, number, number, object, [number, number]]>([
    ['small page rounds to the nearest multiple of 32', 800, 155, {}, [800, 160]],
    ['rounds down when nearer', 100, 50, {}, [96, 64]],
    ['never below one multiple', 10, 10, {}, [32, 32]],
    ['exactly the limit stays', 960, 960, {}, [960, 960]],
    ['full HD is bounded to 960 on the long side', 1920, 1080, {}, [960, 544]],
    ['portrait', 1080, 1920, {}, [544, 960]],
    ['very wide strip', 3000, 100, {}, [960, 32]],
    ['custom limit', 1920, 1080, { limitSide: 640 }, [640, 352]],
    ['custom multiple (halves round up)', 100, 50, { multiple: 8 }, [104, 48]],
  ])('%s: %ix%i', (_name, width, height, options, expected) => {
    const size = detectionSize(width, height, options);
    expect([size.width, size.height]).toEqual(expected);
  });

  it.each<[string, number, number, object]>([
    ['zero width', 0, 10, {}],
    ['negative height', 10, -1, {}],
    ['NaN', Number.NaN, 10, {}],
    ['limit below multiple', 10, 10, { limitSide: 16 }],
  ])('rejects %s', (_name, width, height, options) => {
    expect(() => detectionSize(width, height, options)).toThrow(RangeError);
  });
});

const gray = (width: number, height: number, values: number[]): RasterImage => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(values),
});

describe('resizeBilinear', () => {
  it.each<[string, RasterImage, number, number, number[]]>([
    // Upscale 2 → 4: sample positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
    ['upscales a row with centre alignment', gray(2, 1, [0, 100]), 4, 1, [0, 25, 75, 100]],
    // Downscale 4 → 2: positions 0.5 and 2.5, the mean of each pair.
    ['downscales by averaging neighbour pairs', gray(4, 1, [0, 10, 20, 30]), 2, 1, [5, 25]],
    ['scales columns too', gray(1, 2, [0, 200]), 1, 4, [0, 50, 150, 200]],
    ['same size copies', gray(2, 2, [1, 2, 3, 4]), 2, 2, [1, 2, 3, 4]],
    ['one pixel fills', gray(1, 1, [77]), 3, 2, [77, 77, 77, 77, 77, 77]],
  ])('%s', (_name, image, width, height, expected) => {
    const out = resizeBilinear(image, width, height);
    expect([out.width, out.height, out.channels]).toEqual([width, height, 1]);
    expect([...out.data]).toEqual(expected);
  });

  it('keeps channels interleaved', () => {
    const rgb: RasterImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 100, 200, 100, 100, 0]) };
    expect([...resizeBilinear(rgb, 4, 1).data]).toEqual([0, 100, 200, 25, 100, 150, 75, 100, 50, 100, 100, 0]);
  });

  it('does not alias its input', () => {
    const image = gray(2, 1, [1, 2]);
    const out = resizeBilinear(image, 2, 1);
    out.data[0] = 99;
    expect(image.data[0]).toBe(1);
  });

  it.each<[string, RasterImage, number, number]>([
    ['a zero target', gray(2, 1, [1, 2]), 0, 1],
    ['a fractional target', gray(2, 1, [1, 2]), 1.5, 1],
    ['a buffer of the wrong length', gray(2, 2, [1, 2]), 1, 1],
  ])('rejects %s', (_name, image, width, height) => {
    expect(() => resizeBilinear(image, width, height)).toThrow(RangeError);
  });
});
