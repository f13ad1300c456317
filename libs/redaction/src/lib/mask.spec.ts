import { growQuad, maskSvg, type Quad } from './mask';

const square: Quad = [[10, 10], [20, 10], [20, 20], [10, 20]];

describe('growQuad', () => {
  const d = Math.SQRT1_2 * 2; // 2 px along a diagonal
  it.each<[string, Quad, number, number, number, Quad]>([
    ['no padding keeps the quad', square, 0, 100, 100, square],
    ['2 px moves each corner 2 px outwards along its diagonal', square, 2, 100, 100, [[10 - d, 10 - d], [20 + d, 10 - d], [20 + d, 20 + d], [10 - d, 20 + d]]],
    ['corners are clamped into the image', [[0, 0], [5, 0], [5, 5], [0, 5]], 10, 8, 8, [[0, 0], [8, 0], [8, 8], [0, 8]]],
    ['a degenerate quad (one point) stays put', [[3, 3], [3, 3], [3, 3], [3, 3]], 5, 10, 10, [[3, 3], [3, 3], [3, 3], [3, 3]]],
  ])('%s', (_name, quad, padding, width, height, expected) => {
    const grown = growQuad(quad, padding, width, height);
    grown.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i][0], 6);
      expect(p[1]).toBeCloseTo(expected[i][1], 6);
    });
  });
});

describe('maskSvg', () => {
  it('draws one filled polygon per quad on an image-sized canvas', () => {
    expect(maskSvg([square], 30, 40)).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="40" viewBox="0 0 30 40"><polygon points="10,10 20,10 20,20 10,20" fill="#000"/></svg>',
    );
  });

  it('is an empty canvas when there is no text', () => {
    expect(maskSvg([], 3, 4)).not.toContain('polygon');
  });
});
