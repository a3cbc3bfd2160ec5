import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.map(fn)`. */
export class MappedDStream<T, U> extends OneParentDStream<T, U> {
  constructor(parent: DStream<T>, private readonly fn: (t: T) => U) { super(parent); this.track(fn); }
  protected computeFrom(rdd: RDD<T>): RDD<U> { return rdd.map(this.fn); }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * A stream of `fn(x)` for every element x of every batch.
     * @example lines.map((line) => line.length)
     */
    map<U>(fn: (t: T) => U): DStream<U>;
    /**
     * Java-API name for a map that returns pairs: `words.mapToPair((w) => [w, 1])`.
     */
    mapToPair<K, V>(fn: (t: T) => [K, V]): DStream<[K, V]>;
  }
}

DStream.prototype.map = function <T, U>(this: DStream<T>, fn: (t: T) => U): DStream<U> {
  return new MappedDStream(this, fn);
};
DStream.prototype.mapToPair = function <T, K, V>(this: DStream<T>, fn: (t: T) => [K, V]): DStream<[K, V]> {
  return new MappedDStream(this, fn);
};
