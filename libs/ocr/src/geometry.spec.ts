import {
  applyHomography,
  convexHull,
  minAreaRect,
  orderQuad,
  perspectiveTransform,
  polygonArea,
  polygonPerimeter,
  rectCorners,
  unclipRect,
  type RotatedRect,
} from './geometry';
import type { Point, Quad } from './types';

const sortPoints = (ps: Point[]) => [...ps].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
const rounded = (ps: readonly Point[], digits = 6) =>
  ps.map(([x, y]) => [Number(x.toFixed(digits)) + 0, Number(y.toFixed(digits)) + 0]);

/** Deterministic PRNG (mulberry32) so the randomised cross-check is reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The slow definition: try every hull edge direction and project every point. */
function bruteForceMinArea(points: Point[]): number {
  const hull = convexHull(points);
  let best = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const [ux, uy] = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    const us = points.map((p) => p[0] * ux + p[1] * uy);
    const vs = points.map((p) => -p[0] * uy + p[1] * ux);
    best = Math.min(best, (Math.max(...us) - Math.min(...us)) * (Math.max(...vs) - Math.min(...vs)));
  }
  return best;
}

describe('polygonArea / polygonPerimeter', () => {
  it.each<[string, Point[], number, number]>([
    [
      'unit square',
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
      1,
      4,
    ],
    [
      'same square, other winding',
      [
        [0, 0],
        [0, 1],
        [1, 1],
        [1, 0],
      ],
      1,
      4,
    ],
    [
      '3-4-5 triangle',
      [
        [0, 0],
        [4, 0],
        [0, 3],
      ],
      6,
      12,
    ],
    [
      '10x2 rectangle',
      [
        [5, 5],
        [15, 5],
        [15, 7],
        [5, 7],
      ],
      20,
      24,
    ],
    ['single point', [[3, 3]], 0, 0],
  ])('%s', (_name, points, area, perimeter) => {
    expect(polygonArea(points)).toBeCloseTo(area, 9);
    expect(polygonPerimeter(points)).toBeCloseTo(perimeter, 9);
  });
});

describe('convexHull', () => {
  it.each<[string, Point[], Point[]]>([
    [
      'square with interior points',
      [
        [0, 0],
        [2, 0],
        [2, 2],
        [0, 2],
        [1, 1],
        [0.5, 1.5],
      ],
      [
        [0, 0],
        [2, 0],
        [2, 2],
        [0, 2],
      ],
    ],
    [
      'collinear edge points are dropped',
      [
        [0, 0],
        [1, 0],
        [2, 0],
        [2, 1],
        [0, 1],
      ],
      [
        [0, 0],
        [2, 0],
        [2, 1],
        [0, 1],
      ],
    ],
    [
      'duplicates',
      [
        [1, 1],
        [1, 1],
        [3, 1],
        [3, 1],
        [2, 4],
      ],
      [
        [1, 1],
        [3, 1],
        [2, 4],
      ],
    ],
    [
      'all collinear keeps the ends',
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      [
        [0, 0],
        [3, 3],
      ],
    ],
    ['one point', [[5, 7]], [[5, 7]]],
  ])('%s', (_name, points, expected) => {
    expect(sortPoints(convexHull(points))).toEqual(sortPoints(expected));
  });

  it('returns vertices in one consistent turning direction', () => {
    const hull = convexHull([
      [0, 0],
      [4, 0],
      [4, 3],
      [0, 3],
      [2, 1],
    ]);
    for (let i = 0; i < hull.length; i++) {
      const [o, a, b] = [hull[i], hull[(i + 1) % hull.length], hull[(i + 2) % hull.length]];
      expect((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])).toBeGreaterThan(0);
    }
  });
});

describe('minAreaRect', () => {
  const s = Math.SQRT1_2;
  it.each<[string, Point[], { center: Point; sides: [number, number]; angleDeg?: number }]>([
    [
      'axis-aligned rectangle corners',
      [
        [10, 20],
        [50, 20],
        [50, 30],
        [10, 30],
      ],
      { center: [30, 25], sides: [10, 40], angleDeg: 0 },
    ],
    [
      'rectangle with interior points',
      [
        [0, 0],
        [6, 0],
        [6, 2],
        [0, 2],
        [3, 1],
        [1, 1],
      ],
      { center: [3, 1], sides: [2, 6], angleDeg: 0 },
    ],
    // A square turned 45°: its own sides (length √2·2), not the 4×4 axis-aligned box.
    [
      'square turned 45°',
      [
        [0, 2],
        [2, 0],
        [4, 2],
        [2, 4],
      ],
      { center: [2, 2], sides: [2 / s, 2 / s] },
    ],
    ['single point', [[3, 4]], { center: [3, 4], sides: [0, 0], angleDeg: 0 }],
    [
      'two points',
      [
        [0, 0],
        [3, 4],
      ],
      { center: [1.5, 2], sides: [0, 5] },
    ],
    [
      'collinear points',
      [
        [0, 0],
        [1, 0],
        [5, 0],
      ],
      { center: [2.5, 0], sides: [0, 5], angleDeg: 0 },
    ],
  ])('%s', (_name, points, expected) => {
    const rect = minAreaRect(points);
    expect(rect.center[0]).toBeCloseTo(expected.center[0], 9);
    expect(rect.center[1]).toBeCloseTo(expected.center[1], 9);
    const sides = [rect.width, rect.height].sort((a, b) => a - b);
    expect(sides[0]).toBeCloseTo(expected.sides[0], 9);
    expect(sides[1]).toBeCloseTo(expected.sides[1], 9);
    if (expected.angleDeg !== undefined) expect(Math.abs(Math.sin(rect.angle * 2))).toBeCloseTo(0, 9);
  });

  it('finds a 30°-rotated 40×10 rectangle from its corners and edge points', () => {
    const truth: RotatedRect = { center: [100, 50], width: 40, height: 10, angle: Math.PI / 6 };
    const corners = rectCorners(truth);
    const mid = (a: Point, b: Point): Point => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    const rect = minAreaRect([...corners, mid(corners[0], corners[1]), mid(corners[1], corners[2])]);
    // The same rectangle may come back as 10×40 turned a further 90°: compare the shape, not the encoding.
    expect([rect.width, rect.height].sort((a, b) => a - b).map((v) => v.toFixed(9))).toEqual([
      '10.000000000',
      '40.000000000',
    ]);
    expect(rounded(rectCorners(rect))).toEqual(rounded(corners));
  });

  it('matches the brute-force minimum area on random point sets', () => {
    const random = prng(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = 3 + Math.floor(random() * 40);
      const points: Point[] = Array.from({ length: n }, () => [Math.round(random() * 200), Math.round(random() * 60)]);
      const rect = minAreaRect(points);
      expect(rect.width * rect.height).toBeCloseTo(bruteForceMinArea(points), 6);
      // Every point lies inside the rectangle (in its own frame).
      const [ux, uy] = [Math.cos(rect.angle), Math.sin(rect.angle)];
      for (const [x, y] of points) {
        const du = (x - rect.center[0]) * ux + (y - rect.center[1]) * uy;
        const dv = -(x - rect.center[0]) * uy + (y - rect.center[1]) * ux;
        expect(Math.abs(du)).toBeLessThanOrEqual(rect.width / 2 + 1e-6);
        expect(Math.abs(dv)).toBeLessThanOrEqual(rect.height / 2 + 1e-6);
      }
    }
  });

  it('rejects an empty point set', () => {
    expect(() => minAreaRect([])).toThrow(/at least one point/);
  });
});

