import { Errors } from "../errors/messages";
import { Partitioner } from "../rdd/partitioner";
import { PartitionSpec, RDD } from "../rdd/rdd";
import { Time } from "../time/time";
import { DStream } from "./dstream";
import { pairPartitioner } from "./pair-functions";
import { IteratorUpdateFunction, PairKey, PairValue, StateDStream, TimedUpdateFunction, UpdateFunction } from "./state";

/** Initial states of `updateStateByKey`: an RDD or an array of `[key, state]` pairs. */
export type InitialState<K, S> = RDD<[K, S]> | readonly (readonly [K, S])[];

declare module "./dstream" {
  interface DStream<T> {
    /**
     * Pairs: a running state per key across batches. Every batch, `updateFn(values, state)` is called
     * for **every** key that has new values or a state: `values` are the key's values in this batch
     * (`[]` when none), `state` its previous state (`undefined` for a new key). The result is the new
     * state; returning `undefined` (or `null`) removes the key. Needs `ssc.checkpoint(dir)`.
     *
     * If the function throws, that batch's outputs fail (`awaitTermination` rejects) and the next
     * batch continues from the last good state, without the failed batch's data (Spark would
     * recompute the failed batch inside the next one instead).
     *
     * The state type defaults to the value type; name it like Scala's `updateStateByKey[Int]` when
     * it differs: `pairs.updateStateByKey<string[]>(...)`.
     *
     * @param partitions a partition count or Partitioner for the state (default: N of `local[N]`)
     * @param initialState initial states, as an RDD or an array of `[key, state]` pairs
     * @example
     * // the lecture's global word count
     * const updateFunction = (values: number[], state?: number) => {
     *   let sum = state ?? 0;
     *   for (const i of values) sum += i;
     *   return sum;
     * };
     * words.mapToPair((w) => [w, 1]).updateStateByKey(updateFunction).print();
     */
    updateStateByKey<S = PairValue<T>>(
      updateFn: UpdateFunction<PairValue<T>, S>,
      partitions?: PartitionSpec,
      initialState?: InitialState<PairKey<T>, S>,
    ): DStream<[PairKey<T>, S]>;
    /**
     * Pairs: the partition-at-a-time form (Spark's iterator overload). `updateFn` receives every
     * `[key, values, state]` triple of a partition and returns the `[key, state]` pairs to keep; it may
     * add, drop or rename keys. `rememberPartitioner` keeps the state laid out by `partitioner`, which
     * spares a shuffle per batch but is only right when keys stay in their partition.
     */
    updateStateByKey<S = PairValue<T>>(
      updateFn: IteratorUpdateFunction<PairKey<T>, PairValue<T>, S>,
      partitioner: Partitioner,
      rememberPartitioner: boolean,
      initialState?: InitialState<PairKey<T>, S>,
    ): DStream<[PairKey<T>, S]>;
    /**
     * Pairs: the form that also receives the batch time and the key:
     * `updateFn(time, key, values, state)` returns the new state, or `undefined` to remove the key.
     * @example pairs.updateStateByKey((time, key, values, last?: number) => values.length ? time.milliseconds : last, new HashPartitioner(2), true)
     */
    updateStateByKey<S = PairValue<T>>(
      updateFn: TimedUpdateFunction<PairKey<T>, PairValue<T>, S>,
      partitioner: Partitioner,
      rememberPartitioner: boolean,
      initialState?: InitialState<PairKey<T>, S>,
    ): DStream<[PairKey<T>, S]>;
  }
}

type AnyUpdate = UpdateFunction<unknown, unknown> | IteratorUpdateFunction<unknown, unknown, unknown> | TimedUpdateFunction<unknown, unknown, unknown>;

DStream.prototype.updateStateByKey = function (
  this: DStream<[unknown, unknown]>,
  updateFn: AnyUpdate,
  partitions?: PartitionSpec,
  third?: boolean | InitialState<unknown, unknown>,
  fourth?: InitialState<unknown, unknown>,
): DStream<[unknown, unknown]> {
  if (typeof updateFn !== "function") throw Errors.badArgument("updateStateByKey's update function", updateFn, "must be a function (values, state) => newState");
  if (typeof third === "boolean") {
    // Spark's overloads with rememberPartitioner: the iterator form, or the (time, key, values, state) form.
    const partitioner = checkPartitioner(partitions);
    const initial = initialRDD(this, fourth);
    if (updateFn.length >= 2) {
      const timed = updateFn as TimedUpdateFunction<unknown, unknown, unknown>;
      const stream = new StateDStream(this, (time, triples) => keep(triples, (k, vs, s) => timed(new Time(time), k, vs, s)), partitioner, third, initial, updateFn);
      stream.readsBatchTime = true;
      return stream;
    }
    const iterate = updateFn as IteratorUpdateFunction<unknown, unknown, unknown>;
    return new StateDStream(this, (_time, triples) => iterate(triples), partitioner, third, initial, updateFn);
  }
  const simple = updateFn as UpdateFunction<unknown, unknown>;
  if (partitions !== undefined && typeof partitions !== "number") checkPartitioner(partitions);
  const partitioner = pairPartitioner(this as DStream<unknown>, partitions);
  return new StateDStream(this, (_time, triples) => keep(triples, (_k, vs, s) => simple(vs, s)), partitioner, true, initialRDD(this, third), updateFn);
};

/** Applies a per-key function and keeps the keys whose new state is defined (Spark's `flatMap` over `Option`). */
function keep<K, V, S>(triples: Iterable<[K, V[], S | undefined]>, fn: (k: K, vs: V[], s: S | undefined) => S | undefined | null): [K, S][] {
  const out: [K, S][] = [];
  for (const [k, vs, s] of triples) {
    const next = fn(k, vs, s);
    if (next !== undefined && next !== null) out.push([k, next]);
  }
  return out;
}

function checkPartitioner(p: unknown): Partitioner {
  if (!p || typeof p !== "object" || typeof (p as Partitioner).getPartition !== "function") {
    throw Errors.badArgument("updateStateByKey's partitioner", p, "must be a Partitioner such as new HashPartitioner(2)");
  }
  return p as Partitioner;
}

function initialRDD(stream: DStream<unknown>, states: InitialState<unknown, unknown> | undefined): RDD<[unknown, unknown]> | undefined {
  if (states === undefined || states === null) return undefined;
  if (states instanceof RDD) return states;
  if (Array.isArray(states)) return stream.ssc.parallelize(states as [unknown, unknown][]);
  throw Errors.badArgument("updateStateByKey's initial state", states, "must be an RDD or an array of [key, state] pairs");
}
