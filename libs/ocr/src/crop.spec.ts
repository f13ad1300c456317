import { cropQuad, rotate180, rotate90CounterClockwise } from './crop';
import type { Quad, RasterImage } from './types';

/** A 1-channel image whose pixel (x, y) holds 10·y + x: every sample says where it came from. */
function coordinates(width: number, height: number): RasterImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 10 * y + x;
  return { width, height, channels: 1, data };
}

const rows = (image: RasterImage) =>
  Array.from({ length: image.height }, (_, y) => [
    ...image.data.subarray(y * image.width * image.channels, (y + 1) * image.width * image.channels),
  ]);

describe('cropQuad', () => {
  const image = coordinates(8, 6);
  it.each<[string, Quad, object, number[][]]>([
    [
      'axis-aligned integer quad copies the pixels',
      [
        [2, 1],
        [6, 1],
        [6, 4],
        [2, 4],
      ],
      {},
      [
        [12, 13, 14, 15],
        [22, 23, 24, 25],
        [32, 33, 34, 35],
      ],
    ],
    [
      // Corners listed from the bottom-right: the crop comes out turned by a half.
      'a quad starting at the bottom-right reads upside down',
      [
        [6, 4],
        [2, 4],
        [2, 1],
        [6, 1],
      ],
      {},
      [
        [46, 45, 44, 43],
        [36, 35, 34, 33],
        [26, 25, 24, 23],
      ],
    ],
    [
      // 2 wide × 4 tall: 4/2 ≥ 1.5, turned a quarter counter-clockwise to lie down (4 wide × 2 tall).
      'a tall crop is laid down',
      [
        [1, 1],
        [3, 1],
        [3, 5],
        [1, 5],
      ],
      {},
      [
        [12, 22, 32, 42],
        [11, 21, 31, 41],
      ],
    ],
    [
      'unless asked not to',
      [
        [1, 1],
        [3, 1],
        [3, 5],
        [1, 5],
      ],
      { rotateTall: false },
      [
        [11, 12],
        [21, 22],
        [31, 32],
        [41, 42],
      ],
    ],
    [
      'samples outside the image repeat the edge',
      [
        [-2, 0],
        [1, 0],
        [1, 1],
        [-2, 1],
      ],
      {},
      [[0, 0, 0]],
    ],
  ])('%s', (_name, quad, options, expected) => {
    expect(rows(cropQuad(image, quad, options))).toEqual(expected);
  });

  it('half-pixel offset: samples between columns are means', () => {
    // x = 0.5 and 1.5 on row 0: (0+1)/2 and (1+2)/2, rounded half up.
    expect(
      rows(
        cropQuad(image, [
          [0.5, 0],
          [2.5, 0],
          [2.5, 1],
          [0.5, 1],
        ]),
      ),
    ).toEqual([[1, 2]]);
  });

  it('keeps all channels', () => {
    const rgb: RasterImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const crop = cropQuad(rgb, [
      [0, 0],
      [2, 0],
      [2, 1],
      [0, 1],
    ]);
    expect([crop.width, crop.height, crop.channels, ...crop.data]).toEqual([2, 1, 3, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects non-finite corners', () => {
    expect(() =>
      cropQuad(image, [
        [0, 0],
        [Number.NaN, 0],
        [2, 2],
        [0, 2],
      ]),
    ).toThrow(/non-finite/);
  });
});

describe('rotate180 / rotate90CounterClockwise', () => {
  // 3 wide, 2 tall: values 0 1 2 / 10 11 12.
  const image = coordinates(3, 2);
  it.each<[string, (i: RasterImage) => RasterImage, number[][]]>([
    [
      'half turn',
      rotate180,
      [
        [12, 11, 10],
        [2, 1, 0],
      ],
    ],
    [
      'quarter turn counter-clockwise: the right column becomes the top row',
      rotate90CounterClockwise,
      [
        [2, 12],
        [1, 11],
        [0, 10],
      ],
    ],
    [
      'two half turns are the identity',
      (i) => rotate180(rotate180(i)),
      [
        [0, 1, 2],
        [10, 11, 12],
      ],
    ],
    [
      'four quarter turns are the identity',
      (i) => [1, 2, 3, 4].reduce((acc) => rotate90CounterClockwise(acc), i),
      [
        [0, 1, 2],
        [10, 11, 12],
      ],
    ],
  ])('%s', (_name, turn, expected) => {
    expect(rows(turn(image))).toEqual(expected);
  });

  it('moves whole pixels of a multi-channel image', () => {
    const rgb: RasterImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect([...rotate180(rgb).data]).toEqual([4, 5, 6, 1, 2, 3]);
  });
});
