import * as v8 from "v8";
import type { DStream } from "../dstream/dstream";
import { InternalMapWithStateDStream } from "../dstream/map-with-state";
import { ReducedWindowedDStream } from "../dstream/reduced-windowed";
import { StateDStream } from "../dstream/state";
import { WindowedDStream } from "../dstream/windowed";
import type { RDD } from "../rdd/rdd";
import { FileInputDStream } from "../sources/file-input-dstream";
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
 * Runs the replay batches in order, coalescing long empty stretches of down time; returns how
 * many ran.
 *
 * The rule: pending batches and down-time batches with input (on any input stream: files whose
 * modification time falls in the batch, blocks in the write-ahead log, a replayable source's data)
 * run as normal batches, outputs included. A down-time batch with no input also runs normally
 * until the graph is quiescent: the quiescence horizon (see quiescenceHorizon: the windows between
 * inputs and state, one batch for a plain word count) has passed since the last batch with input,
 * and the batch left every stateful stream unchanged (its state equals the previous batch's). From
 * then on, the remaining empty batches of that stretch are skipped: no jobs, no outputs, and the
 * stateful streams carry their unchanged state to the next batch that runs (the next batch with
 * input, or the last down-time batch, which always runs).
 *
 * So an hour of outage costs a handful of batches, not 36,000, and the state is what Spark's
 * one-by-one replay gives whenever each state is a function of its input and its previous state
 * (updateStateByKey without the batch time, mapWithState, windows): once the input of every
 * stateful stream is empty for good, a batch that changes no state is a fixed point. Where it
 * differs from Spark: an update function that changes state on every empty batch (a counter of
 * idle batches) is never quiescent, so it is replayed one by one exactly as Spark does; one that
 * reads the batch time, or a transform that does, may change state at a later time of its own,
 * which a skipped stretch does not run; skipped batches print nothing.
 */
export function replayBatches(ssc: StreamingContext, times: number[], pending: Set<number>, checkpointTime: number): number {
  const candidates = new FileCandidates();
  try {
    return replayInOrder(ssc, times, pending, checkpointTime, candidates);
  } finally {
    candidates.end();
  }
}

function replayInOrder(ssc: StreamingContext, times: number[], pending: Set<number>, checkpointTime: number, candidates: FileCandidates): number {
  const horizon = quiescenceHorizon(ssc);
  const stateful = ssc.graph.streams.filter((s) => s.checkpointDuration !== undefined);
  let lastWithInput = checkpointTime;
  let quiet: Map<DStream<unknown>, RDD<unknown>> | undefined;
  let replayed = 0;
  for (const [i, t] of times.entries()) {
    const last = i === times.length - 1;
    if (pending.has(t) || hasInput(ssc, t, candidates)) {
      lastWithInput = t;
    } else if (quiet && !last) {
      forgetSkipped(ssc, t);
      continue;
    }
    if (quiet) carryState(quiet, t);
    quiet = undefined;
    ssc.jobGenerator.generateJobs(t);
    replayed++;
    if (t - lastWithInput >= horizon) quiet = quiescentState(stateful, t);
  }
  return replayed;
}

/**
 * How long after the last input a down-time stretch may turn quiet: the time after which every
 * stateful stream's input is the same on every later empty batch, so one empty batch that leaves
 * every state unchanged is a fixed point (the next one computes the same function of the same
 * input and the same state). That is the longest chain of windows from an input to a stateful
 * stream or an output (a window's contents change as batches slide out of it), and not a stateful
 * stream's remember duration: its two checkpoint intervals are lineage bookkeeping (Spark keeps
 * the batches a checkpoint may need), not meaning, and waiting them made every file of the outage
 * cost 200 replayed batches at 100 ms (1 h, 3 files: 804 batches, 2.5 s on an idle machine).
 *
 * Where a state can change on an empty batch at a time of its own, the wait keeps what it needs:
 * a mapWithState timeout fires at the first checkpoint time (its full scan) more than the timeout
 * after a key's last record, so the wait adds the timeout and one checkpoint interval; an
 * updateStateByKey function that reads the batch time, or a window over a stateful stream's
 * output (which keeps changing for a window after that state stopped), keeps the former wait,
 * what the graph remembers for its outputs (see formerHorizon).
 */
export function quiescenceHorizon(ssc: StreamingContext): number {
  const settle = new Map<DStream<unknown>, number>();
  const stateAbove = new Map<DStream<unknown>, boolean>();
  let former = false;
  const visit = (s: DStream<unknown>): number => {
    const known = settle.get(s);
    if (known !== undefined) return known;
    let lag = 0;
    let afterState = false;
    for (const d of s.dependencies) {
      lag = Math.max(lag, visit(d));
      afterState ||= (stateAbove.get(d) ?? false) || d.checkpointDuration !== undefined;
    }
    if (s instanceof WindowedDStream || s instanceof ReducedWindowedDStream) {
      lag += s.windowDuration;
      if (afterState) former = true;
    } else if (s instanceof InternalMapWithStateDStream && s.timeout !== undefined) {
      lag += s.timeout + (s.checkpointDuration ?? s.slideDuration);
    } else if (s instanceof StateDStream && s.readsBatchTime) {
      former = true;
    }
    settle.set(s, lag);
    stateAbove.set(s, afterState);
    return lag;
  };
  let horizon = ssc.batchDuration;
  for (const s of ssc.graph.streams) horizon = Math.max(horizon, visit(s));
  return former ? Math.max(horizon, formerHorizon(ssc)) : horizon;
}

/**
 * The wait before this rule: what the graph remembers for its outputs (every window, two
 * checkpoint intervals of each stateful stream). An input stream's own remember duration is left
 * out, only what its children ask of it counts: a file stream keeps 60 s of batches
 * (spark.streaming.fileStream.minRememberDuration) only to know which files it has read, which the
 * restored selection covers, and with 100 ms batches it made every file of the outage cost 600
 * replayed batches.
 */
function formerHorizon(ssc: StreamingContext): number {
  const inputs = new Set<DStream<unknown>>(ssc.graph.inputStreams);
  let horizon = ssc.batchDuration;
  for (const s of ssc.graph.streams) {
    if (!inputs.has(s)) horizon = Math.max(horizon, s.rememberDuration ?? 0);
    if (s.dependencies.length > 0) horizon = Math.max(horizon, s.parentRememberDuration ?? 0);
  }
  return horizon;
}

/**
 * Allocates the batch's blocks and reads every input stream's batch: true if any has a record. A
 * file stream is read only when some file of its directory was modified within its remember
 * window before `time` (else it cannot select one): reading it for every batch of a long outage
 * listed the directory each time and left an entry per batch in batchTimeToSelectedFiles, which
 * every replayed batch's checkpoint then serialized (1 h of 100 ms batches: 23.5 s, 311 MB).
 */
function hasInput(ssc: StreamingContext, time: number, candidates: FileCandidates): boolean {
  // A batch prepared asynchronously (Kafka) cannot be looked at yet: it runs, as in Spark.
  if (ssc.graph.inputStreams.some((input) => input.isInitialized && input.preparesBatches)) return true;
  ssc.receiverTracker.allocateBlocksToBatch(time);
  return ssc.graph.inputStreams.some((input) => input.isInitialized && input.isTimeValid(time) && candidates.mayHaveInput(input, time)
    && (candidates.read(input, time)?.count() ?? 0) > 0);
}

/** A skipped batch never runs: the input streams forget what hasInput computed for it. */
function forgetSkipped(ssc: StreamingContext, time: number): void {
  for (const input of ssc.graph.inputStreams) {
    input.generatedRDDs.delete(time);
    if (input instanceof FileInputDStream && input.batchTimeToSelectedFiles.get(time)?.length === 0) input.batchTimeToSelectedFiles.delete(time);
  }
}

/**
 * Per file stream, the modification times of the files in its directory, listed once per replay,
 * and the last batch time this replay read it at.
 */
class FileCandidates {
  private readonly modTimes = new Map<FileInputDStream<unknown>, number[]>();
  private readonly lastRead = new Map<FileInputDStream<unknown>, number>();

  /** Lets the file streams list their directory per batch again. */
  end(): void {
    for (const input of this.modTimes.keys()) input.endReplay();
  }

  /** The input stream's batch at `time`, noting when a file stream was read. */
  read(input: DStream<unknown>, time: number): RDD<unknown> | undefined {
    const rdd = input.getOrCompute(time);
    if (input instanceof FileInputDStream) this.lastRead.set(input, time);
    return rdd;
  }

  /**
   * False when no file of a file stream's directory can be new at `time`; true for other inputs.
   * A file can be new only if modified within the stream's remember window before `time` and,
   * once this replay read the stream at `lastRead`, after `lastRead`: reading it then selected
   * every file of its window up to `lastRead` that it will ever select (the window's start only
   * moves forward, and the listing is the same one). Without that second bound each file of the
   * outage made the next 60 s of batches read the stream, each going through the whole directory:
   * 1,800 reads of 300 files for 3 files at 100 ms batches, 1 s of the restart.
   */
  mayHaveInput(input: DStream<unknown>, time: number): boolean {
    if (!(input instanceof FileInputDStream)) return true;
    let times = this.modTimes.get(input);
    if (!times) this.modTimes.set(input, (times = input.beginReplay().sort((a, b) => a - b)));
    // The first modification time after the window's start: is it at or before `time`?
    const from = Math.max(time - input.durationToRemember, this.lastRead.get(input) ?? -Infinity);
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= from) lo = mid + 1;
      else hi = mid;
    }
    return lo < times.length && times[lo] <= time;
  }
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
    if (!now || !before || !sameRecords(now.partitions, before.partitions)) return undefined;
    state.set(s, now);
  }
  return state;
}

