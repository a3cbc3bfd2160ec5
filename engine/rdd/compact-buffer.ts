/**
 * The grouped values of `groupByKey`, `cogroup` and windows of groups: an ordinary array that
 * prints as Spark's `CompactBuffer(1, 2)`, so `print()` output matches Spark's.
 */
export class CompactBuffer<T> extends Array<T> {
  /** Builds a CompactBuffer holding `items`. */
  static override of<T>(...items: T[]): CompactBuffer<T> {
    const b = new CompactBuffer<T>();
    for (const item of items) b.push(item);
    return b;
  }
  /** Array methods such as map() return plain arrays, not CompactBuffers. */
  static override get [Symbol.species]() { return Array; }
  override toString(): string {
    return `CompactBuffer(${Array.prototype.map.call(this, (v) => formatValue(v, true)).join(", ")})`;
  }
}

/**
 * The grouped values of the DStream `groupByKey` and `groupByKeyAndWindow`: Spark's streaming
 * API groups into a Scala `ArrayBuffer` (RDD.groupByKey into a CompactBuffer), so it prints as
 * `ArrayBuffer(1, 2)`. It extends CompactBuffer only to share its typing and printing.
 */
export class ScalaArrayBuffer<T> extends CompactBuffer<T> {
  /** Builds a ScalaArrayBuffer holding `items`. */
  static override of<T>(...items: T[]): ScalaArrayBuffer<T> {
    return appendAll(new ScalaArrayBuffer<T>(), items);
  }
  override toString(): string {
    return `ArrayBuffer(${Array.prototype.map.call(this, (v) => formatValue(v, true)).join(", ")})`;
  }
}

/** Appends `values` to `buffer` (a loop: spreading a large buffer into push() overflows the stack). */
export function appendAll<T, B extends T[]>(buffer: B, values: Iterable<T>): B {
  for (const v of values) buffer.push(v);
  return buffer;
}

/**
 * Renders a value as Scala's `toString` would: tuples as `(hello,2)`, `undefined` as `None`,
 * CompactBuffers as `CompactBuffer(1, 2)`, other arrays (Scala Seqs/Lists) as `List(1, 2)` when nested
 * and as tuples at top level. Numbers, strings and booleans print as themselves.
 */
export function formatValue(v: unknown, nested = false): string {
  if (v === undefined) return "None";
  if (v === null) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof CompactBuffer) return v.toString();
  if (Array.isArray(v)) return `(${v.map((e) => formatValue(e, true)).join(",")})`;
  if (v instanceof Map) return `Map(${[...v].map(([k, val]) => `${formatValue(k, true)} -> ${formatValue(val, true)}`).join(", ")})`;
  if (v instanceof Set) return `Set(${[...v].map((e) => formatValue(e, true)).join(", ")})`;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `[B@${v.length}`;
  const own = (v as { toString?: () => string }).toString;
  if (typeof own === "function" && own !== Object.prototype.toString) return own.call(v);
  void nested;
  return JSON.stringify(v);
}
