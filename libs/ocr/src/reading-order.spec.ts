import { sortReadingOrder } from './reading-order';
import type { Quad } from './types';

/** An axis-aligned box from its left, top, width and height. */
const box = (x: number, y: number, w: number, h: number): Quad => [
  [x, y],
  [x + w, y],
  [x + w, y + h],
  [x, y + h],
];
const line = (id: string, quad: Quad) => ({ id, box: quad });

describe('sortReadingOrder', () => {
  it.each<[string, { id: string; box: Quad }[], object, string[]]>([
    ['already in order', [line('a', box(0, 0, 100, 20)), line('b', box(0, 30, 100, 20))], {}, ['a', 'b']],
    ['lines given bottom-up', [line('b', box(0, 30, 100, 20)), line('a', box(0, 0, 100, 20))], {}, ['a', 'b']],
    [
      // Words of one line with a few pixels of baseline jitter stay one row, read left to right.
      'one row, jittered, right word first',
      [line('world', box(120, 3, 80, 20)), line('hello', box(0, 0, 100, 20))],
      {},
      ['hello', 'world'],
    ],
    [
      'a 2×2 table reads row by row',
      [
        line('r2c2', box(200, 52, 80, 20)),
        line('r1c2', box(200, 0, 80, 20)),
        line('r2c1', box(0, 50, 80, 20)),
        line('r1c1', box(0, 2, 80, 20)),
      ],
      {},
      ['r1c1', 'r1c2', 'r2c1', 'r2c2'],
    ],
    [
      'a tall cell spanning two rows comes first in its row',
      [
        line('small-right', box(200, 25, 80, 20)),
        line('tall-left', box(0, 0, 80, 70)),
        line('below', box(0, 90, 80, 20)),
      ],
      {},
      ['tall-left', 'small-right', 'below'],
    ],
    [
      // Upside-down page: the image's bottom line is the page's first; within a row, right to left in the image.
      'an upside-down page reads from the image bottom-right',
      [line('last', box(0, 0, 100, 20)), line('first-b', box(0, 30, 100, 20)), line('first-a', box(120, 31, 100, 20))],
      { pageAngle: 180 },
      ['first-a', 'first-b', 'last'],
    ],
    ['empty', [], {}, []],
  ])('%s', (_name, lines, options, expected) => {
    expect(sortReadingOrder(lines, options).map((l) => l.id)).toEqual(expected);
  });

  it('returns a new array and leaves the boxes untouched', () => {
    const lines = [line('b', box(0, 30, 10, 10)), line('a', box(0, 0, 10, 10))];
    const sorted = sortReadingOrder(lines);
    expect(sorted).not.toBe(lines);
    expect(lines.map((l) => l.id)).toEqual(['b', 'a']);
    expect(sorted[0].box).toBe(lines[1].box);
  });
});
