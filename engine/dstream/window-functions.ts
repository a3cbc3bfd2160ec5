import { appendAll, CompactBuffer, ScalaArrayBuffer } from "../rdd/compact-buffer";
import { PartitionSpec } from "../rdd/rdd";
import { DurationLike, positiveMillis } from "../time/duration";
import { DStream } from "./dstream";
import { pairPartitioner } from "./pair-functions";
import "./derived";
import { ReducedWindowedDStream } from "./reduced-windowed";
import { WindowedDStream } from "./windowed";

/**
 * The window operations (Spark's DStream and PairDStreamFunctions window methods). Each is the
 * composition Spark uses, so results, their order and the checkpoint requirement match Spark's:
 * the incremental forms (with an inverse function, countByWindow, countByValueAndWindow) need
 * `ssc.checkpoint(dir)`; the others do not.
 *
 * A window at batch time T holds the parent's batches in (T − windowDuration, T]; it is produced
 * only at multiples of slideDuration. Both durations must be multiples of the parent's slide.
 */

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Every `slideDuration` (default: this stream's slide), all elements of the last `windowDuration`.
     * @example lines.window(Durations.seconds(30), Durations.seconds(10)).count().print()
     */
    window(windowDuration: DurationLike, slideDuration?: DurationLike): DStream<T>;
    /**
     * Every `slideDuration`, all elements of the last `windowDuration` reduced to one with an
     * associative, commutative `reduceFunc`; nothing for an empty window.
     * @example temps.reduceByWindow((a, b) => Math.max(a, b), Durations.minutes(1), Durations.seconds(10))
     */
    reduceByWindow(reduceFunc: (a: T, b: T) => T, windowDuration: DurationLike, slideDuration: DurationLike): DStream<T>;
    /**
     * Incremental reduceByWindow: each window is the previous one plus what entered
     * (`reduceFunc`) minus what left (`invReduceFunc`). Needs `ssc.checkpoint(dir)`. Once data has
     * arrived it emits a value every slide, e.g. 0 for a sum whose window emptied.
     * @example amounts.reduceByWindow((a, b) => a + b, (a, b) => a - b, Durations.minutes(1), Durations.seconds(10))
     */
    reduceByWindow(reduceFunc: (a: T, b: T) => T, invReduceFunc: (a: T, b: T) => T, windowDuration: DurationLike, slideDuration: DurationLike): DStream<T>;
    /**
     * Every `slideDuration`, the number of elements in the last `windowDuration`. Incremental, so it
     * needs `ssc.checkpoint(dir)`; it emits nothing before the first element arrives, then a count
     * every slide (0 once the window is empty).
     * @example clicks.countByWindow(Durations.minutes(1), Durations.seconds(10)).print()
     */
    countByWindow(windowDuration: DurationLike, slideDuration: DurationLike): DStream<number>;
    /**
     * Every `slideDuration`, each distinct element of the last `windowDuration` with its count.
     * Incremental, so it needs `ssc.checkpoint(dir)`; elements whose count fell to 0 are dropped.
     * @example words.countByValueAndWindow(Durations.seconds(30), Durations.seconds(10)).print()
     */
    countByValueAndWindow(windowDuration: DurationLike, slideDuration: DurationLike, numPartitions?: number): DStream<[T, number]>;
    /**
     * Pairs: every `slideDuration` (default: this stream's slide), all values of each key in the last
     * `windowDuration`. The values print as Spark's `ArrayBuffer(1, 2)`.
     * @example pairs.groupByKeyAndWindow(Durations.seconds(30), Durations.seconds(10))
     */
    groupByKeyAndWindow<K, V>(this: DStream<[K, V]>, windowDuration: DurationLike, slideDuration?: DurationLike, partitions?: PartitionSpec): DStream<[K, V[]]>;
    /**
     * Pairs: every `slideDuration` (default: this stream's slide), the values of each key in the
     * last `windowDuration` reduced with an associative, commutative `reduceFunc`. Recomputes the
     * whole window each time; for long windows prefer the incremental form with an inverse.
     * @param partitions a partition count or Partitioner (default: N of `local[N]`)
     * @example words.mapToPair((w) => [w, 1]).reduceByKeyAndWindow((a, b) => a + b, Durations.seconds(30), Durations.seconds(10))
     */
    reduceByKeyAndWindow<K, V>(this: DStream<[K, V]>, reduceFunc: (a: V, b: V) => V, windowDuration: DurationLike, slideDuration?: DurationLike, partitions?: PartitionSpec): DStream<[K, V]>;
    /**
     * Pairs, incremental: each window is the previous window's values, plus the batches that
     * entered it (`reduceFunc`), minus the batches that left it (`invReduceFunc`, the inverse of
     * `reduceFunc`). Needs `ssc.checkpoint(dir)`. Keys are never dropped (a count stays at 0)
     * unless `filterFunc` returns false for them.
     * @param partitions a partition count or Partitioner (default: N of `local[N]`)
     * @param filterFunc keeps a `[key, value]` in the window while it returns true
     * @example
     * words.mapToPair((w) => [w, 1]).reduceByKeyAndWindow(
     *   (a, b) => a + b, (a, b) => a - b, Durations.seconds(30), Durations.seconds(10), 2, ([, n]) => n > 0)
     */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      reduceFunc: (a: V, b: V) => V,
      invReduceFunc: (a: V, b: V) => V,
      windowDuration: DurationLike,
      slideDuration?: DurationLike,
      partitions?: PartitionSpec,
      filterFunc?: (kv: [K, V]) => boolean,
    ): DStream<[K, V]>;
  }
}

