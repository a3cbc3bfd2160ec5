import { RDD } from "../rdd/rdd";
import { Time } from "../time/time";
import { DStream } from "./dstream";

/** The function of an output operation: runs once per batch on the driver; may be async. */
export type ForeachFunction<T> = (rdd: RDD<T>, time: Time) => void | Promise<void>;

/** A job of one batch: one output operation applied to that batch. @internal */
export interface Job {
  readonly time: number;
  readonly outputOpId: number;
  readonly name: string;
  readonly description: string;
  run(): Promise<void>;
}

/**
 * The stream behind every output operation (Spark's ForEachDStream): at each valid batch time it
 * yields one job that applies its function to the parent's batch.
 */
export class ForEachDStream<T> extends DStream<void> {
  /** Index of this output operation in definition order. */
  readonly outputOpId: number;

  constructor(readonly parent: DStream<T>, private readonly fn: ForeachFunction<T>, readonly opName: string, readonly description = opName) {
    super(parent.ssc);
    this.track(fn);
    this.outputOpId = parent.ssc.graph.addOutputStream(this as unknown as ForEachDStream<unknown>);
  }

  get dependencies(): DStream<unknown>[] { return [this.parent as DStream<unknown>]; }
  get slideDuration(): number { return this.parent.slideDuration; }
  protected compute(): RDD<void> | undefined { return undefined; }

  /** The job for `time`, or undefined when the parent has no batch then. @internal */
  generateJob(time: number): Job | undefined {
    if (!this.isTimeValid(time)) return undefined;
    return {
      time,
      outputOpId: this.outputOpId,
      name: this.opName,
      description: this.description,
      run: async () => {
        // The parent's batch is computed here, inside the job, so processing time is measured
        // as the job's time; a parent with no batch at `time` makes the job a no-op (Spark: no job).
        const rdd = this.parent.getOrCompute(time);
        if (rdd) await this.fn(rdd, new Time(time));
      },
    };
  }
}
