import { boxScore, extractBoxes, probabilityMapFromTensor, type ProbabilityMap } from './db-postprocess';
import type { Point } from './types';

/** A width×height map of zeros with axis-aligned rectangles (inclusive pixel ranges) set to a value. */
function mapWith(
  width: number,
  height: number,
  rects: [x0: number, y0: number, x1: number, y1: number, value: number][],
): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (const [x0, y0, x1, y1, value] of rects) {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * width + x] = value;
  }
  return { data, width, height };
}

describe('boxScore', () => {
  // Left two columns are 1, the rest 0.
  const map = mapWith(4, 4, [[0, 0, 1, 3, 1]]);
  it.each<[string, Point[], number]>([
    [
      'whole map',
      [
        [0, 0],
        [3, 0],
        [3, 3],
        [0, 3],
      ],
      0.5,
    ],
    [
      'left half',
      [
        [0, 0],
        [1, 0],
        [1, 3],
        [0, 3],
      ],
      1,
    ],
    [
      'right half',
      [
        [2, 0],
        [3, 0],
        [3, 3],
        [2, 3],
      ],
      0,
    ],
    // Pixel centres with x + y ≤ 3: 10 of them, 7 in the left columns.
    [
      'triangle',
      [
        [0, 0],
        [3, 0],
        [0, 3],
      ],
      0.7,
    ],
    [
      'polygon partly outside the map is clipped',
      [
        [-5, -5],
        [1, -5],
        [1, 10],
        [-5, 10],
      ],
      1,
    ],
    [
      'polygon wholly outside',
      [
        [10, 10],
        [12, 10],
        [12, 12],
        [10, 12],
      ],
      0,
    ],
  ])('%s', (_name, polygon, expected) => {
    expect(boxScore(map, polygon)).toBeCloseTo(expected, 9);
  });
});

