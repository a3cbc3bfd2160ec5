/**
 * JVM hash codes for JavaScript values. Spark places keys in partitions by `key.hashCode` and
 * iterates its shuffle hash maps in slot order derived from it, so reproducing the JVM's hash
 * codes is what makes streamlab print pairs in the same order as Spark (e.g. the lecture's
 * `(hello,2) (bye,2) (world,1)`).
 */

/** Java's `String.hashCode`: s[0]*31^(n-1) + ... over UTF-16 code units, in 32-bit arithmetic. */
export function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

/**
 * A number's hash: an int32 value hashes as `Integer.hashCode` (itself), a larger integer as
 * `Long.hashCode`, anything else as `Double.hashCode`. JavaScript has one number type, so this is
 * the closest reading of what the equivalent Java/Scala program would hold.
 */
export function numberHash(n: number): number {
  if (Number.isInteger(n)) {
    if (n >= -2147483648 && n <= 2147483647) return n | 0;
    if (Number.isSafeInteger(n)) {
      const hi = Math.floor(n / 4294967296) | 0;
      const lo = n >>> 0;
      return (hi ^ lo) | 0;
    }
  }
  if (n === 0) return 0; // Double.hashCode(-0.0) differs, but -0 and 0 are one key in JavaScript
  f64[0] = Number.isNaN(n) ? NaN : n;
  return (i32[0] ^ i32[1]) | 0;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function mixK1(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = rotl(k, 15);
  return Math.imul(k, 0x1b873593);
}

function mixH1(h: number, k: number): number {
  h ^= k;
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Guava's `murmur3_32().hashInt(h)`: Spark's AppendOnlyMap `rehash`. */
export function murmurRehash(h: number): number {
  return avalanche(mixH1(0, mixK1(h)) ^ 4);
}

const PRODUCT_SEED = 0xcafebabe | 0;

/** Scala 2.12 `MurmurHash3.productHash`: the hash of a tuple such as `(word, 1)`. */
export function tupleHash(t: readonly unknown[]): number {
  if (t.length === 0) return 0;
  let h = PRODUCT_SEED;
  for (const e of t) h = mixH1(h, mixK1(hashCode(e)));
  return avalanche(h ^ t.length);
}

/** The JVM `hashCode` of a key: strings, numbers, booleans, bigints, tuples (arrays), dates. */
export function hashCode(v: unknown): number {
  switch (typeof v) {
    case "string": return stringHash(v);
    case "number": return numberHash(v);
    case "boolean": return v ? 1231 : 1237;
    case "bigint": return numberHash(Number(BigInt.asIntN(64, v)));
    case "undefined": return 0;
    case "object":
      if (v === null) return 0;
      if (Array.isArray(v)) return tupleHash(v);
      if (v instanceof Date) return numberHash(v.getTime());
      return stringHash(stableKeyString(v));
    default: return 0;
  }
}

/** Value equality for keys: primitives by value, arrays element-wise, other objects by content. */
export function keyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return a !== a && b !== b; // NaN equals NaN as a key, as Double.equals does
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!keyEquals(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return stableKeyString(a) === stableKeyString(b);
}

/** A canonical string for an object key, with sorted property names. */
export function stableKeyString(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, (val as Record<string, unknown>)[k]]))
      : val,
  );
}

/** Java's `Utils.nonNegativeMod(x, mod)`. */
export function nonNegativeMod(x: number, mod: number): number {
  const raw = x % mod;
  return raw + (raw < 0 ? mod : 0);
}
