import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import { Time } from "../time/time";
import { DStream } from "./dstream";

/**
 * A batch computed by a user function from the batches of one or more streams at the same time
 * (Spark's TransformedDStream). Runs on the driver every batch, so it may change from batch to batch.
 */
export class TransformedDStream<U> extends DStream<U> {
  constructor(readonly parents: DStream<unknown>[], private readonly fn: (rdds: RDD<unknown>[], time: Time) => RDD<U>) {
    DStream.checkSameSlide(parents);
    super(parents[0].ssc);
    this.track(fn);
  }

  get dependencies(): DStream<unknown>[] { return this.parents; }
  get slideDuration(): number { return this.parents[0].slideDuration; }

  protected compute(time: number): RDD<U> | undefined {
    const rdds = this.parents.map((p) => {
      const rdd = p.getOrCompute(time);
      // Spark's TransformedDStream (and so join and cogroup) fails the batch rather than
      // inventing an empty one.
      if (!rdd) throw Errors.missingParentBatch(time, p.toString());
      return rdd;
    });
    const out = this.fn(rdds, new Time(time));
    if (out === null || out === undefined) throw Errors.transformReturnedNull();
    if (!(out instanceof RDD)) throw Errors.transformNotRDD(out);
    return out;
  }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Applies any RDD-to-RDD function to every batch (also given the batch time). Use it for RDD
     * operations DStreams lack, e.g. sorting each batch.
     * @example counts.transform((rdd) => rdd.sortBy(([, n]) => n, false))
     */
    transform<U>(fn: (rdd: RDD<T>, time: Time) => RDD<U>): DStream<U>;
    /** Java-API name of transform for functions that return pairs. */
    transformToPair<K, V>(fn: (rdd: RDD<T>, time: Time) => RDD<[K, V]>): DStream<[K, V]>;
    /**
     * Combines each batch with the batch of `other` at the same time.
     * @example a.transformWith(b, (x, y) => x.union(y))
     */
    transformWith<U, V>(other: DStream<U>, fn: (rdd: RDD<T>, other: RDD<U>, time: Time) => RDD<V>): DStream<V>;
    /** Java-API name of transformWith for functions that return pairs. */
    transformWithToPair<U, K, V>(other: DStream<U>, fn: (rdd: RDD<T>, other: RDD<U>, time: Time) => RDD<[K, V]>): DStream<[K, V]>;
  }
}

function transform<T, U>(this: DStream<T>, fn: (rdd: RDD<T>, time: Time) => RDD<U>): DStream<U> {
  const s = new TransformedDStream<U>([this as DStream<unknown>], (rdds, time) => fn(rdds[0] as RDD<T>, time));
  s.userFunctions.splice(0, 1, fn);
  return s;
}

function transformWith<T, U, V>(this: DStream<T>, other: DStream<U>, fn: (rdd: RDD<T>, other: RDD<U>, time: Time) => RDD<V>): DStream<V> {
  const s = new TransformedDStream<V>([this as DStream<unknown>, other as DStream<unknown>], (rdds, time) => fn(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time));
  s.userFunctions.splice(0, 1, fn);
  return s;
}

DStream.prototype.transform = transform;
DStream.prototype.transformToPair = transform as DStream<unknown>["transformToPair"];
DStream.prototype.transformWith = transformWith;
DStream.prototype.transformWithToPair = transformWith as DStream<unknown>["transformWithToPair"];
