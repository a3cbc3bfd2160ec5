import { Errors } from "../errors/messages";
import { checkPairs } from "./check-pairs";
import { CompactBuffer } from "./compact-buffer";
import { CompactPairs, compactPairs, expandPairs } from "./compact-pairs";
import { naturalCompare } from "./ordering";
import { NarrowKind, NarrowRecipe, stepOf } from "./narrow-steps";
import { HashPartitioner, Partitioner, RangePartitioner } from "./partitioner";
import { Aggregator, cogroup, combineByKey, combineValuesByKey, partitionBy } from "./shuffle";

/** What an RDD needs from its context: the default parallelism of `local[N]`. */
export interface RDDContext {
  /** N of `local[N]`: the partition count DStream pair operations shuffle into. */
  readonly defaultParallelism: number;
  /** True when `spark.default.parallelism` was set, which also fixes RDD shuffles' partition count. */
  readonly parallelismIsSet: boolean;
  /** Worker threads that may run map tasks of self-contained functions (`streamlab.workerThreads`); 0 or absent: none. */
  readonly workerThreads?: number;
}

const DEFAULT_CONTEXT: RDDContext = { defaultParallelism: 2, parallelismIsSet: false };

/** A number of partitions or a Partitioner, as Spark's overloads take either. */
export type PartitionSpec = number | Partitioner;

type Pair<K, V> = readonly [K, V] | [K, V];

/**
 * How a narrow transformation derives its records from its parent's: `step(sink)` is a function
 * that takes one parent record and passes the records it yields to `sink`. @internal
 */
export interface NarrowLineage<S, T> {
  parent: RDD<S>;
  step: (sink: (t: T) => void) => (s: S) => void;
  /** The transformation and its user function, from which a worker thread can rebuild `step`. */
  recipe?: NarrowRecipe;
}

/** A partition's records and the narrow chain a map task runs on them (RDD.pipelineOf). @internal */
export interface Pipeline {
  records: unknown[];
  /** How many records `records` stands for (a segment of packed lines holds many). */
  recordCount: number;
  recipes: NarrowRecipe[];
}

/**
 * A union read through to its parents: partition i of the union is a partition of one parent,
 * in parent order. Reading it copies nothing, so a map task over a union still pipelines (and can
 * go to a worker thread) partition by partition. @internal
 */
export interface UnionLineage {
  parents: readonly RDD<unknown>[];
}

/**
 * One batch of a DStream: a partitioned, immutable collection (Spark's RDD), held in memory.
 * Narrow transformations (map, flatMap, filter, mapValues...) are computed when first read, or
 * pipelined record by record into the shuffle that reads them. Handed to `transform` and
 * `foreachRDD`; offers the RDD operations a course exercise uses.
 * Pairs are `[key, value]` tuples.
 *
 * @example
 * wordCounts.foreachRDD((rdd, time) => {
 *   const top = rdd.top(3, (a, b) => a[1] - b[1]);
 *   console.log(`${time}: ${top.map(([w, n]) => `${w}=${n}`).join(" ")}`);
 * });
 */
export class RDD<T> {
  private data: T[][] | undefined;
  /** The records of every partition in flat arrays (compactRecords), read back on demand. */
  private compacted: CompactPairs[] | undefined;
  /** Some records are not pairs that compact: compactRecords does not look again. */
  private incompactible = false;
  private readonly lineage: NarrowLineage<unknown, T> | undefined;
  private readonly unionOf: readonly RDD<unknown>[] | undefined;
  /**
   * How many records each partition's elements stand for, when not one each: a partition of
   * packed lines holds segments of many (PackedLines). Sizes map tasks. @internal
   */
  recordCounts?: readonly number[];

