import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { DStream, HashPartitioner, InputDStream, ManualClock, RDD, StreamingContext, TestInputStream, Time } from "../../engine";
import { printedWhileRunning } from "../helpers/capture";
import { runOperation, setupOperation, testOperation, toPlain } from "../helpers/test-operation";

// Golden tests ported from Spark's BasicOperationsSuite ("updateStateByKey*"). Spark compares these
// as sets; we assert Spark's exact order, reasoned from its semantics: state = data.cogroup(prevState,
// HashPartitioner(2)) iterated per partition in AppendOnlyMap slot order. With String.hashCode
// a=97, b=98, c=99: b goes to partition 0, a and c to partition 1, and murmur3(97)&63 = 17 <
// murmur3(99)&63 = 62 puts a before c. So a batch holding all three prints b, a, c.

afterEach(async () => { await StreamingContext.stopActive(); });

const sumUpdate = (values: number[], state: number | undefined) => values.reduce((a, b) => a + b, 0) + (state ?? 0);
const words = [["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"], []];
const ones = (s: DStream<string>) => s.map((x) => [x, 1] as [string, number]);

/** Spark's TestInputStream: a `null` batch means no RDD at all for that time (the "None" case). */
class OptionalBatchStream<T> extends InputDStream<T> {
  constructor(ssc: StreamingContext, private readonly batches: (T[] | null)[]) { super(ssc); }
  protected compute(time: number): RDD<T> | undefined {
    const batch = this.batches[(time - (this.zeroTime as number)) / this.slideDuration - 1];
    return batch === null ? undefined : this.ssc.parallelize(batch ?? [], 2);
  }
}

async function runWithOptionalBatches<T, U>(batches: (T[] | null)[], op: (s: DStream<T>) => DStream<U>): Promise<{ time: number; items: U[] }[]> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "test", master: "local[2]", batchDuration: 1000, clock });
  ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-state-")));
  const out: { time: number; items: U[] }[] = [];
  op(new OptionalBatchStream(ssc, batches)).foreachRDD((rdd, time) => { out.push({ time: time.milliseconds, items: rdd.collect() }); });
  ssc.start();
  await clock.advance(batches.length * 1000);
  await ssc.stop();
  return toPlain(out);
}

describe("updateStateByKey (BasicOperationsSuite)", () => {
  it("updateStateByKey", async () => {
    await testOperation(words, (s) => ones(s).updateStateByKey(sumUpdate), [
      [["a", 1]],
      [["b", 1], ["a", 2]],
      [["b", 2], ["a", 3], ["c", 1]],
      [["b", 3], ["a", 4], ["c", 1]],
      [["b", 3], ["a", 5], ["c", 1]],
      [["b", 3], ["a", 5], ["c", 1]],
    ]);
  });

  const withInitial = [
    [["a", 2], ["c", 2]],
    [["b", 1], ["a", 3], ["c", 2]],
    [["b", 2], ["a", 4], ["c", 3]],
    [["b", 3], ["a", 5], ["c", 3]],
    [["b", 3], ["a", 6], ["c", 3]],
    [["b", 3], ["a", 6], ["c", 3]],
  ];

  it("simple with initial value RDD", async () => {
    await testOperation(words, (s, ssc) =>
      ones(s).updateStateByKey(sumUpdate, new HashPartitioner(2), ssc.parallelize([["a", 1], ["c", 2]] as [string, number][])), withInitial);
  });

  it("initial value as an array of pairs (pyspark accepts a plain iterable too)", async () => {
    await testOperation(words, (s) => ones(s).updateStateByKey(sumUpdate, 2, [["a", 1], ["c", 2]]), withInitial);
  });

  it("with initial value RDD (iterator form, rememberPartitioner)", async () => {
    await testOperation(words, (s, ssc) => {
      const iterate = function* (triples: Iterable<[string, number[], number | undefined]>): Iterable<[string, number]> {
        for (const [k, vs, st] of triples) yield [k, sumUpdate(vs, st)];
      };
      return ones(s).updateStateByKey(iterate, new HashPartitioner(2), true, ssc.parallelize([["a", 1], ["c", 2]] as [string, number][]));
    }, withInitial);
  });

  it("object lifecycle (batches without an RDD re-apply the function with no values)", async () => {
    class StateObject {
      constructor(public counter = 0, public expireCounter = 0) {}
      seenNothing(): boolean { return ++this.expireCounter === 2; }
    }
    // The update function clears a state when it has been seen without new values twice in a row.
    const update = (values: number[], state: StateObject | undefined) => {
      const obj = state ?? new StateObject();
      const n = values.reduce((a, b) => a + b, 0);
      if (n === 0) return obj.seenNothing() ? undefined : obj;
      obj.counter += n;
      obj.expireCounter = 0;
      return obj;
    };
    const out = await runWithOptionalBatches([["a", "b"], null, ["a", "c", "a"], ["c"], null, null], (s) =>
      ones(s).updateStateByKey<StateObject>(update).mapValues((o) => o.counter));
    expect(out).toEqual([
      { time: 1000, items: [["b", 1], ["a", 1]] },
      { time: 2000, items: [["b", 1], ["a", 1]] },
      { time: 3000, items: [["a", 3], ["c", 1]] },
      { time: 4000, items: [["a", 3], ["c", 2]] },
      { time: 5000, items: [["c", 2]] },
      { time: 6000, items: [] },
    ]);
  });

  it("testing time stamps as input", async () => {
    // a -> 1000, 3000, 6000, 10000, 15000, 15000; b -> 0, 2000, 5000, 9000, 9000, 9000; c -> 0, 0, 3000, ...
    await testOperation(words, (s, ssc) => ones(s).updateStateByKey(
      (time: Time, _key: string, values: number[], state: number | undefined) => (values.length > 0 ? time.milliseconds + (state ?? 0) : state ?? 0),
      new HashPartitioner(2), false, ssc.parallelize([["a", 0], ["c", 0]] as [string, number][]),
    ), [
      [["a", 1000], ["c", 0]],
      [["b", 2000], ["a", 3000], ["c", 0]],
      [["b", 5000], ["a", 6000], ["c", 3000]],
      [["b", 9000], ["a", 10000], ["c", 3000]],
      [["b", 9000], ["a", 15000], ["c", 3000]],
      [["b", 9000], ["a", 15000], ["c", 3000]],
    ]);
  });
});

