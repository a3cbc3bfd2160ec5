import { DStream, StorageLevel, StreamingContext, ManualClock, TestInputStream, Durations, formatValue, setLogger } from "../../engine";
import type { Logger } from "../../engine";
import { printedWhileRunning } from "../helpers/capture";
import { runOperation, setupOperation, testOperation } from "../helpers/test-operation";

// Golden cases ported from Spark's WindowOperationsSuite (batch 1 s, input batches in 2 partitions).
// Spark compares those as sets; here every batch is compared in Spark's exact order, derived from
// HashPartitioner(2) on the JVM hash codes: "a" = 97 and "c" = 99 go to partition 1, "b" = 98 to
// partition 0, and within partition 1 "a" (slot 23 of the 64-slot AppendOnlyMap) precedes "c" (slot 35).

const numbers = [[0], [1], [2], [3], [4], [5]];

async function outputTimes<T, U>(input: T[][], op: (s: DStream<T>) => DStream<U>, numBatches: number): Promise<number[]> {
  const { ssc, clock, output } = setupOperation(input, op, { checkpoint: false });
  ssc.start();
  try {
    await clock.advance(numBatches * 1000);
  } finally {
    await ssc.stop();
  }
  return output.map((o) => o.time);
}

describe("window", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("basic window (window 2 s, slide 1 s)", async () => {
    await testOperation(numbers, (s) => s.window(2000, 1000), [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  });

  it("slide defaults to the parent's slide", async () => {
    await testOperation(numbers, (s) => s.window(Durations.seconds(2)), [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  });

  it("tumbling window (window 2 s, slide 2 s)", async () => {
    await testOperation(numbers, (s) => s.window(Durations.seconds(2), Durations.seconds(2)), [[0, 1], [2, 3], [4, 5]], { numBatches: 6 });
  });

  it("larger window (window 4 s, slide 2 s): early windows hold fewer batches", async () => {
    await testOperation(numbers, (s) => s.window(4000, 2000), [[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]], { numBatches: 8 });
  });

  it("early windows of a 3 s window grow batch by batch", async () => {
    await testOperation(numbers, (s) => s.window(3000), [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5], [5], []]);
  });

  it("non-overlapping window (window 2 s, slide 3 s) skips batches", async () => {
    await testOperation(numbers, (s) => s.window(2000, 3000), [[1, 2], [4, 5]], { numBatches: 6 });
  });

  it("with slide > batch, output happens only at multiples of the slide", async () => {
    expect(await outputTimes(numbers, (s) => s.window(2000, 3000), 7)).toEqual([3000, 6000]);
    expect(await outputTimes(numbers, (s) => s.window(4000, 2000), 7)).toEqual([2000, 4000, 6000]);
    expect(await outputTimes(numbers, (s) => s.window(2000).window(4000, 2000), 4)).toEqual([2000, 4000]);
  });

  it("keeps each batch's partitions, oldest batch first", async () => {
    const got = await runOperation([[1, 2, 3], [4, 5]], (s) => s.window(2000).glom(), 2, { checkpoint: false });
    expect(got).toEqual([[[1], [2, 3]], [[1], [2, 3], [4], [5]]]);
  });

  it("window of a window", async () => {
    await testOperation(numbers, (s) => s.window(2000).window(2000, 2000), [[0, 0, 1], [1, 2, 2, 3], [3, 4, 4, 5]], { numBatches: 6 });
  });

  it("persistence level: window persists its parent instead of itself (Spark's 'window - persistence level')", () => {
    const ssc = new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) });
    const input = new TestInputStream<number>(ssc, numbers, 1);
    const windowed = input.window(2000);
    expect(windowed.storageLevel).toBe(StorageLevel.NONE);
    expect(input.storageLevel).toBe(StorageLevel.MEMORY_ONLY_SER);
    windowed.persist(StorageLevel.MEMORY_ONLY);
    expect(windowed.storageLevel).toBe(StorageLevel.NONE);
    expect(input.storageLevel).toBe(StorageLevel.MEMORY_ONLY);
  });

  it("parents remember their child's remember duration plus the window", async () => {
    const { ssc, clock, inputStream } = setupOperation(numbers, (s) => s.window(4000, 2000), { checkpoint: false });
    ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    // the output stream remembers its slide (2 s); the window adds 4 s for its parent
    expect(inputStream.rememberDuration).toBe(6000);
  });
});

