import { PartitionedAppendOnlyMap } from "../../engine/rdd/append-only-map";
import { hashCode, nonNegativeMod } from "../../engine/rdd/java-hash";
import { combineMapTask } from "../../engine/rdd/map-side-combine";
import { HashPartitioner, Partitioner } from "../../engine/rdd/partitioner";
import { RDD } from "../../engine/rdd/rdd";
import { mulberry32 } from "../../engine/tools/prng";

/*
 * The map side of a shuffle combines string and number keys in a JavaScript Map and sorts once
 * (issue 6). Spark's order comes from its PartitionedAppendOnlyMap written sorted by (partition,
 * hash), stable: `reference` below is that algorithm record by record, as streamlab ran it before.
 * Combiners record every value in arrival order, so a merge in a different order would show.
 */
type Combiner = unknown[];
const agg = {
  createCombiner: (v: unknown): Combiner => [v],
  mergeValue: (c: Combiner, v: unknown) => (c.push(v), c),
  mergeCombiners: (a: Combiner, b: Combiner) => a.concat(b),
};

function reference(records: [unknown, unknown][], partitioner: Partitioner): [unknown, Combiner][][] {
  const map = new PartitionedAppendOnlyMap<unknown, Combiner>();
  for (const [k, v] of records) map.combineInPartition(partitioner.getPartition(k), k, hashCode(k), v, agg.createCombiner, agg.mergeValue);
  const hashed: [number, unknown, Combiner][][] = Array.from({ length: partitioner.numPartitions }, () => []);
  map.forEachInPartitions((pid, k, c) => { hashed[pid].push([hashCode(k), k, c]); });
  return hashed.map((es) => es.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, k, c]) => [k, c] as [unknown, Combiner]));
}

function run(records: [unknown, unknown][], partitioner: Partitioner): [unknown, Combiner][][] {
  return combineMapTask(new RDD([records]), 0, agg, partitioner, "test");
}

/** Keys whose Java hash codes collide: "Aa" and "BB" hash alike, and so do their concatenations. */
const colliding = ["AaAa", "AaBB", "BBAa", "BBBB"];

describe("combineMapTask writes Spark's map output", () => {
  const kinds: Array<[string, (r: () => number) => unknown]> = [
    ["words", (r) => `w${Math.floor(r() * 5000)}`],
    ["words with equal hash codes", (r) => (r() < 0.05 ? colliding[Math.floor(r() * 4)] : `w${Math.floor(r() * 500)}`)],
    ["ints", (r) => Math.floor(r() * 3000) - 1500],
    ["longs and doubles", (r) => (r() < 0.5 ? Math.floor(r() * 1000) * 2 ** 32 + 7 : r() * 100)],
    ["a tuple key arriving mid-task", (r) => (r() < 0.001 ? [1, "x"] : `w${Math.floor(r() * 800)}`)],
    ["booleans, null and undefined (null and undefined share hash 0)", (r) => (r() < 0.3 ? null : r() < 0.1 ? undefined : r() < 0.5)],
  ];
  it.each(kinds)("%s", (_name, kind) => {
    const rnd = mulberry32(11);
    const records: [unknown, unknown][] = [];
    for (let i = 0; i < 20_000; i++) records.push([kind(rnd), i]);
    for (const n of [1, 2, 3]) expect(run(records, new HashPartitioner(n))).toEqual(reference(records, new HashPartitioner(n)));
  });

  it("a custom partitioner takes Spark's map, record by record", () => {
    const calls: unknown[] = [];
    const byLength: Partitioner = {
      numPartitions: 2,
      getPartition: (k: unknown) => { calls.push(k); return nonNegativeMod(String(k).length, 2); },
      equals: () => false,
    };
    const records: [unknown, unknown][] = ["a", "bb", "a", "ccc", "bb"].map((k, i) => [k, i]);
    expect(run(records, byLength)).toEqual([[["bb", [1, 4]]], [["a", [0, 2]], ["ccc", [3]]]]);
    expect(calls).toEqual(["a", "bb", "a", "ccc", "bb"]);
  });

  it("names the operation and the record when a record is not a pair", () => {
    expect(() => combineMapTask(new RDD([[["a", 1], "oops" as unknown as [string, number]]]), 0, agg, new HashPartitioner(2), "reduceByKey")).toThrow(/reduceByKey.*oops|oops.*reduceByKey/s);
  });
});

describe("narrow transformations are pipelined into a shuffle", () => {
  it("flatMap → map → reduceByKey calls each function once per record, in Spark's order", () => {
    const seen: string[] = [];
    const lines = new RDD([["a b a", "c"], ["b a"]]);
    const counts = lines
      .flatMap((l) => { seen.push(`split ${l}`); return l.split(" "); })
      .map((w) => { seen.push(`pair ${w}`); return [w, 1] as [string, number]; })
      .reduceByKey((a, b) => a + b, 2);
    expect(counts.partitions).toEqual([[["b", 2]], [["a", 3], ["c", 1]]]);
    expect(seen).toEqual(["split a b a", "pair a", "pair b", "pair a", "split c", "pair c", "split b a", "pair b", "pair a"]);
  });

  it("an action computes a narrow transformation once and keeps it", () => {
    let calls = 0;
    const doubled = new RDD([[1, 2], [3]]).map((x) => { calls++; return 2 * x; });
    expect(doubled.getNumPartitions()).toBe(2);
    expect(calls).toBe(0);
    expect(doubled.collect()).toEqual([2, 4, 6]);
    expect(doubled.count()).toBe(3);
    expect(calls).toBe(3);
  });
});
