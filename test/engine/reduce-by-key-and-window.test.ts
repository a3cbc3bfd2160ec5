import { DStream, HashPartitioner, StreamingContext, TestInputStream, ManualClock, StorageLevel, setLogger } from "../../engine";
import type { Logger } from "../../engine";
import { ReducedWindowedDStream } from "../../engine/dstream/reduced-windowed";
import { setupOperation, testOperation, TestOperationOptions } from "../helpers/test-operation";

// Golden cases ported from Spark's WindowOperationsSuite (batch 1 s, window 2 s, slide 1 s unless
// named). Spark compares them as sets; here batches are compared in Spark's exact order: with
// HashPartitioner(2), "b" (hash 98) is in partition 0, "a" (97) and "c" (99) in partition 1, where
// "a" (AppendOnlyMap slot 23) precedes "c" (slot 35). Hence b, a, c.

type Pairs = [string, number][][];
const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

interface Case { name: string; input: Pairs; expected: Pairs; expectedWithInverse?: Pairs; window?: number; slide?: number }

const largerSlideInput: Pairs = [[["a", 1]], [["a", 2]], [["a", 3]], [["a", 4]], [["a", 5]], [["a", 6]], [], []];

const bigInput: Pairs = [
  [["a", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1], ["b", 1], ["c", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1]],
  [],
  [["a", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1], ["b", 1], ["c", 1]],
  [["a", 1], ["b", 1]],
  [["a", 1]],
  [],
];

const bigReduceOutput: Pairs = [
  [["a", 1]],
  [["b", 1], ["a", 2]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 1], ["a", 2]],
  [["a", 1]],
  [["a", 1]],
  [["b", 1], ["a", 2]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 1], ["a", 2]],
  [["a", 1]],
];

// Without a filter the incremental form never drops a key: counts stay at 0 (Spark's comment).
const bigReduceInvOutput: Pairs = [
  [["a", 1]],
  [["b", 1], ["a", 2]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 1], ["a", 2], ["c", 0]],
  [["b", 0], ["a", 1], ["c", 0]],
  [["b", 0], ["a", 1], ["c", 0]],
  [["b", 1], ["a", 2], ["c", 0]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 2], ["a", 2], ["c", 1]],
  [["b", 1], ["a", 2], ["c", 0]],
  [["b", 0], ["a", 1], ["c", 0]],
];

const cases: Case[] = [
  { name: "basic reduction", input: [[["a", 1], ["a", 3]]], expected: [[["a", 4]]] },
  { name: "key already in window and new value added into window", input: [[["a", 1]], [["a", 1]]], expected: [[["a", 1]], [["a", 2]]] },
  { name: "new key added into window", input: [[["a", 1]], [["a", 1], ["b", 1]]], expected: [[["a", 1]], [["b", 1], ["a", 2]]] },
  {
    name: "key removed from window",
    input: [[["a", 1]], [["a", 1]], [], []],
    expected: [[["a", 1]], [["a", 2]], [["a", 1]], []],
    expectedWithInverse: [[["a", 1]], [["a", 2]], [["a", 1]], [["a", 0]]],
  },
  { name: "larger slide time", input: largerSlideInput, expected: [[["a", 3]], [["a", 10]], [["a", 18]], [["a", 11]]], window: 4000, slide: 2000 },
  {
    name: "larger window",
    input: [[["a", 1]], [["a", 2]], [["a", 3]], [["a", 4]], [["a", 5]], [], [], [], [], []],
    expected: [[["a", 1]], [["a", 3]], [["a", 6]], [["a", 10]], [["a", 15]], [["a", 14]], [["a", 12]], [["a", 9]], [["a", 5]], []],
    expectedWithInverse: [[["a", 1]], [["a", 3]], [["a", 6]], [["a", 10]], [["a", 15]], [["a", 14]], [["a", 12]], [["a", 9]], [["a", 5]], [["a", 0]]],
    window: 5000,
  },
  {
    name: "large window with multiple slides",
    input: [[["a", 1]], [["a", 2], ["b", 1]], [["a", 3]], [["b", 2]], [["a", 4]], [["c", 5]], [["a", 5]]],
    // windows (T − 6 s, T] at T = 3, 6, 9, 12, 15 s
    expected: [[["b", 1], ["a", 6]], [["b", 3], ["a", 10], ["c", 5]], [["b", 2], ["a", 9], ["c", 5]], [["a", 5]], []],
    expectedWithInverse: [[["b", 1], ["a", 6]], [["b", 3], ["a", 10], ["c", 5]], [["b", 2], ["a", 9], ["c", 5]], [["b", 0], ["a", 5], ["c", 0]], [["b", 0], ["a", 0], ["c", 0]]],
    window: 6000,
    slide: 3000,
  },
  { name: "big test", input: bigInput, expected: bigReduceOutput, expectedWithInverse: bigReduceInvOutput },
];

