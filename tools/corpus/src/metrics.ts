// Accuracy of an OCR result against the corpus truth. Definitions:
//
// - Text of a page: its lines joined with '\n'. The separator counts as one
//   character, so a missing, extra or wrongly split line costs edits too.
// - CER (character error rate) = levenshtein(predicted text, truth text)
//   / length of the truth text, lengths in Unicode code points. It can exceed
//   1 when the prediction is longer than the truth and mostly wrong. A wrong
//   line order costs edits, which is how a page read bottom-up shows up.
// - Exact-line rate = truth lines that some predicted line equals exactly,
//   matched as a multiset (each predicted line matches at most one truth line;
//   order is ignored, because CER already charges ordering) / number of truth lines.
// - Corpus figures are micro-averaged: summed edits / summed truth characters
//   and summed exact lines / summed truth lines, so long pages weigh more.
// - scoreCorpus trims each predicted line and drops empty ones before scoring
//   (invisible differences); characterErrorRate and exactLineRate compare as given.

/** Edit distance (insertions, deletions, substitutions, each cost 1) over Unicode code points. */
export function levenshtein(a: string, b: string): number {
  let s = Array.from(a);
  let t = Array.from(b);
  // Common prefix and suffix never cost anything; trimming them makes near-matches cheap.
  let start = 0;
  while (start < s.length && start < t.length && s[start] === t[start]) start++;
  let endS = s.length;
  let endT = t.length;
  while (endS > start && endT > start && s[endS - 1] === t[endT - 1]) {
    endS--;
    endT--;
  }
  s = s.slice(start, endS);
  t = t.slice(start, endT);
  if (s.length < t.length) [s, t] = [t, s];
  if (t.length === 0) return s.length;

  // Two rows over the shorter string.
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  let current = new Array<number>(t.length + 1);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const substitution = (previous[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[t.length] as number;
}

/** Length in code points, the unit levenshtein counts in. */
export const codePointLength = (s: string): number => Array.from(s).length;

/**
 * levenshtein(predicted.join('\n'), truth.join('\n')) / codePointLength(truth.join('\n')).
 * With an empty truth text the ratio is undefined: 0 when the prediction is empty too, else 1.
 */
export function characterErrorRate(predictedLines: readonly string[], truthLines: readonly string[]): number {
  const truth = truthLines.join('\n');
  const distance = levenshtein(predictedLines.join('\n'), truth);
  const length = codePointLength(truth);
  if (length === 0) return distance === 0 ? 0 : 1;
  return distance / length;
}

/** Number of truth lines matched exactly by a distinct predicted line (multiset intersection). */
export function exactLineMatches(predictedLines: readonly string[], truthLines: readonly string[]): number {
  const available = new Map<string, number>();
  for (const line of predictedLines) available.set(line, (available.get(line) ?? 0) + 1);
  let matches = 0;
  for (const line of truthLines) {
    const left = available.get(line) ?? 0;
    if (left > 0) {
      matches++;
      available.set(line, left - 1);
    }
  }
  return matches;
}

/** exactLineMatches / truth line count; 1 for no truth lines (nothing to miss). */
export function exactLineRate(predictedLines: readonly string[], truthLines: readonly string[]): number {
  if (truthLines.length === 0) return 1;
  return exactLineMatches(predictedLines, truthLines) / truthLines.length;
}

/** Trims each line and drops the empty ones. */
export function normalizePrediction(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim()).filter((l) => l.length > 0);
}

/** What scoreCorpus needs of a truth item. */
export interface ScorableItem {
  id: string;
  lines: readonly string[];
  rotated180: boolean;
}

export interface ItemScore {
  id: string;
  rotated180: boolean;
  /** Normalised predicted lines; null when the prediction was missing (scored as empty). */
  predicted: string[] | null;
  truth: readonly string[];
  editDistance: number;
  truthChars: number;
  cer: number;
  exactLines: number;
  truthLines: number;
}

export interface ScoreSummary {
  items: number;
  /** Items without a prediction (scored as if nothing was read). */
  missing: number;
  editDistance: number;
  truthChars: number;
  /** Micro-averaged: editDistance / truthChars (0 when there are no truth characters). */
  cer: number;
  exactLines: number;
  truthLines: number;
  /** Micro-averaged: exactLines / truthLines (1 when there are no truth lines). */
  exactLineRate: number;
}

export interface CorpusScore {
  overall: ScoreSummary;
  upright: ScoreSummary;
  rotated: ScoreSummary;
  items: ItemScore[];
}

export type Predictions = ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;

function summarise(scores: readonly ItemScore[]): ScoreSummary {
  const sum = (f: (s: ItemScore) => number): number => scores.reduce((acc, s) => acc + f(s), 0);
  const editDistance = sum((s) => s.editDistance);
  const truthChars = sum((s) => s.truthChars);
  const exactLines = sum((s) => s.exactLines);
  const truthLines = sum((s) => s.truthLines);
  return {
    items: scores.length,
    missing: scores.filter((s) => s.predicted === null).length,
    editDistance,
    truthChars,
    cer: truthChars === 0 ? 0 : editDistance / truthChars,
    exactLines,
    truthLines,
    exactLineRate: truthLines === 0 ? 1 : exactLines / truthLines,
  };
}

/**
 * Scores predictions (item id -> lines read) against the truth items. A
 * missing prediction counts as an empty page; a prediction for an id the
 * truth lacks is an error, because it means the two sets were mixed up.
 */
export function scoreCorpus(items: readonly ScorableItem[], predictions: Predictions): CorpusScore {
  const byId: ReadonlyMap<string, readonly string[]> =
    predictions instanceof Map ? predictions : new Map(Object.entries(predictions));
  const ids = new Set(items.map((i) => i.id));
  if (ids.size !== items.length) throw new Error('truth items have duplicate ids');
  const unknown = [...byId.keys()].filter((id) => !ids.has(id));
  if (unknown.length > 0) throw new Error(`predictions for ids not in the truth: ${unknown.slice(0, 5).join(', ')}`);

  const scores = items.map((item): ItemScore => {
    const raw = byId.get(item.id);
    const predicted = raw === undefined ? null : normalizePrediction(raw);
    const read = predicted ?? [];
    const truthText = item.lines.join('\n');
    const editDistance = levenshtein(read.join('\n'), truthText);
    const truthChars = codePointLength(truthText);
    return {
      id: item.id,
      rotated180: item.rotated180,
      predicted,
      truth: item.lines,
      editDistance,
      truthChars,
      cer: truthChars === 0 ? (editDistance === 0 ? 0 : 1) : editDistance / truthChars,
      exactLines: exactLineMatches(read, item.lines),
      truthLines: item.lines.length,
    };
  });
  return {
    overall: summarise(scores),
    upright: summarise(scores.filter((s) => !s.rotated180)),
    rotated: summarise(scores.filter((s) => s.rotated180)),
    items: scores,
  };
}
