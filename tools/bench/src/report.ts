// What the benchmark prints: one row per reader with its accuracy,
// throughput and CPU, and its ratios to the peer and to the engine measured in
// the same run; then per-process CPU and memory, latency (idle and open loop),
// and the pipeline's batch sizes and bytes per hop. Pure functions over
// measurements, so the arithmetic and the layout are testable.
import type { CorpusScore, ScoreSummary } from '@conveyor/corpus';
import type { LatencySummary } from './load';
import { READERS, type ReaderName } from './options';
import type { HopBytes } from './pipeline';
import type { ProcUsage } from './proc-stats';

export { READERS, type ReaderName };

export const READER_LABELS: Readonly<Record<ReaderName, string>> = {
  peer: 'peer (@gutenye/ocr-node)',
  engine: 'engine (in-process)',
  tesseract: 'tesseract.js 7 (eng, LSTM)',
  pipeline: 'pipeline (stages over Kafka)',
};

/** One reader's closed-loop passes over the corpus. */
export interface Measurement {
  reader: ReaderName;
  /** Worker processes (in-process readers) or stage processes (pipeline). */
  workers: number;
  /** Images read in each timed pass (warm-up excluded). */
  images: number;
  /** Wall time of each pass, in round order. */
  passSeconds: number[];
  /** CPU seconds of every process of the reader in each pass (the pipeline: stages, Kafka, Redis, producer). */
  passCpuSeconds: number[];
  score: CorpusScore;
  /** Results that came back as failures (scored as empty pages). */
  failed: number;
  /** Images without any result by the deadline (scored as empty pages). */
  lost: number;
}

export interface ReportRow {
  reader: ReaderName;
  label: string;
  workers: number;
  images: number;
  /** Median over the passes. */
  imagesPerSecond: number;
  passImagesPerSecond: number[];
  /** CPU time per image over all the reader's processes, median pass; null when unknown. */
  cpuMsPerImage: number | null;
  /** Micro-averaged CER; null for a class with no items in the corpus. */
  cer: { overall: number; upright: number | null; rotated: number | null };
  exactLineRate: number;
  failed: number;
  lost: number;
  /** This row ÷ the peer's (null where the peer was not measured or its figure is 0). */
  vsPeer: { imagesPerSecond: number | null; cer: number | null };
  /** images/s ÷ the engine's (null where the engine was not measured). */
  vsEngine: { imagesPerSecond: number | null };
}

export interface ProcessRow {
  reader: ReaderName;
  usage: ProcUsage[];
  images: number;
  seconds: number;
}

export interface OpenLoopPoint {
  reader: ReaderName;
  /** Offered load, images/s. */
  offered: number;
  /** Completed images ÷ (first arrival to last completion). */
  achieved: number;
  latencyMs: LatencySummary;
  images: number;
  failed: number;
}

/** What one stage process did in the median pass, from its /metrics. */
export interface StageActivity {
  stage: string;
  /** Messages taken from its input topic. */
  messages: number;
  /** Time in model runs ÷ the pass's wall time: how busy the stage's model was (null without a model). */
  modelBusy: number | null;
  /** Mean time from taking a message to settling it, ms. */
  meanStageMs: number | null;
}

export interface BatchSizes {
  stage: string;
  batches: number;
  mean: number;
  distribution: Array<{ range: string; count: number }>;
}

export interface Report {
  date: string;
  machine: { cpus: number; cpuModel: string; accelerator: string; loadAverage: { start: number[]; end: number[] } };
  corpus: { seed: number; images: number; upright: number; rotated: number; rotatedShare: number };
  settings: {
    workers: number;
    rounds: number;
    partitions: number;
    warmUpImages: number;
    readers: ReaderName[];
    pipelineStages: Array<{ stage: string; replicas: number; maxInFlight: number; batch?: { maxSize: number; maxWaitMs?: number }; env: Record<string, string> }>;
    kafkaJvmFlags: string[];
  };
  rows: ReportRow[];
  /** Per process, from each reader's median closed-loop pass. */
  processes: ProcessRow[];
  latency: { idle: Array<{ reader: ReaderName; images: number; latencyMs: LatencySummary }>; openLoop: OpenLoopPoint[] };
  pipeline?: { activity: StageActivity[]; batchSizes: BatchSizes[]; hopBytes: HopBytes[] };
  chart?: string;
  notes: string[];
}

/** a ÷ b, or null when b is 0 (a ratio to nothing says nothing). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Index of the pass whose wall time is the median (the lower middle for an even count). */
export function medianIndex(values: readonly number[]): number {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)][1];
}