  /**
   * @param partitions the records of each partition, or (internal) the parent and per-record step
   *   of a narrow transformation, or the parents of a union, computed when first read
   * @param partitioner how the (pair) records are laid out, when known
   */
  constructor(
    partitions: T[][] | NarrowLineage<unknown, T> | UnionLineage,
    readonly context: RDDContext = DEFAULT_CONTEXT,
    readonly partitioner?: Partitioner,
  ) {
    if (Array.isArray(partitions)) this.data = partitions;
    else if ("parents" in partitions) this.unionOf = partitions.parents;
    else this.lineage = partitions;
  }

  /**
   * The records of each partition. A narrow transformation (map, flatMap, filter, mapValues...)
   * is computed on first read and kept; a shuffle streams it instead (see forEachIn).
   */
  get partitions(): T[][] {
    if (this.data === undefined) this.data = this.compacted ? (this.compacted.map(expandPairs) as T[][]) : this.materialize();
    return this.data;
  }

  /**
   * Keeps the records in flat arrays (compact-pairs.ts) and lets go of them as objects, when they
   * are computed and all `[string, number]` (or `[number, number]`) pairs; the next read turns them
   * back into the same pairs. What a serialized (`_SER`) stream does with its older batches, as
   * Spark keeps them serialized. An RDD read again keeps its flat arrays, so compacting it once
   * more costs nothing. @internal
   */
  compactRecords(): void {
    if (this.data === undefined || this.incompactible) return;
    if (this.compacted === undefined) {
      const compacted: CompactPairs[] = [];
      for (const part of this.data) {
        const c = compactPairs(part);
        if (c === undefined) {
          this.incompactible = true;
          return;
        }
        compacted.push(c);
      }
      this.compacted = compacted;
    }
    this.data = undefined;
  }

  /** The number of partitions, without computing a narrow transformation. */
  get numPartitions(): number {
    if (this.data !== undefined) return this.data.length;
    if (this.compacted !== undefined) return this.compacted.length;
    if (this.unionOf !== undefined) return this.unionOf.reduce((n, p) => n + p.numPartitions, 0);
    return (this.lineage as NarrowLineage<unknown, T>).parent.numPartitions;
  }

  /**
   * Feeds the records of partition `index` to `sink` in order. A narrow transformation not yet
   * computed is pipelined record by record through its steps, as Spark's iterators are, so a
   * chain such as flatMap → mapToPair → reduceByKey allocates no intermediate arrays. Like an
   * unpersisted Spark RDD, it is recomputed by each such read. @internal
   */
  forEachIn(index: number, sink: (t: T) => void): void {
    const data = this.compacted !== undefined ? this.partitions : this.data;
    if (data !== undefined) {
      const part = data[index];
      for (let i = 0; i < part.length; i++) sink(part[i]);
      return;
    }
    if (this.unionOf !== undefined) {
      const [parent, local] = this.unionPartition(index);
      parent.forEachIn(local, sink as (r: unknown) => void);
      return;
    }
    const lineage = this.lineage as NarrowLineage<unknown, T>;
    lineage.parent.forEachIn(index, lineage.step(sink));
  }

  /** The parent of this union that holds partition `index`, and the partition's index there. */
  private unionPartition(index: number): [RDD<unknown>, number] {
    let local = index;
    for (const parent of this.unionOf as readonly RDD<unknown>[]) {
      const n = parent.numPartitions;
      if (local < n) return [parent, local];
      local -= n;
    }
    throw new RangeError(`partition ${index} of a union of ${this.numPartitions}`);
  }

  /** True while the records are kept in flat arrays (compactRecords). @internal */
  get isCompacted(): boolean {
    return this.compacted !== undefined && this.data === undefined;
  }

  /** True until a narrow transformation's records have been computed and kept. @internal */
  get isPipelined(): boolean {
    return this.data === undefined && this.compacted === undefined;
  }

  private materialize(): T[][] {
    const out: T[][] = [];
    for (let i = 0, n = this.numPartitions; i < n; i++) {
      const part: T[] = [];
      this.forEachIn(i, (x) => { part.push(x); });
      out.push(part);
    }
    return out;
  }

