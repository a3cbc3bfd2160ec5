import { Errors } from "../errors/messages";
import { AppendOnlyMap } from "./append-only-map";
import { CompactBuffer } from "./compact-buffer";
import { hashCode } from "./java-hash";
import { runMapStage } from "../executor/parallel-map-stage";
import { Partitioner } from "./partitioner";
import type { RDD } from "./rdd";

/**
 * Spark's hash shuffle, reproduced down to the order of records in each output partition:
 * the map side combines per input partition in a map keyed by `(partition, key)` and writes its
 * output grouped by partition and, within a partition, sorted by key hash code (Spark's
 * ExternalSorter); the reduce side merges map outputs in map order into one AppendOnlyMap per
 * partition and iterates it in slot order.
 */

export interface Aggregator<V, C> {
  createCombiner: (v: V) => C;
  mergeValue: (c: C, v: V) => C;
  mergeCombiners: (a: C, b: C) => C;
}

/**
 * `combineByKey` over the partitions of `source` (read with forEachIn, so a pipelined narrow chain
 * is never materialized; with map-side combining, map tasks may run on worker threads, see
 * engine/executor/parallel-map-stage.ts): returns the output partitions of [key, combiner] pairs.
 * @param op names the operation in the error for a record that is not a pair
 */
export function combineByKey<K, V, C>(
  source: RDD<readonly [K, V]>,
  agg: Aggregator<V, C>,
  partitioner: Partitioner,
  mapSideCombine: boolean,
  op: string,
): [K, C][][] {
  const n = partitioner.numPartitions;
  // mapOutputs[m][r]: what map task m wrote for reduce partition r, in Spark's write order
  const mapOutputs: [K, V | C][][][] = mapSideCombine ? runMapStage(source, agg, partitioner, op) : bucketByKey(source, partitioner, op);
  const out: [K, C][][] = [];
  for (let r = 0; r < n; r++) {
    const map = new AppendOnlyMap<K, C>(hashCode);
    for (const buckets of mapOutputs) {
      const bucket = buckets[r];
      if (mapSideCombine) for (let i = 0; i < bucket.length; i++) map.combine(bucket[i][0], bucket[i][1] as C, identity, agg.mergeCombiners);
      else for (let i = 0; i < bucket.length; i++) map.combine(bucket[i][0], bucket[i][1] as V, agg.createCombiner, agg.mergeValue);
    }
    out.push(map.entries());
  }
  return out;
}

/** The map stage without combining: each map task's records, bucketed by reduce partition. */
function bucketByKey<K, V>(source: RDD<readonly [K, V]>, partitioner: Partitioner, op: string): [K, V][][][] {
  const mapOutputs: [K, V][][][] = [];
  for (let m = 0; m < source.numPartitions; m++) {
    const buckets: [K, V][][] = Array.from({ length: partitioner.numPartitions }, () => []);
    source.forEachIn(m, (rec) => {
      if (!Array.isArray(rec)) throw Errors.notPair(op, rec);
      buckets[partitioner.getPartition(rec[0])].push([rec[0], rec[1]]);
    });
    mapOutputs.push(buckets);
  }
  return mapOutputs;
}

function identity<T>(x: T): T {
  return x;
}

/** Combines the values of one partition by key in a single map (no shuffle), in Spark's order. */
export function combineValuesByKey<K, V, C>(records: readonly (readonly [K, V])[], agg: Aggregator<V, C>): [K, C][] {
  const map = new AppendOnlyMap<K, C>(hashCode);
  for (let i = 0; i < records.length; i++) map.combine(records[i][0], records[i][1], agg.createCombiner, agg.mergeValue);
  return map.entries();
}

/** Moves pairs to the partition their key belongs to, keeping map order (no aggregation). */
export function partitionBy<K, V>(partitions: readonly (readonly [K, V])[][], partitioner: Partitioner): [K, V][][] {
  const out: [K, V][][] = Array.from({ length: partitioner.numPartitions }, () => []);
  for (const records of partitions) for (const rec of records) out[partitioner.getPartition(rec[0])].push([rec[0], rec[1]]);
  return out;
}

/** One input of a cogroup: its partitions and the partitioner they are already laid out by, if any. */
export interface CoGroupInput {
  partitions: readonly (readonly [unknown, unknown])[][];
  partitioner?: Partitioner;
}

/**
 * Spark's CoGroupedRDD: per key, one CompactBuffer of values from each input. An input already
 * partitioned by `partitioner` is read in place (a narrow dependency); others are shuffled.
 */
export function cogroup(inputs: CoGroupInput[], partitioner: Partitioner): [unknown, CompactBuffer<unknown>[]][][] {
  const laidOut = inputs.map((input) =>
    input.partitioner && input.partitioner.equals(partitioner) ? input.partitions : partitionBy(input.partitions, partitioner),
  );
  const out: [unknown, CompactBuffer<unknown>[]][][] = [];
  for (let r = 0; r < partitioner.numPartitions; r++) {
    const map = new AppendOnlyMap<unknown, CompactBuffer<unknown>[]>(hashCode);
    laidOut.forEach((parts, i) => {
      for (const [k, v] of parts[r] ?? []) {
        map.changeValue(k, (had, old) => {
          const groups = had ? (old as CompactBuffer<unknown>[]) : inputs.map(() => new CompactBuffer<unknown>());
          groups[i].push(v);
          return groups;
        });
      }
    });
    out.push(map.entries());
  }
  return out;
}
