import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.filter(pred)`. */
export class FilteredDStream<T> extends OneParentDStream<T, T> {
  constructor(parent: DStream<T>, private readonly pred: (t: T) => boolean) { super(parent); this.track(pred); }
  protected computeFrom(rdd: RDD<T>): RDD<T> { return rdd.filter(this.pred); }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Keeps the elements for which `pred` returns true.
     * @example words.filter((w) => w.length > 0)
     */
    filter(pred: (t: T) => boolean): DStream<T>;
  }
}

DStream.prototype.filter = function <T>(this: DStream<T>, pred: (t: T) => boolean): DStream<T> {
  return new FilteredDStream(this, pred);
};
