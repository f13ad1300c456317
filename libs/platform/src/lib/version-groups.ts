import { hashPrefix, type StageVersion } from '@conveyor/contracts';

/*
 * `conveyor status`, per stage: its processes grouped by version identity
 * (version + configuration hash + model hashes, from GET /version), with what
 * each group's /metrics say — the partitions it owns, messages consumed, dead
 * letters and retries, latency. Pure functions over the exposition text, so
 * the maths is tested without processes (version-groups.spec.ts).
 */

/** One sample of the Prometheus text exposition format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** The samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parseMetricsText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const match = SAMPLE.exec(trimmed);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key] = raw.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const value = parseValue(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** A cumulative histogram: per upper bound `le` the observations at or below it (the last bound is +Inf). */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

export const EMPTY_HISTOGRAM: Histogram = { buckets: [], sum: 0, count: 0 };

/** What one stage process' /metrics say about its input topic. */
export interface ProcessMetrics {
  /** Partitions of the input topic it owns in the consumer group (`conveyor_assigned_partition`). */
  partitions: number[];
  /** `conveyor_messages_consumed_total`: deliveries taken (redeliveries included). */
  consumed: number;
  /** `conveyor_messages_failed_total`: failed attempts, each retry and each dead letter. */
  failed: number;
  /** `conveyor_messages_dead_lettered_total`: messages that ended in the dead-letter topic. */
  deadLettered: number;
  /** `conveyor_stage_duration_seconds`, every outcome together. */
  duration: Histogram;
}

/** Adds histograms bucket by bucket (same `le`), e.g. the outcomes of a process or the processes of a version. */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const byLe = new Map<number, number>();
  for (const h of histograms) for (const b of h.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  return {
    buckets: [...byLe].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })),
    sum: histograms.reduce((s, h) => s + h.sum, 0),
    count: histograms.reduce((s, h) => s + h.count, 0),
  };
}

/**
 * The metrics of one process for `topic` (its input topic, prefix included).
 * Series of other topics are left out; a process that has not joined yet owns no partitions.
 */
