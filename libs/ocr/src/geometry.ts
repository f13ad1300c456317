import type { Point, Quad } from './types';

/**
 * A rectangle of any orientation: `width` is measured along the direction `angle` (radians,
 * normalised to (-π/2, π/2]), `height` along the perpendicular. The shape OpenCV calls RotatedRect.
 */
export interface RotatedRect {
  readonly center: Point;
  readonly width: number;
  readonly height: number;
  readonly angle: number;
}

/** 3×3 row-major projective matrix mapping (x, y, 1) to homogeneous coordinates. */
export type Homography = Float64Array;

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Area enclosed by a simple polygon (shoelace formula), independent of vertex orientation. */
export function polygonArea(points: readonly Point[]): number {
  let twice = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    twice += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  }
  return Math.abs(twice) / 2;
}

/** Length of the closed outline through `points`. */
export function polygonPerimeter(points: readonly Point[]): number {
  let length = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) length += distance(points[j], points[i]);
  return points.length < 2 ? 0 : length;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/**
 * Convex hull by Andrew's monotone chain, O(n log n). Collinear and duplicate points are dropped, so
 * every returned vertex is a strict corner; the order is counter-clockwise in a y-up frame (which
 * looks clockwise on screen, where y grows downwards).
 */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = points.map((p): Point => [p[0], p[1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique = sorted.filter((p, i) => i === 0 || p[0] !== sorted[i - 1][0] || p[1] !== sorted[i - 1][1]);
  if (unique.length < 3) return unique;
  const lower: Point[] = [];
  for (const p of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = unique.length - 1; i >= 0; i--) {
    const p = unique[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

function normaliseAngle(angle: number, width: number, height: number): Omit<RotatedRect, 'center'> {
  // Fold into (-π/2, π/2]: a rectangle is unchanged by a half turn.
  let a = angle;
  while (a <= -Math.PI / 2) a += Math.PI;
  while (a > Math.PI / 2) a -= Math.PI;
  return { angle: a, width, height };
}

/**
 * Minimum-area enclosing rectangle of a point set by rotating calipers over its convex hull: the
 * optimal rectangle has a side on a hull edge (Freeman & Shapira), and the three other supporting
 * vertices only move forward as the edge advances, so the scan is linear in the hull size.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  if (points.length === 0) throw new RangeError('minAreaRect needs at least one point');
  const hull = convexHull(points);
  const n = hull.length;
  if (n === 1) return { center: [hull[0][0], hull[0][1]], width: 0, height: 0, angle: 0 };
  if (n === 2) {
    const [a, b] = hull;
    const r = normaliseAngle(Math.atan2(b[1] - a[1], b[0] - a[0]), distance(a, b), 0);
    return { center: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], ...r };
  }

  const dot = (p: Point, ux: number, uy: number) => p[0] * ux + p[1] * uy;
  let best = { area: Infinity, ux: 1, uy: 0, minU: 0, maxU: 0, minV: 0, maxV: 0 };
  let far = 1; // vertex farthest along the edge direction
  let top = 1; // vertex farthest from the edge (towards the interior)
  let near = 1; // vertex farthest against the edge direction
  for (let i = 0; i < n; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % n];
    const len = distance(a, b);
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    // Counter-clockwise hull: the interior lies to the left of each edge.
    const vx = -uy;
    const vy = ux;
    for (let s = 0; s < n && dot(hull[(far + 1) % n], ux, uy) > dot(hull[far], ux, uy); s++) far = (far + 1) % n;
    if (i === 0) top = far;
    for (let s = 0; s < n && dot(hull[(top + 1) % n], vx, vy) > dot(hull[top], vx, vy); s++) top = (top + 1) % n;
    if (i === 0) near = top;
    for (let s = 0; s < n && dot(hull[(near + 1) % n], ux, uy) < dot(hull[near], ux, uy); s++) near = (near + 1) % n;

    const minU = dot(hull[near], ux, uy);
    const maxU = dot(hull[far], ux, uy);
    const minV = dot(a, vx, vy);
    const maxV = dot(hull[top], vx, vy);
    const area = (maxU - minU) * (maxV - minV);
    if (area < best.area - 1e-9) best = { area, ux, uy, minU, maxU, minV, maxV };
  }

  const { ux, uy, minU, maxU, minV, maxV } = best;
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  const center: Point = [cu * ux - cv * uy, cu * uy + cv * ux];
  const r = normaliseAngle(Math.atan2(uy, ux), maxU - minU, maxV - minV);
  return { center, ...r };
}

/** The rectangle's corners, ordered with `orderQuad`. */
export function rectCorners(rect: RotatedRect): Quad {
  const { center, width, height, angle } = rect;
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  const hw = width / 2;
  const hh = height / 2;
  const corner = (su: number, sv: number): Point => [
    center[0] + su * hw * ux - sv * hh * uy,
    center[1] + su * hw * uy + sv * hh * ux,
  ];
  return orderQuad([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]);
}

/**
 * Orders four corners of a convex quadrilateral as top-left, top-right, bottom-right, bottom-left:
 * clockwise on screen, starting at the corner whose outgoing edge points most nearly along +x (the
 * reading direction). At an exact 45° tie the edge pointing up-right wins, so the choice is stable.
 */
export function orderQuad(points: readonly Point[]): Quad {
  if (points.length !== 4) throw new RangeError(`orderQuad needs 4 points, got ${points.length}`);
  const cx = (points[0][0] + points[1][0] + points[2][0] + points[3][0]) / 4;
  const cy = (points[0][1] + points[1][1] + points[2][1] + points[3][1]) / 4;
  // Ascending atan2 with y pointing down runs clockwise on screen.
  const ring = points
    .map((p): Point => [p[0], p[1]])
    .sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx));
  let start = 0;
  let bestCos = -Infinity;
  let bestDy = Infinity;
  for (let i = 0; i < 4; i++) {
    const a = ring[i];
    const b = ring[(i + 1) % 4];
    const len = distance(a, b) || 1;
    const cos = (b[0] - a[0]) / len;
    const dy = (b[1] - a[1]) / len;
    if (cos > bestCos + 1e-9 || (Math.abs(cos - bestCos) <= 1e-9 && dy < bestDy)) {
      start = i;
      bestCos = cos;
      bestDy = dy;
    }
  }
  return [ring[start], ring[(start + 1) % 4], ring[(start + 2) % 4], ring[(start + 3) % 4]];
}

/**
 * Grows a rectangle as the DB paper's "unclip" does: offset the polygon outwards by
 * distance = area × ratio / perimeter. For a rectangle the rounded offset's minimum-area box is the
 * rectangle widened by that distance on every side, so no polygon clipping library is needed.
 */
export function unclipRect(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return rect;
  const offset = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * offset, height: rect.height + 2 * offset };
}

/**
 * The projective transform taking each `from[i]` to `to[i]` (what OpenCV's getPerspectiveTransform
 * computes), by solving the 8×8 linear system with partial pivoting.
 */
export function perspectiveTransform(from: Quad, to: Quad): Homography {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i];
    const [u, v] = to[i];
    a.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    a.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12) throw new RangeError('perspectiveTransform: degenerate quadrilateral');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      if (f !== 0) for (let c = col; c < 9; c++) a[r][c] -= f * a[col][c];
    }
  }
  const m = new Float64Array(9);
  for (let i = 0; i < 8; i++) m[i] = a[i][8] / a[i][i];
  m[8] = 1;
  return m;
}

export function applyHomography(m: Homography, x: number, y: number): Point {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}