describe('extractBoxes', () => {
  // A 60×10 pixel text kernel: pixel-centre extent 59×9, centre (49.5, 19.5).
  const line = mapWith(100, 40, [[20, 15, 79, 24, 0.9]]);

  it.each<[string, ProbabilityMap, object, { quad: Point[]; score: number }[]]>([
    // unclip 2.0 (default): d = 59·9·2 / (2·68) = 7.809 → 74.62 × 24.62 around the centre.
    [
      'one line, default unclip',
      line,
      {},
      [
        {
          quad: [
            [12, 7],
            [87, 7],
            [87, 32],
            [12, 32],
          ],
          score: 0.9,
        },
      ],
    ],
    // PaddleOCR's 1.5: d = 5.857 → 70.71 × 20.71.
    [
      'one line, unclip 1.5',
      line,
      { unclipRatio: 1.5 },
      [
        {
          quad: [
            [14, 9],
            [85, 9],
            [85, 30],
            [14, 30],
          ],
          score: 0.9,
        },
      ],
    ],
    [
      'scaled onto a source twice the map size',
      line,
      { sourceWidth: 200, sourceHeight: 80 },
      [
        {
          quad: [
            [24, 14],
            [174, 14],
            [174, 64],
            [24, 64],
          ],
          score: 0.9,
        },
      ],
    ],
    [
      'clipped at the image edge',
      mapWith(100, 40, [[0, 0, 59, 9, 0.8]]),
      {},
      [
        {
          quad: [
            [0, 0],
            [67, 0],
            [67, 17],
            [0, 17],
          ],
          score: 0.8,
        },
      ],
    ],
    ['above the pixel threshold but below the box threshold', mapWith(100, 40, [[20, 15, 79, 24, 0.5]]), {}, []],
    [
      'kept with a lower box threshold',
      mapWith(100, 40, [[20, 15, 79, 24, 0.5]]),
      { boxThreshold: 0.4 },
      [
        {
          quad: [
            [12, 7],
            [87, 7],
            [87, 32],
            [12, 32],
          ],
          score: 0.5,
        },
      ],
    ],
    ['below the pixel threshold', mapWith(100, 40, [[20, 15, 79, 24, 0.25]]), {}, []],
    ['a 2-pixel-high speck is noise', mapWith(100, 40, [[20, 15, 79, 16, 0.9]]), {}, []],
    [
      'two lines in scan order',
      mapWith(100, 60, [
        [10, 40, 69, 49, 0.9],
        [20, 5, 79, 14, 0.7],
      ]),
      {},
      [
        // The upper line comes first; its grown box is clipped at y = 0.
        {
          quad: [
            [12, 0],
            [87, 0],
            [87, 22],
            [12, 22],
          ],
          score: 0.7,
        },
        {
          quad: [
            [2, 32],
            [77, 32],
            [77, 57],
            [2, 57],
          ],
          score: 0.9,
        },
      ],
    ],
  ])('%s', (_name, map, options, expected) => {
    const boxes = extractBoxes(map, { sourceWidth: map.width, sourceHeight: map.height, ...options });
    expect(boxes.map((b) => ({ quad: b.quad, score: Number(b.score.toFixed(6)) }))).toEqual(expected);
  });

  it('follows a rotated line: 10° tilt, TL→TR along the text', () => {
    const width = 200;
    const height = 120;
    const data = new Float32Array(width * height);
    const angle = (10 * Math.PI) / 180;
    const [ux, uy] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const du = (x - 100) * ux + (y - 60) * uy;
        const dv = -(x - 100) * uy + (y - 60) * ux;
        if (Math.abs(du) <= 60 && Math.abs(dv) <= 6) data[y * width + x] = 1;
      }
    }
    const [box] = extractBoxes({ data, width, height }, { sourceWidth: width, sourceHeight: height });
    const [tl, tr, br, bl] = box.quad;
    const deg = (a: Point, b: Point) => (Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI;
    expect(deg(tl, tr)).toBeCloseTo(10, 0);
    expect(deg(bl, br)).toBeCloseTo(10, 0);
    expect(tl[0]).toBeLessThan(tr[0]);
    expect(tl[1]).toBeLessThan(bl[1]);
    expect(box.score).toBeCloseTo(1, 1);
  });

  it.each<[string, ProbabilityMap, object, RegExp]>([
    ['a map of the wrong length', { data: new Float32Array(5), width: 2, height: 2 }, {}, /expected 4/],
    ['a zero-sized map', { data: new Float32Array(0), width: 0, height: 0 }, {}, /positive/],
    ['a fractional source size', line, { sourceWidth: 10.5 }, /source size/],
  ])('rejects %s', (_name, map, options, message) => {
    expect(() => extractBoxes(map, { sourceWidth: 100, sourceHeight: 40, ...options })).toThrow(message);
  });
});

describe('probabilityMapFromTensor', () => {
  const data = Float32Array.from({ length: 12 }, (_, i) => i);
  it.each<[string, number[], number, number[]]>([
    ['[1, 1, H, W]', [1, 1, 2, 3], 0, [0, 1, 2, 3, 4, 5]],
    ['[1, H, W]', [1, 2, 3], 0, [0, 1, 2, 3, 4, 5]],
    ['second of [2, 1, H, W]', [2, 1, 2, 3], 1, [6, 7, 8, 9, 10, 11]],
    ['[H, W]', [3, 4], 0, [...data]],
  ])('%s', (_name, shape, index, expected) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const map = probabilityMapFromTensor({ data: data.subarray(0, size), shape }, index);
    expect([...map.data]).toEqual(expected);
    expect(map.width * map.height).toBe(expected.length);
  });

  it.each<[string, number[], number, RegExp]>([
    ['two channels', [1, 2, 2, 3], 0, /\[N, 1, H, W\]/],
    ['an index past the batch', [2, 1, 2, 3], 2, /has 2 maps/],
    ['a shape that does not match the data', [1, 1, 3, 3], 0, /does not match/],
  ])('rejects %s', (_name, shape, index, message) => {
    expect(() => probabilityMapFromTensor({ data, shape }, index)).toThrow(message);
  });
});
