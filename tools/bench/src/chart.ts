// The benchmark's chart: achieved throughput and p95 latency against offered
// load, one line per reader, as an SVG built here and rendered to PNG with
// sharp (already a dependency; no charting library).
import sharp from 'sharp';
import type { OpenLoopPoint } from './report';

const COLOURS: Record<string, string> = {
  peer: '#d62728',
  engine: '#1f77b4',
  tesseract: '#9467bd',
  pipeline: '#2ca02c',
};

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** A "nice" upper bound for an axis: 1, 2, 2.5 or 5 × a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

interface Panel {
  title: string;
  yLabel: string;
  value: (p: OpenLoopPoint) => number;
  /** Dashed y = x line (throughput can at most follow the offered load). */
  diagonal?: boolean;
}

/** The chart as SVG text: two panels side by side, x = offered load (images/s). */
export function buildChartSvg(points: readonly OpenLoopPoint[], title: string): string {
  const width = 1100;
  const height = 480;
  const panelWidth = 440;
  const panelHeight = 320;
  const top = 70;
  const lefts = [80, 620];
  const readers = [...new Set(points.map((p) => p.reader))];
  const xMax = niceMax(Math.max(...points.map((p) => p.offered), 0));
  const panels: Panel[] = [
    { title: 'throughput', yLabel: 'achieved images/s', value: (p) => p.achieved, diagonal: true },
    { title: 'p95 latency', yLabel: 'p95 latency (ms)', value: (p) => p.latencyMs.p95 },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="28" font-size="18" text-anchor="middle">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, k) => {
    const left = lefts[k];
    const values = points.map(panel.value).filter((v) => Number.isFinite(v));
    const yMax = niceMax(Math.max(...values, panel.diagonal ? xMax : 0, 0));
    const x = (v: number): number => left + (v / xMax) * panelWidth;
    const y = (v: number): number => top + panelHeight - (Math.min(v, yMax) / yMax) * panelHeight;
    out.push(`<text x="${left + panelWidth / 2}" y="${top - 12}" font-size="15" text-anchor="middle">${panel.title}</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#444"/>`);
    for (let i = 0; i <= 5; i++) {
      const xv = (xMax * i) / 5;
      const yv = (yMax * i) / 5;
      out.push(`<line x1="${x(xv)}" y1="${top}" x2="${x(xv)}" y2="${top + panelHeight}" stroke="#ddd"/>`);
      out.push(`<line x1="${left}" y1="${y(yv)}" x2="${left + panelWidth}" y2="${y(yv)}" stroke="#ddd"/>`);
      out.push(`<text x="${x(xv)}" y="${top + panelHeight + 18}" font-size="12" text-anchor="middle">${+xv.toFixed(2)}</text>`);
      out.push(`<text x="${left - 8}" y="${y(yv) + 4}" font-size="12" text-anchor="end">${+yv.toFixed(2)}</text>`);
    }
    out.push(`<text x="${left + panelWidth / 2}" y="${top + panelHeight + 40}" font-size="13" text-anchor="middle">offered load (images/s)</text>`);
    out.push(
      `<text x="${left - 55}" y="${top + panelHeight / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 ${left - 55} ${top + panelHeight / 2})">${panel.yLabel}</text>`,
    );
    if (panel.diagonal) out.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(Math.min(xMax, yMax))}" y2="${y(Math.min(xMax, yMax))}" stroke="#999" stroke-dasharray="5,4"/>`);
    for (const reader of readers) {
      const colour = COLOURS[reader] ?? '#333';
      const series = points.filter((p) => p.reader === reader && Number.isFinite(panel.value(p))).sort((a, b) => a.offered - b.offered);
      if (series.length === 0) continue;
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.5" points="${series.map((p) => `${x(p.offered).toFixed(1)},${y(panel.value(p)).toFixed(1)}`).join(' ')}"/>`);
      for (const p of series) out.push(`<circle cx="${x(p.offered).toFixed(1)}" cy="${y(panel.value(p)).toFixed(1)}" r="4" fill="${colour}"/>`);
    }
  });
  readers.forEach((reader, i) => {
    const lx = 80 + i * 200;
    out.push(`<rect x="${lx}" y="${height - 34}" width="18" height="6" fill="${COLOURS[reader] ?? '#333'}"/>`);
    out.push(`<text x="${lx + 26}" y="${height - 26}" font-size="13">${escapeXml(reader)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Renders the chart to a PNG file. */
export async function writeChartPng(points: readonly OpenLoopPoint[], title: string, file: string): Promise<void> {
  await sharp(Buffer.from(buildChartSvg(points, title))).png().toFile(file);
}
