// A small seeded PRNG of our own, so that a corpus is a pure function of its
// seed on every Node version (Math.random cannot be seeded).

// Module-level copies: hot loops (pixel noise) call these millions of times, and
// a global lookup of `Math` is slow inside vm contexts such as Jest's (measured:
// ~0.5 µs per imul call vs ~20 ns through a local binding).
const { imul, floor, sqrt } = Math;
const SQRT3 = sqrt(3);

/** Random source used by the generator; every value derives from one seed. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Approximately standard normal (Irwin–Hall of 4 uniforms, rescaled): cheap and bounded. */
  gaussian(): number;
}

/** Throws unless seed is an integer in [0, 2^32 - 1]. */
export function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 4294967295], got ${seed}`);
  }
}

/** mulberry32: 32-bit state, full period 2^32, good enough for test data. */
export function mulberry32(seed: number): Rng {
  assertSeed(seed);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + floor(next() * (max - min + 1)),
    float: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick() needs a non-empty array');
      return items[floor(next() * items.length)] as (typeof items)[number];
    },
    // Sum of 4 uniforms has mean 2 and variance 4/12; rescale to unit variance.
    gaussian: () => (next() + next() + next() + next() - 2) * SQRT3,
  };
}

/**
 * Seed of item `index` of the corpus seeded with `seed`: items are independent
 * of each other, so item k is the same whatever the corpus size.
 */
export function itemSeed(seed: number, index: number): number {
  assertSeed(seed);
  // splitmix32-style finaliser over (seed, index) so neighbouring indices diverge.
  let h = (seed ^ imul(index + 1, 0x9e3779b9)) >>> 0;
  h = imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
