import { componentOutlinePoints, connectedComponents } from './components';

/** Parses a picture of a bitmap: '#' is set, '.' is clear, one string per row. */
function bitmap(rows: string[]): { data: Uint8Array; width: number; height: number } {
  const width = rows[0]?.length ?? 0;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((row, y) => [...row].forEach((ch, x) => (data[y * width + x] = ch === '#' ? 1 : 0)));
  return { data, width, height: rows.length };
}

/** Runs as readable triples [y, x0, x1]. */
const runsOf = (runs: Int32Array) =>
  Array.from({ length: runs.length / 3 }, (_, i) => [...runs.subarray(3 * i, 3 * i + 3)]);

describe('connectedComponents', () => {
  it.each<[string, string[], { runs: number[][]; pixels: number }[]]>([
    ['empty map', ['....', '....'], []],
    [
      'one blob',
      ['.##.', '.###'],
      [
        {
          runs: [
            [0, 1, 2],
            [1, 1, 3],
          ],
          pixels: 5,
        },
      ],
    ],
    [
      'two blobs in scan order',
      ['##..#', '##..#'],
      [
        {
          runs: [
            [0, 0, 1],
            [1, 0, 1],
          ],
          pixels: 4,
        },
        {
          runs: [
            [0, 4, 4],
            [1, 4, 4],
          ],
          pixels: 2,
        },
      ],
    ],
    [
      'diagonal neighbours join (8-connectivity)',
      ['#..', '.#.', '..#'],
      [
        {
          runs: [
            [0, 0, 0],
            [1, 1, 1],
            [2, 2, 2],
          ],
          pixels: 3,
        },
      ],
    ],
    [
      'a gap of one column separates',
      ['#.#', '#.#'],
      [
        {
          runs: [
            [0, 0, 0],
            [1, 0, 0],
          ],
          pixels: 2,
        },
        {
          runs: [
            [0, 2, 2],
            [1, 2, 2],
          ],
          pixels: 2,
        },
      ],
    ],
    // Two arms only meet on the last row: one component, ordered by its first pixel.
    [
      'a U joins late',
      ['#..#', '#..#', '####'],
      [
        {
          runs: [
            [0, 0, 0],
            [0, 3, 3],
            [1, 0, 0],
            [1, 3, 3],
            [2, 0, 3],
          ],
          pixels: 8,
        },
      ],
    ],
    // The hole's border belongs to the ring; holes add no components.
    [
      'a ring with a hole',
      ['###', '#.#', '###'],
      [
        {
          runs: [
            [0, 0, 2],
            [1, 0, 0],
            [1, 2, 2],
            [2, 0, 2],
          ],
          pixels: 8,
        },
      ],
    ],
  ])('%s', (_name, rows, expected) => {
    const { data, width, height } = bitmap(rows);
    const components = connectedComponents(data, width, height);
    expect(components.map((c) => ({ runs: runsOf(c.runs), pixels: c.pixelCount }))).toEqual(expected);
  });

  it('rejects a bitmap of the wrong size', () => {
    expect(() => connectedComponents(new Uint8Array(5), 2, 2)).toThrow(/expected 4/);
  });
});

describe('componentOutlinePoints', () => {
  it('gives both ends of each run (one point for a single pixel run) as [x, y]', () => {
    const { data, width, height } = bitmap(['.##.', '..#.']);
    const [component] = connectedComponents(data, width, height);
    expect(componentOutlinePoints(component)).toEqual([
      [1, 0],
      [2, 0],
      [2, 1],
    ]);
  });
});
