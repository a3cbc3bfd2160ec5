import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import { formatValue } from "../rdd/compact-buffer";
import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";
import type { OutputHandle } from "../scheduler/output-operation";
import { ForEachDStream } from "./foreach-dstream";

/** Spark's `rddToFileName`: `prefix-<ms>[.suffix]`, dropping empty parts. */
export function rddToFileName(prefix: string | undefined, suffix: string | undefined, time: number): string {
  let result = String(time);
  if (prefix) result = `${prefix}-${result}`;
  if (suffix) result = `${result}.${suffix}`;
  return result;
}

/**
 * Writes one batch as a Hadoop-style output directory (`part-00000`..., `_SUCCESS`). The directory
 * is built beside the target and renamed into place, so a re-run of the same batch (after
 * recovery) replaces it whole: saving is idempotent per batch time.
 */
export function writeBatchDir(dir: string, partitions: Buffer[]): void {
  const tmp = `${dir}._temporary-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  partitions.forEach((data, i) => fs.writeFileSync(path.join(tmp, `part-${String(i).padStart(5, "0")}`), data));
  fs.writeFileSync(path.join(tmp, "_SUCCESS"), "");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/** Reads back what saveAsObjectFiles wrote for one batch (v8-encoded data only; no code runs). */
export function readObjectFile<T>(dir: string): T[] {
  const parts = fs.readdirSync(dir).filter((f) => f.startsWith("part-")).sort();
  return parts.flatMap((f) => v8.deserialize(fs.readFileSync(path.join(dir, f))) as T[]);
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Saves every batch as text: a directory `prefix-<batch ms>[.suffix]` with one `part-NNNNN`
     * file per partition, one element per line (pairs as `(k,v)`). Idempotent per batch time.
     * Returns the output's handle.
     */
    saveAsTextFiles(prefix: string, suffix?: string): OutputHandle;
    /**
     * Saves every batch as objects (v8-serialized arrays, one `part-NNNNN` per partition) in
     * `prefix-<batch ms>[.suffix]`; read back with `readObjectFile(dir)`. Returns the output's handle.
     */
    saveAsObjectFiles(prefix: string, suffix?: string): OutputHandle;
  }
}

DStream.prototype.saveAsTextFiles = function <T>(this: DStream<T>, prefix: string, suffix = ""): OutputHandle {
  return new ForEachDStream(this, (rdd: RDD<T>, time) => {
    writeBatchDir(rddToFileName(prefix, suffix, time.milliseconds), rdd.partitions.map((p) => Buffer.from(p.map((x) => formatValue(x) + "\n").join(""))));
  }, "saveAsTextFiles", `saveAsTextFiles at ${this}`).handle;
};

DStream.prototype.saveAsObjectFiles = function <T>(this: DStream<T>, prefix: string, suffix = ""): OutputHandle {
  return new ForEachDStream(this, (rdd: RDD<T>, time) => {
    writeBatchDir(rddToFileName(prefix, suffix, time.milliseconds), rdd.partitions.map((p) => v8.serialize(p)));
  }, "saveAsObjectFiles", `saveAsObjectFiles at ${this}`).handle;
};
