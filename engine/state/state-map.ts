import { hashCode } from "../rdd/java-hash";
import {
  createOpenHashMap, OpenHashMapData, openHashMapContains, openHashMapForEach, openHashMapGet, openHashMapSize, openHashMapUpdate,
} from "../rdd/open-hash-map";

/** Spark's StateInfo: `[state, time of its last update in ms, deleted]`. */
export type StateInfo<S> = [S | undefined, number, boolean];

/** One map of Spark's delta chain: the keys one batch put or removed, or a rebuilt parent. */
export interface StateMapLevel<K, S> {
  /** The batch that wrote this delta; -1 for a parent rebuilt by compaction or a restore. */
  batchTime: number;
  delta: OpenHashMapData<K, StateInfo<S>>;
}

/**
 * A partition's states as Spark's `OpenHashMapBasedStateMap` holds them, in plain data: a chain of
 * delta maps, oldest first, each batch adding one with the keys it put or removed. Levels are
 * shared with the earlier batches' records and never change once their batch is done. Spark's
 * empty deltas (batches without records for the partition) are left out; they list nothing, and
 * the chain's length, which decides compaction, comes from `chainStart` instead. So a batch that
 * changes nothing holds exactly the previous batch's data.
 */
export interface StateMapData<K, S> {
  levels: StateMapLevel<K, S>[];
  /** The chain is `(t - chainStart) / slide` maps long at batch time t (Spark's deltaChainLength). */
  chainStart: number;
}

/** Spark's `spark.streaming.sessionByKey.deltaChainThreshold` default. */
export const DELTA_CHAIN_THRESHOLD = 20;

/**
 * The map a batch works on (Spark's `stateMap.copy()`): reads go through the chain, writes go to
 * this batch's delta, made on the first write.
 */
export class StateMapCopy<K, S> {
  private top: StateMapLevel<K, S> | undefined;

  constructor(private readonly parent: StateMapData<K, S>, private readonly batchTime: number) {}

  /** The state of `key`, if it has one. */
  get(key: K): { state: S } | undefined {
    const hash = hashCode(key);
    const info = this.top === undefined ? undefined : openHashMapGet(this.top.delta, key, hash);
    if (info !== undefined) return info[2] ? undefined : { state: info[0] as S };
    return chainGet(this.parent.levels, key, hash);
  }

  put(key: K, state: S, updateTime: number): void {
    this.write(key, (info) => { info[0] = state; info[1] = updateTime; info[2] = false; }, [state, updateTime, false]);
  }

  remove(key: K): void {
    this.write(key, (info) => { info[2] = true; }, [undefined, -1, true]);
  }

  /** The states whose last update is before `threshold`, in listing order (Spark's getByTime). */
  statesUpdatedBefore(threshold: number): [K, S, number][] {
    return stateMapEntries(this.result()).filter((e) => e[2] < threshold);
  }

  /** The map after this batch's writes. */
  result(): StateMapData<K, S> {
    if (this.top === undefined) return this.parent;
    return { levels: [...this.parent.levels, this.top], chainStart: this.parent.chainStart };
  }

  private write(key: K, change: (info: StateInfo<S>) => void, created: StateInfo<S>): void {
    this.top ??= { batchTime: this.batchTime, delta: createOpenHashMap(64) };
    const hash = hashCode(key);
    const info = openHashMapGet(this.top.delta, key, hash);
    if (info !== undefined) change(info);
    else openHashMapUpdate(this.top.delta, key, created, hash);
  }
}

function chainGet<K, S>(levels: StateMapLevel<K, S>[], key: K, hash: number): { state: S } | undefined {
  for (let i = levels.length - 1; i >= 0; i--) {
    const info = openHashMapGet(levels[i].delta, key, hash);
    if (info !== undefined) return info[2] ? undefined : { state: info[0] as S };
  }
  return undefined;
}

/**
 * Every `[key, state, update time]` in Spark's `getAll` order: the parent's listing without the
 * keys the delta holds, then the delta's live states in its slot order, level by level.
 */
export function stateMapEntries<K, S>(map: StateMapData<K, S>): [K, S, number][] {
  return levelEntries(map.levels);
}

