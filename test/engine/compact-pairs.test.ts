import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, RDD, StreamingContext, TestInputStream } from "../../engine";
import { compactPairs, expandPairs } from "../../engine/rdd/compact-pairs";
import { ReducedWindowedDStream } from "../../engine/dstream/reduced-windowed";

describe("compactPairs / expandPairs", () => {
  it("round-trips [string, number] pairs in order, values bit for bit", () => {
    const part: [string, number][] = [["b", 2], ["", 0], ["naïve 日本", -0], ["a", NaN], ["long key of more than thirteen chars", Infinity], ["x", -1.5e-300]];
    const compact = compactPairs(part);
    expect(compact).toBeDefined();
    const back = expandPairs(compact!);
    expect(back).toEqual(part);
    expect(Object.is(back[2][1], -0)).toBe(true);
    expect(Number.isNaN(back[3][1])).toBe(true);
  });

  it("round-trips [number, number] pairs and an empty partition", () => {
    const part: [number, number][] = [[3, 1], [-0, 2], [1.5, 3], [NaN, 4]];
    const back = expandPairs(compactPairs(part)!);
    expect(back).toEqual(part);
    expect(Object.is(back[1][0], -0)).toBe(true);
    expect(expandPairs(compactPairs([])!)).toEqual([]);
  });

  it.each([
    ["a value that is not a number", [["a", 1], ["b", "2"]]],
    ["keys of two types", [["a", 1], [2, 2]]],
    ["an object key", [[{ k: 1 }, 1]]],
    ["a record that is not a pair", [["a", 1], ["b", 2, 3]]],
    ["a plain string record", ["a b c"]],
    ["a value that is an object", [["a", { n: 1 }]]],
  ])("leaves a partition with %s as it is", (_name, part) => {
    expect(compactPairs(part as unknown[])).toBeUndefined();
  });
});

describe("RDD.compactRecords", () => {
  it("keeps computed [key, number] pairs compacted and reads them back the same", () => {
    const parts: [string, number][][] = [[["b", 1], ["a", 2]], [], [["c", 3]]];
    const rdd = new RDD(parts.map((p) => p.slice()));
    rdd.compactRecords();
    expect(rdd.isCompacted).toBe(true);
    expect(rdd.numPartitions).toBe(3);
    expect(rdd.collect()).toEqual([["b", 1], ["a", 2], ["c", 3]]);
    expect(rdd.partitions).toEqual(parts);
    // Read again, it keeps its flat arrays: compacting once more lets go of the objects only.
    rdd.compactRecords();
    expect(rdd.isCompacted).toBe(true);
    expect(rdd.map(([k, v]) => `${k}=${v}`).collect()).toEqual(["b=1", "a=2", "c=3"]);
  });

  it("leaves other records as the objects they are", () => {
    const sale = { productId: "p1", number: 2 };
    const rdd = new RDD([[["p1", sale]]]);
    rdd.compactRecords();
    expect(rdd.isCompacted).toBe(false);
    expect(rdd.partitions[0][0][1]).toBe(sale);
  });

  it("does not compute a narrow transformation to compact it", () => {
    let calls = 0;
    const rdd = new RDD([[1, 2]]).map((x) => { calls++; return ["k", x] as [string, number]; });
    rdd.compactRecords();
    expect(calls).toBe(0);
    expect(rdd.isCompacted).toBe(false);
  });
});

describe("a serialized stream's older batches", () => {
  it("are compacted after their batch, the newest is not, and the window's results stay exact", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "compact", master: "local[2]", batchDuration: 1000, clock });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-compact-"));
    ssc.checkpoint(dir);
    const input = [["a b"], ["a"], ["b c"], [], ["a"], []];
    const windowed = new TestInputStream(ssc, input, 1)
      .flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1] as [string, number])
      .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3000, 1000);
    const out: [string, number][][] = [];
    windowed.foreachRDD((rdd) => { out.push(rdd.collect()); });
    ssc.start();
    try {
      await clock.advance(input.length * 1000);
      const reduced = (windowed as unknown as ReducedWindowedDStream<string, number>).reducedStream;
      const times = [...reduced.generatedRDDs.keys()].sort((a, b) => a - b);
      const newest = times[times.length - 1];
      for (const t of times) expect([t, reduced.generatedRDDs.get(t)?.isCompacted]).toEqual([t, t < newest]);
    } finally {
      await ssc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Partition order (HashPartitioner(2)): "b" in 0, then "a" before "c" in 1.
    expect(out).toEqual([
      [["b", 1], ["a", 1]],
      [["b", 1], ["a", 2]],
      [["b", 2], ["a", 2], ["c", 1]],
      [["b", 1], ["a", 1], ["c", 1]],
      [["b", 1], ["a", 1], ["c", 1]],
      [["b", 0], ["a", 1], ["c", 0]],
    ]);
  });
});
