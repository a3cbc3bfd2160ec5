import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.mapValues(fn)`. */
export class MapValuedDStream<K, V, U> extends OneParentDStream<[K, V], [K, U]> {
  constructor(parent: DStream<[K, V]>, private readonly fn: (v: V) => U) { super(parent); this.track(fn); }
  protected computeFrom(rdd: RDD<[K, V]>): RDD<[K, U]> { return rdd.mapValues(this.fn); }
}

/** `parent.flatMapValues(fn)`. */
export class FlatMapValuedDStream<K, V, U> extends OneParentDStream<[K, V], [K, U]> {
  constructor(parent: DStream<[K, V]>, private readonly fn: (v: V) => Iterable<U>) { super(parent); this.track(fn); }
  protected computeFrom(rdd: RDD<[K, V]>): RDD<[K, U]> { return rdd.flatMapValues(this.fn); }
}

declare module "./dstream" {
  interface DStream<T> {
    /** Pairs: applies `fn` to each value, keeping the key. @example counts.mapValues((n) => n * 2) */
    mapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => U): DStream<[K, U]>;
    /** Pairs: one pair per element of `fn(value)`, keeping the key. */
    flatMapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => Iterable<U>): DStream<[K, U]>;
  }
}

DStream.prototype.mapValues = function <K, V, U>(this: DStream<[K, V]>, fn: (v: V) => U): DStream<[K, U]> {
  return new MapValuedDStream(this, fn);
};
DStream.prototype.flatMapValues = function <K, V, U>(this: DStream<[K, V]>, fn: (v: V) => Iterable<U>): DStream<[K, U]> {
  return new FlatMapValuedDStream(this, fn);
};
