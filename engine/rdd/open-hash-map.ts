import { hashCode, keyEquals, murmurRehash } from "./java-hash";

/**
 * Spark's `OpenHashMap` (core `util.collection`, on top of `OpenHashSet`) as plain data, so it can
 * live in a stream's batches and go through `v8.serialize` in a checkpoint. The layout is Spark's:
 * a power-of-2 table (at least the initial capacity), load factor 0.7, slot `murmur3(hashCode) &
 * mask`, quadratic probing (+1, +2, +3, ...), doubling when the size exceeds the threshold (old
 * slots re-placed in slot order), and the null key kept aside. Iteration yields the null key first,
 * then the slots in order: the order Spark's mapWithState lists states in.
 */
export interface OpenHashMapData<K, V> {
  capacity: number;
  /** The key in each slot; an empty slot holds undefined (the null key is kept aside). */
  keys: (K | undefined)[];
  values: (V | undefined)[];
  /** The JVM hash code of each slot's key, so growing does not hash keys again. */
  hashes: number[];
  /** Keys in slots, not counting the null key. */
  slotsUsed: number;
  hasNullKey: boolean;
  nullValue: V | undefined;
}

const LOAD_FACTOR = 0.7;

/** Java's null: both null and undefined keys are the one key Spark keeps outside the table. */
function isNullKey(key: unknown): boolean {
  return key === null || key === undefined;
}

/** An empty map of `nextPowerOf2(initialCapacity)` slots (Spark's default is 64). */
export function createOpenHashMap<K, V>(initialCapacity = 64): OpenHashMapData<K, V> {
  const capacity = nextPowerOf2(Math.max(1, initialCapacity));
  return { capacity, keys: new Array(capacity), values: new Array(capacity), hashes: new Array(capacity), slotsUsed: 0, hasNullKey: false, nullValue: undefined };
}

/** Spark's `size`: the keys, the null key included. */
export function openHashMapSize(map: OpenHashMapData<unknown, unknown>): number {
  return map.slotsUsed + (map.hasNullKey ? 1 : 0);
}

/** The slot holding `key`, or the empty slot where probing stops (Spark's getPos/addWithoutResize). */
function slotOf<K>(map: OpenHashMapData<K, unknown>, key: K, hash: number): number {
  const mask = map.capacity - 1;
  let pos = murmurRehash(hash) & mask;
  let delta = 1;
  for (;;) {
    const cur = map.keys[pos];
    if (cur === undefined || cur === key || keyEquals(cur, key)) return pos;
    pos = (pos + delta) & mask;
    delta++;
  }
}

/** The value of `key`, or undefined (Spark's `apply`, which gives null). `hash` saves hashing again. */
export function openHashMapGet<K, V>(map: OpenHashMapData<K, V>, key: K, hash = hashCode(key)): V | undefined {
  if (isNullKey(key)) return map.nullValue;
  return map.values[slotOf(map, key, hash)];
}

/** Whether the map holds `key` (Spark's `contains`). */
export function openHashMapContains<K>(map: OpenHashMapData<K, unknown>, key: K, hash = hashCode(key)): boolean {
  if (isNullKey(key)) return map.hasNullKey;
  return map.keys[slotOf(map, key, hash)] !== undefined;
}

/** Sets the value of `key`, growing the table as Spark's `update` does. */
export function openHashMapUpdate<K, V>(map: OpenHashMapData<K, V>, key: K, value: V, hash = hashCode(key)): void {
  if (isNullKey(key)) {
    map.hasNullKey = true;
    map.nullValue = value;
    return;
  }
  const pos = slotOf(map, key, hash);
  map.values[pos] = value;
  if (map.keys[pos] !== undefined) return;
  map.keys[pos] = key;
  map.hashes[pos] = hash;
  if (++map.slotsUsed > Math.floor(LOAD_FACTOR * map.capacity)) grow(map);
}

/** Visits the entries in Spark's iteration order: the null key first, then slot order. */
export function openHashMapForEach<K, V>(map: OpenHashMapData<K, V>, fn: (key: K, value: V) => void): void {
  if (map.hasNullKey) fn(null as K, map.nullValue as V);
  for (let pos = 0; pos < map.capacity; pos++) {
    const key = map.keys[pos];
    if (key !== undefined) fn(key, map.values[pos] as V);
  }
}

/** Doubles the table; Spark's OpenHashSet.rehash re-places the old slots in slot order. */
function grow<K, V>(map: OpenHashMapData<K, V>): void {
  const { keys, values, hashes, capacity } = map;
  const newCapacity = capacity * 2;
  const mask = newCapacity - 1;
  map.capacity = newCapacity;
  map.keys = new Array(newCapacity);
  map.values = new Array(newCapacity);
  map.hashes = new Array(newCapacity);
  for (let old = 0; old < capacity; old++) {
    if (keys[old] === undefined) continue;
    let pos = murmurRehash(hashes[old]) & mask;
    let delta = 1;
    while (map.keys[pos] !== undefined) { pos = (pos + delta) & mask; delta++; }
    map.keys[pos] = keys[old];
    map.values[pos] = values[old];
    map.hashes[pos] = hashes[old];
  }
}

function nextPowerOf2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
