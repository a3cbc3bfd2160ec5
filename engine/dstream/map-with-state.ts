import { Errors } from "../errors/messages";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { compactStateMap, DELTA_CHAIN_THRESHOLD, restoreStateMap, shouldCompact, StateMapData, stateMapApproxSize, stateMapEntries } from "../state/state-map";
import { StateSpec } from "../state/state-spec";
import { StorageLevel } from "../storage-level";
import { DurationLike } from "../time/duration";
import { DStream } from "./dstream";
import { MapWithStateRecord, stateRecordsFrom, updateRecordWithData } from "./map-with-state-internals";
import { PairKey, PairValue } from "./state";
import { StatefulDStream } from "./stateful-dstream";

/**
 * The stream `mapWithState` returns (Spark's MapWithStateDStream): what the mapping function
 * returned, per batch, in record order. `stateSnapshots()` gives the states themselves.
 */
export class MapWithStateDStream<K, V, S, E> extends DStream<E> {
  /** The stream of state records this one is read from; it is the one that checkpoints. @internal */
  readonly internalStream: InternalMapWithStateDStream<K, V, S, E>;

  constructor(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, E>) {
    super(parent.ssc);
    this.internalStream = new InternalMapWithStateDStream(parent, spec);
  }

  get dependencies(): DStream<unknown>[] { return [this.internalStream as DStream<unknown>]; }
  get slideDuration(): number { return this.internalStream.slideDuration; }

  protected compute(time: number): RDD<E> | undefined {
    return this.internalStream.getOrCompute(time)?.flatMap((record) => record.mappedData);
  }

  /** Sets the checkpoint interval of the state (default 10 batches); this stream itself is not checkpointed. */
  override checkpoint(interval: DurationLike): this {
    this.internalStream.checkpoint(interval);
    return this;
  }

  /**
   * A pair stream of every `[key, state]` after each batch, keys without data included. Within a
   * partition, states come in Spark's order (its API leaves it unspecified): the states this batch
   * left alone, in their previous order, then the keys this batch updated, in the slot order of
   * Spark's hash map of the batch's changes (see `InternalMapWithStateDStream`).
   * @example counts.stateSnapshots().print()
   */
  stateSnapshots(): DStream<[K, S]> {
    return this.internalStream.flatMap((record) => stateMapEntries(record.stateMap).map(([k, s]) => [k, s] as [K, S]));
  }
}

/**
 * The state behind mapWithState (Spark's InternalMapWithStateDStream): one record per partition
 * with that partition's state map and mapped data. Each batch copies the previous maps and applies
 * the batch's records, partitioned like the state. Checkpoints every 10 batches by default.
 *
 * The maps are Spark's OpenHashMapBasedStateMap delta chains (`engine/state/state-map.ts`), so
 * states are listed in Spark's order, including what Spark's checkpointing does to that order:
 * - at a checkpoint time whose chain is `spark.streaming.sessionByKey.deltaChainThreshold` (20)
 *   maps deep or more, Spark compacts the chain into one map as it writes the checkpoint. streamlab
 *   compacts it when the next batch starts. Spark compacts it after the batch's first job that
 *   reads the state, so a second output of that batch, or the second job of its `print()`
 *   (partitions after the first), already lists the compacted order; streamlab's whole batch lists
 *   the order from before compaction.
 * - a map read back from a checkpoint is rebuilt as Spark's readObject rebuilds it: the batch's
 *   delta re-inserted in slot order, under one parent map filled in the parent's listing order.
 * - coalesced down time (see replay.ts) adds to the chain's length as Spark's empty batches do, but
 *   a skipped checkpoint time compacts nothing.
 */
export class InternalMapWithStateDStream<K, V, S, E> extends StatefulDStream<[K, V], MapWithStateRecord<K, S, E>> {
  private readonly partitioner: Partitioner;
  private readonly initialState: RDD<[K, S]>;
  private readonly deltaChainThreshold: number;
  /** The records this stream computed in this process; any other record was read from a checkpoint. */
  private readonly computedRecords = new WeakSet<object>();

  constructor(parent: DStream<[K, V]>, private readonly spec: StateSpec<K, V, S, E>) {
    super(parent);
    this.track(spec.userFunction);
    this.persist(StorageLevel.MEMORY_ONLY);
    this.partitioner = spec.getPartitioner() ?? new HashPartitioner(this.ssc.defaultParallelism);
    const initial = spec.getInitialState();
    this.initialState = initial instanceof RDD ? initial : this.ssc.parallelize((initial ?? []) as [K, S][]);
    this.deltaChainThreshold = this.ssc.conf.getNumber("spark.streaming.sessionByKey.deltaChainThreshold", DELTA_CHAIN_THRESHOLD);
  }

  /** The spec's idle timeout in ms, if any (replay.ts waits for it to fire). @internal */
  get timeout(): number | undefined { return this.spec.getTimeout(); }

  /** @internal */
  override fingerprintParams(): unknown[] { return [this.partitioner.numPartitions, this.spec.getTimeout()]; }