export function processMetrics(samples: readonly MetricSample[], topic: string): ProcessMetrics {
  const of = (name: string) => samples.filter((s) => s.name === name && s.labels['topic'] === topic);
  const total = (name: string) => of(name).reduce((sum, s) => sum + s.value, 0);
  const partitions = of('conveyor_assigned_partition')
    .filter((s) => s.value > 0)
    .map((s) => Number(s.labels['partition']))
    .filter(Number.isInteger);
  // One histogram per `outcome` label, merged.
  const outcomes = new Map<string, Histogram>();
  const histogramOf = (outcome: string): Histogram => {
    let h = outcomes.get(outcome);
    if (!h) outcomes.set(outcome, (h = { buckets: [], sum: 0, count: 0 }));
    return h;
  };
  for (const s of of('conveyor_stage_duration_seconds_bucket')) histogramOf(s.labels['outcome'] ?? '').buckets.push({ le: parseValue(s.labels['le'] ?? ''), count: s.value });
  for (const s of of('conveyor_stage_duration_seconds_sum')) histogramOf(s.labels['outcome'] ?? '').sum += s.value;
  for (const s of of('conveyor_stage_duration_seconds_count')) histogramOf(s.labels['outcome'] ?? '').count += s.value;
  return {
    partitions: [...new Set(partitions)].sort((a, b) => a - b),
    consumed: total('conveyor_messages_consumed_total'),
    failed: total('conveyor_messages_failed_total'),
    deadLettered: total('conveyor_messages_dead_lettered_total'),
    duration: mergeHistograms([...outcomes.values()]),
  };
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus' `histogram_quantile`
 * estimates it: linear within the bucket the rank falls in (from 0 for the
 * first), the highest finite bound when it falls in the +Inf bucket; null
 * without observations.
 */
export function histogramQuantile(q: number, histogram: Histogram): number | null {
  const buckets = histogram.buckets.filter((b) => !Number.isNaN(b.le)).sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lower;
      const inBucket = bucket.count - below;
      return inBucket <= 0 ? bucket.le : lower + (bucket.le - lower) * ((rank - below) / inBucket);
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return lower;
}

/** One stage process, as status sees it. */
export interface ProcessStatus {
  /** `ocr-inference`, `ocr-inference-2`, or a canary's name. */
  name: string;
  url: string;
  /** Started by `conveyor canary start`. */
  canary: boolean;
  /** /health/ready; undefined when it did not answer. */
  ready: boolean | undefined;
  /** GET /version; undefined when it did not answer. */
  versions: StageVersion | undefined;
  /** GET /metrics for the stage's input topic; undefined when it did not answer. */
  metrics: ProcessMetrics | undefined;
}

/** The processes of one stage that run the same version identity, and what they did together. */
export interface VersionGroup {
  /** `version/configHash/model@sha256,…`, or `?` for processes that did not say. */
  key: string;
  version: string | undefined;
  configHash: string | undefined;
  models: Array<{ name: string; sha256: string }> | undefined;
  replicas: number;
  /** Process names, in the order given. */
  processes: string[];
  /** Whether any of them is a canary. */
  canary: boolean;
  /** Input partitions they own together. */
  partitions: number[];
  consumed: number;
  /** Dead-lettered messages: the ones that failed for good. */
  errors: number;
  /** errors / consumed; null before anything was consumed. */
  errorRate: number | null;
  /** Failed attempts that were retried (failed − dead-lettered). */
  retries: number;
  /** Seconds from taking a message to settling it, since the processes started; null without observations. */
  latency: { mean: number | null; p50: number | null; p95: number | null };
}

/** The version identity of a process: what must be equal for two processes to run "the same version". */
export function versionKey(versions: StageVersion | undefined): string {
  if (!versions) return '?';
  const models = [...versions.models].map((m) => `${m.name}@${m.sha256}`).sort();
  return `${versions.version}/${versions.configHash}/${models.join(',')}`;
}

/**
 * Groups a stage's processes by version identity, in order of first
 * appearance (the live processes come first), and adds up each group's
 * metrics. Processes whose /metrics did not answer count as replicas but add
 * nothing to the numbers.
 */
export function groupByVersion(processes: readonly ProcessStatus[]): VersionGroup[] {
  const groups = new Map<string, ProcessStatus[]>();
  for (const p of processes) {
    const key = versionKey(p.versions);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups].map(([key, members]) => {
    const metrics = members.flatMap((m) => (m.metrics ? [m.metrics] : []));
    const consumed = metrics.reduce((s, m) => s + m.consumed, 0);
    const errors = metrics.reduce((s, m) => s + m.deadLettered, 0);
    const failed = metrics.reduce((s, m) => s + m.failed, 0);
    const duration = mergeHistograms(metrics.map((m) => m.duration));
    const versions = members[0].versions;
    return {
      key,
      version: versions?.version,
      configHash: versions?.configHash,
      models: versions?.models.map((m) => ({ name: m.name, sha256: m.sha256 })),
      replicas: members.length,
      processes: members.map((m) => m.name),
      canary: members.some((m) => m.canary),
      partitions: [...new Set(metrics.flatMap((m) => m.partitions))].sort((a, b) => a - b),
      consumed,
      errors,
      errorRate: consumed > 0 ? errors / consumed : null,
      retries: Math.max(0, failed - errors),
      latency: {
        mean: duration.count > 0 ? duration.sum / duration.count : null,
        p50: histogramQuantile(0.5, duration),
        p95: histogramQuantile(0.95, duration),
      },
    };
  });
}

/** `0-3,6,8-9`: a sorted partition list with runs collapsed; `-` for none. */
export function formatPartitions(partitions: readonly number[]): string {
  const sorted = [...new Set(partitions)].sort((a, b) => a - b);
  if (sorted.length === 0) return '-';
  const runs: string[] = [];
  let start = sorted[0];
  let previous = sorted[0];
  for (const p of [...sorted.slice(1), NaN]) {
    if (p === previous + 1) {
      previous = p;
      continue;
    }
    runs.push(start === previous ? String(start) : `${start}-${previous}`);
    start = previous = p;
  }
  return runs.join(',');
}

/** Seconds as `850us`, `12ms`, `1.25s`; `-` for none. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)}us`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${seconds.toFixed(2)}s`;
}

/** A rate as a percentage with one decimal; `-` before anything was consumed. */
export function formatRate(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(1)}%`;
}

/** `name@<sha256 prefix>` per model, `-` for a stage without one, `?` when the stage did not say. */
export function formatModels(models: ReadonlyArray<{ name: string; sha256: string }> | undefined): string {
  if (!models) return '?';
  if (models.length === 0) return '-';
  return models.map((m) => `${m.name}@${hashPrefix(m.sha256)}`).join(',');
}
