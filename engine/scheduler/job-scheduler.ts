import type { DStream } from "../dstream/dstream";
import type { Job } from "../dstream/foreach-dstream";
import { Errors } from "../errors/messages";
import type { StreamingContext } from "../streaming-context";
import { BatchInfo, OutputOperationInfo, StreamInputInfo } from "./batch-info";

/** Node's code for a script that `vm`'s breakOnSigint ended (the kernel's Interrupt). */
const INTERRUPTED = "ERR_SCRIPT_EXECUTION_INTERRUPTED";

interface JobSet {
  time: number;
  jobs: Job[];
  info: BatchInfo;
}

/**
 * Runs the jobs of each batch one at a time, in definition order, batches in FIFO order (Spark's
 * JobScheduler with `spark.streaming.concurrentJobs` = 1), and reports to listeners. A failed job
 * is reported to `awaitTermination` and the listeners; the stream goes on.
 */
export class JobScheduler {
  private readonly queue: JobSet[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];
  /** Called after each batch's jobs have all finished (clean-up, checkpoint). */
  onBatchCompletion: (time: number) => Promise<void> | void = () => {};
  /** The batch time of the newest completed batch. */
  lastCompletedBatch: number | undefined;

  constructor(private readonly ssc: StreamingContext) {}

  /** Batches submitted but not yet completed (the running one first). */
  get pendingTimes(): number[] { return this.queue.map((js) => js.time); }

  /** True when a batch at or before `time` (other than `except`) is queued or running. */
  hasPendingUpTo(time: number, except?: number): boolean {
    return this.queue.some((js) => js.time <= time && js.time !== except);
  }

  /** Queues batch `time`'s jobs; `submissionTime` is where its scheduling delay counts from. */
  submitJobSet(time: number, jobs: Job[], inputInfo: Map<number, StreamInputInfo>, submissionTime = this.ssc.clock.getTimeMillis()): void {
    // Spark submits no job set (and posts no event) for a batch without jobs.
    if (jobs.length === 0) return;
    const ops = new Map<number, OutputOperationInfo>(
      jobs.map((j) => [j.outputOpId, { batchTime: time, id: j.outputOpId, name: j.name, description: j.description }]),
    );
    const info = new BatchInfo(time, inputInfo, submissionTime, undefined, undefined, ops);
    this.queue.push({ time, jobs, info });
    this.ssc.listenerBus.post("onBatchSubmitted", { batchInfo: info.copy() });
    if (!this.running) void this.pump();
  }

  /** Resolves once no batch is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops the batches that have not started yet (a non-graceful stop). */
  dropQueued(): void {
    this.queue.splice(this.running ? 1 : 0);
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        await this.runJobSet(this.queue[0]);
        this.queue.shift();
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Counts a failed job against its output and tells listeners. A job whose user function was
   * interrupted (the kernel's Interrupt ends it with ERR_SCRIPT_EXECUTION_INTERRUPTED) stops
   * that output with a coded error; the context and the other outputs go on.
   */
  private jobFailed(job: Job, e: unknown): Error {
    // An error thrown in another realm (a `vm` context, as the kernel's Interrupt) is no
    // `instanceof Error` here but is one: keep it, with its code.
    let err = e instanceof Error || (typeof e === "object" && e !== null && "message" in e && "stack" in e) ? e as Error : new Error(String(e));
    const output = job.output;
    if ((err as { code?: unknown }).code === INTERRUPTED && !stoppingErrors.has(err)) {
      stoppingErrors.add(err);
      const stopped = Errors.outputInterrupted(job.name, output.owner, job.time);
      (stopped as Error & { cause?: unknown }).cause = err;
      stoppingErrors.add(stopped);
      output.stopWithError(stopped);
      // An interrupt ends the function without running any catch block, so the streams of this
      // batch never learnt they failed: mark every one the job had not computed yet, so that
      // another output reading them gets this error instead of running the stuck function
      // again, and stateful streams go on from the last completed batch.
      markUncomputedFailed(output, job.time, stopped);
      err = stopped;
    }
    this.ssc.listenerBus.post("onOutputOperationFailed", { failure: output.recordFailure(job.time, err) });
    return err;
  }

  private async runJobSet(js: JobSet): Promise<void> {
    const bus = this.ssc.listenerBus;
    const clock = this.ssc.clock;
    js.info.processingStartTime = clock.getTimeMillis();
    bus.post("onBatchStarted", { batchInfo: js.info.copy() });
    for (const job of js.jobs) {
      const op = js.info.outputOperationInfos.get(job.outputOpId) as OutputOperationInfo;
      op.startTime = clock.getTimeMillis();
      bus.post("onOutputOperationStarted", { outputOperationInfo: { ...op } });
      try {
        // Let I/O callbacks (a notebook cell's execute_request, socket data) run between jobs: a
        // microtask await alone would not, and a busy stream would hold every cell back.
        await yieldToEventLoop();
        await job.run();
      } catch (e) {
        const err = this.jobFailed(job, e);
        op.failureReason = err.stack ?? err.message;
        this.ssc.reportError(`Error running job ${job.name} for time ${js.time} ms`, err);
      }
      op.endTime = clock.getTimeMillis();
      bus.post("onOutputOperationCompleted", { outputOperationInfo: { ...op } });
    }
    js.info.processingEndTime = clock.getTimeMillis();
    this.lastCompletedBatch = js.time;
    bus.post("onBatchCompleted", { batchInfo: js.info.copy() });
    try {
      await this.onBatchCompletion(js.time);
    } catch (e) {
      this.ssc.reportError(`Error completing batch ${js.time} ms`, e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/** Errors that already stopped an output: another output reading the same failed batch sees them again. */
const stoppingErrors = new WeakSet<object>();

function markUncomputedFailed(s: DStream<unknown>, time: number, error: Error, seen = new Set<DStream<unknown>>()): void {
  if (seen.has(s)) return;
  seen.add(s);
  if (s.generatedRDDs.has(time)) return;
  if (s.isInitialized && s.isTimeValid(time)) s.markFailed(time, error);
  for (const d of s.dependencies) markUncomputedFailed(d, time, error, seen);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