function levelEntries<K, S>(levels: StateMapLevel<K, S>[]): [K, S, number][] {
  let out: [K, S, number][] = [];
  for (const { delta } of levels) {
    if (out.length > 0) out = out.filter(([k]) => !openHashMapContains(delta, k));
    openHashMapForEach(delta, (k, info) => { if (!info[2]) out.push([k, info[0] as S, info[1]]); });
  }
  return out;
}

/** Spark's `approxSize` of a map: the sizes of all deltas of its chain, removed keys included. */
export function stateMapApproxSize(map: StateMapData<unknown, unknown>): number {
  return approxSize(map.levels);
}

/** Spark's `approxSize`: the sizes of all deltas of the chain, removed keys included. */
function approxSize(levels: StateMapLevel<unknown, unknown>[]): number {
  return levels.reduce((n, l) => n + openHashMapSize(l.delta), 0);
}

/** A map of one level holding `entries` in order, as Spark fills a fresh map (`StateMap.create`). */
export function stateMapFrom<K, S>(entries: Iterable<readonly [K, S, number]>, chainStart: number, initialCapacity = 64): StateMapData<K, S> {
  const delta = createOpenHashMap<K, StateInfo<S>>(initialCapacity);
  for (const [k, s, t] of entries) {
    const hash = hashCode(k);
    const info = openHashMapGet(delta, k, hash);
    if (info !== undefined) { info[0] = s; info[1] = t; info[2] = false; } else openHashMapUpdate(delta, k, [s, t, false], hash);
  }
  return { levels: openHashMapSize(delta) > 0 ? [{ batchTime: -1, delta }] : [], chainStart };
}

/** Splits a batch's map into the parent levels and that batch's own delta, if it wrote one. */
function ownDelta<K, S>(map: StateMapData<K, S>, batchTime: number): [StateMapLevel<K, S>[], StateMapLevel<K, S> | undefined] {
  const last = map.levels[map.levels.length - 1];
  return last?.batchTime === batchTime ? [map.levels.slice(0, -1), last] : [map.levels, undefined];
}

/**
 * What writing batch `batchTime`'s map to a checkpoint does to it in Spark (`writeObjectInternal`
 * with `shouldCompact`): the parent chain becomes one map of capacity `approxSize` (64 if 0),
 * filled in listing order, under the batch's own delta. The map is then 1 map deep.
 */
export function compactStateMap<K, S>(map: StateMapData<K, S>, batchTime: number, slide: number): StateMapData<K, S> {
  const [parents, own] = ownDelta(map, batchTime);
  const size = approxSize(map.levels);
  const parent = stateMapFrom(levelEntries(parents), 0, size > 0 ? size : 64);
  return { levels: own ? [...parent.levels, own] : parent.levels, chainStart: batchTime - slide };
}

/**
 * What Spark's `readObjectInternal` rebuilds from batch `batchTime`'s map read back from a
 * checkpoint: its delta re-inserted in slot order (removed keys too) into a map sized for it, under
 * one parent map of capacity max(approxSize, 64) filled in the parent's listing order.
 */
export function restoreStateMap<K, S>(map: StateMapData<K, S>, batchTime: number, slide: number): StateMapData<K, S> {
  const [parents, own] = ownDelta(map, batchTime);
  const parent = stateMapFrom(levelEntries(parents), 0, Math.max(approxSize(map.levels), 64));
  const levels = parent.levels;
  if (own !== undefined) {
    const delta = createOpenHashMap<K, StateInfo<S>>(openHashMapSize(own.delta));
    openHashMapForEach(own.delta, (k, info) => openHashMapUpdate(delta, k, [...info] as StateInfo<S>));
    levels.push({ batchTime, delta });
  }
  return { levels, chainStart: batchTime - slide };
}

/** Whether Spark compacts batch `batchTime`'s map when it checkpoints it. */
export function shouldCompact(map: StateMapData<unknown, unknown>, batchTime: number, slide: number, threshold: number): boolean {
  return (batchTime - map.chainStart) / slide >= threshold;
}
