import * as v8 from "v8";
import type { DStream } from "../dstream/dstream";
import type { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import type { CheckpointMetadata } from "./checkpoint-data";

/**
 * The batch times to run again after recovery (Spark's JobGenerator.restart): the batches that
 * were pending when the checkpoint was written and every grid time of the down time, from just
 * after the checkpoint to just before the restart time.
 */
export function replayTimes(cp: CheckpointMetadata, restartTime: number): number[] {
  const times = new Set(cp.pendingTimes.filter((t) => t > cp.checkpointTime && t < restartTime));
  for (let t = cp.checkpointTime + cp.batchDuration; t < restartTime; t += cp.batchDuration) times.add(t);
  return [...times].sort((a, b) => a - b);
}

/**
 * Runs the replay batches in order, coalescing long empty stretches of down time.
 *
 * The rule: pending batches and down-time batches with input (on any input stream: files whose
 * modification time falls in the batch, blocks in the write-ahead log, a replayable source's data)
 * run as normal batches, outputs included. A down-time batch with no input also runs normally
 * until the graph is quiescent: at least the graph's longest remember duration (which covers
 * every window and two checkpoint intervals) has passed since the last batch with input, and the
 * batch left every stateful stream unchanged (its state equals the previous batch's). From then
 * on, the remaining empty batches of that stretch are skipped: no jobs, no outputs, and the
 * stateful streams carry their unchanged state to the next batch that runs (the next batch with
 * input, or the last down-time batch, which always runs).
 *
 * So an hour of outage costs a handful of batches, not 3,600, and the state is what Spark's
 * one-by-one replay gives whenever an empty batch leaves state unchanged once windows have
 * emptied (word counts, sums, windows, mapWithState). Where it differs from Spark: an update
 * function that changes state on every empty batch (a counter of idle batches) is never
 * quiescent, so it is replayed one by one exactly as Spark does; a mapWithState timeout longer
 * than the graph's remember duration fires in the first batch after the skipped stretch rather
 * than inside it; skipped batches print nothing.
 */
export function replayBatches(ssc: StreamingContext, times: number[], pending: Set<number>, checkpointTime: number): void {
  const horizon = Math.max(ssc.batchDuration, ...ssc.graph.streams.map((s) => s.rememberDuration ?? 0));
  const stateful = ssc.graph.streams.filter((s) => s.checkpointDuration !== undefined);
  let lastWithInput = checkpointTime;
  let quiet: Map<DStream<unknown>, RDD<unknown>> | undefined;
  for (const [i, t] of times.entries()) {
    const last = i === times.length - 1;
    if (pending.has(t) || hasInput(ssc, t)) {
      lastWithInput = t;
    } else if (quiet && !last) {
      continue;
    }
    if (quiet) carryState(quiet, t);
    quiet = undefined;
    ssc.jobGenerator.generateJobs(t);
    if (t - lastWithInput >= horizon) quiet = quiescentState(stateful, t);
  }
}

/** Allocates the batch's blocks and reads every input stream's batch: true if any has a record. */
function hasInput(ssc: StreamingContext, time: number): boolean {
  // A batch prepared asynchronously (Kafka) cannot be looked at yet: it runs, as in Spark.
  if (ssc.graph.inputStreams.some((input) => input.preparesBatches)) return true;
  ssc.receiverTracker.allocateBlocksToBatch(time);
  return ssc.graph.inputStreams.some((input) => input.isTimeValid(time) && (input.getOrCompute(time)?.count() ?? 0) > 0);
}

/**
 * Each stateful stream's batch at `time` if it equals the previous one for all of them. Computes
 * the batches now (memoized: the queued jobs reuse them), so replay never waits for jobs and the
 * batch timer can start right after it.
 */
function quiescentState(stateful: DStream<unknown>[], time: number): Map<DStream<unknown>, RDD<unknown>> | undefined {
  const state = new Map<DStream<unknown>, RDD<unknown>>();
  for (const s of stateful) {
    const t = lastValidTime(s, time);
    const now = computeQuietly(s, t);
    const before = computeQuietly(s, t - s.slideDuration);
    if (!now || !before || !v8.serialize(now.partitions).equals(v8.serialize(before.partitions))) return undefined;
    state.set(s, now);
  }
  return state;
}

/** Gives every stateful stream its unchanged state at each of its batch times before `nextTime`. */
function carryState(quiet: Map<DStream<unknown>, RDD<unknown>>, nextTime: number): void {
  for (const [s, rdd] of quiet) {
    const from = Math.max(...[...s.generatedRDDs.keys()].filter((t) => s.generatedRDDs.get(t) === rdd));
    for (let t = from + s.slideDuration; t < nextTime; t += s.slideDuration) s.generatedRDDs.set(t, rdd);
  }
}

function lastValidTime(s: DStream<unknown>, time: number): number {
  return time - ((time - (s.zeroTime as number)) % s.slideDuration);
}

/** The batch, or undefined when computing it fails (its job then reports the error). */
function computeQuietly(s: DStream<unknown>, time: number): RDD<unknown> | undefined {
  try {
    return s.getOrCompute(time);
  } catch {
    return undefined;
  }
}
