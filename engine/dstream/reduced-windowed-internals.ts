import { Errors } from "../errors/messages";
import { CompactBuffer } from "../rdd/compact-buffer";

/** The user functions of an incremental window reduction. @internal */
export interface WindowReducer<K, V> {
  /** Adds values: associative and commutative. */
  reduceFunc: (a: V, b: V) => V;
  /** Removes values: `invReduceFunc(reduceFunc(x, y), y) == x`. */
  invReduceFunc: (a: V, b: V) => V;
  /** Keeps a key in the window only while this returns true; without it keys are never dropped. */
  filterFunc?: (kv: [K, V]) => boolean;
}

/**
 * The new window value of one key from its cogrouped values (Spark's `mergeValues` in
 * ReducedWindowedDStream.compute): group 0 holds the previous window's value, then `numOld` groups
 * of reduced batches leaving the window, then the reduced batches entering it. Each group holds at
 * most one value, because every input is already reduced by key. @internal
 */
export function mergeWindowValues<V>(groups: CompactBuffer<V>[], numOld: number, reduceFunc: (a: V, b: V) => V, invReduceFunc: (a: V, b: V) => V): V {
  const present = (g: CompactBuffer<V>) => g.length > 0;
  const oldValues = groups.slice(1, 1 + numOld).filter(present).map((g) => g[0]);
  const newValues = groups.slice(1 + numOld).filter(present).map((g) => g[0]);
  if (groups[0].length === 0) {
    // Reached when only leaving batches hold the key, e.g. after filterFunc dropped it while
    // older values of it were still inside the window: Spark fails the batch the same way.
    if (newValues.length === 0) throw Errors.noPreviousWindowValue();
    return newValues.reduce(reduceFunc);
  }
  let value = groups[0][0];
  if (oldValues.length > 0) value = invReduceFunc(value, oldValues.reduce(reduceFunc));
  if (newValues.length > 0) value = reduceFunc(value, newValues.reduce(reduceFunc));
  return value;
}

/**
 * What a ReducedWindowedDStream records after each batch T besides its own batch at checkpoint
 * time C <= T: where the reduced parent batches in (C − window, T] were saved (each batch once, in
 * the append-only segments of a BatchJournal) and their range on the parent's grid, so the record stays small
 * however long the window. Plain data for v8.serialize. @internal
 */
export interface ReducedWindowCheckpoint {
  /** The directory of the batch files. */
  journal: string;
  /** Saved batch times: `from`, `from + step`, ..., `to` (a missing file is skipped). */
  from: number;
  to: number;
  step: number;
}
