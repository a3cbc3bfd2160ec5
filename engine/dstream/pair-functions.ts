import { appendAll, CompactBuffer, ScalaArrayBuffer } from "../rdd/compact-buffer";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import { PartitionSpec, RDD } from "../rdd/rdd";
import { Errors } from "../errors/messages";
import { DStream } from "./dstream";
import { ShuffledDStream } from "./shuffled";
import { TransformedDStream } from "./transformed";

/**
 * Per-batch operations on streams of `[key, value]` pairs (Spark's PairDStreamFunctions). Shuffles
 * default to `HashPartitioner(defaultParallelism)`, i.e. N partitions for `local[N]`.
 */

/** The partitioner of a pair operation: Spark's `HashPartitioner(ssc.defaultParallelism)` by default. @internal */
export function pairPartitioner(stream: DStream<unknown>, spec?: PartitionSpec): Partitioner {
  if (spec === undefined) return new HashPartitioner(stream.ssc.defaultParallelism);
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 1) throw Errors.badNumPartitions(spec);
    return new HashPartitioner(spec);
  }
  return spec;
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Pairs: merges the values of each key within each batch with an associative and commutative `fn`.
     * @param partitions a partition count or Partitioner (default: N of `local[N]`)
     * @example words.mapToPair((w) => [w, 1]).reduceByKey((a, b) => a + b)
     */
    reduceByKey<K, V>(this: DStream<[K, V]>, fn: (a: V, b: V) => V, partitions?: PartitionSpec): DStream<[K, V]>;
    /**
     * Pairs: all values of each key within each batch. As Spark's streaming groupByKey, this is
     * combineByKey into a Scala ArrayBuffer with map-side combining, so values come in Spark's
     * order and print as `ArrayBuffer(1, 2)` (RDD.groupByKey prints `CompactBuffer(1, 2)`).
     */
    groupByKey<K, V>(this: DStream<[K, V]>, partitions?: PartitionSpec): DStream<[K, CompactBuffer<V>]>;
    /** Pairs: Spark's generic per-key aggregation within each batch. */
    combineByKey<K, V, C>(
      this: DStream<[K, V]>,
      createCombiner: (v: V) => C,
      mergeValue: (c: C, v: V) => C,
      mergeCombiners: (a: C, b: C) => C,
      partitions?: PartitionSpec,
      mapSideCombine?: boolean,
    ): DStream<[K, C]>;
    /** Pairs: per-batch inner join with `other`: `[k, [v, w]]`. */
    join<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<[K, [V, W]]>;
    /** Pairs: per-batch left outer join; a missing right value is `undefined` (prints as None). */
    leftOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<[K, [V, W | undefined]]>;
    /** Pairs: per-batch right outer join; a missing left value is `undefined`. */
    rightOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<[K, [V | undefined, W]]>;
    /** Pairs: per-batch full outer join; missing sides are `undefined`. */
    fullOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<[K, [V | undefined, W | undefined]]>;
    /** Pairs: per batch, for each key, the values from this stream and from `other`. */
    cogroup<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<[K, [CompactBuffer<V>, CompactBuffer<W>]]>;
  }
}

DStream.prototype.combineByKey = function <K, V, C>(
  this: DStream<[K, V]>,
  createCombiner: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  partitions?: PartitionSpec,
  mapSideCombine = true,
): DStream<[K, C]> {
  return new ShuffledDStream(this, { createCombiner, mergeValue, mergeCombiners }, pairPartitioner(this as DStream<unknown>, partitions), mapSideCombine);
};

DStream.prototype.reduceByKey = function <K, V>(this: DStream<[K, V]>, fn: (a: V, b: V) => V, partitions?: PartitionSpec): DStream<[K, V]> {
  const s = this.combineByKey((v: V) => v, fn, fn, partitions);
  s.userFunctions.splice(0, s.userFunctions.length, fn);
  return s;
};

DStream.prototype.groupByKey = function <K, V>(this: DStream<[K, V]>, partitions?: PartitionSpec): DStream<[K, CompactBuffer<V>]> {
  return new ShuffledDStream<K, V, CompactBuffer<V>>(this, {
    createCombiner: (v) => ScalaArrayBuffer.of(v),
    mergeValue: (c, v) => (c.push(v), c),
    mergeCombiners: (a, b) => appendAll(a, b),
  }, pairPartitioner(this as DStream<unknown>, partitions), true);
};

type Joiner = "join" | "leftOuterJoin" | "rightOuterJoin" | "fullOuterJoin" | "cogroup";

function joinWith(kind: Joiner) {
  return function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, partitions?: PartitionSpec): DStream<never> {
    const p = pairPartitioner(this as DStream<unknown>, partitions);
    return new TransformedDStream([this as DStream<unknown>, other as DStream<unknown>], (rdds) => {
      const [a, b] = rdds as [RDD<[K, V]>, RDD<[K, W]>];
      return a[kind](b, p) as RDD<never>;
    });
  };
}

DStream.prototype.join = joinWith("join");
DStream.prototype.leftOuterJoin = joinWith("leftOuterJoin");
DStream.prototype.rightOuterJoin = joinWith("rightOuterJoin");
DStream.prototype.fullOuterJoin = joinWith("fullOuterJoin");
DStream.prototype.cogroup = joinWith("cogroup");
