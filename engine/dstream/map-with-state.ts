import { Errors } from "../errors/messages";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
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
   * partition, keys come in the order they got their state (Spark's order is that of its internal
   * hash map, which its API leaves unspecified).
   * @example counts.stateSnapshots().print()
   */
  stateSnapshots(): DStream<[K, S]> {
    return this.internalStream.flatMap((record) => Array.from(record.stateMap.values(), ([k, s]) => [k, s] as [K, S]));
  }
}

/**
 * The state behind mapWithState (Spark's InternalMapWithStateDStream): one record per partition
 * with that partition's state map and mapped data. Each batch copies the previous maps and applies
 * the batch's records, partitioned like the state. Checkpoints every 10 batches by default.
 */
export class InternalMapWithStateDStream<K, V, S, E> extends StatefulDStream<[K, V], MapWithStateRecord<K, S, E>> {
  private readonly partitioner: Partitioner;
  private readonly initialState: RDD<[K, S]>;

  constructor(parent: DStream<[K, V]>, private readonly spec: StateSpec<K, V, S, E>) {
    super(parent);
    this.track(spec.userFunction);
    this.persist(StorageLevel.MEMORY_ONLY);
    this.partitioner = spec.getPartitioner() ?? new HashPartitioner(this.ssc.defaultParallelism);
    const initial = spec.getInitialState();
    this.initialState = initial instanceof RDD ? initial : this.ssc.parallelize((initial ?? []) as [K, S][]);
  }

  /** Spark's mapWithState default: 10 × the slide, not the generic "at least 10 s". @internal */
  protected override defaultCheckpointInterval(): number {
    return this.slideDuration * 10;
  }

  protected computeState(time: number, previous: RDD<MapWithStateRecord<K, S, E>> | undefined): RDD<MapWithStateRecord<K, S, E>> {
    const prev = previous === undefined
      ? stateRecordsFrom<K, S, E>(this.initialState.map(([k, s]) => [k, s, time] as const), this.partitioner)
      : this.partitioner.equals(previous.partitioner)
        ? previous
        // e.g. state restored from a checkpoint without its partitioner: lay it out again, keeping times
        : stateRecordsFrom<K, S, E>(previous.flatMap((r) => r.stateMap.values()), this.partitioner);
    const data = (this.parent.getOrCompute(time) ?? this.ssc.emptyRDD<[K, V]>()).partitionBy(this.partitioner);
    const timeout = this.spec.getTimeout();
    const threshold = timeout === undefined ? undefined : time - timeout;
    // Spark looks for idle keys only when the state RDD is checkpointed (MapWithStateRDD.doFullScan).
    const fullScan = this.isCheckpointTime(time);
    const fn = this.spec.getFunction();
    const records = prev.partitions.map((part, i) => [updateRecordWithData(part[0], data.partitions[i] ?? [], fn, time, threshold, fullScan)]);
    return new RDD(records, this.ssc.rddContext, this.partitioner);
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
