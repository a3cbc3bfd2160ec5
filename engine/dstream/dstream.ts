import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import { StorageLevel } from "../storage-level";
import { DurationLike, positiveMillis, toMillis } from "../time/duration";
import { floorTime } from "../time/time";
import { currentOperation, currentOwner } from "../ownership";
import type { StreamingContext } from "../streaming-context";

/**
 * A discretized stream: a sequence of RDDs, one per batch (Spark's DStream). Operations such as
 * `map`, `reduceByKey` or `window` return new DStreams; output operations such as `print` or
 * `foreachRDD` make the graph run. Pairs are `[key, value]` tuples.
 *
 * Subclasses (one operator per file) implement only `dependencies`, `slideDuration` and
 * `compute(validTime)`. This base class owns memoization per batch time, the validity rule,
 * remembering and forgetting old batches, and the checkpoint rules.
 *
 * @example
 * const counts = ssc.socketTextStream("localhost", 9999)
 *   .flatMap((line) => line.split(" "))
 *   .mapToPair((w) => [w, 1])
 *   .reduceByKey((a, b) => a + b);
 * counts.print();
 */
export abstract class DStream<T> {
  /** The StreamingContext this stream belongs to. */
  readonly ssc: StreamingContext;
  /** Position of this stream in its context's creation order: part of its stable identity. */
  readonly id: number;
  /** Who defined this stream (e.g. a notebook cell id; see `setCurrentOwner`), if anyone. */
  readonly owner: string | undefined;
  /** The public operation that created this stream, e.g. `reduceByKey` or `socketTextStream`. */
  readonly operation: string;
  /**
   * For a stream added while its context runs: the first batch time at which it is part of the
   * graph. Input and stateful streams have no batch before it. @internal
   */
  joinTime: number | undefined;
  /** Input and stateful streams never recompute a batch at or before this time once they forgot it. @internal */
  forgottenUpTo = -Infinity;
  /** A stream that left the graph at the same boundary and whose state this one takes over. @internal */
  adoptsFrom: DStream<unknown> | undefined;
  /** Why this stream left its graph, once it did (a stream defined on it then fails). @internal */
  removedBecause: string | undefined;
  /** Batches whose computation failed, with the error every reader gets (none recomputes them). @internal */
  failedBatches: Map<number, unknown> | undefined;
  /** The batches generated so far and still remembered, by batch time. @internal */
  readonly generatedRDDs = new Map<number, RDD<T>>();
  /** The user functions of this operator, fingerprinted to detect changed code on recovery. @internal */
  readonly userFunctions: Function[] = [];
  /** The grid origin: one batch interval before the first batch. @internal */
  zeroTime: number | undefined;
  /** How long generated batches are kept. @internal */
  rememberDuration: number | undefined;
  /** How often this stream's batches are checkpointed, when it checkpoints. @internal */
  checkpointDuration: number | undefined;
  /** @internal */
  storageLevel: StorageLevel = StorageLevel.NONE;
  /** How many streams read this one's batches (set when the graph starts). @internal */
  consumers = 0;
  /** Stateful streams set this: they cannot run without periodic checkpoints. @internal */
  protected mustCheckpoint = false;

  /** The streams this one is computed from. */
  abstract get dependencies(): DStream<unknown>[];
  /** The interval at which this stream produces batches. */
  abstract get slideDuration(): number;
  /** Computes the batch for a valid time, or undefined when there is none. */
  protected abstract compute(validTime: number): RDD<T> | undefined;

  constructor(ssc: StreamingContext) {
    ssc.assertCanAddStreams();
    this.ssc = ssc;
    this.owner = currentOwner();
    this.operation = currentOperation() ?? this.constructor.name;
    this.id = ssc.graph.register(this as DStream<unknown>);
  }

  /** The StreamingContext of this stream (Spark's `context()`). */
  context(): StreamingContext { return this.ssc; }

  /** A short name for messages, e.g. `MappedDStream@3`. */
  toString(): string { return `${this.constructor.name}@${this.id}`; }

  /** True once the context has started this stream. */
  get isInitialized(): boolean { return this.zeroTime !== undefined; }

  /** The interval added to what parents must remember (window operators add their window). @internal */
  get parentRememberDuration(): number | undefined { return this.rememberDuration; }

  /**
   * Keeps every batch in memory after computing it. streamlab always keeps batches in memory; the
   * level is recorded for Spark's checkpoint rules. Default level MEMORY_ONLY_SER, as Spark.
   */
  persist(level: StorageLevel = StorageLevel.MEMORY_ONLY_SER): this {
    // A running stream may start keeping its batches when live changes are on (a window added
    // later persists its parent): that changes no batch, only how long it is kept.
    if (this.isInitialized && !this.ssc.liveChangesEnabled) throw Errors.changeAfterStart("storage level");
    this.storageLevel = level;
    return this;
  }

