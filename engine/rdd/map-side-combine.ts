import { Errors } from "../errors/messages";
import { PartitionedAppendOnlyMap } from "./append-only-map";
import { hashCode, nonNegativeMod } from "./java-hash";
import { HashPartitioner, Partitioner } from "./partitioner";
import type { Aggregator } from "./shuffle";

/** Where a map task's records come from: a partition of an RDD, possibly a pipelined narrow chain. */
export interface RecordSource<R> {
  forEachIn(index: number, sink: (r: R) => void): void;
}

/**
 * The map side of Spark's shuffle with map-side combining, for one map task: the task's output
 * for each reduce partition, in Spark's write order.
 *
 * Spark combines in a PartitionedAppendOnlyMap keyed by (partition, key) and its ExternalSorter
 * writes the map sorted by (partition, key.hashCode), stable, so keys with equal hashes keep slot
 * order. Running that map per record costs a JVM string hash, a tuple hash, a murmur rehash and a
 * probe. The fast path below combines string, number, boolean, null and undefined keys in a
 * JavaScript Map instead (same key equality for those; merges in record order, so every combiner
 * is the same) and hashes each distinct key once. The sort then gives Spark's order whenever no
 * two keys of a reduce partition share a hash code. When some do, or a key of another type shows
 * up, the entries are replayed into Spark's map in first-insertion order: its slot layout depends
 * only on the order in which distinct keys arrive, so the replayed map is the one Spark would
 * have built.
 * test/bench/shuffle-equivalence.test.ts and test/spark-golden check this order.
 */
export function combineMapTask<K, V, C>(
  source: RecordSource<readonly [K, V]>,
  index: number,
  agg: Aggregator<V, C>,
  partitioner: Partitioner,
  op: string,
): [K, C][][] {
  const n = partitioner.numPartitions;
  const { createCombiner, mergeValue } = agg;
  const byHash = partitioner.constructor === HashPartitioner;
  const slots = new Map<K, number>();
  const keys: K[] = [];
  const combiners: C[] = [];
  let exact: PartitionedAppendOnlyMap<K, C> | undefined;
  source.forEachIn(index, (rec) => {
    if (!Array.isArray(rec)) throw Errors.notPair(op, rec);
    const k = rec[0];
    if (exact === undefined) {
      const type = typeof k;
      // JavaScript Map equality is keyEquals for these (count() keys every record by null).
      if (byHash && (type === "string" || type === "number" || type === "boolean" || k === null || k === undefined)) {
        const slot = slots.get(k);
        if (slot === undefined) {
          slots.set(k, keys.length);
          keys.push(k);
          combiners.push(createCombiner(rec[1]));
        } else {
          combiners[slot] = mergeValue(combiners[slot], rec[1]);
        }
        return;
      }
      exact = replay(keys, combiners, partitioner);
    }
    addToSparkMap(exact, partitioner, k, rec[1], createCombiner, mergeValue);
  });
  if (exact === undefined) {
    const sorted = sortByPartitionAndHash(keys, n);
    if (sorted !== undefined) return sorted.map((ids) => ids.map((id) => [keys[id], combiners[id]] as [K, C]));
    exact = replay(keys, combiners, partitioner);
  }
  return writeSorted(exact, n);
}

/**
 * Key ids grouped by reduce partition (HashPartitioner) and sorted by hash code within each, or
 * undefined when two keys of one partition share a hash code (their order needs Spark's map).
 */
function sortByPartitionAndHash<K>(keys: K[], n: number): number[][] | undefined {
  const hashes = new Int32Array(keys.length);
  const groups: number[][] = Array.from({ length: n }, () => []);
  for (let id = 0; id < keys.length; id++) {
    const h = hashCode(keys[id]);
    hashes[id] = h;
    groups[nonNegativeMod(h, n)].push(id);
  }
  for (const ids of groups) {
    ids.sort((a, b) => hashes[a] - hashes[b]);
    for (let i = 1; i < ids.length; i++) if (hashes[ids[i]] === hashes[ids[i - 1]]) return undefined;
  }
  return groups;
}

/** Spark's map for the entries combined so far, inserted in the order their keys first arrived. */
function replay<K, C>(keys: K[], combiners: C[], partitioner: Partitioner): PartitionedAppendOnlyMap<K, C> {
  const map = new PartitionedAppendOnlyMap<K, C>();
  // Keys are distinct, so the merge function is never called.
  for (let id = 0; id < keys.length; id++) addToSparkMap(map, partitioner, keys[id], combiners[id], identity, identity);
  return map;
}

/** Combines one record into Spark's map, in the partition `partitioner` places its key. */
function addToSparkMap<K, V, C>(map: PartitionedAppendOnlyMap<K, C>, partitioner: Partitioner, k: K, v: V, create: (v: V) => C, merge: (c: C, v: V) => C): void {
  const h = hashCode(k);
  const n = partitioner.numPartitions;
  // HashPartitioner places a key by its hash code: computed once for both placing and combining.
  const partition = partitioner.constructor === HashPartitioner ? nonNegativeMod(h, n) : partitioner.getPartition(k);
  map.combineInPartition(partition, k, h, v, create, merge);
}

/** Spark's ExternalSorter output: by partition, then key hash code, stable (slot order on ties). */
function writeSorted<K, C>(map: PartitionedAppendOnlyMap<K, C>, n: number): [K, C][][] {
  const hashed: [number, K, C][][] = Array.from({ length: n }, () => []);
  map.forEachInPartitions((pid, k, c) => { hashed[pid].push([hashCode(k), k, c]); });
  return hashed.map((entries) => {
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return entries.map(([, k, c]) => [k, c] as [K, C]);
  });
}

function identity<T>(x: T): T {
  return x;
}
