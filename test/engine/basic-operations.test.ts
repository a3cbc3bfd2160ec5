import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CompactBuffer, DStream, ManualClock, RDD, readObjectFile, StreamingContext, TestInputStream } from "../../engine";
import { printedWhileRunning } from "../helpers/capture";
import { runOperation, testOperation, toPlain } from "../helpers/test-operation";

// Golden batch tests ported from Spark's BasicOperationsSuite: input batches in, expected batches
// out, in virtual time. Pair orders follow Spark's hash partitioning (local[2]) and hash-map order.

afterEach(async () => { await StreamingContext.stopActive(); });

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe("per-element operations", () => {
  const input = [range(1, 4), range(5, 8), range(9, 12)];

  it("map", async () => {
    await testOperation(input, (s) => s.map((x) => String(x)), input.map((b) => b.map(String)));
  });

  it("flatMap", async () => {
    await testOperation(input, (s) => s.flatMap((x) => [x, x * 2]), input.map((b) => b.flatMap((x) => [x, x * 2])));
  });

  it("filter", async () => {
    await testOperation(input, (s) => s.filter((x) => x % 2 === 0), input.map((b) => b.filter((x) => x % 2 === 0)));
  });

  it("glom shows the two input partitions", async () => {
    await testOperation([range(1, 4), range(2, 7), range(5, 9)], (s) => s.glom(), [
      [[1, 2], [3, 4]],
      [[2, 3, 4], [5, 6, 7]],
      [[5, 6], [7, 8, 9]],
    ]);
  });

  it("mapPartitions", async () => {
    await testOperation([range(1, 4), range(2, 7), range(5, 9)], (s) => s.mapPartitions((xs) => [xs.reduce((a, b) => a + b, 0)]), [[3, 7], [9, 18], [11, 24]]);
  });

  it("mapPartitionsWithIndex passes the partition index", async () => {
    await testOperation([range(1, 4)], (s) => s.mapPartitionsWithIndex((i, xs) => xs.map((x) => `${i}:${x}`)), [["0:1", "0:2", "1:3", "1:4"]]);
  });

  it("repartition gives exactly n partitions and keeps every element", async () => {
    const out = await runOperation([range(1, 10), range(11, 20)], (s) => s.repartition(5).glom(), 2);
    expect(out.map((b) => b.length)).toEqual([5, 5]);
    expect(out.map((b) => b.flat().sort((x, y) => x - y))).toEqual([range(1, 10), range(11, 20)]);
  });

  it("repartition rejects a bad count with a coded error", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = new TestInputStream(ssc, [[1]]);
    expect(() => s.repartition(0)).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_PARTITIONS", message: "numPartitions must be a whole number >= 1, got number 0." }));
  });
});

