import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.flatMap(fn)`. */
export class FlatMappedDStream<T, U> extends OneParentDStream<T, U> {
  constructor(parent: DStream<T>, private readonly fn: (t: T) => Iterable<U>) { super(parent); this.track(fn); }
  protected computeFrom(rdd: RDD<T>): RDD<U> { return rdd.flatMap(this.fn); }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * A stream of every element of `fn(x)` (an array or any iterable) for every element x.
     * @example lines.flatMap((line) => line.split(" "))
     */
    flatMap<U>(fn: (t: T) => Iterable<U>): DStream<U>;
    /** Java-API name for a flatMap that returns pairs. */
    flatMapToPair<K, V>(fn: (t: T) => Iterable<[K, V]>): DStream<[K, V]>;
  }
}

DStream.prototype.flatMap = function <T, U>(this: DStream<T>, fn: (t: T) => Iterable<U>): DStream<U> {
  return new FlatMappedDStream(this, fn);
};
DStream.prototype.flatMapToPair = function <T, K, V>(this: DStream<T>, fn: (t: T) => Iterable<[K, V]>): DStream<[K, V]> {
  return new FlatMappedDStream(this, fn);
};
