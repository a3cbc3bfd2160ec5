import { Errors } from "../errors/messages";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { DurationLike, positiveMillis } from "../time/duration";
import { Time } from "../time/time";
import { State } from "./state";

/**
 * The short mapping function of `mapWithState`: called once per record; whatever it returns is
 * emitted (Spark's `(K, Option[V], State[S]) => M`). `value` is undefined only in a timeout call.
 */
export type MappingFunction<K, V, S, E> = (key: K, value: V | undefined, state: State<S>) => E;

/**
 * The full mapping function of `mapWithState`: also given the batch time; returning `undefined`
 * (or `null`) emits nothing (Spark's `(Time, K, Option[V], State[S]) => Option[M]`).
 */
export type TimedMappingFunction<K, V, S, E> = (time: Time, key: K, value: V | undefined, state: State<S>) => E | undefined | null;

/** Both forms as Spark runs them: the result as an Option, `[]` or `[mapped]`. @internal */
export type OptionMappingFunction<K, V, S, E> = (time: Time, key: K, value: V | undefined, state: State<S>) => [] | [E];

/**
 * Everything `mapWithState` needs (Spark's `StateSpec`): the mapping function, and optionally the
 * initial states, the partitioning of the state and an idle timeout. Build one with
 * `StateSpec.function(fn)` and chain the options; each option returns the spec.
 *
 * @example
 * const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>) => {
 *   const sum = (one ?? 0) + (state.getOption() ?? 0);
 *   state.update(sum);
 *   return [word, sum] as [string, number];
 * }).initialState([["hello", 1]]).timeout(Durations.minutes(30));
 * const counts = pairs.mapWithState(spec);
 * counts.stateSnapshots().print();
 */
export class StateSpec<K, V, S, E> {
  private initialStateData: RDD<[K, S]> | readonly (readonly [K, S])[] | undefined;
  private partitionerValue: Partitioner | undefined;
  private timeoutMs: number | undefined;

  private constructor(private readonly fn: OptionMappingFunction<K, V, S, E>, readonly userFunction: Function) {}

  /**
   * A spec for a mapping function. A function declared with three parameters
   * `(key, value, state)` is the short form: its result is always emitted. A function declared with
   * four parameters `(time, key, value, state)` is the full form: returning `undefined` (or
   * `null`) emits nothing. (JavaScript cannot see parameter types, so the form is told by `fn.length`.)
   */
  static function<K, V, S, E>(fn: MappingFunction<K, V, S, E>): StateSpec<K, V, S, E>;
  static function<K, V, S, E>(fn: TimedMappingFunction<K, V, S, E>): StateSpec<K, V, S, E>;
  static function<K, V, S, E>(fn: MappingFunction<K, V, S, E> | TimedMappingFunction<K, V, S, E>): StateSpec<K, V, S, E> {
    if (typeof fn !== "function") throw Errors.badArgument("StateSpec.function's mapping function", fn, "must be a function (key, value, state) => mapped or (time, key, value, state) => mapped | undefined");
    if (fn.length >= 4) {
      const full = fn as TimedMappingFunction<K, V, S, E>;
      return new StateSpec<K, V, S, E>((t, k, v, s) => {
        const out = full(t, k, v, s);
        return out === undefined || out === null ? [] : [out];
      }, fn);
    }
    const short = fn as MappingFunction<K, V, S, E>;
    // Spark wraps the short form's result in Some(...): it is emitted even when undefined.
    return new StateSpec<K, V, S, E>((_t, k, v, s) => [short(k, v, s)], fn);
  }

  /** The states keys start with: an RDD or an array of `[key, state]` pairs. */
  initialState(states: RDD<[K, S]> | readonly (readonly [K, S])[]): this {
    if (!(states instanceof RDD) && !Array.isArray(states)) {
      throw Errors.badArgument("StateSpec.initialState", states, "must be an RDD or an array of [key, state] pairs");
    }
    this.initialStateData = states;
    return this;
  }

  /** Hash-partitions the state into `n` partitions (default: N of `local[N]`). */
  numPartitions(n: number): this {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw Errors.badNumPartitions(n);
    return this.partitioner(new HashPartitioner(n));
  }

  /** Partitions the state with `partitioner`. */
  partitioner(partitioner: Partitioner): this {
    if (!partitioner || typeof partitioner.getPartition !== "function") {
      throw Errors.badArgument("StateSpec.partitioner", partitioner, "must be a Partitioner such as new HashPartitioner(2)");
    }
    this.partitionerValue = partitioner;
    return this;
  }

  /**
   * Removes the state of a key that received no data for `idleDuration`. The mapping function is
   * called one last time for it with `value` undefined and `state.isTimingOut()` true. As in Spark,
   * idle keys are only looked for on checkpoint batches (every 10 batches by default), so a state
   * can outlive its timeout by up to one checkpoint interval.
   */
  timeout(idleDuration: DurationLike): this {
    this.timeoutMs = positiveMillis(idleDuration, "StateSpec timeout");
    return this;
  }

  /** The mapping function in its full form, returning Spark's Option as `[]` or `[mapped]`. @internal */
  getFunction(): OptionMappingFunction<K, V, S, E> { return this.fn; }
  /** @internal */
  getInitialState(): RDD<[K, S]> | readonly (readonly [K, S])[] | undefined { return this.initialStateData; }
  /** @internal */
  getPartitioner(): Partitioner | undefined { return this.partitionerValue; }
  /** The idle timeout in ms, if any. @internal */
  getTimeout(): number | undefined { return this.timeoutMs; }
}
