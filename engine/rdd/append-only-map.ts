import { hashCode, keyEquals, murmurRehash, tupleHash } from "./java-hash";

/**
 * An open-addressing hash map laid out exactly as Spark's `AppendOnlyMap` (capacity 64, load
 * factor 0.7, quadratic probing, murmur rehash of the JVM hash code). Iterating it yields keys in
 * the same order as Spark's shuffle maps, which is the order Spark prints reduced pairs in.
 */
export class AppendOnlyMap<K, V> {
  protected capacity = 64;
  protected mask = 63;
  protected growThreshold = Math.floor(0.7 * 64);
  protected keys: (K | undefined)[] = new Array(64);
  protected values: (V | undefined)[] = new Array(64);
  protected hashes = new Int32Array(64);
  protected used = new Uint8Array(64);
  protected curSize = 0;
  private nullValue: V | undefined;
  private haveNull = false;
  /** The hash slotOf computed last, kept so an insert does not hash the key twice. */
  protected lastHash = 0;

  /** @param hash the JVM hash code of a key (tuple hash for the map side of a shuffle) */
  constructor(private readonly hash: (k: K) => number = hashCode) {}

  get size(): number { return this.curSize + (this.haveNull ? 1 : 0); }

  /**
   * Sets the value of `key` to `update(hadValue, oldValue)`, Spark's `changeValue`.
   * @returns the new value
   */
  changeValue(key: K, update: (hadValue: boolean, old: V | undefined) => V): V {
    if (key === null || key === undefined) {
      const v = update(this.haveNull, this.nullValue);
      this.nullValue = v;
      this.haveNull = true;
      return v;
    }
    const pos = this.slotOf(key);
    const had = this.used[pos] === 1;
    const v = update(had, had ? this.values[pos] : undefined);
    if (had) this.values[pos] = v;
    else this.insertAt(pos, key, v);
    return v;
  }

  /**
   * The aggregation form of changeValue without a closure per record: the value of `key` becomes
   * `merge(old, x)`, or `create(x)` for a new key. Same slots, same order as changeValue.
   */
  combine<X>(key: K, x: X, create: (x: X) => V, merge: (old: V, x: X) => V): void {
    if (key === null || key === undefined) {
      this.nullValue = this.haveNull ? merge(this.nullValue as V, x) : create(x);
      this.haveNull = true;
      return;
    }
    const pos = this.slotOf(key);
    if (this.used[pos] === 1) this.values[pos] = merge(this.values[pos] as V, x);
    else this.insertAt(pos, key, create(x));
  }

  /** The slot holding `key`, or the free slot where quadratic probing would insert it. */
  private slotOf(key: K): number {
    const h = this.hash(key);
    this.lastHash = h;
    let pos = murmurRehash(h) & this.mask;
    let i = 1;
    while (this.used[pos]) {
      const cur = this.keys[pos];
      if (cur === key || keyEquals(cur, key)) return pos;
      pos = (pos + i) & this.mask;
      i++;
    }
    return pos;
  }

  /** Fills the free slot `pos` found by slotOf (whose hash is lastHash), growing when full. */
  protected insertAt(pos: number, key: K, v: V): void {
    this.used[pos] = 1;
    this.keys[pos] = key;
    this.values[pos] = v;
    this.hashes[pos] = this.lastHash;
    if (++this.curSize > this.growThreshold) this.grow();
  }

  /** The value of `key`, or undefined. */
  get(key: K): V | undefined {
    if (key === null || key === undefined) return this.nullValue;
    let pos = murmurRehash(this.hash(key)) & this.mask;
    let i = 1;
    while (this.used[pos]) {
      const cur = this.keys[pos];
      if (cur === key || keyEquals(cur, key)) return this.values[pos];
      pos = (pos + i) & this.mask;
      i++;
    }
    return undefined;
  }

