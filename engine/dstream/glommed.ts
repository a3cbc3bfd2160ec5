import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** `parent.glom()`. */
export class GlommedDStream<T> extends OneParentDStream<T, T[]> {
  protected computeFrom(rdd: RDD<T>): RDD<T[]> { return rdd.glom(); }
}

declare module "./dstream" {
  interface DStream<T> {
    /** Turns each partition of each batch into one array element (shows how data is partitioned). */
    glom(): DStream<T[]>;
  }
}

DStream.prototype.glom = function <T>(this: DStream<T>): DStream<T[]> {
  return new GlommedDStream(this);
};
