import { RDD } from "../rdd/rdd";
import { DStream } from "./dstream";

/**
 * The shared shape of updateStateByKey and mapWithState: each batch is computed from the parent's
 * batch and this stream's previous batch, which *is* the state (so the fault-tolerance layer
 * checkpoints and restores state simply as this stream's batch at a checkpoint time). Such streams
 * must checkpoint, which makes `start()` require `ssc.checkpoint(dir)`.
 *
 * A batch whose computation throws (a failing update function) is remembered as failed: its jobs
 * all fail with the same error without calling the function again, and the next batch continues
 * from the last good state, so the failed batch's data is left out of the state.
 * Spark differs: the failed batch's RDD stays in the lineage of the next one, so the next batch
 * recomputes it, calling the function on the same data again; a function that fails on that data
 * fails every following batch until the application is restarted.
 */
export abstract class StatefulDStream<P, T> extends DStream<T> {
  protected override mustCheckpoint = true;

  constructor(readonly parent: DStream<P>) {
    super(parent.ssc);
  }

  get dependencies(): DStream<unknown>[] { return [this.parent as DStream<unknown>]; }
  get slideDuration(): number { return this.parent.slideDuration; }

  protected compute(time: number): RDD<T> | undefined {
    try {
      return this.computeState(time, this.previousState(time));
    } catch (e) {
      this.markFailed(time, e);
      throw e;
    }
  }

  /** This stream's batch at `time` from the previous state (undefined before the first batch). */
  protected abstract computeState(time: number, previous: RDD<T> | undefined): RDD<T> | undefined;

  /** The state before `time`: the previous batch, skipping batches that failed. */
  private previousState(time: number): RDD<T> | undefined {
    let t = time - this.slideDuration;
    while (this.failedBatches?.has(t)) t -= this.slideDuration;
    return this.getOrCompute(t);
  }

}
