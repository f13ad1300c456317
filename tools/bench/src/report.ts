// What the benchmark prints: one row per reader with its accuracy and
// throughput, and its ratios to the peer measured in the same run. Pure
// functions over measurements, so the arithmetic and the layout are testable.
import type { CorpusScore, ScoreSummary } from '@conveyor/corpus';

export const READERS = ['peer', 'engine', 'pipeline'] as const;
export type ReaderName = (typeof READERS)[number];

export const READER_LABELS: Readonly<Record<ReaderName, string>> = {
  peer: 'peer (@gutenye/ocr-node)',
  engine: 'engine (in-process)',
  pipeline: 'pipeline (4 stages over Kafka)',
};

/** One reader's pass over the corpus. */
export interface Measurement {
  reader: ReaderName;
  /** Images read in the timed pass (warm-up excluded). */
  images: number;
  /** Wall time of the timed pass. */
  seconds: number;
  score: CorpusScore;
  /** Results that came back as failures (pipeline only; scored as empty pages). */
  failed: number;
  /** Images without any result by the deadline (pipeline only; scored as empty pages). */
  lost: number;
}

export interface ReportRow {
  reader: ReaderName;
  label: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** Micro-averaged CER; null for a class with no items in the corpus. */
  cer: { overall: number; upright: number | null; rotated: number | null };
  exactLineRate: number;
  failed: number;
  lost: number;
  /** This row ÷ the peer's row; null where the peer's figure is 0. */
  vsPeer: { imagesPerSecond: number | null; cer: number | null };
}

export interface Report {
  date: string;
  machine: { cpus: number; cpuModel: string; accelerator: string };
  corpus: { seed: number; images: number; upright: number; rotated: number; rotatedShare: number };
  settings: { concurrency: number; partitions: number; warmUpImages: number };
  rows: ReportRow[];
  notes: string[];
}

/** a ÷ b, or null when b is 0 (a ratio to nothing says nothing). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

const cerOf = (s: ScoreSummary): number | null => (s.items === 0 ? null : s.cer);

/** Rows in READERS order; the peer must be among the measurements, it is the reference. */
export function buildRows(measurements: readonly Measurement[]): ReportRow[] {
  const byReader = new Map(measurements.map((m) => [m.reader, m]));
  if (byReader.size !== measurements.length) throw new Error('each reader may be measured once');
  const peer = byReader.get('peer');
  if (!peer) throw new Error('the peer must be measured: every ratio is to the peer');
  const speed = (m: Measurement): number => (m.seconds > 0 ? m.images / m.seconds : 0);
  return READERS.flatMap((reader): ReportRow[] => {
    const m = byReader.get(reader);
    if (!m) return [];
    return [
      {
        reader,
        label: READER_LABELS[reader],
        images: m.images,
        seconds: m.seconds,
        imagesPerSecond: speed(m),
        cer: { overall: m.score.overall.cer, upright: cerOf(m.score.upright), rotated: cerOf(m.score.rotated) },
        exactLineRate: m.score.overall.exactLineRate,
        failed: m.failed,
        lost: m.lost,
        vsPeer: { imagesPerSecond: ratio(speed(m), speed(peer)), cer: ratio(m.score.overall.cer, peer.score.overall.cer) },
      },
    ];
  });
}

const percent = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
const fixed = (v: number | null, digits: number): string => (v === null ? '–' : v.toFixed(digits));
const times = (v: number | null): string => (v === null ? '–' : `${v.toFixed(2)}×`);

export const TABLE_COLUMNS = [
  'reader',
  'CER',
  'CER upright',
  'CER rotated',
  'exact lines',
  'images/s',
  'images/s ÷ peer',
  'CER ÷ peer',
] as const;

/** The cells of one row, in TABLE_COLUMNS order. */
export function rowCells(row: ReportRow): string[] {
  return [
    row.label,
    percent(row.cer.overall),
    percent(row.cer.upright),
    percent(row.cer.rotated),
    percent(row.exactLineRate),
    fixed(row.imagesPerSecond, 2),
    times(row.vsPeer.imagesPerSecond),
    times(row.vsPeer.cer),
  ];
}

/** A Markdown table (readable as plain text too): first column left-aligned, figures right-aligned. */
export function formatTable(rows: readonly ReportRow[]): string {
  const body = rows.map(rowCells);
  const header = [...TABLE_COLUMNS];
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => cells[c].length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** The whole text report: context, table, notes. */
export function formatReport(report: Report): string {
  const c = report.corpus;
  return [
    `OCR benchmark, ${report.date}: ${c.images} images (seed ${c.seed}: ${c.upright} upright, ${c.rotated} turned by 180°), ` +
      `${report.settings.warmUpImages} warm-up images per reader not timed`,
    `machine: ${report.machine.cpus} cores (${report.machine.cpuModel}), ${report.machine.accelerator}`,
    '',
    formatTable(report.rows),
    '',
    ...report.notes.map((n) => `- ${n}`),
  ].join('\n');
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
