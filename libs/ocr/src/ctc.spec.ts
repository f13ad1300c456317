import { assertDictionaryFits, ctcGreedyDecode, ctcGreedyDecodeBatch, loadDictionary } from './ctc';

describe('loadDictionary', () => {
  it.each<[string, string, object, string[]]>([
    ['appends the space class', 'a\nb\nc', {}, ['a', 'b', 'c', ' ']],
    ['a trailing newline adds no empty class', 'a\nb\n', {}, ['a', 'b', ' ']],
    ['CRLF line ends', 'a\r\nb\r\n', {}, ['a', 'b', ' ']],
    ['multi-byte characters', '中\n文\n€', {}, ['中', '文', '€', ' ']],
    ['without the space class', 'a\nb', { useSpaceChar: false }, ['a', 'b']],
  ])('%s', (_name, text, options, expected) => {
    expect(loadDictionary(text, options)).toEqual(expected);
  });

  it('rejects an empty dictionary', () => {
    expect(() => loadDictionary('')).toThrow(/empty/);
  });
});

describe('ctcGreedyDecode', () => {
  // Classes: 0 blank, 1 'a', 2 'b', 3 ' ' (the appended space).
  const dictionary = ['a', 'b', ' '];
  const C = 4;
  /** One step per [class, probability]; the rest of the step's mass is spread over the other classes. */
  function steps(path: [number, number][]): Float32Array {
    const probs = new Float32Array(path.length * C);
    path.forEach(([cls, p], t) => {
      for (let c = 0; c < C; c++) probs[t * C + c] = c === cls ? p : (1 - p) / (C - 1);
    });
    return probs;
  }

  it.each<[string, [number, number][], string, number]>([
    [
      'repeats merge',
      [
        [1, 0.9],
        [1, 0.8],
        [2, 0.7],
      ],
      'ab',
      (0.9 + 0.7) / 2,
    ],
    [
      'a blank separates a real double letter',
      [
        [1, 0.9],
        [0, 0.9],
        [1, 0.5],
      ],
      'aa',
      (0.9 + 0.5) / 2,
    ],
    [
      'blanks only',
      [
        [0, 0.9],
        [0, 0.8],
      ],
      '',
      0,
    ],
    ['no steps', [], '', 0],
    [
      'the space class decodes to a space',
      [
        [1, 1],
        [3, 0.6],
        [3, 0.9],
        [2, 0.8],
      ],
      'a b',
      (1 + 0.6 + 0.8) / 3,
    ],
    [
      'leading and trailing blanks',
      [
        [0, 1],
        [2, 0.5],
        [0, 1],
      ],
      'b',
      0.5,
    ],
  ])('%s', (_name, path, text, confidence) => {
    const result = ctcGreedyDecode(steps(path), path.length, C, dictionary);
    expect(result.text).toBe(text);
    expect(result.confidence).toBeCloseTo(confidence, 6);
  });

  it('reads at an offset (one item of a batch)', () => {
    const probs = new Float32Array([...steps([[1, 0.9]]), ...steps([[2, 0.8]])]);
    expect(ctcGreedyDecode(probs, 1, C, dictionary, C).text).toBe('b');
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a window past the data', () => ctcGreedyDecode(new Float32Array(4), 2, C, dictionary), /exceeds/],
    [
      'more classes than the dictionary covers',
      () => ctcGreedyDecode(new Float32Array(5), 1, 5, dictionary),
      /dictionary/,
    ],
    ['a fractional step count', () => ctcGreedyDecode(new Float32Array(8), 1.5, C, dictionary), /bad shape/],
  ])('rejects %s', (_name, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('ctcGreedyDecodeBatch', () => {
  it('decodes each [T, C] item of an [N, T, C] output', () => {
    // N=2, T=2, C=3 with dictionary ['x', 'y']: item 0 = x x → "x", item 1 = y blank → "y".
    const data = Float32Array.from([0.1, 0.8, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8, 0.9, 0.05, 0.05]);
    const results = ctcGreedyDecodeBatch({ data, shape: [2, 2, 3] }, ['x', 'y']);
    expect(results.map((r) => r.text)).toEqual(['x', 'y']);
    expect(results[0].confidence).toBeCloseTo(0.8, 6);
  });

  it('refuses a dictionary that does not fit the model', () => {
    expect(() => ctcGreedyDecodeBatch({ data: new Float32Array(4), shape: [1, 1, 4] }, ['x', 'y'])).toThrow(
      /4 classes/,
    );
  });
});

describe('assertDictionaryFits', () => {
  it.each<[number, boolean]>([
    [4, true],
    [3, false],
    [5, false],
  ])('3 entries vs %i classes → fits: %s', (classes, fits) => {
    const check = () => assertDictionaryFits(['a', 'b', ' '], classes);
    if (fits) expect(check).not.toThrow();
    else expect(check).toThrow(/space character/);
  });
});