describe("aggregations", () => {
  it("count gives one element per batch, 0 for an empty batch", async () => {
    await testOperation([[], [1], range(1, 2), range(1, 3), range(1, 4)], (s) => s.count(), [[0], [1], [2], [3], [4]]);
  });

  it("reduce gives one element per batch and none for an empty batch", async () => {
    await testOperation([range(1, 4), [], range(5, 8)], (s) => s.reduce((a, b) => a + b), [[10], [], [26]]);
  });

  it("countByValue counts each element per batch", async () => {
    await testOperation([[1, 1, 1], [1, 2], [], [1, 1, 2, 2, 3]], (s) => s.countByValue(), [
      [[1, 3]],
      // Integer keys hash to themselves: 2 lands in partition 0, 1 in partition 1.
      [[2, 1], [1, 1]],
      [],
      [[2, 2], [1, 2], [3, 1]],
    ]);
  });

  it("reduceByKey sums per key in Spark's order", async () => {
    // "a" (hash 97) goes to partition 1, "b" (98) and "" (0) to partition 0.
    await testOperation([["a", "a", "b"], ["", ""], []], (s) => s.mapToPair((x) => [x, 1]).reduceByKey((a, b) => a + b), [
      [["b", 1], ["a", 2]],
      [["", 2]],
      [],
    ]);
  });

  it("groupByKey collects values into ArrayBuffers, as Spark's streaming groupByKey", async () => {
    const out = await runOperation([["a", "a", "b"], ["", ""], []], (s) => s.mapToPair((x) => [x, 1]).groupByKey(), 3);
    expect(out[0][0][1]).toBeInstanceOf(CompactBuffer);
    expect(toPlain(out)).toEqual([[["b", [1]], ["a", [1, 1]]], [["", [1, 1]]], []]);
    expect(String(out[0][1][1])).toBe("ArrayBuffer(1, 1)"); // what real Spark prints (test/spark-golden)
  });

  it("combineByKey builds per-key combiners", async () => {
    await testOperation([["a", "a", "b"], ["", ""], []], (s) => s.mapToPair((x) => [x, 1]).combineByKey((v) => [v], (c: number[], v) => [...c, v], (a, b) => [...a, ...b]), [
      [["b", [1]], ["a", [1, 1]]],
      [["", [1, 1]]],
      [],
    ]);
  });

  it("numPartitions argument controls the shuffle", async () => {
    await testOperation([["a", "b", "c", "a"]], (s) => s.mapToPair((x) => [x, 1]).reduceByKey((a, b) => a + b, 1).glom(), [
      // one partition, in AppendOnlyMap slot order of murmur3(hashCode) & 63: a 17, b 22, c 62
      [[["a", 2], ["b", 1], ["c", 1]]],
    ].map((b) => b.map((p) => p)) as never);
  });

  it("mapValues and flatMapValues keep keys", async () => {
    await testOperation([["a", "a", "b"]], (s) => s.mapToPair((x) => [x, 1]).reduceByKey((a, b) => a + b).mapValues((v) => v * 10), [[["b", 10], ["a", 20]]]);
    await testOperation([["a", "b"]], (s) => s.mapToPair((x) => [x, 2]).flatMapValues((v) => [v, v + 1]), [[["a", 2], ["a", 3], ["b", 2], ["b", 3]]]);
  });
});

/** Two-input golden test: s1 and s2 are TestInputStreams over input1 and input2. */
async function testTwoInputs<A, B, U>(input1: A[][], input2: B[][], op: (a: DStream<A>, b: DStream<B>) => DStream<U>, expected: unknown[][]) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ master: "local[2]", batchDuration: 1000, clock });
  const out: U[][] = [];
  op(new TestInputStream(ssc, input1), new TestInputStream(ssc, input2)).foreachRDD((rdd) => { out.push(rdd.collect()); });
  ssc.start();
  await clock.advance(expected.length * 1000);
  await ssc.stop();
  expect(toPlain(out)).toEqual(toPlain(expected));
}