  /** Same as `persist()`. */
  cache(): this { return this.persist(); }

  /**
   * Checkpoints this stream's batches every `interval` (a multiple of its slide). Stateful streams
   * checkpoint by default; this overrides their interval.
   */
  checkpoint(interval: DurationLike): this {
    if (this.isInitialized) throw Errors.changeAfterStart("checkpoint interval");
    this.persist();
    this.checkpointDuration = positiveMillis(interval, "checkpoint interval");
    return this;
  }

  /**
   * All batches between two times, both ends inclusive; unaligned times are floored onto the
   * batch grid. Only valid once the context has started.
   */
  slice(fromTime: DurationLike | { milliseconds: number }, toTime: DurationLike | { milliseconds: number }): RDD<T>[] {
    if (!this.isInitialized) throw Errors.notInitialized(this.toString());
    const zero = this.zeroTime as number;
    const from = floorTime(toMillis(fromTime as DurationLike, "fromTime"), this.slideDuration, zero);
    const to = floorTime(toMillis(toTime as DurationLike, "toTime"), this.slideDuration, zero);
    const out: RDD<T>[] = [];
    for (let t = from; t <= to; t += this.slideDuration) {
      if (t >= zero) {
        const rdd = this.getOrCompute(t);
        if (rdd) out.push(rdd);
      }
    }
    return out;
  }

  /** True when this stream has a batch at `time`: after zeroTime and on its slide grid. @internal */
  isTimeValid(time: number): boolean {
    if (!this.isInitialized) throw Errors.notInitialized(this.toString());
    const zero = this.zeroTime as number;
    return time > zero && (time - zero) % this.slideDuration === 0;
  }

  /** The batch at `time`, computed once and remembered. @internal */
  getOrCompute(time: number): RDD<T> | undefined {
    const cached = this.generatedRDDs.get(time);
    if (cached) return cached;
    if (!this.isTimeValid(time)) return undefined;
    if (this.failedBatches?.has(time)) throw this.failedBatches.get(time);
    if (this.keepsHistory && (time <= this.forgottenUpTo || (this.joinTime !== undefined && time < this.joinTime))) return undefined;
    const rdd = this.compute(time);
    if (rdd) {
      // A narrow transformation is pipelined into the one stream that reads it. A batch read by
      // several streams, or persisted, is computed once and kept, so user functions run once per
      // record (Spark would recompute an unpersisted batch for each reader).
      if (rdd.isPipelined && (this.consumers !== 1 || this.storageLevel !== StorageLevel.NONE)) void rdd.partitions;
      this.generatedRDDs.set(time, rdd);
    }
    return rdd;
  }

  /** True when `time` is a checkpoint time of this stream. @internal */
  isCheckpointTime(time: number): boolean {
    return this.checkpointDuration !== undefined && this.zeroTime !== undefined && (time - this.zeroTime) % this.checkpointDuration === 0;
  }

  /** Sets the grid origin and derives checkpoint and remember durations (Spark's initialize). @internal */
  initialize(zeroTime: number): void {
    if (this.zeroTime !== undefined && this.zeroTime !== zeroTime) {
      throw new Error(`ZeroTime is already initialized to ${this.zeroTime} ms, cannot initialize it again to ${zeroTime} ms`);
    }
    this.zeroTime = zeroTime;
    if (this.mustCheckpoint && this.checkpointDuration === undefined) {
      this.checkpointDuration = this.defaultCheckpointInterval();
      // Not persist(): that refuses changes once zeroTime is set, which it now is.
      if (this.storageLevel === StorageLevel.NONE) this.storageLevel = StorageLevel.MEMORY_ONLY_SER;
    }
    let minRemember = this.slideDuration;
    if (this.checkpointDuration !== undefined && minRemember <= this.checkpointDuration) minRemember = this.checkpointDuration * 2;
    if (this.rememberDuration === undefined || this.rememberDuration < minRemember) this.rememberDuration = minRemember;
    for (const d of this.dependencies) d.initialize(zeroTime);
  }

  /** The smallest multiple of the slide that is at least 10 s (Spark's rule). @internal */
  protected defaultCheckpointInterval(): number {
    return this.slideDuration * Math.ceil(10_000 / this.slideDuration);
  }

  /** Raises the remember duration and propagates what parents must keep. @internal */
  remember(duration: number | undefined): void {
    if (duration !== undefined && (this.rememberDuration === undefined || duration > this.rememberDuration)) this.rememberDuration = duration;
    for (const d of this.dependencies) d.remember(this.parentRememberDuration);
  }

