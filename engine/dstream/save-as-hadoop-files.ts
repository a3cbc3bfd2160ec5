import { Errors } from "../errors/messages";
import { formatValue } from "../rdd/compact-buffer";
import { RDD } from "../rdd/rdd";
import type { OutputHandle } from "../scheduler/output-operation";
import { DStream } from "./dstream";
import { ForEachDStream } from "./foreach-dstream";
import { rddToFileName, writeBatchDir } from "./save-as-files";

/**
 * How `saveAsHadoopFiles` writes one `[key, value]` pair (Hadoop's OutputFormat for text): the
 * line to write, or undefined to write none.
 */
export interface HadoopOutputFormat<K = unknown, V = unknown> {
  formatRecord(key: K, value: V): string | undefined;
}

/**
 * Hadoop's TextOutputFormat: `key<separator>value` per pair (separator a tab, Hadoop's
 * `mapreduce.output.textoutputformat.separator`); a null or undefined key writes only the value,
 * a null or undefined value only the key, both missing no line. Values print as `toString()`
 * would in Scala (`(a,1)` for a tuple).
 * @example pairs.saveAsHadoopFiles("out/counts", "txt", new TextOutputFormat(","))
 */
export class TextOutputFormat implements HadoopOutputFormat {
  /** @param separator between key and value (default a tab) */
  constructor(readonly separator = "\t") {}

  /** The line of one pair, or undefined for none (key and value both missing). */
  formatRecord(key: unknown, value: unknown): string | undefined {
    const noKey = key === null || key === undefined;
    const noValue = value === null || value === undefined;
    if (noKey && noValue) return undefined;
    if (noKey) return formatValue(value);
    if (noValue) return formatValue(key);
    return `${formatValue(key)}${this.separator}${formatValue(value)}`;
  }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Pairs: saves every batch as Hadoop's old-API `saveAsHadoopFile` does with TextOutputFormat:
     * a directory `prefix-<batch ms>[.suffix]` with one `part-NNNNN` file per partition holding
     * `key<TAB>value` lines, and an empty `_SUCCESS`. Idempotent per batch time. `format` replaces
     * the line format (e.g. `new TextOutputFormat(",")`). Returns the output's handle.
     * @example counts.saveAsHadoopFiles("out/wordcounts", "txt")
     */
    saveAsHadoopFiles<K, V>(this: DStream<[K, V]>, prefix: string, suffix?: string, format?: HadoopOutputFormat<K, V>): OutputHandle;
  }
}

DStream.prototype.saveAsHadoopFiles = function <K, V>(this: DStream<[K, V]>, prefix: string, suffix = "", format: HadoopOutputFormat<K, V> = new TextOutputFormat()): OutputHandle {
  return new ForEachDStream(this, (rdd: RDD<[K, V]>, time) => {
    writeBatchDir(rddToFileName(prefix, suffix, time.milliseconds), rdd.partitions.map((p) => Buffer.from(p.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw Errors.notPair("saveAsHadoopFiles", pair);
      const line = format.formatRecord(pair[0], pair[1]);
      return line === undefined ? "" : line + "\n";
    }).join(""))));
  }, "saveAsHadoopFiles", `saveAsHadoopFiles at ${this}`).handle;
};