describe("updateStateByKey semantics (Spark guide §2.4)", () => {
  it("the lecture's updateFunction works unannotated: the state type defaults to the value type", async () => {
    const updateFunction = (values: number[], state: number | undefined) => {
      let sum = state ?? 0;
      for (const i of values) sum += i;
      return sum;
    };
    await testOperation(words, (s) => ones(s).updateStateByKey(updateFunction), [
      [["a", 1]], [["b", 1], ["a", 2]], [["b", 2], ["a", 3], ["c", 1]], [["b", 3], ["a", 4], ["c", 1]], [["b", 3], ["a", 5], ["c", 1]], [["b", 3], ["a", 5], ["c", 1]],
    ]);
    // ...and inline, exactly as the lecture writes it, with no annotation at all.
    const globalCount = (s: DStream<string>) => ones(s).updateStateByKey((values, state) => {
      let sum = state ?? 0;
      for (const i of values) sum += i;
      return sum;
    });
    await testOperation([["a", "a"]], globalCount, [[["a", 2]]]);
  });

  it("calls the function for every key of either side: [] for a key with no new data, undefined for a new key", async () => {
    const calls: string[] = [];
    await runOperation([["a", "b"], ["a"], []], (s) => ones(s).updateStateByKey((values: number[], state: number | undefined) => {
      calls.push(`${JSON.stringify(values)}/${state}`);
      return sumUpdate(values, state);
    }), 3);
    // batch 1 (groupByKey): b, a; batch 2 (cogroup): b with no data, a; batch 3: both with no data
    expect(calls).toEqual(["[1]/undefined", "[1]/undefined", "[]/1", "[1]/1", "[]/1", "[]/2"]);
  });

  it("returning undefined or null removes the key; a removed key starts again from undefined", async () => {
    const capped = (values: number[], state: number | undefined) => {
      const sum = sumUpdate(values, state);
      if (sum >= 3) return undefined;
      return sum === 0 ? null : sum;
    };
    await testOperation([["a", "b"], ["a"], ["a"], [], ["a"]], (s) => ones(s).updateStateByKey(capped), [
      [["b", 1], ["a", 1]],
      [["b", 1], ["a", 2]],
      [["b", 1]],
      [["b", 1]],
      [["b", 1], ["a", 1]],
    ]);
  });

  it("numPartitions sets the state's partitioning (one partition: slot order a, b, c)", async () => {
    await testOperation(words.slice(0, 3), (s) => ones(s).updateStateByKey(sumUpdate, 1), [
      [["a", 1]], [["a", 2], ["b", 1]], [["a", 3], ["b", 2], ["c", 1]],
    ]);
    const parts = await runOperation([["a", "b", "c"]], (s) => ones(s).updateStateByKey(sumUpdate, 3).glom(), 1);
    // 97 % 3 = 1, 98 % 3 = 2, 99 % 3 = 0
    expect(parts).toEqual([[[["c", 1]], [["a", 1]], [["b", 1]]]]);
  });

  it("the iterator form may rename keys", async () => {
    await testOperation([["a"], ["b"]], (s) => ones(s).updateStateByKey(
      (triples: Iterable<[string, number[], number | undefined]>) => Array.from(triples, ([k, vs, st]) => [k.toUpperCase(), sumUpdate(vs, st)] as [string, number]),
      new HashPartitioner(1), false,
    ), [[["A", 1]], [["B", 1], ["A", 1]]]); // one partition, slot order: b (22) before A (24)
  });

  it("the first batch without data but with an initial RDD produces nothing; the next one starts from the initial state", async () => {
    const out = await runWithOptionalBatches<string, [string, number]>([null, ["a"]], (s) =>
      ones(s).updateStateByKey(sumUpdate, new HashPartitioner(2), [["a", 10]]));
    expect(out).toEqual([{ time: 2000, items: [["a", 11]] }]);
  });

  it("keeps state objects of earlier batches intact when the function mutates its state", async () => {
    const { ssc, clock } = setupOperation([["a"], ["a"]], (s) => ones(s).updateStateByKey((values: number[], state: { n: number } | undefined) => {
      const st = state ?? { n: 0 };
      st.n += values.length;
      return st;
    }));
    const stateStream = ssc.graph.streams.find((x) => x.constructor.name === "StateDStream") as DStream<[string, { n: number }]>;
    ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(toPlain(stateStream.generatedRDDs.get(1000)?.collect())).toEqual([["a", { n: 1 }]]);
    expect(toPlain(stateStream.generatedRDDs.get(2000)?.collect())).toEqual([["a", { n: 2 }]]);
  });
});