  /** Spark's start-time checks of checkpoint and remember settings. @internal */
  validateAtStart(): void {
    const cls = this.constructor.name;
    const cp = this.checkpointDuration;
    if (cp !== undefined) {
      if (!this.ssc.checkpointDir) throw Errors.checkpointDirNotSet();
      if (cp < this.slideDuration) throw Errors.checkpointIntervalTooLow(cls, cp, this.slideDuration);
      if (cp % this.slideDuration !== 0) throw Errors.checkpointIntervalNotMultiple(cls, cp, this.slideDuration);
      if ((this.rememberDuration as number) <= cp) throw Errors.rememberNotMoreThanCheckpoint(cls, this.rememberDuration as number, cp);
    }
    for (const d of this.dependencies) d.validateAtStart();
  }

  /** Forgets batches older than the remember duration, here and upstream. @internal */
  clearMetadata(time: number): void {
    // Spark remembers an unpersisted stream's RDDs only as lineage and recomputes an old one on
    // demand; here a batch holds its data, so an unpersisted stream drops each batch once it is
    // done (getOrCompute recomputes it from the parents if ever asked again). Without this, every
    // map/flatMap above a 30 s window kept 30 s of records alive.
    let limit = this.storageLevel === StorageLevel.NONE && !this.keepsBatchesWhenUnpersisted ? time : time - (this.rememberDuration ?? 0);
    if (this.keepsHistory) {
      // While a recovered checkpoint waits for live-added streams to be defined again, inputs
      // keep the batches those streams' state must catch up on.
      const pin = this.ssc.graph.historyPin;
      if (pin !== undefined && limit > pin) limit = pin;
      if (limit > this.forgottenUpTo) this.forgottenUpTo = limit;
    }
    for (const t of this.generatedRDDs.keys()) if (t <= limit) this.generatedRDDs.delete(t);
    if (this.failedBatches) for (const t of this.failedBatches.keys()) if (t <= time - (this.rememberDuration ?? 0)) this.failedBatches.delete(t);
    // A serialized stream keeps its older batches as Spark does, out of the collector's sight
    // (RDD.compactRecords); the newest stays as objects for the next batch to read.
    if (this.storageLevel.useMemory && !this.storageLevel.deserialized) {
      for (const [t, rdd] of this.generatedRDDs) if (t < time) rdd.compactRecords();
    }
    for (const d of this.dependencies) d.clearMetadata(time);
  }

  /** Remembers that batch `time` failed with `error`: readers get the error, nothing recomputes it. @internal */
  markFailed(time: number, error: unknown): void {
    (this.failedBatches ??= new Map()).set(time, error);
  }

  /** Input streams keep their batches for the remember duration: they are the source of lineage. @internal */
  protected get keepsBatchesWhenUnpersisted(): boolean { return false; }

  /**
   * Input and stateful streams: a batch they forgot (or one before they joined a running graph)
   * is gone, never recomputed; a stateless stream recomputes a past batch from its parents. @internal
   */
  get keepsHistory(): boolean { return this.keepsBatchesWhenUnpersisted || this.mustCheckpoint; }

  /**
   * Values besides the function source that decide what this stream computes (window length,
   * partitions): part of its structural fingerprint. @internal
   */
  fingerprintParams(): unknown[] { return []; }

  /**
   * Takes over the remembered batches (the state) of `from`, a stream with the same definition
   * that left the graph at the boundary this one joined at. @internal
   */
  adoptHistory(from: DStream<unknown>): void {
    for (const [t, rdd] of from.generatedRDDs) if (!this.generatedRDDs.has(t)) this.generatedRDDs.set(t, rdd as unknown as RDD<T>);
  }

  /**
   * The state this stream must carry across a restart (stateful streams override this); plain
   * data only, encoded with v8.serialize. @internal
   */
  checkpointState(_time: number): unknown { return undefined; }

  /** Restores what `checkpointState` returned. @internal */
  restoreState(_state: unknown, _time: number): void {}

  /** Fails with Spark's message unless every stream has the same slide and context. @internal */
  protected static checkSameSlide(streams: DStream<unknown>[]): void {
    if (streams.length === 0) throw Errors.emptyUnion();
    const ctx = streams[0].ssc;
    if (streams.some((s) => s.ssc !== ctx)) throw Errors.differentContexts();
    const slides = streams.map((s) => s.slideDuration);
    if (slides.some((s) => s !== slides[0])) throw Errors.differentSlides(slides);
  }

  /** Records a user function for this operator's fingerprint and returns it. @internal */
  protected track<F extends Function>(fn: F): F {
    if (typeof fn !== "function") throw Errors.badArgument(`${this.constructor.name}'s function argument`, fn, "must be a function");
    this.userFunctions.push(fn);
    return fn;
  }
}

/**
 * The methods DStream itself defines (memoization, time grid, checkpoints): the engine calls them
 * every batch. Operators attach their public methods later; only those are named. @internal
 */
export const CORE_METHODS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(DStream.prototype));
