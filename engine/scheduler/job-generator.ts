import type { StreamingContext } from "../streaming-context";
import { RecurringTimer } from "../time/recurring-timer";

/**
 * Turns clock ticks into batches (Spark's JobGenerator): at each batch time T it allocates the
 * received blocks to T, lets the input streams take their data, generates one job per output
 * stream and submits them; after the batch it forgets what is no longer remembered.
 */
export class JobGenerator {
  readonly timer: RecurringTimer;
  /** The newest batch time whose jobs were generated. */
  lastGeneratedTime: number | undefined;
  private allocationWaiters: Array<() => void> = [];
  /** The batches whose inputs are still preparing, chained in time order. */
  private preparing: Promise<unknown> | undefined;
  private dropped = false;

  constructor(private readonly ssc: StreamingContext) {
    this.timer = new RecurringTimer(ssc.clock, ssc.batchDuration, (t) => this.generateJobs(t, t));
  }

  /** Starts a fresh graph: first batch at the next aligned time. Returns the first batch time. */
  startFirstTime(): number {
    const startTime = this.timer.getStartTime();
    this.ssc.graph.start(startTime - this.ssc.batchDuration, startTime);
    this.timer.start(startTime);
    return startTime;
  }

  /** Resumes on the grid of `zeroTime`: first tick at the next aligned time after now. */
  resume(zeroTime: number, originalStartTime: number): number {
    this.ssc.graph.start(zeroTime, originalStartTime);
    const restartTime = this.timer.getRestartTime(zeroTime);
    this.timer.start(restartTime);
    return restartTime;
  }

  /**
   * Generates and submits the batch for `time` (also used to replay batches after recovery).
   * `dueAt` is when the batch timer wanted it: a batch generated later because this thread was
   * busy with the previous one counts its scheduling delay from then, as in Spark, whose generator
   * thread is never held up by a batch (without it a backlog showed as no delay at all).
   *
   * An input stream that must fetch a batch's records before they can be computed (the Kafka
   * direct stream: Spark's executors read a batch's offset ranges while its jobs run, but here an
   * RDD is computed synchronously) returns a promise from `prepareBatch`: the batch is then
   * generated once it resolves, and later batches queue behind it in time order.
   */
  generateJobs(time: number, dueAt?: number): void {
    const due = dueAt ?? this.ssc.clock.getTimeMillis();
    if (this.preparing === undefined) {
      const prepared = this.prepareInputs(time);
      if (prepared === undefined) return this.generateNow(time, due);
      this.preparing = prepared;
    } else {
      this.preparing = this.preparing.then(() => this.prepareInputs(time));
    }
    const chain = (this.preparing = this.preparing.then(
      () => { if (!this.dropped) this.generateNow(time, due); },
      (e) => { if (!this.dropped) this.ssc.reportError(`Error generating jobs for time ${time} ms`, e instanceof Error ? e : new Error(String(e))); },
    ));
    void chain.finally(() => { if (this.preparing === chain) this.preparing = undefined; });
  }

  /** Resolves once no batch is being prepared, queued or running (ManualClock's idleness, stop). */
  async whenIdle(): Promise<void> {
    while (this.preparing) await this.preparing;
    await this.ssc.jobScheduler.whenIdle();
  }

  /** Drops the batches still being prepared (a non-graceful stop). */
  dropPreparing(): void {
    this.dropped = true;
  }

  /** Starts every input's asynchronous preparation of batch `time`; undefined when none needs any. */
  private prepareInputs(time: number): Promise<unknown> | undefined {
    const pending: Promise<void>[] = [];
    for (const input of this.ssc.graph.inputStreams) {
      // A stream defined live that has not joined yet is not on the time grid.
      const p = input.isInitialized && input.isTimeValid(time) ? input.prepareBatch(time) : undefined;
      if (p) pending.push(p);
    }
    return pending.length > 0 ? Promise.all(pending) : undefined;
  }

  private generateNow(time: number, dueAt: number): void {
    const ssc = this.ssc;
    let jobs;
    try {
      // The batch boundary: streams and outputs defined or removed since the last batch join or
      // leave the graph here, before this batch reads anything.
      if (ssc.graph.hasPendingChanges) ssc.graph.applyChanges(time, this.lastGeneratedTime, (t) => ssc.jobScheduler.hasPendingUpTo(t));
      ssc.receiverTracker.allocateBlocksToBatch(time);
      // An input no output reads yet (defined in a notebook cell before its outputs) is not on the grid.
      for (const input of ssc.graph.inputStreams) if (input.isInitialized && input.isTimeValid(time)) input.getOrCompute(time);
      jobs = ssc.graph.generateJobs(time);
    } catch (e) {
      ssc.reportError(`Error generating jobs for time ${time} ms`, e instanceof Error ? e : new Error(String(e)));
      return;
    } finally {
      const waiters = this.allocationWaiters;
      this.allocationWaiters = [];
      for (const w of waiters) w();
    }
    this.lastGeneratedTime = time;
    ssc.recoveryHooks?.beforeJobsSubmitted?.(time);
    ssc.jobScheduler.submitJobSet(time, jobs, ssc.inputInfoTracker.getInfo(time), dueAt);
  }

  /** Clean-up after every job of batch `time` has finished. */
  async onBatchCompletion(time: number): Promise<void> {
    const ssc = this.ssc;
    ssc.graph.clearMetadata(time);
    ssc.graph.retireDue((t) => ssc.jobScheduler.hasPendingUpTo(t, time));
    const pin = ssc.graph.historyPin ?? Infinity;
    const threshold = Math.min(time - ssc.graph.maxInputRememberDuration(), pin);
    ssc.receiverTracker.cleanupOldBatches(threshold);
    ssc.inputInfoTracker.cleanup(threshold);
    await ssc.recoveryHooks?.afterBatchCompleted?.(time);
  }

  /** Resolves after the next batch allocation (graceful stop waits for received data this way). */
  nextAllocation(): Promise<void> {
    return new Promise((resolve) => this.allocationWaiters.push(resolve));
  }
}
