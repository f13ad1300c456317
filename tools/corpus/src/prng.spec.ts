import { assertSeed, itemSeed, mulberry32 } from './prng';

// The published mulberry32 (Tommy Ettinger, as circulated in the bryc/code gist),
// kept verbatim as the oracle our implementation must reproduce.
function referenceMulberry32(a: number): () => number {
  return function () {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('mulberry32', () => {
  it.each([0, 1, 42, 0xdeadbeef, 0xffffffff])('matches the reference sequence for seed %d', (seed) => {
    const ours = mulberry32(seed);
    const reference = referenceMulberry32(seed);
    for (let i = 0; i < 1000; i++) expect(ours.next()).toBe(reference());
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = Array.from({ length: 5 }, mulberry32(7).next);
    const b = Array.from({ length: 5 }, mulberry32(7).next);
    const c = Array.from({ length: 5 }, mulberry32(8).next);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('int() covers both inclusive bounds and nothing outside', () => {
    const rng = mulberry32(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(2, 6));
    expect([...seen].sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it('gaussian() has mean ~0 and standard deviation ~1', () => {
    const rng = mulberry32(11);
    const xs = Array.from({ length: 20000 }, () => rng.gaussian());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it('pick() refuses an empty array', () => {
    expect(() => mulberry32(1).pick([])).toThrow(/non-empty/);
  });
});

describe('assertSeed', () => {
  it.each([0, 1, 0xffffffff])('accepts %d', (seed) => expect(() => assertSeed(seed)).not.toThrow());
  it.each([-1, 1.5, 2 ** 32, Number.NaN])('rejects %d', (seed) =>
    expect(() => assertSeed(seed)).toThrow(/seed must be/),
  );
});

describe('itemSeed', () => {
  it('gives distinct seeds to neighbouring items and is a pure function', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => itemSeed(5, i));
    expect(new Set(seeds).size).toBe(1000);
    expect(itemSeed(5, 17)).toBe(seeds[17]);
    expect(itemSeed(6, 17)).not.toBe(seeds[17]);
  });
});