  /** Spark's mapWithState default: 10 × the slide, not the generic "at least 10 s". @internal */
  protected override defaultCheckpointInterval(): number {
    return this.slideDuration * 10;
  }

  /** Spark's approxSize of the state maps (keys updated since the last compaction count once per level). @internal */
  override stateSizeAt(time: number): number | undefined {
    const rdd = this.generatedRDDs.get(time);
    if (!rdd || rdd.isPipelined || rdd.isCompacted) return undefined;
    let n = 0;
    for (const part of rdd.partitions) for (const record of part) n += stateMapApproxSize(record.stateMap as StateMapData<unknown, unknown>);
    return n;
  }

  protected computeState(time: number, previous: RDD<MapWithStateRecord<K, S, E>> | undefined): RDD<MapWithStateRecord<K, S, E>> {
    // Spark's first map (createFromPairRDD/createFromRDD) is copied twice before this batch writes.
    const chainStart = time - 2 * this.slideDuration;
    let maps: StateMapData<K, S>[];
    if (previous === undefined) {
      maps = this.layOut(this.initialState.map(([k, s]) => [k, s, time] as const), chainStart);
    } else {
      const prevTime = this.timeOf(previous, time);
      maps = previous.partitions.map((part) => this.carriedMap(part[0], prevTime));
      // e.g. state restored from a checkpoint without its partitioner: lay it out again, keeping times
      if (!this.partitioner.equals(previous.partitioner)) maps = this.layOut(new RDD(maps.map(stateMapEntries), this.ssc.rddContext), chainStart);
    }
    const data = (this.parent.getOrCompute(time) ?? this.ssc.emptyRDD<[K, V]>()).partitionBy(this.partitioner);
    const timeout = this.spec.getTimeout();
    const threshold = timeout === undefined ? undefined : time - timeout;
    // Spark looks for idle keys only when the state RDD is checkpointed (MapWithStateRDD.doFullScan).
    const fullScan = this.isCheckpointTime(time);
    const fn = this.spec.getFunction();
    const records = maps.map((map, i) => {
      const record = updateRecordWithData(map, data.partitions[i] ?? [], fn, time, threshold, fullScan);
      this.computedRecords.add(record);
      return [record];
    });
    return new RDD(records, this.ssc.rddContext, this.partitioner);
  }

  private layOut(entries: RDD<readonly [K, S, number]>, chainStart: number): StateMapData<K, S>[] {
    return stateRecordsFrom<K, S, E>(entries, this.partitioner, chainStart).partitions.map((part) => part[0].stateMap);
  }

  /** The previous batch's map as Spark carries it into the next batch: compacted, or rebuilt after a restore. */
  private carriedMap(record: MapWithStateRecord<K, S, E> | undefined, prevTime: number): StateMapData<K, S> {
    const slide = this.slideDuration;
    if (record === undefined) return { levels: [], chainStart: prevTime - slide };
    if (!this.computedRecords.has(record)) return restoreStateMap(record.stateMap, prevTime, slide);
    if (this.isCheckpointTime(prevTime) && shouldCompact(record.stateMap, prevTime, slide, this.deltaChainThreshold)) {
      return compactStateMap(record.stateMap, prevTime, slide);
    }
    return record.stateMap;
  }

  /** The latest batch time before `time` holding `rdd` (coalesced down time holds one RDD at several). */
  private timeOf(rdd: RDD<unknown>, time: number): number {
    const times = [...this.generatedRDDs].filter(([t, r]) => r === rdd && t < time).map(([t]) => t);
    return times.length > 0 ? Math.max(...times) : time - this.slideDuration;
  }
}

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Pairs: keeps a state per key and maps every record with it (Spark's `mapWithState`). The
     * spec's function is called **once per record**, in order, with the key's `State`; keys without
     * records in a batch are not called (unlike `updateStateByKey`), except once more when their
     * idle timeout expires. Needs `ssc.checkpoint(dir)`. If the function throws, that batch's outputs
     * fail and the next batch continues from the last good state.
     *
     * @example
     * const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>) => {
     *   const sum = (one ?? 0) + (state.getOption() ?? 0);
     *   state.update(sum);
     *   return [word, sum] as [string, number];
     * });
     * const running = pairs.mapWithState(spec);   // [word, running count] per record
     * running.stateSnapshots().print();            // every word's count after each batch
     */
    mapWithState<S, E>(
      spec: StateSpec<PairKey<T>, PairValue<T>, S, E>,
    ): MapWithStateDStream<PairKey<T>, PairValue<T>, S, E>;
  }
}

DStream.prototype.mapWithState = function <K, V, S, E>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, E>): MapWithStateDStream<K, V, S, E> {
  if (!(spec instanceof StateSpec)) throw Errors.badArgument("mapWithState's spec", spec, "must be a StateSpec, e.g. StateSpec.function((key, value, state) => ...)");
  return new MapWithStateDStream(this, spec);
};