  /** Visits entries in Spark's iteration order: the null key first, then slot order. */
  forEach(fn: (value: V, key: K) => void): void {
    if (this.haveNull) fn(this.nullValue as V, null as K);
    for (let p = 0; p < this.capacity; p++) if (this.used[p]) fn(this.values[p] as V, this.keys[p] as K);
  }

  /** Entries as [key, value] pairs in Spark's iteration order. */
  entries(): [K, V][] {
    const out: [K, V][] = [];
    this.forEach((v, k) => out.push([k, v]));
    return out;
  }

  protected grow(): void {
    const oldKeys = this.keys, oldValues = this.values, oldHashes = this.hashes, oldUsed = this.used;
    const oldCapacity = this.capacity;
    this.capacity *= 2;
    this.mask = this.capacity - 1;
    this.growThreshold = Math.floor(0.7 * this.capacity);
    this.keys = new Array(this.capacity);
    this.values = new Array(this.capacity);
    this.hashes = new Int32Array(this.capacity);
    this.used = new Uint8Array(this.capacity);
    for (let old = 0; old < oldCapacity; old++) {
      if (!oldUsed[old]) continue;
      let pos = murmurRehash(oldHashes[old]) & this.mask;
      let i = 1;
      while (this.used[pos]) { pos = (pos + i) & this.mask; i++; }
      this.used[pos] = 1;
      this.keys[pos] = oldKeys[old];
      this.values[pos] = oldValues[old];
      this.hashes[pos] = oldHashes[old];
      this.moved(old, pos);
    }
  }

  /** Called by grow for each entry moved from slot `from` (old table) to slot `to`. */
  protected moved(_from: number, _to: number): void {}
}

/**
 * Spark's PartitionedAppendOnlyMap, the map side of a shuffle: keyed by (reduce partition, key),
 * with exactly the slots and iteration order of an AppendOnlyMap keyed by the tuple
 * `[partition, key]` and its tuple hash, but without allocating that tuple for every record.
 */
export class PartitionedAppendOnlyMap<K, C> extends AppendOnlyMap<K, C> {
  private partitions = new Int32Array(64);
  private oldPartitions: Int32Array | undefined;
  /**
   * Reused to hash (partition, key) as Scala hashes the tuple. It holds the key's hash code, an
   * int32, whose own hash code is itself: the tuple hash comes out the same without hashing the
   * key a second time.
   */
  private readonly scratch: [number, number] = [0, 0];

  /**
   * The combiner of `key` in `partition` becomes `merge(old, v)`, or `create(v)` for a new pair.
   * @param keyHash `hashCode(key)`, which the caller usually has already from partitioning
   */
  combineInPartition<V>(partition: number, key: K, keyHash: number, v: V, create: (v: V) => C, merge: (old: C, v: V) => C): void {
    const scratch = this.scratch;
    scratch[0] = partition;
    scratch[1] = keyHash;
    const h = tupleHash(scratch);
    let pos = murmurRehash(h) & this.mask;
    let i = 1;
    while (this.used[pos]) {
      const cur = this.keys[pos];
      if (this.partitions[pos] === partition && (cur === key || keyEquals(cur, key))) {
        this.values[pos] = merge(this.values[pos] as C, v);
        return;
      }
      pos = (pos + i) & this.mask;
      i++;
    }
    this.partitions[pos] = partition;
    this.lastHash = h;
    this.insertAt(pos, key, create(v));
  }

  /** Visits (partition, key, combiner) in slot order: Spark's map-side output order. */
  forEachInPartitions(fn: (partition: number, key: K, value: C) => void): void {
    for (let p = 0; p < this.capacity; p++) if (this.used[p]) fn(this.partitions[p], this.keys[p] as K, this.values[p] as C);
  }

  protected override grow(): void {
    this.oldPartitions = this.partitions;
    this.partitions = new Int32Array(this.capacity * 2);
    super.grow();
    this.oldPartitions = undefined;
  }

  protected override moved(from: number, to: number): void {
    this.partitions[to] = (this.oldPartitions as Int32Array)[from];
  }
}
