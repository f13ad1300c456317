import {
  characterErrorRate,
  exactLineMatches,
  exactLineRate,
  levenshtein,
  normalizePrediction,
  scoreCorpus,
} from './metrics';

describe('levenshtein', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['abc', 'abc', 0],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['saturday', 'sunday', 3],
    // No transpositions: a swap costs two substitutions.
    ['abc', 'acb', 2],
    ['INV-2026-0042', 'INV-2O26-0042', 1],
    ['Total due', 'Totaldue', 1],
    // Code points, not UTF-16 units: the emoji is one character.
    ['a😀b', 'ab', 1],
    ['😀', '😁', 1],
  ])('(%j, %j) = %d', (a, b, expected) => {
    expect(levenshtein(a, b)).toBe(expected);
    expect(levenshtein(b, a)).toBe(expected);
  });
});

describe('characterErrorRate', () => {
  it.each([
    [['hello world'], ['hello world'], 0],
    [[], ['abcd'], 1],
    [['abcd'], ['abce'], 0.25],
    // Lines join with '\n': a merged line costs one substitution of 5 characters.
    [['ab', 'cd'], ['ab cd'], 0.2],
    // Swapped lines: "cd\nab" vs "ab\ncd" is 4 substitutions over 5 characters.
    [['cd', 'ab'], ['ab', 'cd'], 0.8],
    // A long wrong prediction can exceed 1.
    [['abcdefgh'], ['ab'], 3],
    [[], [], 0],
    [['x'], [], 1],
  ])('%j vs truth %j = %d', (predicted, truth, expected) => {
    expect(characterErrorRate(predicted, truth)).toBeCloseTo(expected, 12);
  });
});

describe('exactLineRate', () => {
  it.each([
    [['a', 'b'], ['a', 'b'], 1],
    [['b', 'a'], ['a', 'b'], 1],
    // Multiset: one predicted line matches at most one truth line.
    [['a'], ['a', 'a'], 0.5],
    [['a', 'a'], ['a'], 1],
    [['a '], ['a'], 0],
    [[], ['a'], 0],
    [['x'], [], 1],
  ])('%j vs truth %j = %d', (predicted, truth, expected) => {
    expect(exactLineRate(predicted, truth)).toBe(expected);
  });

  it('counts matches', () => {
    expect(exactLineMatches(['x', 'a', 'b', 'a'], ['a', 'b', 'c', 'a', 'a'])).toBe(3);
  });
});

describe('normalizePrediction', () => {
  it.each([
    [[], []],
    [
      [' a ', '', '  ', 'b'],
      ['a', 'b'],
    ],
    [['a  b'], ['a  b']],
  ])('%j -> %j', (input, expected) => expect(normalizePrediction(input)).toEqual(expected));
});

describe('scoreCorpus', () => {
  const items = [
    { id: 'a', lines: ['ab', 'cd'], rotated180: false },
    { id: 'b', lines: ['xyz'], rotated180: true },
    { id: 'c', lines: ['hello'], rotated180: false },
  ];
  const predictions = { a: ['ab', 'cd'], b: [' xyq ', ''] };

  it('micro-averages over all items and splits upright from rotated', () => {
    const score = scoreCorpus(items, predictions);
    expect(score.overall).toEqual({
      items: 3,
      missing: 1,
      editDistance: 6,
      truthChars: 13,
      cer: 6 / 13,
      exactLines: 2,
      truthLines: 4,
      exactLineRate: 0.5,
    });
    expect(score.upright).toMatchObject({
      items: 2,
      missing: 1,
      editDistance: 5,
      truthChars: 10,
      cer: 0.5,
      exactLineRate: 2 / 3,
    });
    expect(score.rotated).toMatchObject({
      items: 1,
      missing: 0,
      editDistance: 1,
      truthChars: 3,
      cer: 1 / 3,
      exactLineRate: 0,
    });
  });

  it('reports per-item details with normalised predictions', () => {
    const score = scoreCorpus(items, new Map(Object.entries(predictions)));
    expect(score.items.map((i) => [i.id, i.predicted, i.editDistance, i.cer, i.exactLines])).toEqual([
      ['a', ['ab', 'cd'], 0, 0, 2],
      ['b', ['xyq'], 1, 1 / 3, 0],
      ['c', null, 5, 1, 0],
    ]);
  });

  it('gives empty groups neutral figures', () => {
    const score = scoreCorpus([items[0]!], { a: ['ab', 'cd'] });
    expect(score.rotated).toEqual({
      items: 0,
      missing: 0,
      editDistance: 0,
      truthChars: 0,
      cer: 0,
      exactLines: 0,
      truthLines: 0,
      exactLineRate: 1,
    });
  });

  it('rejects predictions for unknown ids and duplicate truth ids', () => {
    expect(() => scoreCorpus(items, { zz: ['x'] })).toThrow(/ids not in the truth: zz/);
    expect(() => scoreCorpus([items[0]!, items[0]!], {})).toThrow(/duplicate ids/);
  });
});
