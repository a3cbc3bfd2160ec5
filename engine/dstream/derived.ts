import { DStream } from "./dstream";
import { pairPartitioner } from "./pair-functions";

/**
 * DStream operations that Spark defines by composing others (DStream.scala): count, reduce,
 * countByValue, repartition. Their semantics, including empty batches, follow from the composition.
 */

declare module "./dstream" {
  interface DStream<T> {
    /** One element per batch: the number of elements, 0 for an empty batch. */
    count(): DStream<number>;
    /**
     * One element per batch: all elements reduced with an associative, commutative `fn`; no
     * element for an empty batch.
     */
    reduce(fn: (a: T, b: T) => T): DStream<T>;
    /** Per batch, each distinct element with its count: `[element, count]`. */
    countByValue(numPartitions?: number): DStream<[T, number]>;
    /** Exactly `numPartitions` partitions per batch. */
    repartition(numPartitions: number): DStream<T>;
  }
}

DStream.prototype.count = function <T>(this: DStream<T>): DStream<number> {
  // Spark: map(_ => (null, 1L)).transform(_.union(sc.makeRDD(Seq((null, 0L)), 1))).reduceByKey(_ + _).map(_._2)
  return this.map(() => [null, 1] as [null, number])
    .transform((rdd) => rdd.union(this.ssc.parallelize([[null, 0] as [null, number]], 1)))
    .reduceByKey((a, b) => a + b)
    .map(([, n]) => n);
};

DStream.prototype.reduce = function <T>(this: DStream<T>, fn: (a: T, b: T) => T): DStream<T> {
  const s = this.map((x) => [null, x] as [null, T]).reduceByKey(fn, 1).map(([, v]) => v);
  s.userFunctions.push(fn);
  return s;
};

DStream.prototype.countByValue = function <T>(this: DStream<T>, numPartitions?: number): DStream<[T, number]> {
  return this.map((x) => [x, 1] as [T, number]).reduceByKey((a, b) => a + b, numPartitions ?? this.ssc.defaultParallelism);
};

DStream.prototype.repartition = function <T>(this: DStream<T>, numPartitions: number): DStream<T> {
  pairPartitioner(this as DStream<unknown>, numPartitions); // validates the count
  return this.transform((rdd) => rdd.repartition(numPartitions));
};
