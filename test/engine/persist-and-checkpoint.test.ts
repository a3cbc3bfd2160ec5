import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, StorageLevel, StreamingContext, TestInputStream } from "../../engine";
import { testOperation } from "../helpers/test-operation";

afterEach(async () => { await StreamingContext.stopActive(); });

function context(batch = 1000, checkpoint = true) {
  const ssc = new StreamingContext({ batchDuration: batch, clock: new ManualClock() });
  if (checkpoint) ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cp-")));
  return ssc;
}

describe("persist and cache", () => {
  it("cache() and persist() default to MEMORY_ONLY_SER, as Spark", () => {
    const ssc = context();
    const a = new TestInputStream(ssc, []).map((x) => x).cache();
    const b = new TestInputStream(ssc, []).map((x) => x).persist(StorageLevel.MEMORY_AND_DISK);
    expect([String(a.storageLevel), String(b.storageLevel)]).toEqual(["MEMORY_ONLY_SER", "MEMORY_AND_DISK"]);
  });
});

describe("checkpoint(interval) validation at start (Spark's validateAtStart)", () => {
  it("an interval below the slide", () => {
    const ssc = context(2000);
    new TestInputStream(ssc, []).map((x) => x).checkpoint(1000).foreachRDD(() => {});
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_CHECKPOINT_INTERVAL",
      message: "requirement failed: The checkpoint interval for MappedDStream has been set to 1000 ms which is lower than its slide time (2000 ms). Please set it to at least 2000 ms.",
    }));
  });

  it("an interval that is not a multiple of the slide", () => {
    const ssc = context(2000);
    new TestInputStream(ssc, []).map((x) => x).checkpoint(3000).foreachRDD(() => {});
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_CHECKPOINT_INTERVAL",
      message: "requirement failed: The checkpoint interval for MappedDStream has been set to 3000 ms which not a multiple of its slide time (2000 ms). Please set it to a multiple of 2000 ms.",
    }));
  });

  it("an interval without a checkpoint directory", () => {
    const ssc = context(1000, false);
    new TestInputStream(ssc, []).map((x) => x).checkpoint(5000).foreachRDD(() => {});
    expect(() => ssc.start()).toThrow(expect.objectContaining({ code: "STREAM_ERR_NO_CHECKPOINT_DIR" }));
  });

  it("a checkpointed stream remembers twice its interval (Spark's 'paranoia' factor)", () => {
    const ssc = context(1000);
    const s = new TestInputStream(ssc, []).map((x) => x).checkpoint(5000);
    s.foreachRDD(() => {});
    ssc.start();
    expect([s.checkpointDuration, s.rememberDuration]).toEqual([5000, 10_000]);
  });

  it("stateful streams default to the smallest multiple of the slide that is at least 10 s", () => {
    const ssc = context(3000);
    const state = new TestInputStream<[string, number]>(ssc, []).updateStateByKey((vs: number[], s?: number) => vs.length + (s ?? 0));
    state.foreachRDD(() => {});
    ssc.start();
    expect([state.checkpointDuration, state.rememberDuration, String(state.storageLevel)]).toEqual([12_000, 24_000, "MEMORY_ONLY_SER"]);
  });

  it("checkpoint(interval) is refused after start", () => {
    const ssc = context();
    const s = new TestInputStream(ssc, []);
    s.foreachRDD(() => {});
    ssc.start();
    expect(() => s.checkpoint(5000)).toThrow(expect.objectContaining({ code: "STREAM_ERR_CHANGE_AFTER_START", message: "Cannot change checkpoint interval of a DStream after streaming context has started. Set it before ssc.start()." }));
  });
});

describe("Java-API aliases", () => {
  it("flatMapToPair and transformToPair", async () => {
    await testOperation([["a b", "c"]], (s) => s.flatMapToPair((line) => line.split(" ").map((w) => [w, w.length] as [string, number])), [[["a", 1], ["b", 1], ["c", 1]]]);
    await testOperation([[1, 2]], (s) => s.transformToPair((rdd) => rdd.map((x) => [x, x * x] as [number, number])), [[[1, 1], [2, 4]]]);
  });
});
