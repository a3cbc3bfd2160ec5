import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { State } from "../state/state";
import { StateMapCopy, StateMapData, stateMapFrom } from "../state/state-map";
import { OptionMappingFunction } from "../state/state-spec";
import { Time } from "../time/time";

/**
 * One partition of mapWithState's internal state stream (Spark's MapWithStateRDDRecord): the
 * partition's states and what the mapping function returned for the batch. Plain data, so the
 * fault-tolerance layer can checkpoint it with v8.serialize.
 */
export interface MapWithStateRecord<K, S, E> {
  /** The states, as Spark's delta chain (read them with `stateMapEntries`). */
  stateMap: StateMapData<K, S>;
  mappedData: E[];
}

/**
 * Spark's `updateRecordWithData`: on a copy of the previous states, calls the mapping function once
 * per record in order, then (on a full-scan batch) once for every state last updated before
 * `timeoutThreshold`, which is then removed.
 */
export function updateRecordWithData<K, V, S, E>(
  prev: StateMapData<K, S>,
  data: readonly (readonly [K, V])[],
  fn: OptionMappingFunction<K, V, S, E>,
  batchTime: number,
  timeoutThreshold: number | undefined,
  removeTimedOut: boolean,
): MapWithStateRecord<K, S, E> {
  // A copy, so a function that throws halfway leaves the previous batch's states intact.
  const stateMap = new StateMapCopy(prev, batchTime);
  const mappedData: E[] = [];
  const state = new State<S>();
  const time = new Time(batchTime);
  for (const [key, value] of data) {
    const entry = stateMap.get(key);
    state.wrap(entry !== undefined, entry?.state);
    const returned = fn(time, key, value, state);
    if (state.isRemoved()) stateMap.remove(key);
    else if (state.isUpdated() || (state.exists() && timeoutThreshold !== undefined)) stateMap.put(key, state.get(), batchTime);
    mappedData.push(...returned);
  }
  if (removeTimedOut && timeoutThreshold !== undefined) {
    for (const [key, s] of stateMap.statesUpdatedBefore(timeoutThreshold)) {
      state.wrapTimingOutState(s);
      mappedData.push(...fn(time, key, undefined, state));
      stateMap.remove(key);
    }
  }
  return { stateMap: stateMap.result(), mappedData };
}

/**
 * Spark's `createFromRDD`: one record per partition, its map filled with the given
 * `[key, state, time]` entries in the order the partitioning gives them.
 */
export function stateRecordsFrom<K, S, E>(entries: RDD<readonly [K, S, number]>, partitioner: Partitioner, chainStart: number): RDD<MapWithStateRecord<K, S, E>> {
  const keyed = entries.map((e) => [e[0], e] as [K, readonly [K, S, number]]).partitionBy(partitioner);
  return keyed.mapPartitions((part) => [{ stateMap: stateMapFrom(part.map(([, e]) => e), chainStart), mappedData: [] as E[] }], true);
}