// Spark's suite sets .checkpoint(Seconds(100)) to keep RDD checkpoints out of the way; 120 s is
// also a multiple of the 3 s slide used below, as the checkpoint interval must be.

/** Spark's numBatches: expected outputs times (slide / batch). */
const options = (c: Case, extra: TestOperationOptions = {}): TestOperationOptions =>
  ({ numBatches: c.expected.length * ((c.slide ?? 1000) / 1000), ...extra });

describe("reduceByKeyAndWindow", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  describe.each(cases)("without inverse: $name", (c) => {
    it("reduces each whole window (no checkpoint directory needed)", async () => {
      await testOperation(c.input, (s) => s.reduceByKeyAndWindow(add, c.window ?? 2000, c.slide ?? 1000), c.expected, options(c, { checkpoint: false }));
    });
  });

  describe.each(cases)("with inverse function: $name", (c) => {
    it("adds what entered and subtracts what left the window", async () => {
      await testOperation(
        c.input,
        (s) => s.reduceByKeyAndWindow(add, sub, c.window ?? 2000, c.slide ?? 1000).checkpoint(120_000),
        c.expectedWithInverse ?? c.expected,
        options(c),
      );
    });
  });

  describe.each(cases)("with inverse and filter functions: $name", (c) => {
    it("drops keys the filter rejects, matching the non-incremental result", async () => {
      await testOperation(
        c.input,
        (s) => s.reduceByKeyAndWindow(add, sub, c.window ?? 2000, c.slide ?? 1000, undefined, ([, v]) => v !== 0).persist().checkpoint(120_000),
        c.expected,
        options(c),
      );
    });
  });

  it("uses the given partition count: one partition lists keys in the map's slot order a, b, c", async () => {
    const expected: Pairs = [[["a", 1]], [["a", 2], ["b", 1]], [["a", 2], ["b", 2], ["c", 1]]];
    await testOperation(bigInput.slice(0, 3), (s) => s.reduceByKeyAndWindow(add, 2000, 1000, 1), expected, { checkpoint: false });
    await testOperation(bigInput.slice(0, 3), (s) => s.reduceByKeyAndWindow(add, sub, 2000, 1000, 1), expected);
  });

  it("uses the given Partitioner and lays its windows out by it", async () => {
    const seen: (number | undefined)[] = [];
    await testOperation(bigInput.slice(0, 2), (s) => {
      const w = s.reduceByKeyAndWindow(add, sub, 2000, 1000, new HashPartitioner(3));
      w.foreachRDD((rdd) => { seen.push(rdd.partitioner?.numPartitions, rdd.getNumPartitions()); });
      return w;
    }, [[["a", 1]], [["a", 2], ["b", 1]]]);
    // with 3 partitions "a" (97 % 3 = 1) now precedes "b" (98 % 3 = 2)
    expect(seen).toEqual([3, 3, 3, 3]);
  });

  it("slide defaults to the parent's slide in both forms", async () => {
    await testOperation([[["a", 1]], [["a", 2]], []] as Pairs, (s) => s.reduceByKeyAndWindow(add, 2000), [[["a", 1]], [["a", 3]], [["a", 2]]], { checkpoint: false });
    await testOperation([[["a", 1]], [["a", 2]], []] as Pairs, (s) => s.reduceByKeyAndWindow(add, sub, 2000), [[["a", 1]], [["a", 3]], [["a", 2]]]);
  });

  it("the inverse is applied to the reduced old batches, as Spark: (prev − reduce(old)) + reduce(new)", async () => {
    const calls: string[] = [];
    const f = (a: number, b: number) => { calls.push(`f(${a},${b})`); return a + b; };
    const inv = (a: number, b: number) => { calls.push(`inv(${a},${b})`); return a - b; };
    await testOperation([[["a", 1], ["a", 2]], [["a", 3]], [["a", 4]]] as Pairs, (s) => s.reduceByKeyAndWindow(f, inv, 2000, 1000, 1), [[["a", 3]], [["a", 6]], [["a", 7]]]);
    expect(calls).toEqual([
      "f(1,2)", // batch 1 reduced: its two input partitions merged on the reduce side
      "f(3,3)", // window 2: previous 3 + new 3
      "inv(6,3)", "f(3,4)", // window 3: 6 − batch 1 + batch 4
    ]);
  });
});

