import * as path from "path";
import { BatchJournal } from "../checkpoint/batch-journal";
import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { cogroup } from "../rdd/shuffle";
import { CompactBuffer } from "../rdd/compact-buffer";
import { StorageLevel } from "../storage-level";
import { DStream } from "./dstream";
import "./pair-functions";
import { mergeWindowValues, ReducedWindowCheckpoint, WindowReducer } from "./reduced-windowed-internals";
import { checkWindow } from "./windowed";

/**
 * The incremental `reduceByKeyAndWindow(reduceFunc, invReduceFunc, ...)` (Spark's
 * ReducedWindowedDStream). Each window is the previous window's result, minus the reduced batches
 * that left it (`invReduceFunc`), plus the ones that entered it (`reduceFunc`), so a long window
 * costs only what slides in and out. Keys stay (e.g. with count 0) unless `filterFunc` drops them.
 * Stateful: each window depends on the previous one, so it needs `ssc.checkpoint(dir)`.
 */
export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  protected override mustCheckpoint = true;
  private batchJournal: BatchJournal | undefined;
  /** The parent's batches reduced by key: what the windows add and subtract. */
  readonly reducedStream: DStream<[K, V]>;

  /**
   * @param windowDuration ms, a multiple of the parent's slide
   * @param windowSlide ms, a multiple of the parent's slide
   */
  constructor(
    readonly parent: DStream<[K, V]>,
    private readonly reducer: WindowReducer<K, V>,
    readonly windowDuration: number,
    private readonly windowSlide: number,
    readonly partitioner: Partitioner,
  ) {
    checkWindow("ReducedWindowedDStream", parent, windowDuration, windowSlide);
    super(parent.ssc);
    this.track(reducer.reduceFunc);
    this.track(reducer.invReduceFunc);
    if (reducer.filterFunc) this.track(reducer.filterFunc);
    this.reducedStream = parent.reduceByKey(reducer.reduceFunc, partitioner);
    this.persist(StorageLevel.MEMORY_ONLY_SER);
  }

  get dependencies(): DStream<unknown>[] { return [this.reducedStream as DStream<unknown>]; }
  get slideDuration(): number { return this.windowSlide; }
  override get parentRememberDuration(): number | undefined { return (this.rememberDuration ?? 0) + this.windowDuration; }

  /** Persists this stream and its reduced parent batches, which every window reuses. */
  override persist(level: StorageLevel = StorageLevel.MEMORY_ONLY_SER): this {
    super.persist(level);
    this.reducedStream.persist(level);
    return this;
  }

  protected compute(time: number): RDD<[K, V]> {
    const step = this.parent.slideDuration;
    const windowStart = time - this.windowDuration + step;
    const previousEnd = time - this.windowSlide;
    // previous window: [windowStart − slide ........ previousEnd]
    // current window:                 [windowStart ........ time]
    // "old" batches leave (before windowStart), "new" ones enter (after previousEnd)
    const before = this.getOrCompute(previousEnd);
    // Without a previous window (the first one, or the first of a window added to a running
    // context) the window is reduced from scratch over the batches its parent can give.
    const oldRDDs = before ? this.reducedStream.slice(windowStart - this.windowSlide, windowStart - step) : [];
    const newRDDs = this.reducedStream.slice(before ? previousEnd + step : windowStart, time);
    const previous = before ?? this.ssc.emptyRDD<[K, V]>();
    const inputs = [previous, ...oldRDDs, ...newRDDs].map((r) => ({ partitions: r.partitions, partitioner: r.partitioner }));
    const { reduceFunc, invReduceFunc, filterFunc } = this.reducer;
    const merged = cogroup(inputs, this.partitioner).map((part) =>
      part.map(([k, groups]) => [k, mergeWindowValues(groups as CompactBuffer<V>[], oldRDDs.length, reduceFunc, invReduceFunc)] as [K, V]));
    const rdd = new RDD(merged, this.ssc.rddContext, this.partitioner);
    return filterFunc ? rdd.filter(filterFunc) : rdd;
  }

  /**
   * Saves what windows computed after a restart add and subtract: the reduced parent batches in
   * (C − window, T], where C <= T is this stream's last checkpoint time. Each reduced batch is
   * appended once to the journal in `<checkpointDir>/window-<id>/`, so a batch costs one append,
   * however long the window; the metadata only records the range. Spark recomputes these batches from the
   * source instead, which a source that cannot replay (a socket without WAL) no longer has. @internal
   */
  override checkpointState(time: number): ReducedWindowCheckpoint | undefined {
    const journal = this.journal();
    if (!journal) return undefined;
    const zero = this.zeroTime ?? 0;
    const interval = this.checkpointDuration ?? this.slideDuration;
    const lastCheckpoint = zero + Math.floor((time - zero) / interval) * interval;
    const from = lastCheckpoint - this.windowDuration;
    let first = Infinity, last = -Infinity;
    for (const [t, rdd] of this.reducedStream.generatedRDDs) {
      if (t > from && t <= time) {
        // A batch saved already is not read: an older one is kept compacted (RDD.compactRecords).
        if (!journal.has(t)) journal.write(t, rdd.partitions);
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
    // Files of older windows are kept one checkpoint interval longer, for a restore from the
    // previous metadata file when the newest one is torn.
    journal.removeUpTo(from - interval);
    return first > last ? undefined : { journal: journal.dir, from: first, to: last, step: this.parent.slideDuration };
  }

  /** Puts back the reduced batches `checkpointState` saved. @internal */
  override restoreState(state: unknown, _time?: number): void {
    const saved = state as ReducedWindowCheckpoint | undefined;
    if (!saved?.journal) return;
    const journal = new BatchJournal(saved.journal);
    for (let t = saved.from; t <= saved.to; t += saved.step) {
      const partitions = journal.read(t) as [K, V][][] | undefined;
      if (partitions) this.reducedStream.generatedRDDs.set(t, new RDD(partitions, this.ssc.rddContext, this.partitioner));
    }
  }

  /** @internal */
  override fingerprintParams(): unknown[] { return [this.windowDuration, this.windowSlide, this.partitioner.numPartitions]; }

  /** Takes over the previous windows and the reduced batches they add and subtract. @internal */
  override adoptHistory(from: DStream<unknown>): void {
    super.adoptHistory(from);
    if (from instanceof ReducedWindowedDStream) this.reducedStream.adoptHistory(from.reducedStream);
  }

  private journal(): BatchJournal | undefined {
    const dir = this.ssc.checkpointDir;
    return dir ? (this.batchJournal ??= new BatchJournal(path.join(dir, `window-${this.id}`))) : undefined;
  }

}
