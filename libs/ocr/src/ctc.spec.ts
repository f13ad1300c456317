import { assertDictionaryFits, bestPath, bestPathConfidence, collapseBestPath, ctcGreedyDecode, ctcGreedyDecodeBatch, loadDictionary } from './ctc';

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


const dictionary = ['a', 'b', 'l', ' '];

describe('collapseBestPath', () => {
  it.each([
    { name: 'empty path', indices: [], scores: [], text: '', confidence: 0 },
    { name: 'only blanks', indices: [0, 0, 0], scores: [0.9, 0.9, 0.9], text: '', confidence: 0 },
    { name: 'repeats merge', indices: [1, 1, 2, 2, 2], scores: [0.5, 0.9, 0.7, 0.1, 0.1], text: 'ab', confidence: 0.6 },
    { name: 'blank separates equal letters', indices: [3, 0, 3], scores: [0.8, 0.9, 0.6], text: 'll', confidence: 0.7 },
    { name: 'space is the last class', indices: [1, 4, 2], scores: [1, 1, 1], text: 'a b', confidence: 1 },
    { name: 'leading and trailing blanks', indices: [0, 2, 0], scores: [0.1, 0.4, 0.1], text: 'b', confidence: 0.4 },
  ])('$name', ({ indices, scores, text, confidence }) => {
    const decoded = collapseBestPath(Int32Array.from(indices), Float32Array.from(scores), dictionary);
    expect(decoded.text).toBe(text);
    expect(decoded.confidence).toBeCloseTo(confidence, 6);
  });

  it('rejects classes beyond the dictionary', () => {
    expect(() => collapseBestPath(Int32Array.from([5]), Float32Array.from([1]), dictionary)).toThrow('outside the dictionary');
  });
});

describe('bestPath', () => {
  it('takes the arg-max per step and respects per-line step counts', () => {
    // N=2, T=3, C=3
    const data = Float32Array.from([
      0.1, 0.7, 0.2, /**/ 0.6, 0.3, 0.1, /**/ 0.2, 0.2, 0.6,
      0.9, 0.05, 0.05, /**/ 0.1, 0.1, 0.8, /**/ 0.3, 0.4, 0.3,
    ]);
    const path = bestPath({ data, shape: [2, 3, 3] }, [3, 2]);
    expect(Array.from(path[0].indices)).toEqual([1, 0, 2]);
    expect(Array.from(path[1].indices)).toEqual([0, 2]);
    expect(Array.from(path[0].scores)).toEqual([0.7, 0.6, 0.6].map(Math.fround));
  });

  it('rejects a tensor that is not [N, T, C]', () => {
    expect(() => bestPath({ data: new Float32Array(6), shape: [2, 3] })).toThrow('expected [N, T, C]');
  });
});

describe('bestPathConfidence', () => {
  it('is the confidence collapseBestPath gives, without the dictionary', () => {
    const indices = Int32Array.from([0, 2, 2, 0, 2, 3, 3, 0]);
    const scores = Float32Array.from([0.9, 0.8, 0.7, 0.9, 0.6, 0.5, 0.4, 0.9]);
    const dictionary = ['a', 'b', 'c'];
    expect(bestPathConfidence(indices, scores)).toBeCloseTo(collapseBestPath(indices, scores, dictionary).confidence, 6);
    expect(bestPathConfidence(indices, scores)).toBeCloseTo((0.8 + 0.6 + 0.5) / 3, 6);
  });

  it('is 0 for a path of blanks', () => {
    expect(bestPathConfidence(Int32Array.from([0, 0]), Float32Array.from([0.99, 0.99]))).toBe(0);
  });
});