  /** An RDD of `items` spread over `numSlices` partitions, as `sc.parallelize`. */
  static parallelize<T>(items: readonly T[], numSlices = 1, context: RDDContext = DEFAULT_CONTEXT): RDD<T> {
    const parts: T[][] = [];
    const n = Math.max(1, numSlices);
    // Spark's ParallelCollectionRDD slice positions: [i*len/n, (i+1)*len/n)
    for (let i = 0; i < n; i++) parts.push(items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
    return new RDD(parts, context);
  }

  /** An RDD with no partitions. */
  static empty<T>(context: RDDContext = DEFAULT_CONTEXT): RDD<T> {
    return new RDD<T>([], context);
  }

  // ---- transformations -------------------------------------------------------------------

  /** Applies `f` to every element. */
  map<U>(f: (t: T) => U): RDD<U> {
    return this.narrow<U>("map", f);
  }

  /** Applies `f` to every element and flattens the iterables it returns. */
  flatMap<U>(f: (t: T) => Iterable<U>): RDD<U> {
    return this.narrow<U>("flatMap", f);
  }

  /** Keeps the elements for which `pred` is true. */
  filter(pred: (t: T) => boolean): RDD<T> {
    return this.narrow<T>("filter", pred, this.partitioner);
  }

  /** Java-API alias of map for pairs: `rdd.mapToPair((w) => [w, 1])`. */
  mapToPair<K, V>(f: (t: T) => [K, V]): RDD<[K, V]> {
    return this.map(f);
  }

  /** Java-API alias of flatMap that yields pairs. */
  flatMapToPair<K, V>(f: (t: T) => Iterable<[K, V]>): RDD<[K, V]> {
    return this.flatMap(f);
  }

  /** Applies `f` to each whole partition (with its index). */
  mapPartitions<U>(f: (items: T[], index: number) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return new RDD(this.partitions.map((p, i) => Array.from(f(p, i))), this.context, preservesPartitioning ? this.partitioner : undefined);
  }

  /** Applies `f(index, items)` to each partition, as pyspark's mapPartitionsWithIndex. */
  mapPartitionsWithIndex<U>(f: (index: number, items: T[]) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return this.mapPartitions((items, i) => f(i, items), preservesPartitioning);
  }

  /** Turns each partition into a single array element. */
  glom(): RDD<T[]> {
    return new RDD(this.partitions.map((p) => [p.slice()]), this.context);
  }

  /** The elements of both RDDs (partitions of this, then of `other`). */
  union(other: RDD<T>): RDD<T> {
    return RDD.unionAll([this, other], this.context);
  }

  /**
   * The elements of all `rdds`, their partitions in order (Spark's `sc.union`). Like Spark's
   * UnionRDD it reads its parents when it is read, and copies nothing.
   */
  static unionAll<T>(rdds: readonly RDD<T>[], context: RDDContext = DEFAULT_CONTEXT): RDD<T> {
    return new RDD<T>({ parents: rdds as readonly RDD<unknown>[] }, context);
  }

  /** The distinct elements (Spark: `map((_, null)).reduceByKey((x, _) => x).map(_._1)`). */
  distinct(numPartitions?: number): RDD<T> {
    return this.map((x) => [x, null] as [T, null]).reduceByKey((x) => x, numPartitions).map(([x]) => x);
  }

  /** Exactly `n` partitions, records dealt round-robin (Spark's repartition, without a shuffle seed). */
  repartition(n: number): RDD<T> {
    checkPartitions(n);
    const out: T[][] = Array.from({ length: n }, () => []);
    // Spark starts each input partition at a random position; we start at the partition index so
    // the layout is reproducible and still spreads evenly.
    this.partitions.forEach((p, i) => p.forEach((x, j) => out[(i + j) % n].push(x)));
    return new RDD(out, this.context);
  }

  /** At most `n` partitions, by merging neighbours (no shuffle). */
  coalesce(n: number): RDD<T> {
    checkPartitions(n);
    if (n >= this.partitions.length) return this;
    const out: T[][] = Array.from({ length: n }, () => []);
    this.partitions.forEach((p, i) => out[Math.floor((i * n) / this.partitions.length)].push(...p));
    return new RDD(out, this.context);
  }

  /** Sorts by `key(x)`; the result is range-partitioned so collect() returns sorted order. */
  sortBy<S>(key: (t: T) => S, ascending = true, numPartitions = this.numPartitions): RDD<T> {
    const sign = ascending ? 1 : -1;
    const all = this.collect().map((x) => [key(x), x] as [S, T]);
    all.sort((a, b) => sign * naturalCompare(a[0], b[0]));
    const n = Math.max(1, numPartitions);
    const parts: T[][] = [];
    for (let i = 0; i < n; i++) parts.push(all.slice(Math.floor((i * all.length) / n), Math.floor(((i + 1) * all.length) / n)).map((e) => e[1]));
    const bounds = parts.slice(0, -1).map((p) => (p.length ? key(p[p.length - 1]) : undefined));
    return new RDD(parts, this.context, new RangePartitioner(n, bounds, (a, b) => sign * naturalCompare(a, b)));
  }

  // ---- pair transformations --------------------------------------------------------------

  /** Pair RDDs: merges the values of each key with `f`. */
  reduceByKey<K, V>(this: RDD<Pair<K, V>>, f: (a: V, b: V) => V, partitions?: PartitionSpec): RDD<[K, V]> {
    return this.combineByKey((v) => v, f, f, partitions);
  }

  /** Pair RDDs: all values of each key, as a CompactBuffer. */
  groupByKey<K, V>(this: RDD<Pair<K, V>>, partitions?: PartitionSpec): RDD<[K, CompactBuffer<V>]> {
    return this.combineByKeyWith(
      { createCombiner: (v) => CompactBuffer.of(v), mergeValue: (c, v) => (c.push(v), c), mergeCombiners: (a, b) => (a.push(...b), a) },
      this.partitionerFor(partitions),
      false,
    );
  }

  /** Pair RDDs: Spark's generic per-key aggregation. */
  combineByKey<K, V, C>(
    this: RDD<Pair<K, V>>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    partitions?: PartitionSpec,
    mapSideCombine = true,
  ): RDD<[K, C]> {
    return this.combineByKeyWith({ createCombiner, mergeValue, mergeCombiners }, this.partitionerFor(partitions), mapSideCombine);
  }

  /** Pair RDDs: folds the values of each key starting from `zero`. */
  foldByKey<K, V>(this: RDD<Pair<K, V>>, zero: V, f: (a: V, b: V) => V, partitions?: PartitionSpec): RDD<[K, V]> {
    return this.combineByKey((v) => f(structuredClone(zero), v), f, f, partitions);
  }

  /** Pair RDDs: applies `f` to each value, keeping keys and partitioning. */
  mapValues<K, V, U>(this: RDD<Pair<K, V>>, f: (v: V) => U): RDD<[K, U]> {
    return this.narrow<[K, U]>("mapValues", f, this.partitioner);
  }

  /** Pair RDDs: one pair per element of `f(value)`, keeping keys. */
  flatMapValues<K, V, U>(this: RDD<Pair<K, V>>, f: (v: V) => Iterable<U>): RDD<[K, U]> {
    return this.narrow<[K, U]>("flatMapValues", f, this.partitioner);
  }

  /** Pair RDDs: the keys. */
  keys<K, V>(this: RDD<Pair<K, V>>): RDD<K> {
    return this.map(([k]) => k);
  }

  /** Pair RDDs: the values. */
  values<K, V>(this: RDD<Pair<K, V>>): RDD<V> {
    return this.map(([, v]) => v);
  }

  /** Pair RDDs: places each pair in its key's partition. */
  partitionBy<K, V>(this: RDD<Pair<K, V>>, partitions: PartitionSpec): RDD<[K, V]> {
    const p = this.partitionerFor(partitions);
    checkPairs("partitionBy", this.partitions);
    if (p.equals(this.partitioner)) return this as unknown as RDD<[K, V]>;
    return new RDD(partitionBy(this.partitions, p), this.context, p);
  }

  /** Pair RDDs: sorts by key. */
  sortByKey<K, V>(this: RDD<Pair<K, V>>, ascending = true, numPartitions = this.numPartitions): RDD<[K, V]> {
    return (this as RDD<[K, V]>).sortBy(([k]) => k, ascending, numPartitions);
  }

  /** Pair RDDs: for each key, the values from this RDD and from each of `others`. */
  cogroup<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: PartitionSpec): RDD<[K, [CompactBuffer<V>, CompactBuffer<W>]]> {
    const p = partitions === undefined ? defaultPartitioner([this, other]) : this.partitionerFor(partitions);
    checkPairs("A join or cogroup", this.partitions);
    checkPairs("A join or cogroup", other.partitions);
    const grouped = cogroup([this, other], p);
    return new RDD(grouped as unknown as [K, [CompactBuffer<V>, CompactBuffer<W>]][][], this.context, p);
  }

