import { HashPartitioner, RDD } from "../../engine";
import { toPlain } from "../helpers/test-operation";

const ctx = { defaultParallelism: 2, parallelismIsSet: false };
const words = RDD.parallelize(["a", "b", "a", "c", "b", "a"], 2, ctx);

describe("RDD transformations", () => {
  it("map, flatMap, filter, mapToPair, glom keep partitions", () => {
    expect(words.glom().collect()).toEqual([["a", "b", "a"], ["c", "b", "a"]]);
    expect(words.map((w) => w.toUpperCase()).collect()).toEqual(["A", "B", "A", "C", "B", "A"]);
    expect(words.flatMap((w) => [w, w]).count()).toBe(12);
    expect(words.filter((w) => w !== "a").collect()).toEqual(["b", "c", "b"]);
    expect(words.mapToPair((w) => [w, 1]).take(2)).toEqual([["a", 1], ["b", 1]]);
    expect(words.getNumPartitions()).toBe(2);
  });

  it("reduceByKey and groupByKey follow Spark's partitions and order", () => {
    // RDD (not DStream) shuffles default to the parent's partition count: 2.
    const counts = words.mapToPair((w) => [w, 1]).reduceByKey((a, b) => a + b);
    expect(counts.glom().collect()).toEqual([[["b", 2]], [["a", 3], ["c", 1]]]);
    expect(toPlain(words.mapToPair((w) => [w, 1]).groupByKey(1).collect())).toEqual([["a", [1, 1, 1]], ["b", [1, 1]], ["c", [1]]]);
    expect(counts.partitioner?.equals(new HashPartitioner(2))).toBe(true);
  });

  it("distinct, union, sortBy, sortByKey", () => {
    expect(words.distinct().collect().sort()).toEqual(["a", "b", "c"]);
    expect(words.union(RDD.parallelize(["z"], 1, ctx)).collect()).toEqual(["a", "b", "a", "c", "b", "a", "z"]);
    expect(words.sortBy((w) => w).collect()).toEqual(["a", "a", "a", "b", "b", "c"]);
    expect(words.sortBy((w) => w, false).collect()).toEqual(["c", "b", "b", "a", "a", "a"]);
    const pairs = RDD.parallelize<[number, string]>([[3, "c"], [1, "a"], [2, "b"]], 2, ctx);
    expect(pairs.sortByKey().collect()).toEqual([[1, "a"], [2, "b"], [3, "c"]]);
    expect(pairs.sortByKey(false).keys().collect()).toEqual([3, 2, 1]);
  });

  it("join family on RDDs", () => {
    const a = RDD.parallelize<[string, number]>([["x", 1], ["y", 2]], 1, ctx);
    const b = RDD.parallelize<[string, string]>([["x", "p"], ["z", "q"]], 1, ctx);
    expect(a.join(b).collect()).toEqual([["x", [1, "p"]]]);
    expect(a.leftOuterJoin(b).collect().sort()).toEqual([["x", [1, "p"]], ["y", [2, undefined]]]);
    expect(a.rightOuterJoin(b).collect().sort()).toEqual([["x", [1, "p"]], ["z", [undefined, "q"]]]);
    expect(a.fullOuterJoin(b).collect().length).toBe(3);
  });

  it("repartition and coalesce", () => {
    const r = RDD.parallelize([1, 2, 3, 4, 5, 6], 2, ctx);
    expect(r.repartition(3).getNumPartitions()).toBe(3);
    expect(r.repartition(3).collect().sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.coalesce(1).collect()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("RDD actions", () => {
  const nums = RDD.parallelize([5, 3, 9, 1, 7], 2, ctx);

  it("count, take, first, top, takeOrdered, reduce, fold, aggregate, isEmpty", () => {
    expect(nums.count()).toBe(5);
    expect(nums.take(3)).toEqual([5, 3, 9]);
    expect(nums.first()).toBe(5);
    expect(nums.top(2)).toEqual([9, 7]);
    expect(nums.takeOrdered(2)).toEqual([1, 3]);
    expect(nums.top(2, (a, b) => b - a)).toEqual([1, 3]);
    expect(nums.reduce((a, b) => a + b)).toBe(25);
    expect(nums.fold(0, (a, b) => a + b)).toBe(25);
    expect(nums.aggregate(0, (acc, x) => acc + 1, (a, b) => a + b)).toBe(5);
    expect(nums.sum()).toBe(25);
    expect(nums.max()).toBe(9);
    expect(nums.min()).toBe(1);
    expect(nums.isEmpty()).toBe(false);
    expect(RDD.empty(ctx).isEmpty()).toBe(true);
  });

  it("top orders tuples lexicographically, as Scala's Ordering", () => {
    const pairs = RDD.parallelize<[string, number]>([["b", 1], ["a", 5], ["b", 2]], 2, ctx);
    expect(pairs.top(2)).toEqual([["b", 2], ["b", 1]]);
  });

  it("foreach, foreachPartition, countByValue, countByKey, collectAsMap", () => {
    const seen: number[] = [];
    nums.foreach((x) => seen.push(x));
    expect(seen).toEqual([5, 3, 9, 1, 7]);
    const sizes: number[] = [];
    nums.foreachPartition((p) => sizes.push(p.length));
    expect(sizes).toEqual([2, 3]);
    expect(words.countByValue()).toEqual(new Map([["b", 2], ["a", 3], ["c", 1]]));
    expect(words.mapToPair((w) => [w, 0]).countByKey().get("a")).toBe(3);
    expect(RDD.parallelize<[string, number]>([["a", 1], ["a", 2]], 1, ctx).collectAsMap()).toEqual(new Map([["a", 2]]));
  });

  it("reduce, first and max of an empty RDD fail with a coded error", () => {
    const empty = RDD.empty<number>(ctx);
    expect(() => empty.reduce((a, b) => a + b)).toThrow(expect.objectContaining({ code: "STREAM_ERR_EMPTY_COLLECTION", message: "reduce of an empty collection. Check rdd.isEmpty() first, or use fold() with a zero value." }));
    expect(() => empty.first()).toThrow(expect.objectContaining({ code: "STREAM_ERR_EMPTY_COLLECTION" }));
    expect(empty.fold(0, (a, b) => a + b)).toBe(0);
  });
});

describe("pair operations on non-pairs", () => {
  it("fail with a coded error naming the element and the fix", () => {
    const strings = RDD.parallelize(["hello"], 1, ctx) as unknown as RDD<[string, string]>;
    expect(() => strings.reduceByKey((a, b) => a + b)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_NOT_PAIR",
      message: 'A per-key operation (reduceByKey, groupByKey, combineByKey...) needs a stream of [key, value] pairs, got the element "hello". Make pairs first, e.g. .mapToPair((x) => [x, 1]).',
    }));
    expect(() => strings.join(strings)).toThrow(expect.objectContaining({ code: "STREAM_ERR_NOT_PAIR" }));
  });
});