describe("updateStateByKey checkpointing and validation", () => {
  it("start() without ssc.checkpoint(dir) fails with Spark's message", () => {
    const { ssc } = setupOperation([["a"]], (s) => ones(s).updateStateByKey(sumUpdate), { checkpoint: false });
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_NO_CHECKPOINT_DIR",
      message: "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().",
    }));
  });

  it("checkpoints by default at the smallest multiple of the slide that is at least 10 s, and remembers twice that", async () => {
    for (const [batch, expected] of [[1000, 10000], [3000, 12000], [20000, 20000]]) {
      const { ssc } = setupOperation([["a"]], (s) => ones(s).updateStateByKey(sumUpdate), { batchDuration: batch });
      const state = ssc.graph.streams.find((x) => x.constructor.name === "StateDStream") as DStream<unknown>;
      ssc.start();
      expect([state.checkpointDuration, state.rememberDuration, state.storageLevel.name]).toEqual([expected, 2 * expected, "MEMORY_ONLY_SER"]);
      await ssc.stop();
    }
    const { ssc } = setupOperation([["a"]], (s) => ones(s).updateStateByKey(sumUpdate).checkpoint(3000));
    const state = ssc.graph.streams.find((x) => x.constructor.name === "StateDStream") as DStream<unknown>;
    ssc.start();
    expect(state.checkpointDuration).toBe(3000);
    await ssc.stop();
  });

  it("rejects bad arguments with coded errors", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const pairs = new TestInputStream<[string, number]>(ssc, []);
    expect(() => pairs.updateStateByKey("sum" as never)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_ARGUMENT", message: 'updateStateByKey\'s update function must be a function (values, state) => newState, got "sum".',
    }));
    expect(() => pairs.updateStateByKey(sumUpdate, 0)).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_PARTITIONS" }));
    expect(() => pairs.updateStateByKey(sumUpdate, 2, 5 as never)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_ARGUMENT", message: "updateStateByKey's initial state must be an RDD or an array of [key, state] pairs, got number 5.",
    }));
    expect(() => pairs.updateStateByKey((t: Iterable<[string, number[], number | undefined]>) => [] as [string, number][], 2 as never, true)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_ARGUMENT", message: "updateStateByKey's partitioner must be a Partitioner such as new HashPartitioner(2), got number 2.",
    }));
  });
});