const cerOf = (s: ScoreSummary): number | null => (s.items === 0 ? null : s.cer);

/** Rows in READERS order; ratios to the peer and the engine where they were measured. */
export function buildRows(measurements: readonly Measurement[]): ReportRow[] {
  const byReader = new Map(measurements.map((m) => [m.reader, m]));
  if (byReader.size !== measurements.length) throw new Error('each reader may be measured once');
  const speed = (m: Measurement | undefined): number => {
    if (!m) return 0;
    const s = median(m.passSeconds);
    return s > 0 ? m.images / s : 0;
  };
  const peer = byReader.get('peer');
  const engine = byReader.get('engine');
  return READERS.flatMap((reader): ReportRow[] => {
    const m = byReader.get(reader);
    if (!m) return [];
    const mid = medianIndex(m.passSeconds);
    const cpu = m.passCpuSeconds[mid];
    return [
      {
        reader,
        label: READER_LABELS[reader],
        workers: m.workers,
        images: m.images,
        imagesPerSecond: speed(m),
        passImagesPerSecond: m.passSeconds.map((s) => (s > 0 ? m.images / s : 0)),
        cpuMsPerImage: cpu === undefined || !(cpu > 0) ? null : (1000 * cpu) / m.images,
        cer: { overall: m.score.overall.cer, upright: cerOf(m.score.upright), rotated: cerOf(m.score.rotated) },
        exactLineRate: m.score.overall.exactLineRate,
        failed: m.failed,
        lost: m.lost,
        vsPeer: {
          imagesPerSecond: peer ? ratio(speed(m), speed(peer)) : null,
          cer: peer ? ratio(m.score.overall.cer, peer.score.overall.cer) : null,
        },
        vsEngine: { imagesPerSecond: engine ? ratio(speed(m), speed(engine)) : null },
      },
    ];
  });
}

