import { DStream } from "../dstream/dstream";
import { InputDStream } from "../dstream/input-dstream";
import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import { salesLines, SalesOptions } from "./sales-generator";

/** Options of `salesStream(ssc, {...})`. */
export interface SalesStreamOptions extends SalesOptions {
  /** The seed of the sales stream. */
  seed: number;
  /** Lines in every batch (default 10). */
  linesPerBatch?: number;
  /** Partitions of each batch (default: the context's default parallelism). */
  numPartitions?: number;
}

/**
 * The seeded sales stream as an input stream whose batches are a pure function of the batch time:
 * batch k (k = 1, 2, ... after start) holds lines `(k-1)*linesPerBatch` to `k*linesPerBatch - 1`
 * of `salesLines(seed, options)`. So a run gives the same batches at any clock speed, under a
 * ManualClock, and after recovery from a checkpoint. A streamlab addition (Spark has none).
 */
export class SalesInputDStream extends InputDStream<string> {
  private readonly linesPerBatch: number;
  private lines: Iterator<string> | undefined;
  private position = 0;

  constructor(ssc: StreamingContext, private readonly options: SalesStreamOptions) {
    super(ssc);
    this.linesPerBatch = options.linesPerBatch ?? 10;
    if (!Number.isSafeInteger(this.linesPerBatch) || this.linesPerBatch < 0) {
      throw Errors.badOption("salesStream linesPerBatch", this.linesPerBatch, "must be a whole number >= 0", "Use e.g. { linesPerBatch: 10 }.");
    }
    this.name = `Sales stream [${this.id}] (seed ${options.seed})`;
  }

  /** @internal */
  protected override get recomputesForgottenBatches(): boolean { return true; }

  protected compute(time: number): RDD<string> {
    const index = Math.round((time - (this.zeroTime as number)) / this.slideDuration) - 1;
    const rdd = this.ssc.parallelize(this.linesAt(index * this.linesPerBatch, this.linesPerBatch), this.options.numPartitions);
    this.reportInput(time, rdd);
    return rdd;
  }

  /** Lines [from, from + n) of the stream. Batches come in time order, so the iterator rarely restarts. */
  private linesAt(from: number, n: number): string[] {
    if (!this.lines || from < this.position) {
      this.lines = salesLines(this.options.seed, this.options);
      this.position = 0;
    }
    const out: string[] = [];
    while (this.position < from + n) {
      const r = this.lines.next();
      if (r.done) break;
      if (this.position++ >= from) out.push(r.value);
    }
    return out;
  }
}

/**
 * The seeded sales stream, `linesPerBatch` lines per batch, reproducible at any clock speed: the
 * source for the sales exercise on a ScaledClock, where a socket would tie batches to wall time.
 *
 * @example
 * const ssc = new StreamingContext({ batchDuration: Durations.seconds(10), clock: new ScaledClock({ speed: 8640 }) });
 * const { sales } = parseSales(salesStream(ssc, { seed: 42, linesPerBatch: 5 }));
 */
export function salesStream(ssc: StreamingContext, options: SalesStreamOptions): DStream<string> {
  return new SalesInputDStream(ssc, options);
}
