import { formatValue } from "../rdd/compact-buffer";
import { outputHooks } from "../output-hooks";
import { RDD } from "../rdd/rdd";
import { Time } from "../time/time";
import { DStream } from "./dstream";
import type { OutputHandle } from "../scheduler/output-operation";
import { ForEachDStream } from "./foreach-dstream";

const DASHES = "-------------------------------------------"; // 43, as Spark

/** Spark's print() text for one batch: header, the first `num` elements, `...` if more, a blank line. */
export function formatBatch(rdd: RDD<unknown>, time: number, num: number): string {
  const first = rdd.take(num + 1);
  const lines = [DASHES, `Time: ${time} ms`, DASHES];
  for (const x of first.slice(0, num)) lines.push(formatValue(x));
  if (first.length > num) lines.push("...");
  lines.push("");
  return lines.join("\n") + "\n";
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Prints the first `num` (default 10) elements of every batch in Spark's format, empty batches
     * included:
     * ```
     * -------------------------------------------
     * Time: 1357008430000 ms
     * -------------------------------------------
     * (hello,1)
     * (world,1)
     *
     * ```
     * Pairs print as Scala tuples. In a notebook it becomes one live output under the cell.
     * Returns the output's handle (`stop()`, `status()`).
     */
    print(num?: number): OutputHandle;
  }
}

DStream.prototype.print = function <T>(this: DStream<T>, num = 10): OutputHandle {
  const sink = outputHooks.createPrintSink?.(this as DStream<unknown>, num) ?? ((text: string) => { process.stdout.write(text); });
  return new ForEachDStream(this, (rdd: RDD<T>, time: Time) => sink(formatBatch(rdd as RDD<unknown>, time.milliseconds, num), time.milliseconds), "print", `print at ${this}`).handle;
};
