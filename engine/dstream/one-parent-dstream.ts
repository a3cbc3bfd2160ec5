import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";

/**
 * A stream computed batch by batch from one parent with the parent's slide: the shared shape of
 * map, filter, shuffle and most operators. Subclasses implement only `computeFrom`.
 */
export abstract class OneParentDStream<T, U> extends DStream<U> {
  constructor(readonly parent: DStream<T>) {
    super(parent.ssc);
  }

  get dependencies(): DStream<unknown>[] { return [this.parent as DStream<unknown>]; }
  get slideDuration(): number { return this.parent.slideDuration; }

  protected compute(time: number): RDD<U> | undefined {
    const rdd = this.parent.getOrCompute(time);
    return rdd && this.computeFrom(rdd, time);
  }

  /** This stream's batch from the parent's batch at `time`. */
  protected abstract computeFrom(rdd: RDD<T>, time: number): RDD<U>;
}
