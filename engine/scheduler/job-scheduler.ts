import type { Job } from "../dstream/foreach-dstream";
import type { StreamingContext } from "../streaming-context";
import { BatchInfo, OutputOperationInfo, StreamInputInfo } from "./batch-info";

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
        const err = e instanceof Error ? e : new Error(String(e));
        op.failureReason = err.stack ?? err.message;
        const code = (err as { code?: unknown }).code;
        if (typeof code === "string") op.errorCode = code;
        this.ssc.reportError(`Error running job ${job.name} for time ${js.time} ms`, err);
      }
      op.endTime = clock.getTimeMillis();
      bus.post("onOutputOperationCompleted", { outputOperationInfo: { ...op } });
    }
    js.info.processingEndTime = clock.getTimeMillis();
    this.lastCompletedBatch = js.time;
    if (bus.wants("onStreamSizes")) bus.post("onStreamSizes", { batchTime: js.time, streams: this.ssc.graph.sizesAt(js.time) });
    bus.post("onBatchCompleted", { batchInfo: js.info.copy() });
    try {
      await this.onBatchCompletion(js.time);
    } catch (e) {
      this.ssc.reportError(`Error completing batch ${js.time} ms`, e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
