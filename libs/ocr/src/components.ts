import type { Point } from './types';

/**
 * One 8-connected region of a binary map, as its horizontal runs: run `i` covers pixels
 * x = runs[3i+1] .. runs[3i+2] (inclusive) on row y = runs[3i]. Runs are in scan order.
 */
export interface Component {
  readonly runs: Int32Array;
  readonly pixelCount: number;
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/**
 * 8-connected components of the non-zero cells of a `width`×`height` map, in the order their first
 * pixel appears in a row-major scan. Works on runs rather than pixels: one pass finds each row's runs
 * and unions those touching a run of the row above (union-find), so the cost follows the number of
 * runs, and the runs are exactly what the box fitter needs (a region's convex hull is the hull of its
 * run endpoints).
 */
export function connectedComponents(bitmap: Uint8Array, width: number, height: number): Component[] {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`connectedComponents: bad size ${width}x${height}`);
  }
  if (bitmap.length !== width * height) {
    throw new RangeError(`connectedComponents: bitmap has ${bitmap.length} cells, expected ${width * height}`);
  }
  const runY = new GrowableInt32();
  const runX0 = new GrowableInt32();
  const runX1 = new GrowableInt32();
  const parent = new GrowableInt32();
  const find = (r: number): number => {
    const p = parent.data;
    while (p[r] !== r) {
      p[r] = p[p[r]];
      r = p[r];
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    // Keep the earlier run as root so component order follows the scan.
    if (ra < rb) parent.data[rb] = ra;
    else if (rb < ra) parent.data[ra] = rb;
  };

  let prevStart = 0;
  let prevEnd = 0;
  for (let y = 0; y < height; y++) {
    const rowStart = runY.length;
    const row = y * width;
    let above = prevStart;
    for (let x = 0; x < width;) {
      if (bitmap[row + x] === 0) {
        x++;
        continue;
      }
      const x0 = x;
      while (x < width && bitmap[row + x] !== 0) x++;
      const x1 = x - 1;
      const r = runY.length;
      runY.push(y);
      runX0.push(x0);
      runX1.push(x1);
      parent.push(r);
      // Runs above are sorted by x: skip those ending left of x0-1, join those starting before x1+2.
      while (above < prevEnd && runX1.data[above] < x0 - 1) above++;
      for (let a = above; a < prevEnd && runX0.data[a] <= x1 + 1; a++) union(r, a);
    }
    prevStart = rowStart;
    prevEnd = runY.length;
  }

  const runCount = runY.length;
  const componentOf = new Int32Array(runCount);
  const sizes: number[] = [];
  const pixels: number[] = [];
  const rootToComponent = new Map<number, number>();
  for (let r = 0; r < runCount; r++) {
    const root = find(r);
    let id = rootToComponent.get(root);
    if (id === undefined) {
      id = sizes.length;
      rootToComponent.set(root, id);
      sizes.push(0);
      pixels.push(0);
    }
    componentOf[r] = id;
    sizes[id]++;
    pixels[id] += runX1.data[r] - runX0.data[r] + 1;
  }
  const runs = sizes.map((n) => new Int32Array(3 * n));
  const fill = new Int32Array(sizes.length);
  for (let r = 0; r < runCount; r++) {
    const id = componentOf[r];
    const o = fill[id]++ * 3;
    runs[id][o] = runY.data[r];
    runs[id][o + 1] = runX0.data[r];
    runs[id][o + 2] = runX1.data[r];
  }
  return runs.map((r, id) => ({ runs: r, pixelCount: pixels[id] }));
}

/** Both endpoints of every run, as pixel-centre points: enough to span the component's convex hull. */
export function componentOutlinePoints(component: Component): Point[] {
  const { runs } = component;
  const points: Point[] = [];
  for (let i = 0; i < runs.length; i += 3) {
    points.push([runs[i + 1], runs[i]]);
    if (runs[i + 2] !== runs[i + 1]) points.push([runs[i + 2], runs[i]]);
  }
  return points;
}
