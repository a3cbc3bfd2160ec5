import { RDD } from "../rdd/rdd";
import { Time } from "../time/time";
import { DStream } from "./dstream";
import { currentOperation } from "../ownership";
import type { OutputHandle } from "../scheduler/output-operation";
import { ForEachDStream, ForeachFunction } from "./foreach-dstream";

declare module "./dstream" {
  interface DStream<T> {
    /**
     * The generic output operation: runs `fn(rdd, time)` on every batch, empty ones included.
     * `fn` may be async; the next output operation waits for it. Use `time` to write idempotently.
     * Returns the output's handle (`stop()`, `status()`).
     * @example counts.foreachRDD((rdd, time) => console.log(time.milliseconds, rdd.collect()))
     */
    foreachRDD(fn: (rdd: RDD<T>, time: Time) => void | Promise<void>): OutputHandle;
  }
}

DStream.prototype.foreachRDD = function <T>(this: DStream<T>, fn: ForeachFunction<T>): OutputHandle {
  // An output built on foreachRDD (the kernel's display and chart) is listed by its own name.
  return new ForEachDStream(this, fn, currentOperation() ?? "foreachRDD").handle;
};