  /** Pair RDDs: inner join, `[k, [v, w]]` for every matching pair. */
  join<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: PartitionSpec): RDD<[K, [V, W]]> {
    return this.cogroup(other, partitions).flatMapValues(([vs, ws]) => vs.flatMap((v) => ws.map((w) => [v, w] as [V, W])));
  }

  /** Pair RDDs: left outer join; a missing right value is `undefined` (Spark's None). */
  leftOuterJoin<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: PartitionSpec): RDD<[K, [V, W | undefined]]> {
    return this.cogroup(other, partitions).flatMapValues(([vs, ws]) =>
      ws.length === 0 ? vs.map((v) => [v, undefined] as [V, W | undefined]) : vs.flatMap((v) => ws.map((w) => [v, w] as [V, W])));
  }

  /** Pair RDDs: right outer join; a missing left value is `undefined`. */
  rightOuterJoin<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: PartitionSpec): RDD<[K, [V | undefined, W]]> {
    return this.cogroup(other, partitions).flatMapValues(([vs, ws]) =>
      vs.length === 0 ? ws.map((w) => [undefined, w] as [V | undefined, W]) : vs.flatMap((v) => ws.map((w) => [v, w] as [V, W])));
  }

  /** Pair RDDs: full outer join; missing sides are `undefined`. */
  fullOuterJoin<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: PartitionSpec): RDD<[K, [V | undefined, W | undefined]]> {
    return this.cogroup(other, partitions).flatMapValues(([vs, ws]) => {
      if (vs.length === 0) return ws.map((w) => [undefined, w] as [V | undefined, W | undefined]);
      if (ws.length === 0) return vs.map((v) => [v, undefined] as [V | undefined, W | undefined]);
      return vs.flatMap((v) => ws.map((w) => [v, w] as [V, W]));
    });
  }

  // ---- actions ----------------------------------------------------------------------------

  /** All elements, partition by partition. */
  collect(): T[] {
    if (this.partitions.length === 1) return this.partitions[0].slice();
    const out: T[] = [];
    for (const p of this.partitions) for (const x of p) out.push(x);
    return out;
  }

  /** The number of elements. */
  count(): number {
    let n = 0;
    for (const p of this.partitions) n += p.length;
    return n;
  }

  /** The first `n` elements, scanning partitions in order. */
  take(n: number): T[] {
    const out: T[] = [];
    for (const p of this.partitions) {
      for (const x of p) {
        if (out.length >= n) return out;
        out.push(x);
      }
    }
    return out;
  }

  /** The first element; throws on an empty RDD. */
  first(): T {
    const t = this.take(1);
    if (t.length === 0) throw Errors.emptyCollection("first");
    return t[0];
  }

  /** The `n` largest elements, largest first, by `compare` (natural ordering by default). */
  top(n: number, compare: (a: T, b: T) => number = naturalCompare): T[] {
    return this.collect().sort((a, b) => compare(b, a)).slice(0, n);
  }

  /** The `n` smallest elements, smallest first, by `compare` (natural ordering by default). */
  takeOrdered(n: number, compare: (a: T, b: T) => number = naturalCompare): T[] {
    return this.collect().sort(compare).slice(0, n);
  }

  /** Reduces all elements with an associative, commutative `f`; throws on an empty RDD. */
  reduce(f: (a: T, b: T) => T): T {
    let acc: T | undefined;
    let seen = false;
    for (const p of this.partitions) {
      if (p.length === 0) continue;
      let local = p[0];
      for (let i = 1; i < p.length; i++) local = f(local, p[i]);
      acc = seen ? f(acc as T, local) : local;
      seen = true;
    }
    if (!seen) throw Errors.emptyCollection("reduce");
    return acc as T;
  }

  /** Folds each partition from `zero`, then the partition results from `zero` (Spark's fold). */
  fold(zero: T, f: (a: T, b: T) => T): T {
    let acc = structuredCloneSafe(zero);
    for (const p of this.partitions) {
      let local = structuredCloneSafe(zero);
      for (const x of p) local = f(local, x);
      acc = f(acc, local);
    }
    return acc;
  }

  /** Spark's aggregate: `seqOp` within partitions from `zero`, `combOp` across them. */
  aggregate<U>(zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): U {
    let acc = structuredCloneSafe(zero);
    for (const p of this.partitions) {
      let local = structuredCloneSafe(zero);
      for (const x of p) local = seqOp(local, x);
      acc = combOp(acc, local);
    }
    return acc;
  }

  /** Runs `f` on every element. */
  foreach(f: (t: T) => void): void {
    for (const p of this.partitions) for (const x of p) f(x);
  }

  /** Runs `f` on every partition. */
  foreachPartition(f: (items: T[], index: number) => void): void {
    this.partitions.forEach((p, i) => f(p, i));
  }

  /** True when the RDD has no elements. */
  isEmpty(): boolean {
    return this.partitions.every((p) => p.length === 0);
  }

  /** The number of partitions. */
  getNumPartitions(): number {
    return this.numPartitions;
  }

  /** The count of each distinct element, as a Map. */
  countByValue(): Map<T, number> {
    const m = new Map<T, number>();
    for (const [k, n] of this.map((x) => [x, 1] as [T, number]).reduceByKey((a, b) => a + b).collect()) m.set(k, n);
    return m;
  }

  /** Pair RDDs: the number of pairs per key, as a Map. */
  countByKey<K, V>(this: RDD<Pair<K, V>>): Map<K, number> {
    return (this as RDD<[K, V]>).keys().countByValue();
  }

  /** Pair RDDs: the pairs as a Map (a later pair with the same key wins). */
  collectAsMap<K, V>(this: RDD<Pair<K, V>>): Map<K, V> {
    return new Map(this.collect() as [K, V][]);
  }

  /** The sum of a numeric RDD. */
  sum(this: RDD<number>): number {
    return this.fold(0, (a, b) => a + b);
  }

  /** The largest element by `compare` (natural ordering by default). */
  max(compare: (a: T, b: T) => number = naturalCompare): T {
    return this.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  }

  /** The smallest element by `compare` (natural ordering by default). */
  min(compare: (a: T, b: T) => number = naturalCompare): T {
    return this.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  }

  /** `RDD[n partitions]` with the element count, for the REPL. */
  toString(): string {
    return `RDD[${this.partitions.length} partitions, ${this.count()} elements]`;
  }

  // ---- internals -------------------------------------------------------------------------

  /** The narrow transformation `kind` of this RDD with the user function `fn` (see narrow-steps.ts). */
  private narrow<U>(kind: NarrowKind, fn: NarrowRecipe["fn"], partitioner?: Partitioner): RDD<U> {
    const recipe = { kind, fn };
    return new RDD<U>({ parent: this as RDD<unknown>, step: stepOf(recipe) as NarrowLineage<unknown, U>["step"], recipe }, this.context, partitioner);
  }

  /**
   * One partition, `records`, under the narrow chain `recipes` (as `pipelineOf` gives it): what a
   * worker thread runs a map task on. @internal
   */
  static fromRecipes(records: unknown[], recipes: readonly NarrowRecipe[]): RDD<unknown> {
    let rdd = new RDD<unknown>([records]);
    for (const r of recipes) rdd = rdd.narrow(r.kind, r.fn);
    return rdd;
  }

  /**
   * How partition `index` is read without computing it: the nearest computed ancestor, the
   * partition of it that is read (a union passes a partition through), and the narrow
   * transformations from it to this RDD, in order (none when this RDD is computed); undefined
   * when a step cannot be rebuilt from its function. What a map task on a worker thread needs.
   * @internal
   */
  pipelineOf(index: number): Pipeline | undefined {
    const recipes: NarrowRecipe[] = [];
    let rdd: RDD<unknown> = this as RDD<unknown>;
    let at = index;
    // A compacted RDD is computed: its records are read back (partitions) rather than its lineage.
    while (rdd.data === undefined && rdd.compacted === undefined) {
      if (rdd.unionOf !== undefined) {
        [rdd, at] = rdd.unionPartition(at);
        continue;
      }
      const lineage = rdd.lineage as NarrowLineage<unknown, unknown>;
      if (lineage.recipe === undefined) return undefined;
      recipes.unshift(lineage.recipe);
      rdd = lineage.parent;
    }
    const data = rdd.partitions;
    return { records: data[at], recordCount: rdd.recordCounts?.[at] ?? data[at].length, recipes };
  }

  /** @internal */
  combineByKeyWith<K, V, C>(this: RDD<Pair<K, V>>, agg: Aggregator<V, C>, p: Partitioner, mapSideCombine: boolean): RDD<[K, C]> {
    const op = "A per-key operation (reduceByKey, groupByKey, combineByKey...)";
    if (this.partitioner && this.partitioner.equals(p)) {
      checkPairs(op, this.partitions);
      // Already laid out by key: combine within each partition, no shuffle (as Spark does).
      return new RDD(this.partitions.map((part) => combineValuesByKey(part, agg)), this.context, p);
    }
    return new RDD(combineByKey(this, agg, p, mapSideCombine, op), this.context, p);
  }

  /** @internal The partitioner for an optional numPartitions/Partitioner argument (Spark's defaultPartitioner). */
  partitionerFor(spec: PartitionSpec | undefined): Partitioner {
    if (spec === undefined) return defaultPartitioner([this]);
    if (typeof spec === "number") { checkPartitions(spec); return new HashPartitioner(spec); }
    return spec;
  }
}

/** Spark's `Partitioner.defaultPartitioner` for RDD operations. */
export function defaultPartitioner(rdds: RDD<unknown>[]): Partitioner {
  const ctx = rdds[0].context;
  const withPartitioner = rdds.filter((r) => r.partitioner && r.partitioner.numPartitions > 0);
  const maxP = withPartitioner.sort((a, b) => b.numPartitions - a.numPartitions)[0];
  const n = ctx.parallelismIsSet ? ctx.defaultParallelism : Math.max(...rdds.map((r) => r.numPartitions));
  if (maxP && n <= (maxP.partitioner as Partitioner).numPartitions) return maxP.partitioner as Partitioner;
  return new HashPartitioner(n);
}

function checkPartitions(n: unknown): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw Errors.badNumPartitions(n);
}

function structuredCloneSafe<T>(v: T): T {
  return v !== null && typeof v === "object" ? structuredClone(v) : v;
}