// Within a partition Spark iterates its hash map in slot order, murmur3(hashCode) & 63:
// "a" 17, "b" 22, "" 30 (partition 0 holds "b" and "", partition 1 holds "a").
describe("two-stream operations", () => {
  const in1 = [["a", "b"], ["a", ""], [""], []];
  const in2 = [["a", "b"], ["b", ""], [], [""]];
  const pairs = (a: DStream<string>, b: DStream<string>) => [a.mapToPair((x) => [x, 1] as [string, number]), b.mapToPair((x) => [x, "x"] as [string, string])] as const;

  it("union", async () => {
    await testTwoInputs([range(1, 4), range(5, 8)], [range(9, 12), range(13, 16)], (a, b) => a.union(b), [[...range(1, 4), ...range(9, 12)], [...range(5, 8), ...range(13, 16)]]);
  });

  it("join", async () => {
    await testTwoInputs(in1, in2, (a, b) => { const [p, q] = pairs(a, b); return p.join(q); }, [[["b", [1, "x"]], ["a", [1, "x"]]], [["", [1, "x"]]], [], []]);
  });

  it("leftOuterJoin", async () => {
    await testTwoInputs(in1, in2, (a, b) => { const [p, q] = pairs(a, b); return p.leftOuterJoin(q); },
      [[["b", [1, "x"]], ["a", [1, "x"]]], [["", [1, "x"]], ["a", [1, undefined]]], [["", [1, undefined]]], []]);
  });

  it("rightOuterJoin", async () => {
    await testTwoInputs(in1, in2, (a, b) => { const [p, q] = pairs(a, b); return p.rightOuterJoin(q); },
      [[["b", [1, "x"]], ["a", [1, "x"]]], [["b", [undefined, "x"]], ["", [1, "x"]]], [], [["", [undefined, "x"]]]]);
  });

  it("fullOuterJoin", async () => {
    await testTwoInputs(in1, in2, (a, b) => { const [p, q] = pairs(a, b); return p.fullOuterJoin(q); },
      [[["b", [1, "x"]], ["a", [1, "x"]]], [["b", [undefined, "x"]], ["", [1, "x"]], ["a", [1, undefined]]], [["", [1, undefined]]], [["", [undefined, "x"]]]]);
  });

  it("cogroup", async () => {
    await testTwoInputs([["a", "a", "b"], ["a", ""], [""], []], [["a", "a", "b"], ["b", ""], [], []],
      (a, b) => { const [p, q] = pairs(a, b); return p.cogroup(q); },
      [[["b", [[1], ["x"]]], ["a", [[1, 1], ["x", "x"]]]], [["b", [[], ["x"]]], ["", [[1], ["x"]]], ["a", [[1], []]]], [["", [[1], []]]], []]);
  });

  it("transformWith", async () => {
    await testTwoInputs(in1, in2, (a, b) => a.transformWith(b, (x, y, time) => x.union(y).map((s) => `${s}@${time.milliseconds}`)),
      [["a@1000", "b@1000", "a@1000", "b@1000"], ["a@2000", "@2000", "b@2000", "@2000"], ["@3000"], ["@4000"]]);
  });

  it("union of streams with different slides fails with Spark's message", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const a = new TestInputStream<number>(ssc, []);
    const b = new TestInputStream<number>(ssc, []).transform((r) => r);
    Object.defineProperty(b, "slideDuration", { value: 2000 });
    expect(() => a.union(b)).toThrow(expect.objectContaining({ code: "STREAM_ERR_DIFFERENT_SLIDES" }));
    expect(() => ssc.union()).toThrow(expect.objectContaining({ code: "STREAM_ERR_EMPTY_UNION", message: "requirement failed: List of DStreams to union is empty. Pass at least one DStream." }));
  });
});

describe("transform", () => {
  it("applies an RDD function every batch with the batch time", async () => {
    await testOperation([range(1, 4), range(5, 8)], (s) => s.transform((rdd, time) => rdd.map((x) => x * 2).filter(() => time.milliseconds > 0)), [[2, 4, 6, 8], [10, 12, 14, 16]]);
  });

  it("a transform returning null fails the batch with Spark's message, and the stream goes on", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[] = [];
    new TestInputStream(ssc, [[1], [2], [3]]).transform((rdd, time) => (time.milliseconds === 2000 ? (null as unknown as RDD<number>) : rdd)).foreachRDD((rdd) => { seen.push(...rdd.collect()); });
    ssc.start();
    const failed = ssc.awaitTermination().then(() => undefined, (e: unknown) => e);
    await clock.advance(3000);
    expect(await failed).toMatchObject({ code: "STREAM_ERR_TRANSFORM_NULL", message: expect.stringContaining("Transform function must not return null.") });
    expect(seen).toEqual([1, 3]);
    await ssc.stop();
  });

  it("ssc.transform combines several streams", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const a = new TestInputStream(ssc, [[1, 2]]);
    const b = new TestInputStream(ssc, [[10]]);
    const out: number[][] = [];
    ssc.transform<number>([a, b], (rdds) => (rdds[0] as RDD<number>).union(rdds[1] as RDD<number>)).foreachRDD((r) => { out.push(r.collect()); });
    ssc.start();
    await clock.advance(1000);
    expect(out).toEqual([[1, 2, 10]]);
  });
});

