/** Pure geometry of redaction masks: text boxes grown so a mask covers glyph edges the detector's box just touches. */

export type Point = readonly [number, number];
export type Quad = readonly [Point, Point, Point, Point];

/**
 * Moves each corner of a convex quad `padding` pixels further from its centre
 * (along the centre-to-corner direction), then clamps it into the image.
 */
export function growQuad(quad: Quad, padding: number, width: number, height: number): Quad {
  const cx = quad.reduce((s, p) => s + p[0], 0) / 4;
  const cy = quad.reduce((s, p) => s + p[1], 0) / 4;
  const grow = ([x, y]: Point): Point => {
    const dx = x - cx;
    const dy = y - cy;
    const length = Math.hypot(dx, dy);
    const k = length === 0 ? 0 : padding / length;
    return [clamp(x + dx * k, 0, width), clamp(y + dy * k, 0, height)];
  };
  return [grow(quad[0]), grow(quad[1]), grow(quad[2]), grow(quad[3])];
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** An SVG the size of the image with every quad filled black: composited over the image, it is the redaction. */
export function maskSvg(quads: readonly Quad[], width: number, height: number, fill = '#000'): string {
  const polygons = quads.map((q) => `<polygon points="${q.map(([x, y]) => `${round2(x)},${round2(y)}`).join(' ')}" fill="${fill}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${polygons.join('')}</svg>`;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