const percent = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
const fixed = (v: number | null, digits: number): string => (v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));
const times = (v: number | null): string => (v === null ? '–' : `${v.toFixed(2)}×`);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)}`;

export const TABLE_COLUMNS = [
  'reader',
  'workers',
  'CER',
  'CER upright',
  'CER rotated',
  'exact lines',
  'images/s',
  'images/s ÷ peer',
  'images/s ÷ engine',
  'CPU ms/image',
  'CER ÷ peer',
] as const;

/** The cells of one row, in TABLE_COLUMNS order. */
export function rowCells(row: ReportRow): string[] {
  return [
    row.label,
    String(row.workers),
    percent(row.cer.overall),
    percent(row.cer.upright),
    percent(row.cer.rotated),
    percent(row.exactLineRate),
    fixed(row.imagesPerSecond, 2),
    times(row.vsPeer.imagesPerSecond),
    times(row.vsEngine.imagesPerSecond),
    fixed(row.cpuMsPerImage, 0),
    times(row.vsPeer.cer),
  ];
}

/** A Markdown table (readable as plain text too): first column left-aligned, figures right-aligned. */
export function markdownTable(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => cells[c].length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function formatTable(rows: readonly ReportRow[]): string {
  return markdownTable([...TABLE_COLUMNS], rows.map(rowCells));
}

/** CPU (cores on average, ms per image) and memory of every process of every reader. */
export function formatProcesses(rows: readonly ProcessRow[]): string {
  const body = rows.flatMap((r) =>
    r.usage.map((u) => [
      `${r.reader}: ${u.name}`,
      fixed(u.cores, 2),
      fixed((1000 * u.cpuSeconds) / r.images, 0),
      u.cpuSeconds > 0 ? `${Math.round((100 * u.systemSeconds) / u.cpuSeconds)}%` : '–',
      mib(u.maxRssBytes),
      mib(u.peakRssBytes),
    ]),
  );
  return markdownTable(['process', 'cores', 'CPU ms/image', 'kernel share', 'RSS MiB (max in pass)', 'RSS MiB (peak, VmHWM)'], body);
}

export function formatLatency(report: Report): string {
  const parts: string[] = [];
  if (report.latency.idle.length > 0) {
    parts.push(
      markdownTable(
        ['idle (one image at a time)', 'images', 'p50 ms', 'p95 ms', 'p99 ms'],
        report.latency.idle.map((l) => [l.reader, String(l.images), fixed(l.latencyMs.p50, 0), fixed(l.latencyMs.p95, 0), fixed(l.latencyMs.p99, 0)]),
      ),
    );
  }
  if (report.latency.openLoop.length > 0) {
    parts.push(
      markdownTable(
        ['open loop', 'offered img/s', 'achieved img/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failed'],
        report.latency.openLoop.map((p) => [
          p.reader,
          fixed(p.offered, 2),
          fixed(p.achieved, 2),
          fixed(p.latencyMs.p50, 0),
          fixed(p.latencyMs.p95, 0),
          fixed(p.latencyMs.p99, 0),
          String(p.failed),
        ]),
      ),
    );
  }
  return parts.join('\n\n');
}

export function formatPipelineDetails(details: NonNullable<Report['pipeline']>): string {
  const parts: string[] = [];
  if (details.activity.length > 0) {
    parts.push(
      markdownTable(
        ['stage process', 'messages', 'model busy', 'mean ms per message'],
        details.activity.map((a) => [a.stage, String(a.messages), a.modelBusy === null ? '–' : `${Math.round(100 * a.modelBusy)}%`, fixed(a.meanStageMs, 0)]),
      ),
    );
  }
  if (details.batchSizes.length > 0) {
    parts.push(
      markdownTable(
        ['batching stage', 'batches', 'mean size', 'sizes (count)'],
        details.batchSizes.map((b) => [b.stage, String(b.batches), fixed(b.mean, 2), b.distribution.map((d) => `${d.range}: ${d.count}`).join(', ')]),
      ),
    );
  }
  if (details.hopBytes.length > 0) {
    parts.push(
      markdownTable(
        ['topic (hop)', 'messages', 'KiB per message in Kafka', 'claim-checked', 'KiB per claim in Redis'],
        details.hopBytes.map((h) => [
          h.topic,
          String(h.messages),
          fixed(h.meanKafkaBytes / 1024, 1),
          String(h.claimChecked),
          h.claimChecked ? fixed(h.meanClaimBytes / 1024, 1) : '–',
        ]),
      ),
    );
  }
  return parts.join('\n\n');
}

/** The whole text report: context, tables, notes. */
export function formatReport(report: Report): string {
  const c = report.corpus;
  const sections = [
    `OCR benchmark, ${report.date}: ${c.images} images (seed ${c.seed}: ${c.upright} upright, ${c.rotated} turned by 180°), ` +
      `${report.settings.warmUpImages} warm-up images per reader not timed, ${report.settings.rounds} interleaved round(s)`,
    `machine: ${report.machine.cpus} cores (${report.machine.cpuModel}), ${report.machine.accelerator}, ` +
      `load average ${report.machine.loadAverage.start.map((l) => l.toFixed(1)).join('/')} at start, ` +
      `${report.machine.loadAverage.end.map((l) => l.toFixed(1)).join('/')} at end`,
    '',
    formatTable(report.rows),
    '',
    'per round, images/s: ' + report.rows.map((r) => `${r.reader} ${r.passImagesPerSecond.map((v) => v.toFixed(2)).join(' / ')}`).join('; '),
  ];
  if (report.processes.length > 0) sections.push('', formatProcesses(report.processes));
  const latency = formatLatency(report);
  if (latency) sections.push('', latency);
  if (report.pipeline) {
    const details = formatPipelineDetails(report.pipeline);
    if (details) sections.push('', details);
  }
  if (report.settings.kafkaJvmFlags.length > 0) sections.push('', `Kafka JVM: ${report.settings.kafkaJvmFlags.join(' ')}`);
  if (report.chart) sections.push('', `chart: ${report.chart}`);
  sections.push('', ...report.notes.map((n) => `- ${n}`));
  return sections.join('\n');
}

/** An item whose text two readers read differently. */
export interface ItemDiff {
  id: string;
  rotated180: boolean;
  truth: readonly string[];
  a: { lines: string[] | null; cer: number };
  b: { lines: string[] | null; cer: number };
}

/** Items that `a` and `b` read differently (by normalised lines), in corpus order. */
export function diffItems(a: CorpusScore, b: CorpusScore): ItemDiff[] {
  const other = new Map(b.items.map((i) => [i.id, i]));
  return a.items.flatMap((x): ItemDiff[] => {
    const y = other.get(x.id);
    if (!y) throw new Error(`item ${x.id} is missing from the second score`);
    if (JSON.stringify(x.predicted) === JSON.stringify(y.predicted)) return [];
    return [
      {
        id: x.id,
        rotated180: x.rotated180,
        truth: x.truth,
        a: { lines: x.predicted, cer: x.cer },
        b: { lines: y.predicted, cer: y.cer },
      },
    ];
  });
}