describe("slice", () => {
  it("returns the remembered batches between two times, both ends inclusive, floored to the grid", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.remember(10_000);
    const input = new TestInputStream(ssc, [[1], [2], [3], [4]]);
    input.foreachRDD(() => {});
    expect(() => input.slice(0, 1000)).toThrow(expect.objectContaining({ code: "STREAM_ERR_NOT_INITIALIZED" }));
    ssc.start();
    await clock.advance(4000);
    expect(input.slice(2000, 3000).map((r) => r.collect())).toEqual([[2], [3]]);
    expect(input.slice(1500, 3999).map((r) => r.collect())).toEqual([[1], [2], [3]]);
    expect(input.slice(0, 1000).map((r) => r.collect())).toEqual([[1]]);
  });
});

describe("outputs", () => {
  it("print(num) shows num elements then ... and prints empty batches", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    new TestInputStream(ssc, [range(1, 12), []]).print(10);
    const printed = await printedWhileRunning(ssc, clock, 2000);
    const dashes = "-".repeat(43);
    expect(printed).toBe(`${dashes}\nTime: 1000 ms\n${dashes}\n${range(1, 10).join("\n")}\n...\n\n${dashes}\nTime: 2000 ms\n${dashes}\n\n`);
  });

  it("print renders nested tuples, None and CompactBuffers as Scala does", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    new TestInputStream<unknown>(ssc, [[["a", [1, undefined]], ["b", CompactBuffer.of(1, 2)], "plain", 3.5]]).print();
    const printed = await printedWhileRunning(ssc, clock, 1000);
    expect(printed.split("\n").slice(3, 7)).toEqual(["(a,(1,None))", "(b,CompactBuffer(1, 2))", "plain", "3.5"]);
  });

  it("saveAsTextFiles writes prefix-<ms>.suffix directories with one part per partition", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-save-"));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const pairs = new TestInputStream(ssc, [["a", "b", "a"], []]).mapToPair((w) => [w, 1]).reduceByKey((a, b) => a + b);
    pairs.saveAsTextFiles(path.join(dir, "out"), "txt");
    pairs.saveAsTextFiles(path.join(dir, "plain"));
    pairs.saveAsObjectFiles(path.join(dir, "obj"));
    ssc.start();
    await clock.advance(2000);
    expect(fs.readdirSync(dir).sort()).toEqual(["obj-1000", "obj-2000", "out-1000.txt", "out-2000.txt", "plain-1000", "plain-2000"]);
    const first = path.join(dir, "out-1000.txt");
    expect(fs.readdirSync(first).sort()).toEqual(["_SUCCESS", "part-00000", "part-00001"]);
    expect(fs.readFileSync(path.join(first, "part-00000"), "utf8")).toBe("(b,1)\n");
    expect(fs.readFileSync(path.join(first, "part-00001"), "utf8")).toBe("(a,2)\n");
    expect(readObjectFile(path.join(dir, "obj-1000"))).toEqual([["b", 1], ["a", 2]]);
  });

  it("output operations run in definition order, every batch", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    const s = new TestInputStream(ssc, [[1], [2]]);
    s.foreachRDD(async (rdd, t) => { await new Promise((r) => setImmediate(r)); log.push(`A${t.milliseconds}:${rdd.collect()}`); });
    s.foreachRDD((rdd, t) => { log.push(`B${t.milliseconds}:${rdd.collect()}`); });
    ssc.start();
    await clock.advance(2000);
    expect(log).toEqual(["A1000:1", "B1000:1", "A2000:2", "B2000:2"]);
  });
});
