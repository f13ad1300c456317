import { ALTERNATE_BELOW_CONFIDENCE, chooseReading, decodeAngles, lineRotations, needsAlternate, pageOrientationVote, resolvePageAngle, type AngleScore } from './orientation';

const up = (confidence: number): AngleScore => ({ angle: 0, confidence });
const down = (confidence: number): AngleScore => ({ angle: 180, confidence });

describe('decodeAngles', () => {
  it('takes the likelier class of each [p0, p180] pair', () => {
    const scores = decodeAngles({ data: Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.5, 0.5]), shape: [3, 2] });
    expect(scores.map((s) => [s.angle, Number(s.confidence.toFixed(3))])).toEqual([
      [0, 0.9],
      [180, 0.8],
      [0, 0.5],
    ]);
  });

  it('rejects an output that is not [N, 2]', () => {
    expect(() => decodeAngles({ data: new Float32Array(3), shape: [1, 3] })).toThrow(/\[N, 2\]/);
  });
});

describe('pageOrientationVote', () => {
  it.each<[string, AngleScore[], 0 | 180]>([
    ['no lines', [], 0],
    ['all upright', [up(0.99), up(0.95)], 0],
    ['all turned', [down(0.99), down(0.97), down(0.95)], 180],
    ['majority turned', [down(0.99), down(0.97), up(0.95)], 180],
    ['a tie stays upright', [down(0.99), up(0.99)], 0],
    ['unsure votes do not count', [down(0.6), down(0.7), up(0.95)], 0],
    ['only unsure votes', [down(0.6), down(0.7)], 0],
  ])('%s', (_name, scores, expected) => {
    expect(pageOrientationVote(scores)).toBe(expected);
  });
});

describe('lineRotations', () => {
  it.each<[string, AngleScore[], object, { pageAngle: 0 | 180; rotate: boolean[] }]>([
    [
      'upright page: only sure 180° lines turn',
      [up(0.99), down(0.95), down(0.6)],
      {},
      { pageAngle: 0, rotate: [false, true, false] },
    ],
    // Upside-down page: unsure lines follow the page; a line sure to be upright stays.
    [
      'upside-down page: unsure lines follow the page',
      [down(0.99), down(0.97), up(0.6), up(0.95)],
      {},
      { pageAngle: 180, rotate: [true, true, true, false] },
    ],
    [
      'without the page vote: per line, as PaddleOCR',
      [down(0.99), down(0.97), up(0.6)],
      { usePageVote: false },
      { pageAngle: 0, rotate: [true, true, false] },
    ],
    ['a stricter threshold', [down(0.95), down(0.95)], { threshold: 0.99 }, { pageAngle: 0, rotate: [false, false] }],
  ])('%s', (_name, scores, options, expected) => {
    expect(lineRotations(scores, options)).toMatchObject(expected);
  });
});

describe('reading both ways up', () => {
  it.each([
    { main: 0.9, alternate: undefined, expected: 'main' },
    { main: 0.9, alternate: 0.4, expected: 'main' },
    { main: 0.3, alternate: 0.8, expected: 'alternate' },
    { main: 0.5, alternate: 0.5, expected: 'main' },
  ] as const)('chooseReading(main $main, alternate $alternate) → $expected', ({ main, alternate, expected }) => {
    expect(chooseReading({ confidence: main }, alternate === undefined ? undefined : { confidence: alternate })).toBe(expected);
  });

  it.each([
    { voted: 0, angles: [180], expected: 180 },
    { voted: 0, angles: [0, 180, 0], expected: 0 },
    { voted: 180, angles: [0, 180], expected: 180 },
    { voted: 0, angles: [0, 180], expected: 0 },
    { voted: 180, angles: [], expected: 180 },
  ] as const)('resolvePageAngle(voted $voted, $angles) → $expected', ({ voted, angles, expected }) => {
    expect(resolvePageAngle(voted, angles)).toBe(expected);
  });

  it('marks lines below the threshold as uncertain', () => {
    const { uncertain } = lineRotations([
      { angle: 180, confidence: 0.83 },
      { angle: 0, confidence: 0.99 },
      { angle: 180, confidence: 0.95 },
    ]);
    expect(uncertain).toEqual([true, false, false]);
  });
});

describe('needsAlternate', () => {
  it('reads the other way up only below the confidence bound', () => {
    expect(ALTERNATE_BELOW_CONFIDENCE).toBe(0.9);
    expect(needsAlternate(0.42)).toBe(true);
    expect(needsAlternate(0.9)).toBe(false);
    expect(needsAlternate(0.99)).toBe(false);
    expect(needsAlternate(0.95, 1.01)).toBe(true);
  });
});