describe("window validation", () => {
  const ssc = () => new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) });

  it("rejects a window that is not a multiple of the parent's slide, with Spark's message and the fix", () => {
    const input = new TestInputStream<number>(ssc(), []);
    expect(() => input.window(1500)).toThrow(expect.objectContaining({
      name: "RangeError",
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "The window duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms). Use 1000 ms or 2000 ms.",
    }));
  });

  it("rejects a slide that is not a multiple of the parent's slide", () => {
    const input = new TestInputStream<number>(ssc(), []);
    expect(() => input.window(2000, 1500)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms). Use 1000 ms or 2000 ms.",
    }));
  });

  it("checks against the parent's slide, not the batch interval", () => {
    const input = new TestInputStream<number>(ssc(), []);
    expect(() => input.window(2000, 2000).window(3000)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_WINDOW_NOT_MULTIPLE",
      message: "The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms). Use 2000 ms or 4000 ms.",
    }));
  });

  it("a window below the parent's slide suggests the slide itself", () => {
    const input = new TestInputStream<number>(ssc(), []);
    expect(() => input.window(500)).toThrow(
      "The window duration of windowed DStream (500 ms) must be a multiple of the slide duration of parent DStream (1000 ms). Use 1000 ms.",
    );
  });

  it("groupByKeyAndWindow and non-incremental reduceByKeyAndWindow validate as window does", () => {
    const pairs = new TestInputStream<[string, number]>(ssc(), []);
    const msg = "The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms). Use 2000 ms or 3000 ms.";
    expect(() => pairs.groupByKeyAndWindow(2500)).toThrow(msg);
    expect(() => pairs.reduceByKeyAndWindow((a, b) => a + b, 2500)).toThrow(msg);
    expect(() => pairs.reduceByWindow((a) => a, 2500, 1000)).toThrow(msg);
  });

  it("rejects zero, negative and non-duration windows", () => {
    const input = new TestInputStream<number>(ssc(), []);
    expect(() => input.window(0)).toThrow(expect.objectContaining({ name: "RangeError", code: "STREAM_ERR_BAD_DURATION" }));
    expect(() => input.window(-1000)).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_DURATION" }));
    expect(() => input.window("2s" as unknown as number)).toThrow(expect.objectContaining({
      name: "TypeError",
      code: "STREAM_ERR_BAD_DURATION",
      message: 'windowDuration must be a Duration (Durations.seconds(1)) or a number of milliseconds, got "2s".',
    }));
    expect(() => input.window(2000, 0)).toThrow("slideDuration must be a positive whole number of milliseconds, got 0.");
  });
});

const bigInput: [string, number][][] = [
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

describe("groupByKeyAndWindow", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("Spark's big test (window 2 s, slide 1 s), without a checkpoint directory", async () => {
    const expected: [string, number[]][][] = [
      [["a", [1]]],
      [["b", [1]], ["a", [1, 1]]],
      [["b", [1, 1]], ["a", [1, 1]], ["c", [1]]],
      [["b", [1, 1]], ["a", [1, 1]], ["c", [1]]],
      [["b", [1]], ["a", [1, 1]]],
      [["a", [1]]],
      [["a", [1]]],
      [["b", [1]], ["a", [1, 1]]],
      [["b", [1, 1]], ["a", [1, 1]], ["c", [1]]],
      [["b", [1, 1]], ["a", [1, 1]], ["c", [1]]],
      [["b", [1]], ["a", [1, 1]]],
      [["a", [1]]],
    ];
    await testOperation(bigInput, (s) => s.groupByKeyAndWindow(2000, 1000), expected, { checkpoint: false });
  });

  it("keeps values in batch order and prints them as Spark's ArrayBuffer", async () => {
    const input: [string, number][][] = [[["a", 1], ["a", 2]], [["a", 3], ["b", 4]], [["b", 5]]];
    const got = await runOperation(input, (s) => s.groupByKeyAndWindow(2000), 3, { checkpoint: false });
    expect(got.map((batch) => batch.map((kv) => formatValue(kv)))).toEqual([
      ["(a,ArrayBuffer(1, 2))"],
      ["(b,ArrayBuffer(4))", "(a,ArrayBuffer(1, 2, 3))"],
      ["(b,ArrayBuffer(4, 5))", "(a,ArrayBuffer(3))"],
    ]);
  });

  it("takes a partition count: one partition keeps the map's slot order a, b, c", async () => {
    await testOperation(bigInput.slice(0, 3), (s) => s.groupByKeyAndWindow(2000, 1000, 1), [
      [["a", [1]]],
      [["a", [1, 1]], ["b", [1]]],
      [["a", [1, 1]], ["b", [1, 1]], ["c", [1]]],
    ] as [string, number[]][][], { checkpoint: false });
  });
});