describe('orderQuad', () => {
  const tl: Point = [10, 10];
  const tr: Point = [50, 12];
  const br: Point = [49, 30];
  const bl: Point = [9, 28];
  it.each<[string, Point[], Quad]>([
    ['already ordered', [tl, tr, br, bl], [tl, tr, br, bl]],
    ['shuffled', [br, tl, bl, tr], [tl, tr, br, bl]],
    ['counter-clockwise input', [tl, bl, br, tr], [tl, tr, br, bl]],
    [
      'tilted the other way',
      [
        [10, 12],
        [50, 10],
        [51, 28],
        [11, 30],
      ],
      [
        [10, 12],
        [50, 10],
        [51, 28],
        [11, 30],
      ],
    ],
    // Exact 45° tie: the edge pointing up-right starts the quad.
    [
      'diamond',
      [
        [0, -1],
        [1, 0],
        [0, 1],
        [-1, 0],
      ],
      [
        [-1, 0],
        [0, -1],
        [1, 0],
        [0, 1],
      ],
    ],
  ])('%s', (_name, points, expected) => {
    expect(orderQuad(points)).toEqual(expected);
  });

  it('needs four points', () => {
    expect(() =>
      orderQuad([
        [0, 0],
        [1, 0],
        [1, 1],
      ]),
    ).toThrow(/4 points/);
  });
});

describe('unclipRect', () => {
  it.each<[string, number, number, number, number, number]>([
    // distance = w·h·ratio / (2(w+h))
    ['100×20 at 1.5: d = 12.5', 100, 20, 1.5, 125, 45],
    ['100×20 at 2.0: d = 16.667', 100, 20, 2, 100 + (2 * (2000 * 2)) / 240, 20 + (2 * (2000 * 2)) / 240],
    ['square 10×10 at 2: d = 5', 10, 10, 2, 20, 20],
    ['degenerate 0×0 is unchanged', 0, 0, 2, 0, 0],
  ])('%s', (_name, width, height, ratio, expectedWidth, expectedHeight) => {
    const grown = unclipRect({ center: [7, 8], width, height, angle: 0.3 }, ratio);
    expect(grown.width).toBeCloseTo(expectedWidth, 9);
    expect(grown.height).toBeCloseTo(expectedHeight, 9);
    expect(grown.center).toEqual([7, 8]);
    expect(grown.angle).toBe(0.3);
  });
});

describe('perspectiveTransform', () => {
  const unit: Quad = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ];
  it.each<[string, Quad]>([
    ['identity', unit],
    [
      'scale and shift',
      [
        [10, 20],
        [30, 20],
        [30, 25],
        [10, 25],
      ],
    ],
    [
      'rotation',
      [
        [5, 0],
        [5, 2],
        [3, 2],
        [3, 0],
      ],
    ],
    [
      'general quadrilateral',
      [
        [0, 0],
        [4, 1],
        [5, 5],
        [-1, 3],
      ],
    ],
  ])('maps each corner onto its target: %s', (_name, to) => {
    const m = perspectiveTransform(unit, to);
    unit.forEach(([x, y], i) => {
      const [u, v] = applyHomography(m, x, y);
      expect(u).toBeCloseTo(to[i][0], 9);
      expect(v).toBeCloseTo(to[i][1], 9);
    });
  });

  it('maps the centre of a parallelogram to its centre (affine case)', () => {
    const m = perspectiveTransform(unit, [
      [0, 0],
      [4, 2],
      [5, 5],
      [1, 3],
    ]);
    const [u, v] = applyHomography(m, 0.5, 0.5);
    expect(u).toBeCloseTo(2.5, 9);
    expect(v).toBeCloseTo(2.5, 9);
  });

  it('rejects a degenerate quadrilateral', () => {
    expect(() =>
      perspectiveTransform(unit, [
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
      ]),
    ).toThrow(/degenerate/);
  });
});
