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

/**
 * Greedy CTC decoding of one [T, C] probability matrix stored at `offset` in `probs`: take the best
 * class per step, merge repeats, drop blanks (class 0). A blank between two equal classes keeps both
 * ("l", blank, "l" → "ll"). No characters → empty text with confidence 0.
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
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
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
    if (best !== 0 && best !== previous) {
      text += dictionary[best - 1];
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
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