describe("reduceByKeyAndWindow stream properties", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("is a stateful stream: default checkpoint interval is the smallest multiple of the slide >= 10 s", async () => {
    let incremental: DStream<[string, number]> | undefined;
    let slow: DStream<[string, number]> | undefined;
    const { ssc, clock } = setupOperation<[string, number], [string, number]>([], (s) => {
      incremental = s.reduceByKeyAndWindow(add, sub, 2000, 1000);
      slow = s.reduceByKeyAndWindow(add, sub, 6000, 3000);
      slow.foreachRDD(() => {});
      return incremental;
    });
    ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    expect(incremental?.checkpointDuration).toBe(10_000);
    expect(slow?.checkpointDuration).toBe(12_000);
    expect(incremental?.storageLevel).toBe(StorageLevel.MEMORY_ONLY_SER);
  });

  it("its reduced parent remembers the window on top of the stream's remember duration", async () => {
    let stream: ReducedWindowedDStream<string, number> | undefined;
    const { ssc, clock } = setupOperation<[string, number], [string, number]>([], (s) => {
      stream = s.reduceByKeyAndWindow(add, sub, 4000, 2000) as ReducedWindowedDStream<string, number>;
      return stream;
    });
    ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    const s = stream as ReducedWindowedDStream<string, number>;
    expect(s.rememberDuration).toBe(20_000); // 2 × checkpoint interval (10 s), Spark's rule
    expect(s.reducedStream.rememberDuration).toBe(24_000);
    expect(s.reducedStream.storageLevel).toBe(StorageLevel.MEMORY_ONLY_SER);
  });

  it("persist() persists the stream and its reduced parent", () => {
    const ssc = new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) });
    const input = new TestInputStream<[string, number]>(ssc, []);
    const stream = input.reduceByKeyAndWindow(add, sub, 2000) as ReducedWindowedDStream<string, number>;
    stream.persist(StorageLevel.MEMORY_AND_DISK);
    expect(stream.storageLevel).toBe(StorageLevel.MEMORY_AND_DISK);
    expect(stream.reducedStream.storageLevel).toBe(StorageLevel.MEMORY_AND_DISK);
  });
});

describe("reduceByKeyAndWindow errors", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });
  let restoreLogger: Logger | undefined;
  beforeEach(() => { restoreLogger = setLogger({ info() {}, warn() {} }); });
  afterEach(() => { if (restoreLogger) setLogger(restoreLogger); });

  const newInput = () => new TestInputStream<[string, number]>(new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) }), []);

  it("incremental: window not a multiple of the parent's slide (Spark's require message)", () => {
    expect(() => newInput().reduceByKeyAndWindow(add, sub, 2500, 1000)).toThrow(expect.objectContaining({
      name: "RangeError",
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "requirement failed: The window duration of ReducedWindowedDStream (2500 ms) must be multiple of the slide duration of parent DStream (1000 ms). Use 2000 ms or 3000 ms.",
    }));
  });

  it("incremental: slide not a multiple of the parent's slide", () => {
    expect(() => newInput().reduceByKeyAndWindow(add, sub, 2000, 1500)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "requirement failed: The slide duration of ReducedWindowedDStream (1500 ms) must be multiple of the slide duration of parent DStream (1000 ms). Use 1000 ms or 2000 ms.",
    }));
  });

  it("non-incremental: the windowed DStream's message", () => {
    expect(() => newInput().reduceByKeyAndWindow(add, 2000, 1500)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms). Use 1000 ms or 2000 ms.",
    }));
  });

  it("incremental: start() fails without a checkpoint directory; the non-incremental form does not need one", async () => {
    const { ssc } = setupOperation<[string, number], [string, number]>([], (s) => s.reduceByKeyAndWindow(add, sub, 2000, 1000), { checkpoint: false });
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_NO_CHECKPOINT_DIR",
      message: "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().",
    }));
    await testOperation([[["a", 1]]] as Pairs, (s) => s.reduceByKeyAndWindow(add, 2000, 1000), [[["a", 1]]], { checkpoint: false });
  });

  it("fails the batch when only leaving batches hold a key the filter dropped (Spark's message)", async () => {
    // a: +1 then −1 sums to 0 at 2 s and the filter drops it; at 3 s batch 1 (a, 1) leaves the
    // window but the previous window no longer has "a": Spark throws in this case.
    const input: Pairs = [[["a", 1]], [["a", -1]], [], []];
    const { ssc, clock, output } = setupOperation(input, (s) => s.reduceByKeyAndWindow(add, sub, 2000, 1000, 2, ([, v]) => v !== 0));
    ssc.start();
    await clock.advance(3000);
    await ssc.stop();
    expect(output.map((o) => [o.time, o.items])).toEqual([[1000, [["a", 1]]], [2000, []]]);
    await expect(ssc.awaitTermination()).rejects.toMatchObject({
      code: "STREAM_ERR_WINDOW_STATE",
      message: "Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?",
    });
  });
});
