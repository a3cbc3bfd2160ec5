/**
 * Deterministic pseudo-random numbers for reproducible streams: the same seed gives the same
 * sequence on every machine and Node version (unlike Math.random, which cannot be seeded).
 */

/** A function returning the next pseudo-random number in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a small, fast 32-bit generator with good statistical quality for simulations.
 * Not for cryptography.
 *
 * @example
 * const rnd = mulberry32(42);
 * rnd(); // always the same first number for seed 42
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [min, max], both inclusive. */
export function randomInt(rnd: Random, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

/** The items in a seeded random order (Fisher-Yates); the input is not modified. */
export function shuffled<T>(rnd: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Samples ranks 0..n-1 with Zipf's law: rank k has weight 1 / (k + 1)^exponent, so a few ranks
 * are much more frequent than the rest (product popularity, word frequencies).
 */
export function zipfSampler(n: number, exponent: number): (rnd: Random) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 0; k < n; k++) cumulative.push((total += 1 / Math.pow(k + 1, exponent)));
  return (rnd) => {
    const target = rnd() * total;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > target) hi = mid; else lo = mid + 1;
    }
    return lo;
  };
}