const windowMillis = (d: DurationLike) => positiveMillis(d, "windowDuration");
const slideMillis = (stream: DStream<unknown>, d: DurationLike | undefined) => (d === undefined ? stream.slideDuration : positiveMillis(d, "slideDuration"));

DStream.prototype.window = function <T>(this: DStream<T>, windowDuration: DurationLike, slideDuration?: DurationLike): DStream<T> {
  return new WindowedDStream(this, windowMillis(windowDuration), slideMillis(this as DStream<unknown>, slideDuration));
};

DStream.prototype.reduceByWindow = function <T>(this: DStream<T>, reduceFunc: (a: T, b: T) => T, ...rest: unknown[]): DStream<T> {
  if (typeof rest[0] === "function") {
    const [invReduceFunc, windowDuration, slideDuration] = rest as [(a: T, b: T) => T, DurationLike, DurationLike];
    // Spark: map((1, _)).reduceByKeyAndWindow(reduceFunc, invReduceFunc, w, s, 1).map(_._2)
    return this.map((x) => [1, x] as [number, T])
      .reduceByKeyAndWindow(reduceFunc, invReduceFunc, windowDuration, slideDuration, 1)
      .map(([, v]) => v);
  }
  const [windowDuration, slideDuration] = rest as [DurationLike, DurationLike];
  return this.reduce(reduceFunc).window(windowDuration, slideDuration).reduce(reduceFunc);
};

DStream.prototype.countByWindow = function <T>(this: DStream<T>, windowDuration: DurationLike, slideDuration: DurationLike): DStream<number> {
  return this.map(() => 1).reduceByWindow((a, b) => a + b, (a, b) => a - b, windowDuration, slideDuration);
};

DStream.prototype.countByValueAndWindow = function <T>(this: DStream<T>, windowDuration: DurationLike, slideDuration: DurationLike, numPartitions?: number): DStream<[T, number]> {
  return this.map((x) => [x, 1] as [T, number]).reduceByKeyAndWindow(
    (a, b) => a + b,
    (a, b) => a - b,
    windowDuration,
    slideDuration,
    numPartitions ?? this.ssc.defaultParallelism,
    ([, count]) => count !== 0,
  );
};

DStream.prototype.groupByKeyAndWindow = function <K, V>(this: DStream<[K, V]>, windowDuration: DurationLike, slideDuration?: DurationLike, partitions?: PartitionSpec): DStream<[K, V[]]> {
  const partitioner = pairPartitioner(this as DStream<unknown>, partitions);
  return this.groupByKey(partitioner)
    .window(windowDuration, slideDuration ?? this.slideDuration)
    .combineByKey(
      (vs: CompactBuffer<V>) => appendAll(new ScalaArrayBuffer<V>(), vs),
      (buf: ScalaArrayBuffer<V>, vs: CompactBuffer<V>) => appendAll(buf, vs),
      (a: ScalaArrayBuffer<V>, b: ScalaArrayBuffer<V>) => appendAll(a, b),
      partitioner,
    );
};

DStream.prototype.reduceByKeyAndWindow = function <K, V>(this: DStream<[K, V]>, reduceFunc: (a: V, b: V) => V, ...rest: unknown[]): DStream<[K, V]> {
  if (typeof rest[0] !== "function") {
    const [windowDuration, slideDuration, partitions] = rest as [DurationLike, DurationLike | undefined, PartitionSpec | undefined];
    const partitioner = pairPartitioner(this as DStream<unknown>, partitions);
    return this.reduceByKey(reduceFunc, partitioner)
      .window(windowDuration, slideDuration ?? this.slideDuration)
      .reduceByKey(reduceFunc, partitioner);
  }
  const [invReduceFunc, windowDuration, slideDuration, partitions, filterFunc] =
    rest as [(a: V, b: V) => V, DurationLike, DurationLike | undefined, PartitionSpec | undefined, ((kv: [K, V]) => boolean) | undefined];
  return new ReducedWindowedDStream(
    this,
    { reduceFunc, invReduceFunc, filterFunc: filterFunc ?? undefined },
    windowMillis(windowDuration),
    slideMillis(this as DStream<unknown>, slideDuration),
    pairPartitioner(this as DStream<unknown>, partitions),
  );
};
