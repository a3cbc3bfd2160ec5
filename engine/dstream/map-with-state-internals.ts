import { stableKeyString } from "../rdd/java-hash";
import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { State } from "../state/state";
import { OptionMappingFunction } from "../state/state-spec";
import { Time } from "../time/time";

/**
 * One partition of mapWithState's internal state stream (Spark's MapWithStateRDDRecord): the
 * partition's states and what the mapping function returned for the batch. Plain data, so the
 * fault-tolerance layer can checkpoint it with v8.serialize.
 */
export interface MapWithStateRecord<K, S, E> {
  /** Key id (see `stateKeyId`) → `[key, state, time of its last update in ms]`. */
  stateMap: Map<unknown, [K, S, number]>;
  mappedData: E[];
}

/**
 * The Map key of a streamlab key: primitives as themselves, tuples and objects by content (keys
 * hash by value, as everywhere in streamlab).
 */
export function stateKeyId(key: unknown): unknown {
  return key !== null && typeof key === "object" ? `\u0000${stableKeyString(key)}` : key;
}

/**
 * Spark's `updateRecordWithData`: copies the previous states, calls the mapping function once per
 * record in order, then (on a full-scan batch) once for every state last updated before
 * `timeoutThreshold`, which is then removed.
 */
export function updateRecordWithData<K, V, S, E>(
  prev: MapWithStateRecord<K, S, E> | undefined,
  data: readonly (readonly [K, V])[],
  fn: OptionMappingFunction<K, V, S, E>,
  batchTime: number,
  timeoutThreshold: number | undefined,
  removeTimedOut: boolean,
): MapWithStateRecord<K, S, E> {
  // A copy, so a function that throws halfway leaves the previous batch's states intact.
  const stateMap = new Map(prev?.stateMap);
  const mappedData: E[] = [];
  const state = new State<S>();
  const time = new Time(batchTime);
  for (const [key, value] of data) {
    const id = stateKeyId(key);
    const entry = stateMap.get(id);
    state.wrap(entry !== undefined, entry?.[1]);
    const returned = fn(time, key, value, state);
    if (state.isRemoved()) stateMap.delete(id);
    else if (state.isUpdated() || (state.exists() && timeoutThreshold !== undefined)) stateMap.set(id, [key, state.get(), batchTime]);
    mappedData.push(...returned);
  }
  if (removeTimedOut && timeoutThreshold !== undefined) {
    for (const [id, [key, s, updated]] of [...stateMap]) {
      if (updated >= timeoutThreshold) continue;
      state.wrapTimingOutState(s);
      mappedData.push(...fn(time, key, undefined, state));
      stateMap.delete(id);
    }
  }
  return { stateMap, mappedData };
}

/** Spark's `createFromRDD`: one record per partition holding the given `[key, state, time]` entries. */
export function stateRecordsFrom<K, S, E>(entries: RDD<readonly [K, S, number]>, partitioner: Partitioner): RDD<MapWithStateRecord<K, S, E>> {
  const keyed = entries.map((e) => [e[0], e] as [K, readonly [K, S, number]]).partitionBy(partitioner);
  return keyed.mapPartitions((part) => {
    const stateMap = new Map<unknown, [K, S, number]>();
    for (const [, [k, s, t]] of part) stateMap.set(stateKeyId(k), [k, s, t]);
    return [{ stateMap, mappedData: [] as E[] }];
  }, true);
}
