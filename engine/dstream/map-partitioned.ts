import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.mapPartitions(fn)`. */
export class MapPartitionedDStream<T, U> extends OneParentDStream<T, U> {
  constructor(parent: DStream<T>, private readonly fn: (items: T[], index: number) => Iterable<U>, private readonly preservePartitioning: boolean) {
    super(parent);
    this.track(fn);
  }
  protected computeFrom(rdd: RDD<T>): RDD<U> { return rdd.mapPartitions(this.fn, this.preservePartitioning); }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Applies `fn` to each whole partition of each batch (with the partition's index).
     * @example nums.mapPartitions((xs) => [xs.reduce((a, b) => a + b, 0)])
     */
    mapPartitions<U>(fn: (items: T[], index: number) => Iterable<U>, preservePartitioning?: boolean): DStream<U>;
    /** pyspark's form: `fn(index, items)`. */
    mapPartitionsWithIndex<U>(fn: (index: number, items: T[]) => Iterable<U>, preservePartitioning?: boolean): DStream<U>;
  }
}

DStream.prototype.mapPartitions = function <T, U>(this: DStream<T>, fn: (items: T[], index: number) => Iterable<U>, preservePartitioning = false): DStream<U> {
  return new MapPartitionedDStream(this, fn, preservePartitioning);
};
DStream.prototype.mapPartitionsWithIndex = function <T, U>(this: DStream<T>, fn: (index: number, items: T[]) => Iterable<U>, preservePartitioning = false): DStream<U> {
  const s = new MapPartitionedDStream(this, (items: T[], i: number) => fn(i, items), preservePartitioning);
  // Fingerprint the user's function, not the adapter, so a changed function is seen on recovery.
  s.userFunctions.splice(0, 1, fn);
  return s;
};
