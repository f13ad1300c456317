import type { FloatTensor } from '@conveyor/ocr';

/** For each line and time step of an [N, T, C] recogniser output: the best class and its probability. */
export interface BestPath {
  indices: Int32Array[];
  scores: Float32Array[];
}

/**
 * Reduces the recogniser's [N, T, C] probabilities (C ≈ 6,600 classes) to the
 * greedy path: T integers and T floats per line. This is all greedy CTC
 * decoding needs, and it is ~3,000× smaller than the full output, so it is
 * what travels from the inference stage to postprocess.
 */
export function bestPath(output: FloatTensor, steps?: readonly number[]): BestPath {
  const [n, t, c] = output.shape;
  if (output.shape.length !== 3 || output.data.length !== n * t * c) throw new RangeError(`bestPath: expected [N, T, C], got [${output.shape.join(', ')}]`);
  const indices: Int32Array[] = [];
  const scores: Float32Array[] = [];
  for (let line = 0; line < n; line++) {
    const length = Math.min(t, steps?.[line] ?? t);
    const rowIndices = new Int32Array(length);
    const rowScores = new Float32Array(length);
    for (let step = 0; step < length; step++) {
      const base = (line * t + step) * c;
      let best = 0;
      let bestScore = output.data[base];
      for (let k = 1; k < c; k++) {
        const v = output.data[base + k];
        if (v > bestScore) {
          bestScore = v;
          best = k;
        }
      }
      rowIndices[step] = best;
      rowScores[step] = bestScore;
    }
    indices.push(rowIndices);
    scores.push(rowScores);
  }
  return { indices, scores };
}

export interface DecodedLine {
  text: string;
  /** Mean probability of the characters kept; 0 for no characters. */
  confidence: number;
}

/**
 * Greedy CTC collapse of a best path: merge repeats, drop blanks (class 0),
 * class k ≥ 1 is dictionary[k - 1]. A blank between two equal classes keeps
 * both ("l", blank, "l" → "ll").
 */
export function collapseBestPath(indices: Int32Array, scores: Float32Array, dictionary: readonly string[]): DecodedLine {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let step = 0; step < indices.length; step++) {
    const k = indices[step];
    if (k !== 0 && k !== previous) {
      const char = dictionary[k - 1];
      if (char === undefined) throw new RangeError(`class ${k} is outside the dictionary (${dictionary.length} entries)`);
      text += char;
      sum += scores[step];
      kept += 1;
    }
    previous = k;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}