/**
 * The same records in each partition, in any order. A state's records can change places from one
 * batch to the next without changing (updateStateByKey's cogroup iterates a hash map whose slots
 * depend on insertion order where keys collide, as Spark's does), and byte equality then never
 * saw a word count as quiescent: a 10-minute outage replayed all 6,000 batches.
 */
function sameRecords(a: unknown[][], b: unknown[][]): boolean {
  if (a.length !== b.length) return false;
  if (v8.serialize(a).equals(v8.serialize(b))) return true;
  for (let p = 0; p < a.length; p++) {
    if (a[p].length !== b[p].length) return false;
    const encode = (records: unknown[]) => records.map((r) => v8.serialize(r).toString("latin1")).sort();
    const x = encode(a[p]);
    const y = encode(b[p]);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * Gives every stateful stream its unchanged state at each of its batch times before `nextTime`
 * that `nextTime` still remembers (the previous state, the last checkpoint time, a window over
 * the state): older ones would be forgotten by that batch anyway. Filling the whole stretch put
 * 36,000 future entries into the map for an hour of 100 ms batches, which every replayed batch's
 * clearMetadata then walked (1.7 s of 9 s for a 30 s window replaying 1,200 batches).
 */
function carryState(quiet: Map<DStream<unknown>, RDD<unknown>>, nextTime: number): void {
  for (const [s, rdd] of quiet) {
    const slide = s.slideDuration;
    const from = Math.max(...[...s.generatedRDDs.keys()].filter((t) => s.generatedRDDs.get(t) === rdd));
    const skip = Math.max(1, Math.ceil((nextTime - (s.rememberDuration ?? 0) - slide - from) / slide));
    for (let t = from + skip * slide; t < nextTime; t += slide) s.generatedRDDs.set(t, rdd);
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
