import type { LineAngle } from './orientation';
import type { Quad } from './types';

interface Extent {
  readonly index: number;
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly centerY: number;
}

function extentOf(box: Quad, index: number, sign: number): Extent {
  // A half-turned page is ordered in its own upright frame: negating both axes turns it back
  // (the translation does not change the order).
  const ys = box.map((p) => sign * p[1]);
  const xs = box.map((p) => sign * p[0]);
  const top = Math.min(...ys);
  const bottom = Math.max(...ys);
  return { index, top, bottom, left: Math.min(...xs), centerY: (top + bottom) / 2 };
}

/**
 * Reading order for text lines: rows top to bottom, each row left to right. Lines share a row when a
 * line's vertical centre falls inside the vertical span of the row built so far, which tolerates the
 * small baseline jitter between words of one line. With `pageAngle: 180` (an upside-down page) the
 * order is that of the page turned upright, so the first line read is the one nearest the image's
 * bottom-right. Returns a new array; items and boxes are untouched.
 */
export function sortReadingOrder<T extends { readonly box: Quad }>(
  lines: readonly T[],
  options: { pageAngle?: LineAngle } = {},
): T[] {
  const sign = options.pageAngle === 180 ? -1 : 1;
  const extents = lines
    .map((line, i) => extentOf(line.box, i, sign))
    .sort((a, b) => a.centerY - b.centerY || a.left - b.left);
  const rows: { top: number; bottom: number; members: Extent[] }[] = [];
  for (const e of extents) {
    const row = rows[rows.length - 1];
    if (row && e.centerY >= row.top && e.centerY <= row.bottom) {
      row.members.push(e);
      row.top = Math.min(row.top, e.top);
      row.bottom = Math.max(row.bottom, e.bottom);
    } else {
      rows.push({ top: e.top, bottom: e.bottom, members: [e] });
    }
  }
  return rows.flatMap((row) => row.members.sort((a, b) => a.left - b.left).map((e) => lines[e.index]));
}
