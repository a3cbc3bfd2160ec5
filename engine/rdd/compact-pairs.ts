import { JoinedStrings, joinStrings } from "../executor/joined-strings";

/**
 * A partition of `[key, number]` pairs with string (or number) keys, kept as flat arrays: the
 * keys joined into one string with their lengths (or a Float64Array of number keys) and the
 * values in a Float64Array. What a serialized (`_SER`) stream keeps of its older batches.
 *
 * Why: a 30 s window remembers its reduced batches and, for two checkpoint intervals, its own
 * results, all as `[key, value]` arrays: with 100 ms batches, 4.3 million of them for WordCount
 * over a 10,000-word vocabulary. V8's full collections mark each one, and their pauses reached
 * 150–350 ms every 10–20 s. Spark keeps such batches serialized (MEMORY_ONLY_SER), out of its
 * collector's sight; here a compacted partition is three objects without pointers inside. Both
 * forms round-trip exactly: strings by value, numbers (NaN, -0 and infinities too) by their bits.
 * @internal
 */
export interface CompactPairs {
  keys: JoinedStrings | Float64Array;
  values: Float64Array;
}

/** `part` compacted, or undefined when a record is not a `[string, number]` or `[number, number]` pair (all keys of one type). */
export function compactPairs(part: readonly unknown[]): CompactPairs | undefined {
  const n = part.length;
  // The first record decides, before anything is allocated for a partition that will not compact.
  if (n > 0 && !isPair(part[0])) return undefined;
  const byString = n > 0 && typeof (part[0] as unknown[])[0] === "string";
  const values = new Float64Array(n);
  const keys: unknown[] | Float64Array = byString ? new Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const rec = part[i];
    if (!isPair(rec)) return undefined;
    const k = rec[0];
    if (byString ? typeof k !== "string" : typeof k !== "number") return undefined;
    keys[i] = k;
    values[i] = rec[1];
  }
  if (!byString) return { keys: keys as Float64Array, values };
  const joined = joinStrings(keys as unknown[]);
  return joined && { keys: joined, values };
}

/** The pairs of a compacted partition, in their order. */
export function expandPairs(compact: CompactPairs): [string | number, number][] {
  const { keys, values } = compact;
  const out: [string | number, number][] = new Array(values.length);
  if (keys instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) out[i] = [keys[i], values[i]];
    return out;
  }
  const { text, lengths } = keys;
  for (let i = 0, from = 0; i < values.length; i++) {
    const to = from + lengths[i];
    out[i] = [text.slice(from, to), values[i]];
    from = to;
  }
  return out;
}

/** `[key, number]`: a two-element array whose value is a number (compactPairs checks the key). */
function isPair(rec: unknown): rec is [unknown, number] {
  return Array.isArray(rec) && rec.length === 2 && typeof rec[1] === "number";
}
