// Reading the stages' /metrics (Prometheus text format) for the report:
// batch-size distribution and model-run times, as differences between two
// scrapes so that warm-up and earlier passes do not count.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of an exposition (comments skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[4] === '+Inf' ? Infinity : Number(m[4]);
    if (!Number.isNaN(value)) samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** A histogram summed over the series that match `where`: cumulative counts per upper bound, sum and count. */
export interface Histogram {
  /** [upper bound, cumulative count], ascending, +Inf last. */
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

export function histogramOf(samples: readonly Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true): Histogram {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (!where(s.labels)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      byBound.set(le, (byBound.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  return { buckets: [...byBound].sort((a, b) => a[0] - b[0]), sum, count };
}

/** after − before, bucket by bucket (a bucket missing before counts as 0). */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const old = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([le, c]) => [le, c - (old.get(le) ?? 0)]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** Counts per bucket ("≤1": n, "2": n, "3–4": n …) from cumulative buckets of integer values (batch sizes). */
export function integerDistribution(h: Histogram): Array<{ range: string; count: number }> {
  const out: Array<{ range: string; count: number }> = [];
  let previousBound = 0;
  let previousCount = 0;
  for (const [le, cumulative] of h.buckets) {
    const count = cumulative - previousCount;
    const low = Math.floor(previousBound) + 1;
    const range = le === Infinity ? `>${previousBound}` : low >= le ? `${le}` : `${low}–${le}`;
    if (count > 0) out.push({ range, count });
    previousBound = le;
    previousCount = cumulative;
  }
  return out;
}

/** The sum of a counter over the series that match `where`. */
export function counterSum(samples: readonly Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);
}
