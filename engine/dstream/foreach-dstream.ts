import { outputHooks } from "../output-hooks";
import { RDD } from "../rdd/rdd";
import type { OutputFailure, OutputHandle, OutputInfo, OutputStatus } from "../scheduler/output-operation";
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
  /** The output the job belongs to. */
  readonly output: ForEachDStream<unknown>;
  run(): Promise<void>;
}

/**
 * The stream behind every output operation (Spark's ForEachDStream): at each valid batch time it
 * yields one job that applies its function to the parent's batch. It also keeps the output's
 * status (running, stopped, failed) and failure count, and is the output's handle.
 */
export class ForEachDStream<T> extends DStream<void> {
  /** Index of this output operation in definition order. */
  readonly outputOpId: number;
  /** What the output operation returns to the user. */
  readonly handle: OutputHandle;
  private statusNow: OutputStatus = "running";
  private since: number;
  private stopReason: string | undefined;
  private failureCount = 0;
  private firstFailureBatchTime: number | undefined;
  private lastFailureBatchTime: number | undefined;
  private firstFailureTime: number | undefined;
  private lastError: Error | undefined;

  constructor(readonly parent: DStream<T>, private readonly fn: ForeachFunction<T>, readonly opName: string, readonly description = opName) {
    super(parent.ssc);
    this.track(fn);
    this.since = this.ssc.clock.getTimeMillis();
    this.outputOpId = parent.ssc.graph.addOutputStream(this as unknown as ForEachDStream<unknown>);
    this.handle = new ForEachHandle(this as unknown as ForEachDStream<unknown>);
    if (this.ssc.graph.started) {
      try {
        this.ssc.graph.prepareLive(this as unknown as ForEachDStream<unknown>);
      } catch (e) {
        this.ssc.graph.discard(this as DStream<unknown>);
        throw e;
      }
    }
  }

  get dependencies(): DStream<unknown>[] { return [this.parent as DStream<unknown>]; }
  get slideDuration(): number { return this.parent.slideDuration; }
  protected compute(): RDD<void> | undefined { return undefined; }

  /** The operation that produced the stream this output reads, e.g. `reduceByKey`. */
  get name(): string { return this.parent.operation; }

  /** True until the output is stopped or failed. */
  get isRunning(): boolean { return this.statusNow === "running"; }

  /** The job for `time`, or undefined when the parent has no batch then. @internal */
  generateJob(time: number): Job | undefined {
    if (!this.isTimeValid(time) || this.statusNow !== "running") return undefined;
    return {
      time,
      outputOpId: this.outputOpId,
      name: this.opName,
      description: this.description,
      output: this as unknown as ForEachDStream<unknown>,
      run: () => {
        // An output stopped by an error (an interrupted function) runs none of its queued jobs.
        if (this.statusNow === "failed") return Promise.resolve();
        const hook = outputHooks.runJob;
        return hook ? hook(() => this.runBatch(time), { outputOpId: this.outputOpId, owner: this.owner, batchTime: time, name: this.opName }) : this.runBatch(time);
      },
    };
  }

  private async runBatch(time: number): Promise<void> {
    // The parent's batch is computed here, inside the job, so processing time is measured
    // as the job's time; a parent with no batch at `time` makes the job a no-op (Spark: no job).
    const rdd = this.parent.getOrCompute(time);
    if (rdd) await this.fn(rdd, new Time(time));
  }

  /** Removes this output at the next batch boundary; resolves once its last job has finished. @internal */
  stop(reason?: string): Promise<void> {
    if (this.ssc.getState() === "STOPPED") {
      this.markStopped(reason ?? "stopped by its handle");
      return Promise.resolve();
    }
    if (this.statusNow !== "running" && !this.ssc.graph.outputStreams.includes(this as unknown as ForEachDStream<unknown>)) return Promise.resolve();
    return this.ssc.graph.requestRemoval([this as DStream<unknown>], reason ?? "stopped by its handle");
  }

  /** Stops this output at once with `error` (its queued jobs do not run); the context goes on. @internal */
  stopWithError(error: Error): void {
    if (this.statusNow !== "running") return;
    this.setStatus("failed", error.message);
    this.lastError = error;
    if (this.ssc.getState() !== "STOPPED") void this.ssc.graph.requestRemoval([this as DStream<unknown>], error.message);
  }

  /** Marks this output stopped (it left the graph). @internal */
  markStopped(reason: string | undefined): void {
    if (this.statusNow === "running") this.setStatus("stopped", reason);
  }

  /** Counts a failed batch; returns what listeners are told. @internal */
  recordFailure(batchTime: number, error: Error): OutputFailure {
    const now = this.ssc.clock.getTimeMillis();
    this.failureCount++;
    this.firstFailureBatchTime ??= batchTime;
    this.firstFailureTime ??= now;
    this.lastFailureBatchTime = batchTime;
    this.lastError = error;
    return {
      outputOpId: this.outputOpId, owner: this.owner, name: this.opName, batchTime, error,
      failureCount: this.failureCount, firstFailureBatchTime: this.firstFailureBatchTime, firstFailureTime: this.firstFailureTime,
      stopped: this.statusNow === "failed",
    };
  }

  /** This output's status, failure count and last error. @internal */
  status(): OutputInfo {
    return {
      id: this.outputOpId,
      name: this.name,
      operation: this.opName,
      chain: operationChain(this as DStream<unknown>),
      owner: this.owner,
      status: this.statusNow,
      since: this.since,
      firstBatchTime: this.firstBatchTime,
      failureCount: this.failureCount,
      firstFailureBatchTime: this.firstFailureBatchTime,
      lastFailureBatchTime: this.lastFailureBatchTime,
      firstFailureTime: this.firstFailureTime,
      lastError: this.lastError,
      stopReason: this.stopReason,
    };
  }

  /** The first batch this output ran for: its join time, or the graph's first batch. */
  private get firstBatchTime(): number | undefined {
    if (this.joinTime !== undefined) return this.joinTime;
    const zero = this.zeroTime;
    const joined = this.ssc.graph.outputStreams.includes(this as unknown as ForEachDStream<unknown>) || this.statusNow !== "running";
    return zero === undefined || !joined ? undefined : zero + this.slideDuration;
  }

  private setStatus(status: OutputStatus, reason: string | undefined): void {
    this.statusNow = status;
    this.stopReason = reason;
    this.since = this.ssc.clock.getTimeMillis();
  }
}

/** The handle an output operation returns. */
class ForEachHandle implements OutputHandle {
  constructor(private readonly output: ForEachDStream<unknown>) {}
  get id(): number { return this.output.outputOpId; }
  get name(): string { return this.output.name; }
  get owner(): string | undefined { return this.output.owner; }
  stop(reason?: string): Promise<void> { return this.output.stop(reason); }
  fail(error: Error): void { this.output.stopWithError(error); }
  status(): OutputInfo { return this.output.status(); }
  toString(): string { return `${this.output.opName} of ${this.name} (output ${this.id})`; }
}

/** `socketTextStream → flatMap → mapToPair → reduceByKey → print`: the first parent at each step, repeats collapsed. */
export function operationChain(s: DStream<unknown>): string {
  const names: string[] = [];
  for (let cur: DStream<unknown> | undefined = s; cur; cur = cur.dependencies[0]) {
    const op = cur === s ? (s as ForEachDStream<unknown>).opName ?? cur.operation : cur.operation;
    if (names[0] !== op) names.unshift(op);
  }
  return names.join(" → ");
}

