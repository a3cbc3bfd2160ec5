import { hashCode, keyEquals, murmurRehash } from "./java-hash";

/**
 * An open-addressing hash map laid out exactly as Spark's `AppendOnlyMap` (capacity 64, load
 * factor 0.7, quadratic probing, murmur rehash of the JVM hash code). Iterating it yields keys in
 * the same order as Spark's shuffle maps, which is the order Spark prints reduced pairs in.
 */
export class AppendOnlyMap<K, V> {
  private capacity = 64;
  private mask = 63;
  private growThreshold = Math.floor(0.7 * 64);
  private keys: (K | undefined)[] = new Array(64);
  private values: (V | undefined)[] = new Array(64);
  private hashes = new Int32Array(64);
  private used = new Uint8Array(64);
  private curSize = 0;
  private nullValue: V | undefined;
  private haveNull = false;

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
    const h = this.hash(key);
    let pos = murmurRehash(h) & this.mask;
    let i = 1;
    for (;;) {
      if (!this.used[pos]) {
        const v = update(false, undefined);
        this.used[pos] = 1;
        this.keys[pos] = key;
        this.values[pos] = v;
        this.hashes[pos] = h;
        if (++this.curSize > this.growThreshold) this.grow();
        return v;
      }
      const cur = this.keys[pos];
      if (cur === key || keyEquals(cur, key)) {
        const v = update(true, this.values[pos]);
        this.values[pos] = v;
        return v;
      }
      pos = (pos + i) & this.mask;
      i++;
    }
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

  private grow(): void {
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
    }
  }
}
