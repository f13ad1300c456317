import { bestPath, collapseBestPath } from './best-path';

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
    expect(Array.from(path.indices[0])).toEqual([1, 0, 2]);
    expect(Array.from(path.indices[1])).toEqual([0, 2]);
    expect(Array.from(path.scores[0])).toEqual([0.7, 0.6, 0.6].map(Math.fround));
  });

  it('rejects a tensor that is not [N, T, C]', () => {
    expect(() => bestPath({ data: new Float32Array(6), shape: [2, 3] })).toThrow('expected [N, T, C]');
  });
});
