import { assertTensor, type FloatTensor } from './types';

/** Recognised text of one line with its confidence: the mean top probability of the kept characters. */
export interface Recognition {
  readonly text: string;
  readonly confidence: number;
}

/**
 * Parses a PaddleOCR character dictionary (one character per line) into the class table: entry i is
 * class i + 1, class 0 being the CTC blank. PaddleOCR's `use_space_char` appends ' ' as the last
 * class; without it every space is lost. A trailing newline does not make an empty class.
 */
export function loadDictionary(text: string, options: { useSpaceChar?: boolean } = {}): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new RangeError('dictionary is empty');
  if (options.useSpaceChar ?? true) lines.push(' ');
  return lines;
}

/** Throws unless the model's class count is blank + dictionary, the mismatch that silently shifts every character. */
export function assertDictionaryFits(dictionary: readonly string[], classes: number): void {
  if (classes !== dictionary.length + 1) {
    throw new RangeError(
      `recognition model has ${classes} classes but the dictionary gives ${dictionary.length} + 1 blank ` +
        `(${dictionary.length + 1}); wrong dictionary, or the appended space character is missing/extra`,
    );
  }
}

/** One line's greedy path: per time step, the best class (0 = CTC blank) and its probability. */
export interface BestPathRow {
  indices: Int32Array;
  scores: Float32Array;
}

/** The arg-max class and its probability at each of `steps` steps of a [T, C] matrix stored at `offset`. */
function bestPathRow(probs: Float32Array, steps: number, classes: number, offset: number): BestPathRow {
  const indices = new Int32Array(steps);
  const scores = new Float32Array(steps);
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base];
    for (let c = 1; c < classes; c++) {
      if (probs[base + c] > bestP) {
        bestP = probs[base + c];
        best = c;
      }
    }
    indices[t] = best;
    scores[t] = bestP;
  }
  return { indices, scores };
}

/**
 * The first half of greedy CTC decoding for a recogniser output [N, T, C] (C ≈ 6,600 classes): the
 * best class and its probability per step, for the first `steps[i]` steps of line i (default all T;
 * steps past a line's content are padding). T integers and T floats per line are all decoding needs,
 * ~3,000× less than the output, which is why the pipeline sends this from inference to postprocess.
 */
export function bestPath(output: FloatTensor, steps?: readonly number[]): BestPathRow[] {
  const [n, t, c] = output.shape;
  if (output.shape.length !== 3 || output.data.length !== n * t * c) {
    throw new RangeError(`bestPath: expected [N, T, C], got [${output.shape.join(', ')}]`);
  }
  return Array.from({ length: n }, (_, line) => bestPathRow(output.data, Math.min(t, steps?.[line] ?? t), c, line * t * c));
}

/**
 * The second half: merge repeats, drop blanks (class 0), class k ≥ 1 is dictionary[k - 1]. A blank
 * between two equal classes keeps both ("l", blank, "l" → "ll"). Confidence is the mean probability
 * of the kept characters; no characters → empty text with confidence 0.
 */
export function collapseBestPath(indices: Int32Array, scores: Float32Array, dictionary: readonly string[]): Recognition {
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

/**
 * The confidence `collapseBestPath` gives a best path, without the dictionary: the mean probability of
 * the kept steps (not blank, not a repeat of the step before); 0 when none is kept.
 */
export function bestPathConfidence(indices: Int32Array, scores: Float32Array): number {
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let step = 0; step < indices.length; step++) {
    const k = indices[step];
    if (k !== 0 && k !== previous) {
      sum += scores[step];
      kept += 1;
    }
    previous = k;
  }
  return kept === 0 ? 0 : sum / kept;
}

/**
 * Greedy CTC decoding of one [T, C] probability matrix stored at `offset` in `probs`: the best path,
 * collapsed (see `bestPath` and `collapseBestPath`).
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  dictionary: readonly string[],
  offset = 0,
): Recognition {
  if (!Number.isInteger(steps) || !Number.isInteger(classes) || steps < 0 || classes < 1) {
    throw new RangeError(`ctcGreedyDecode: bad shape T=${steps} C=${classes}`);
  }
  if (offset < 0 || offset + steps * classes > probs.length) {
    throw new RangeError(`ctcGreedyDecode: ${steps}x${classes} at ${offset} exceeds ${probs.length} values`);
  }
  if (classes > dictionary.length + 1) {
    throw new RangeError(`ctcGreedyDecode: ${classes} classes but only ${dictionary.length} dictionary entries`);
  }
  const { indices, scores } = bestPathRow(probs, steps, classes, offset);
  return collapseBestPath(indices, scores, dictionary);
}

/** Decodes every item of a recognition output [N, T, C]. */
export function ctcGreedyDecodeBatch(output: FloatTensor, dictionary: readonly string[]): Recognition[] {
  assertTensor(output, 3);
  const [n, steps, classes] = output.shape;
  assertDictionaryFits(dictionary, classes);
  const results: Recognition[] = [];
  for (let i = 0; i < n; i++)
    results.push(ctcGreedyDecode(output.data, steps, classes, dictionary, i * steps * classes));
  return results;
}
