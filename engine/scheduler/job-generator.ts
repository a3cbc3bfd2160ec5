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
   */
  generateJobs(time: number, dueAt?: number): void {
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
    ssc.jobScheduler.submitJobSet(time, jobs, ssc.inputInfoTracker.getInfo(time), dueAt ?? ssc.clock.getTimeMillis());
    ssc.recoveryHooks?.afterJobsGenerated?.(time);
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
