import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";

/** The batches of several streams with the same slide, unioned (Spark's UnionDStream). */
export class UnionDStream<T> extends DStream<T> {
  constructor(readonly parents: DStream<T>[]) {
    DStream.checkSameSlide(parents as DStream<unknown>[]);
    super(parents[0].ssc);
  }

  get dependencies(): DStream<unknown>[] { return this.parents as DStream<unknown>[]; }
  get slideDuration(): number { return this.parents[0].slideDuration; }

  protected compute(time: number): RDD<T> | undefined {
    const rdds: RDD<T>[] = [];
    for (const p of this.parents) {
      const rdd = p.getOrCompute(time);
      // Spark fails the batch when a parent has no RDD at a valid time.
      if (!rdd) throw Errors.missingUnionBatch(time, p.toString());
      rdds.push(rdd);
    }
    return RDD.unionAll(rdds, this.ssc.rddContext);
  }
}

declare module "./dstream" {
  interface DStream<T> {
    /** The elements of this stream and `other` (same slide duration) in each batch. */
    union(other: DStream<T>): DStream<T>;
  }
}

DStream.prototype.union = function <T>(this: DStream<T>, other: DStream<T>): DStream<T> {
  return new UnionDStream([this, other]);
};