describe("countByWindow", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("Spark's case (window 2 s, slide 1 s)", async () => {
    await testOperation([[1], [1], [1, 2], [0], [], []], (s) => s.countByWindow(2000, 1000), [[1], [2], [3], [3], [1], [0]]);
  });

  it("emits nothing before the first element, then a count every slide, 0 once the window is empty", async () => {
    await testOperation([[], [7], [], [], []], (s) => s.countByWindow(2000, 1000), [[], [1], [1], [0], [0]]);
  });

  it("with a 2 s slide counts only at even seconds", async () => {
    await testOperation([[1], [1, 1], [1], [], [1, 1, 1], []], (s) => s.countByWindow(4000, 2000), [[3], [4], [4]], { numBatches: 6 });
  });
});

describe("countByValueAndWindow", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("Spark's case (window 2 s, slide 1 s)", async () => {
    await testOperation([["a"], ["b", "b"], ["a", "b"]], (s) => s.countByValueAndWindow(2000, 1000), [
      [["a", 1]],
      [["b", 2], ["a", 1]],
      [["b", 3], ["a", 1]],
    ] as [string, number][][]);
  });

  it("drops values whose count fell to 0", async () => {
    await testOperation([["a", "b"], ["b"], [], []], (s) => s.countByValueAndWindow(2000, 1000), [
      [["b", 1], ["a", 1]],
      [["b", 2], ["a", 1]],
      [["b", 1]],
      [],
    ] as [string, number][][]);
  });
});

describe("reduceByWindow", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });
  const input = [[1, 2], [3], [4, 5], [], [6], [], []];

  it("without inverse: reduce(f).window(w, s).reduce(f); nothing for an empty window", async () => {
    await testOperation(input, (s) => s.reduceByWindow((a, b) => a + b, 2000, 1000), [[3], [6], [12], [9], [6], [6], []], { checkpoint: false });
  });

  it("with inverse: incremental, keeps emitting 0 once data has arrived", async () => {
    await testOperation(input, (s) => s.reduceByWindow((a, b) => a + b, (a, b) => a - b, 2000, 1000), [[3], [6], [12], [9], [6], [6], [0]]);
  });

  it("with inverse and a larger slide", async () => {
    await testOperation(input, (s) => s.reduceByWindow((a, b) => a + b, (a, b) => a - b, 4000, 2000), [[6], [15], [15]], { numBatches: 6 });
  });

  it("without inverse works on non-numbers (max of strings)", async () => {
    await testOperation([["b", "a"], ["c"], []], (s) => s.reduceByWindow((a, b) => (a > b ? a : b), 2000, 1000), [["b"], ["c"], ["c"]], { checkpoint: false });
  });
});

describe("incremental windows need a checkpoint directory", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });
  let restoreLogger: Logger | undefined;
  beforeEach(() => { restoreLogger = setLogger({ info() {}, warn() {} }); });
  afterEach(() => { if (restoreLogger) setLogger(restoreLogger); });

  const cases: [string, (s: DStream<string>) => DStream<unknown>][] = [
    ["countByWindow", (s) => s.countByWindow(2000, 1000)],
    ["countByValueAndWindow", (s) => s.countByValueAndWindow(2000, 1000)],
    ["reduceByWindow with inverse", (s) => s.reduceByWindow((a, b) => a + b, (a) => a, 2000, 1000)],
  ];
  it.each(cases)("%s: start() fails without ssc.checkpoint(dir)", (_name, op) => {
    const { ssc } = setupOperation([["a"]], op, { checkpoint: false });
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_NO_CHECKPOINT_DIR",
      message: "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().",
    }));
  });
});

describe("windowed word count, printed", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("prints Spark's format; keys stay at 0 after leaving the window", async () => {
    const { ssc, clock } = setupOperation([["a b a"], ["c"], []], (lines) => {
      const counts = lines.flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1] as [string, number])
        .reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, Durations.seconds(2), Durations.seconds(1));
      counts.print();
      return counts;
    });
    const printed = await printedWhileRunning(ssc, clock, 3000);
    const line = "-------------------------------------------";
    expect(printed).toBe([
      line, "Time: 1000 ms", line, "(b,1)", "(a,2)", "",
      line, "Time: 2000 ms", line, "(b,1)", "(a,2)", "(c,1)", "",
      line, "Time: 3000 ms", line, "(b,0)", "(a,0)", "(c,1)", "", "",
    ].join("\n"));
  });
});