describe("updateStateByKey state as plain data (the fault-tolerance contract)", () => {
  it("the state is the stream's batch; a v8 copy restored at T (without its partitioner) continues at T + slide", async () => {
    const { ssc, clock } = setupOperation(words.slice(0, 2), (s) => ones(s).updateStateByKey(sumUpdate));
    const state = ssc.graph.streams.find((x) => x.constructor.name === "StateDStream") as DStream<[string, number]>;
    ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    const plain = v8.deserialize(v8.serialize((state.generatedRDDs.get(2000) as RDD<[string, number]>).partitions)) as [string, number][][];
    expect(plain).toEqual([[["b", 1]], [["a", 2]]]);

    const clock2 = new ManualClock(2000);
    const ssc2 = new StreamingContext({ appName: "restored", master: "local[2]", batchDuration: 1000, clock: clock2 });
    ssc2.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-restore-")));
    const restored = ones(new TestInputStream(ssc2, [["a", "c"]])).updateStateByKey(sumUpdate);
    const out: [string, number][][] = [];
    restored.foreachRDD((rdd) => { out.push(rdd.collect()); });
    restored.generatedRDDs.set(2000, new RDD(plain));
    ssc2.start();
    await clock2.advance(1000);
    await ssc2.stop();
    expect(out).toEqual([[["b", 1], ["a", 3], ["c", 1]]]);
  });
});

describe("updateStateByKey and failures", () => {
  it("a throwing update function fails its batch's jobs; the next batch continues from the last good state", async () => {
    const calls: string[] = [];
    const update = (values: number[], state: number | undefined) => {
      calls.push(`${JSON.stringify(values)}/${state}`);
      if (values.includes(-1)) throw new Error("bad value -1");
      return sumUpdate(values, state);
    };
    const { ssc, clock, output } = setupOperation<[string, number], [string, number]>(
      [[["a", 1]], [["a", 1], ["a", -1]], [["a", 1]]],
      (s) => {
        const state = s.updateStateByKey(update);
        state.foreachRDD(() => {}); // a second output: the failed batch is not recomputed for it
        return state;
      },
    );
    ssc.start();
    await clock.advance(3000);
    await expect(ssc.awaitTermination()).rejects.toThrow("bad value -1");
    await ssc.stop();
    expect(toPlain(output)).toEqual([
      { time: 1000, items: [["a", 1]] },
      { time: 3000, items: [["a", 2]] }, // batch 1's state + batch 3's data; batch 2's data is left out
    ]);
    expect(calls).toEqual(["[1]/undefined", "[1,-1]/1", "[1]/1"]);
  });
});

describe("the lecture's global word count", () => {
  it("prints the running totals every batch in Spark's format and order", async () => {
    const clock = new ManualClock(1513517144000);
    const ssc = new StreamingContext({ appName: "WordCountStreaming", master: "local[2]", batchDuration: 1000, clock });
    ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-wc-")));
    const updateFunction = (values: number[], state: number | undefined) => {
      let sum = state ?? 0;
      for (const i of values) sum += i;
      return sum;
    };
    const lines = new TestInputStream(ssc, [["hello world hello", "bye bye"], [], ["hello again"]]);
    const wordCounts = lines.flatMap((s) => s.split(" ")).mapToPair((s) => [s, 1] as [string, number]).updateStateByKey(updateFunction);
    wordCounts.print();
    const printed = await printedWhileRunning(ssc, clock, 3000);
    // All four words hash to partition 0; slots: hello 35, bye 36, again 44, world 62.
    expect(printed).toBe([
      "-------------------------------------------",
      "Time: 1513517145000 ms",
      "-------------------------------------------",
      "(hello,2)",
      "(bye,2)",
      "(world,1)",
      "",
      "-------------------------------------------",
      "Time: 1513517146000 ms",
      "-------------------------------------------",
      "(hello,2)",
      "(bye,2)",
      "(world,1)",
      "",
      "-------------------------------------------",
      "Time: 1513517147000 ms",
      "-------------------------------------------",
      "(hello,3)",
      "(bye,2)",
      "(again,1)",
      "(world,1)",
      "",
      "",
    ].join("\n"));
  });
});
