// Driving a reader: closed loop (everything at once: throughput), idle (one
// request at a time: latency without queueing) and open loop (requests arrive
// at a fixed rate whether or not earlier ones are done: latency under load,
// without the coordinated omission of a closed loop). A reader is anything
// that takes an image and resolves once it is read.

export type ReadOne<I> = (item: I) => Promise<string[]>;

export interface Completion {
  index: number;
  /** From the request's (scheduled) arrival to its result, ms. */
  latencyMs: number;
  lines: string[] | undefined;
  error?: string;
}

export interface LoadRun {
  /** First arrival to last completion, s. */
  seconds: number;
  completions: Completion[];
}

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  return {
    p50: percentile(latenciesMs, 50),
    p95: percentile(latenciesMs, 95),
    p99: percentile(latenciesMs, 99),
    mean: latenciesMs.length ? latenciesMs.reduce((a, b) => a + b, 0) / latenciesMs.length : NaN,
  };
}

/** Arrival offsets (ms) of `n` requests at `ratePerSecond`, evenly spaced (deterministic, so runs compare). */
export function arrivalOffsetsMs(n: number, ratePerSecond: number): number[] {
  if (!(ratePerSecond > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSecond}`);
  return Array.from({ length: n }, (_, i) => (i * 1000) / ratePerSecond);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function timed<I>(read: ReadOne<I>, item: I, index: number, arrival: number, now: () => number): Promise<Completion> {
  try {
    const lines = await read(item);
    return { index, latencyMs: now() - arrival, lines };
  } catch (error) {
    return { index, latencyMs: now() - arrival, lines: undefined, error: (error as Error).message };
  }
}

/** Every item at once; the reader queues what it cannot start yet. */
export async function closedLoop<I>(items: readonly I[], read: ReadOne<I>, now: () => number = () => performance.now()): Promise<LoadRun> {
  const start = now();
  const completions = await Promise.all(items.map((item, i) => timed(read, item, i, start, now)));
  return { seconds: (now() - start) / 1000, completions };
}

/** One item after the other: the latency of a reader with nothing else to do. */
export async function idleLoop<I>(items: readonly I[], read: ReadOne<I>, now: () => number = () => performance.now()): Promise<LoadRun> {
  const start = now();
  const completions: Completion[] = [];
  for (const [i, item] of items.entries()) completions.push(await timed(read, item, i, now(), now));
  return { seconds: (now() - start) / 1000, completions };
}

/**
 * Items arrive at `ratePerSecond` (evenly spaced), each started at its
 * arrival whatever is still running; latency counts from the scheduled
 * arrival, so a late start (the event loop busy) counts against the reader.
 */
export async function openLoop<I>(
  items: readonly I[],
  read: ReadOne<I>,
  ratePerSecond: number,
  now: () => number = () => performance.now(),
): Promise<LoadRun> {
  const offsets = arrivalOffsetsMs(items.length, ratePerSecond);
  const start = now();
  const running: Array<Promise<Completion>> = [];
  for (const [i, item] of items.entries()) {
    await sleep(start + offsets[i] - now());
    running.push(timed(read, item, i, start + offsets[i], now));
  }
  const completions = await Promise.all(running);
  // At least the arrival window (n ÷ rate): a reader that kept up exactly achieves the offered rate, not more.
  return { seconds: Math.max(now() - start, (1000 * items.length) / ratePerSecond) / 1000, completions };
}
