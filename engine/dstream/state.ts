import { Errors } from "../errors/messages";
import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { StorageLevel } from "../storage-level";
import { Time } from "../time/time";
import { DStream } from "./dstream";
import { StatefulDStream } from "./stateful-dstream";

/** The key type of a stream of `[key, value]` pairs. */
export type PairKey<T> = T extends readonly [infer K, unknown] ? K : never;
/** The value type of a stream of `[key, value]` pairs. */
export type PairValue<T> = T extends readonly [unknown, infer V] ? V : never;

/**
 * The update function of `updateStateByKey`: the key's new values in this batch (`[]` when none)
 * and its state (`undefined` for a new key) give the new state; `undefined` (or `null`) removes the key.
 */
export type UpdateFunction<V, S> = (values: V[], state: S | undefined) => S | undefined | null;
/** The update function with the batch time and the key (Spark's `(Time, K, Seq[V], Option[S]) => Option[S]`). */
export type TimedUpdateFunction<K, V, S> = (time: Time, key: K, values: V[], state: S | undefined) => S | undefined | null;
/**
 * The partition-at-a-time update function: all `[key, values, state]` triples of a partition in,
 * the `[key, state]` pairs to keep out (it may drop, add or rename keys).
 */
export type IteratorUpdateFunction<K, V, S> = (triples: Iterable<[K, V[], S | undefined]>) => Iterable<[K, S]>;

/** Spark's updateFunc after wrapping: a partition's triples, with the batch time. */
type PartitionUpdate<K, V, S> = (time: number, triples: Iterable<[K, V[], S | undefined]>) => Iterable<[K, S]>;

/**
 * `updateStateByKey` (Spark's StateDStream): each batch is the previous state cogrouped with the
 * new data by `partitioner` (data first), and the update function applied to every key of either
 * side. The first batch without initial state is the data grouped by key; with no data batch the
 * function is re-applied to every state with no values.
 */
export class StateDStream<K, V, S> extends StatefulDStream<[K, V], [K, S]> {
  /**
   * True for the `(time, key, values, state)` form: its state may change on an empty batch at a
   * time of the function's choosing, so a replayed down time never takes one unchanged batch as
   * a fixed point (see replay.ts). @internal
   */
  readsBatchTime = false;

  constructor(
    parent: DStream<[K, V]>,
    private readonly update: PartitionUpdate<K, V, S>,
    private readonly partitioner: Partitioner,
    private readonly preservePartitioning: boolean,
    private readonly initialRDD: RDD<[K, S]> | undefined,
    userFunction: Function,
  ) {
    super(parent);
    this.track(userFunction);
    this.persist(StorageLevel.MEMORY_ONLY_SER);
  }

  /** @internal */
  override fingerprintParams(): unknown[] { return [this.partitioner.numPartitions, this.preservePartitioning]; }

  protected computeState(time: number, previous: RDD<[K, S]> | undefined): RDD<[K, S]> | undefined {
    const data = this.parent.getOrCompute(time);
    if (previous && !data) {
      return previous.mapPartitions((states) => this.applyUpdate(time, states.map(([k, s]) => [k, [], s])), this.preservePartitioning);
    }
    if (!data) return undefined;
    const state = previous ?? this.initialRDD;
    if (!state) {
      return data.groupByKey(this.partitioner)
        .mapPartitions((groups) => this.applyUpdate(time, groups.map(([k, vs]) => [k, vs, undefined])), this.preservePartitioning);
    }
    return data.cogroup(state, this.partitioner)
      .mapPartitions((groups) => this.applyUpdate(time, groups.map(([k, [vs, ss]]) => [k, vs, ss.length > 0 ? ss[0] : undefined])), this.preservePartitioning);
  }

  private applyUpdate(time: number, triples: [K, V[], S | undefined][]): [K, S][] {
    // States are copied before the function sees them: Spark keeps this stream serialized
    // (MEMORY_ONLY_SER), so a function that mutates its state never alters an earlier batch.
    const out = this.update(time, triples.map(([k, vs, s]) => [k, vs, copyState(s)]));
    if (out === null || out === undefined || typeof (out as Iterable<[K, S]>)[Symbol.iterator] !== "function") {
      throw Errors.badArgument("updateStateByKey's iterator function", out, "must return an iterable of [key, state] pairs");
    }
    return Array.from(out);
  }
}

/**
 * A deep copy that keeps class prototypes, so a state object's methods survive; primitives are
 * returned as they are (the common case costs nothing). @internal
 */
export function copyState<S>(value: S, seen = new Map<object, unknown>()): S {
  if (value === null || typeof value !== "object") return value;
  const obj = value as unknown as object;
  if (seen.has(obj)) return seen.get(obj) as S;
  if (obj instanceof Date) return new Date(obj.getTime()) as S;
  if (ArrayBuffer.isView(obj)) return (obj as unknown as { slice(): S }).slice();
  if (obj instanceof Map) {
    const m = new Map();
    seen.set(obj, m);
    for (const [k, v] of obj) m.set(k, copyState(v, seen));
    return m as S;
  }
  if (obj instanceof Set) {
    const s = new Set();
    seen.set(obj, s);
    for (const v of obj) s.add(copyState(v, seen));
    return s as S;
  }
  if (Array.isArray(obj)) {
    const a = new (obj.constructor as ArrayConstructor)();
    seen.set(obj, a);
    for (const v of obj) a.push(copyState(v, seen));
    return a as S;
  }
  const target = Object.create(Object.getPrototypeOf(obj)) as Record<string, unknown>;
  seen.set(obj, target);
  for (const key of Object.keys(obj)) target[key] = copyState((obj as Record<string, unknown>)[key], seen);
  return target as S;
}
