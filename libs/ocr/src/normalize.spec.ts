import { DET_NORMALIZATION, normalizeInto, normalizeToChw, REC_NORMALIZATION, type Normalization } from './normalize';
import type { RasterImage } from './types';

// One pixel, R=255 G=0 B=128, and a second, R=G=B=51.
const image: RasterImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 128, 51, 51, 51]) };

describe('normalizeToChw', () => {
  it.each<[string, Normalization, number[]]>([
    // BGR planes: [B0, B1], [G0, G1], [R0, R1]; (v/255 - 0.5) / 0.5.
    ['recognition: [-1, 1] in BGR order', REC_NORMALIZATION, [(128 / 255) * 2 - 1, -0.6, -1, -0.6, 1, -0.6]],
    [
      'detection: ImageNet statistics indexed by tensor channel (B gets 0.485/0.229)',
      DET_NORMALIZATION,
      [
        (128 / 255 - 0.485) / 0.229,
        (0.2 - 0.485) / 0.229,
        (0 - 0.456) / 0.224,
        (0.2 - 0.456) / 0.224,
        (1 - 0.406) / 0.225,
        (0.2 - 0.406) / 0.225,
      ],
    ],
    ['plain RGB scaling', { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' }, [1, 0.2, 0, 0.2, 128 / 255, 0.2]],
  ])('%s', (_name, norm, expected) => {
    const out = normalizeToChw(image, norm);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out).toHaveLength(expected.length);
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });

  it('rejects a non-RGB image', () => {
    expect(() =>
      normalizeToChw({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, REC_NORMALIZATION),
    ).toThrow(/3-channel/);
  });
});

describe('normalizeInto', () => {
  it('writes into the top-left of a larger plane set and leaves the padding alone', () => {
    const data = new Float32Array(3 * 2 * 3).fill(7);
    normalizeInto(image, { data, width: 3, height: 2 }, REC_NORMALIZATION);
    // Per plane (3 wide, 2 tall): row 0 = image row, column 2 and row 1 untouched.
    const planes = [0, 1, 2].map((c) => [...data.subarray(c * 6, c * 6 + 6)].map((v) => Number(v.toFixed(4))));
    expect(planes).toEqual([
      [0.0039, -0.6, 7, 7, 7, 7],
      [-1, -0.6, 7, 7, 7, 7],
      [1, -0.6, 7, 7, 7, 7],
    ]);
  });

  it('honours an offset (one item of a batch)', () => {
    const data = new Float32Array(2 * 3 * 2).fill(0);
    normalizeInto(image, { data, width: 2, height: 1, offset: 6 }, REC_NORMALIZATION);
    expect([...data.subarray(0, 6)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(data[6 + 4]).toBeCloseTo(1, 6);
  });

  it.each<[string, { width: number; height: number; length: number; offset?: number }, RegExp]>([
    ['a target narrower than the image', { width: 1, height: 1, length: 3 }, /does not fit/],
    ['a buffer too short', { width: 2, height: 1, length: 5 }, /too small/],
    ['an offset past the end', { width: 2, height: 1, length: 6, offset: 1 }, /too small/],
  ])('rejects %s', (_name, t, message) => {
    expect(() =>
      normalizeInto(
        image,
        { data: new Float32Array(t.length), width: t.width, height: t.height, offset: t.offset },
        REC_NORMALIZATION,
      ),
    ).toThrow(message);
  });
});
