import { ManualClock, Receiver, ReceiverInfo, setLogger, StorageLevel, StreamingContext } from "../../engine";
import { BusyClock } from "../helpers/busy-clock";

class ScriptedReceiver<T = string> extends Receiver<T> {
  calls: string[] = [];
  failStart = false;
  onStart(): void {
    this.calls.push("onStart");
    if (this.failStart) throw new Error("cannot open source");
  }
  onStop(): void { this.calls.push("onStop"); }
}

type ReceiverEvent = { kind: "started" | "error" | "stopped"; info: ReceiverInfo };

function setup<T = string>(conf: Record<string, string | number> = {}, receiver = new ScriptedReceiver<T>()) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "receiver", master: "local[2]", batchDuration: 1000, clock, conf });
  const stream = ssc.receiverStream(receiver);
  const batches: { time: number; partitions: T[][] }[] = [];
  stream.foreachRDD((rdd, time) => { batches.push({ time: time.milliseconds, partitions: rdd.partitions.map((p) => [...p]) }); });
  const numRecords: number[] = [];
  const events: ReceiverEvent[] = [];
  ssc.addStreamingListener({
    onReceiverStarted: ({ receiverInfo }) => events.push({ kind: "started", info: receiverInfo }),
    onReceiverError: ({ receiverInfo }) => events.push({ kind: "error", info: receiverInfo }),
    onReceiverStopped: ({ receiverInfo }) => events.push({ kind: "stopped", info: receiverInfo }),
    onBatchCompleted: ({ batchInfo }) => numRecords.push(batchInfo.streamIdToInputInfo.get(stream.id)?.numRecords ?? -1),
  });
  return { clock, ssc, stream, receiver, batches, events, numRecords };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

let warnings: string[] = [];
let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => {
  warnings = [];
  previousLogger = setLogger({ warn: (m) => warnings.push(m), info: () => {} });
});
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previousLogger);
});

describe("Receiver.store", () => {
  it("buffers single records into 200 ms blocks and stores arrays and iterators as one block at once", async () => {
    const { clock, ssc, stream, receiver, batches, numRecords } = setup();
    ssc.start();
    receiver.store("a");
    receiver.store("b");
    receiver.store(["x", "y"], { offset: 7 });
    receiver.store((function* () { yield "g1"; yield "g2"; })());
    receiver.store("c");
    await clock.advance(1000);
    expect(ssc.receiverTracker.getBlocksOfBatch(1000, stream.id).map((b) => b.metadata)).toEqual([{ offset: 7 }, undefined, undefined]);
    receiver.store("d");
    await clock.advance(2000);
    expect(batches).toEqual([
      { time: 1000, partitions: [["x", "y"], ["g1", "g2"], ["a", "b", "c"]] },
      { time: 2000, partitions: [["d"]] },
      { time: 3000, partitions: [] },
    ]);
    expect(numRecords).toEqual([7, 1, 0]);
  });

  it("treats strings and Buffers as single records; storeSingle/storeBlock choose explicitly", async () => {
    const { clock, ssc, receiver, batches } = setup<unknown>();
    ssc.start();
    receiver.store("hello");
    receiver.store(Buffer.from("hi"));
    receiver.storeSingle([1, 2]);
    receiver.storeBlock(new Set(["s1", "s2"]));
    receiver.store(new Set(["s3"]));
    await clock.advance(1000);
    expect(batches).toEqual([{ time: 1000, partitions: [["s1", "s2"], ["s3"], ["hello", Buffer.from("hi"), [1, 2]]] }]);
  });

  it("storeAndWait resolves when the rate limiter lets the record in", async () => {
    const { clock, ssc, receiver } = setup({ "spark.streaming.receiver.maxRate": 2 });
    ssc.start();
    const admitted: string[] = [];
    for (const r of ["a", "b", "c"]) void receiver.storeAndWait(r).then(() => admitted.push(`${r}@${clock.getTimeMillis()}`));
    await tick();
    expect(admitted).toEqual(["a@0"]);
    await clock.advance(1000);
    expect(admitted).toEqual(["a@0", "b@500", "c@1000"]);
  });

  it("fails with a clear error before the receiver is given to receiverStream, and when given twice", () => {
    const r = new ScriptedReceiver();
    expect(() => r.store("x")).toThrow(expect.objectContaining({
      code: "STREAM_ERR_RECEIVER_NOT_ATTACHED",
      message: "A ReceiverSupervisor has not been attached to the receiver ScriptedReceiver yet. Maybe you are starting some computation in the receiver before the Receiver.onStart() has been called. Pass the receiver to ssc.receiverStream(receiver) and call store(...) only from onStart() on.",
    }));
    const { ssc, stream, receiver } = setup();
    expect(() => ssc.receiverStream(receiver)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_RECEIVER_REUSED",
      message: `This ScriptedReceiver already feeds input stream ${stream.id}; a receiver can run for one stream only. Create a new receiver instance for each receiverStream(...).`,
    }));
    expect(ssc.graph.inputStreams).toHaveLength(1);
    expect(receiver.storageLevel).toBe(StorageLevel.MEMORY_AND_DISK_2);
  });
});

describe("Receiver life cycle and listener events", () => {
  it("posts onReceiverStarted with Spark's ReceiverInfo and reports state", async () => {
    const { ssc, stream, receiver, events } = setup();
    ssc.start();
    expect(receiver.calls).toEqual(["onStart"]);
    expect(receiver.isStarted()).toBe(true);
    expect(receiver.isStopped()).toBe(false);
    expect(receiver.streamId).toBe(stream.id);
    expect(events).toEqual([{ kind: "started", info: {
      streamId: stream.id, name: `ScriptedReceiver-${stream.id}`, active: true, location: "localhost", executorId: "driver",
      lastErrorMessage: "", lastError: "", lastErrorTime: -1,
    } }]);
  });

  it("reportError posts onReceiverError and receiving goes on", async () => {
    const { clock, ssc, receiver, events, batches } = setup();
    ssc.start();
    await clock.advance(500);
    receiver.reportError("parse failure", new Error("bad byte"));
    receiver.store("still here");
    await clock.advance(500);
    const error = events.find((e) => e.kind === "error") as ReceiverEvent;
    expect(error.info).toMatchObject({ active: true, lastErrorMessage: "parse failure", lastErrorTime: 500 });
    expect(error.info.lastError).toMatch(/^Error: bad byte\n\s+at /);
    expect(receiver.isStarted()).toBe(true);
    expect(batches).toEqual([{ time: 1000, partitions: [["still here"]] }]);
    expect(warnings[0]).toMatch(/^ReceiverTracker: Error reported by receiver for stream 0: parse failure - Error: bad byte/);
  });

  it("restart() stops asynchronously, waits receiverRestartDelay on the clock, then starts again", async () => {
    const { clock, ssc, receiver, events, batches } = setup();
    ssc.start();
    receiver.restart("source hiccup", new Error("connection reset"));
    receiver.restart("ignored: a restart is already pending");
    expect(receiver.calls).toEqual(["onStart"]);
    await tick();
    expect(receiver.calls).toEqual(["onStart", "onStop"]);
    expect(receiver.isStopped()).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(["started", "error", "stopped"]);
    expect(events[2].info).toMatchObject({ active: false, lastErrorMessage: "Restarting receiver with delay 2000ms: source hiccup", lastErrorTime: 0 });
    expect(events[2].info.lastError).toMatch(/^Error: connection reset/);
    // Records stored while restarting are not lost: the block generator keeps running.
    receiver.store("during restart");
    await clock.advance(1999);
    expect(receiver.calls).toEqual(["onStart", "onStop"]);
    await clock.advance(1);
    expect(receiver.calls).toEqual(["onStart", "onStop", "onStart"]);
    expect(receiver.isStarted()).toBe(true);
    expect(events[3]).toMatchObject({ kind: "started", info: { active: true, lastErrorMessage: "", lastError: "", lastErrorTime: -1 } });
    expect(batches.map((b) => b.partitions)).toEqual([[["during restart"]], []]);

    // Without an error there is no error event; a custom delay is honoured.
    receiver.restart("rotate", undefined, 500);
    await tick();
    expect(events.slice(4)).toEqual([{ kind: "stopped", info: expect.objectContaining({ lastErrorMessage: "Restarting receiver with delay 500ms: rotate", lastError: "", lastErrorTime: -1 }) }]);
    await clock.advance(500);
    expect(receiver.calls).toEqual(["onStart", "onStop", "onStart", "onStop", "onStart"]);
    expect(warnings).toContain("ReceiverSupervisor: Restarting receiver with delay 500 ms: rotate");
  });

  it("stop() stops the receiver for good; later records are dropped and batches go on empty", async () => {
    const { clock, ssc, receiver, events, batches } = setup();
    ssc.start();
    receiver.store("before stop");
    receiver.stop("source exhausted", new Error("EOF"));
    expect(receiver.calls).toEqual(["onStart", "onStop"]);
    expect(events.map((e) => e.kind)).toEqual(["started", "error", "stopped"]);
    expect(events[2].info).toMatchObject({ active: false, lastErrorMessage: "source exhausted" });
    receiver.store("after stop");
    receiver.restart("no effect after stop");
    await clock.advance(5000);
    expect(receiver.calls).toEqual(["onStart", "onStop"]);
    expect(batches.map((b) => b.partitions)).toEqual([[["before stop"]], [], [], [], []]);
    expect(warnings).toContain("BlockGenerator: Cannot add data as BlockGenerator of stream 0 has been stopped; dropping records stored after stop.");
  });

  it("a receiver whose onStart throws is stopped with \"Error starting receiver <id>\"; onStop is not called", async () => {
    const receiver = new ScriptedReceiver();
    receiver.failStart = true;
    const { clock, ssc, stream, events, batches } = setup({}, receiver);
    ssc.start();
    expect(receiver.calls).toEqual(["onStart"]);
    expect(events.map((e) => e.kind)).toEqual(["error", "stopped"]);
    expect(events[1].info).toMatchObject({ active: false, lastErrorMessage: `Error starting receiver ${stream.id}` });
    expect(events[1].info.lastError).toMatch(/^Error: cannot open source/);
    await clock.advance(1000);
    expect(batches).toEqual([{ time: 1000, partitions: [] }]);
  });
});

describe("maxRate and graceful stop", () => {
  it("spark.streaming.receiver.maxRate limits single records per second (5/s: one per 200 ms block)", async () => {
    const { clock, ssc, receiver, batches } = setup({ "spark.streaming.receiver.maxRate": 5 });
    ssc.start();
    for (let i = 0; i < 12; i++) receiver.store(`r${i}`);
    await clock.advance(3000);
    // The block cut at T goes to the batch after T (the batch timer fires first).
    expect(batches).toEqual([
      { time: 1000, partitions: [["r0"], ["r1"], ["r2"], ["r3"]] },
      { time: 2000, partitions: [["r4"], ["r5"], ["r6"], ["r7"], ["r8"]] },
      { time: 3000, partitions: [["r9"], ["r10"], ["r11"]] },
    ]);
  });

  it("a graceful stop processes every stored record, throttled ones included", async () => {
    const { clock, ssc, receiver, batches, events } = setup({ "spark.streaming.receiver.maxRate": 5 });
    ssc.start();
    for (let i = 0; i < 12; i++) receiver.store(`r${i}`);
    await clock.advance(1000);
    const stopping = ssc.stop({ stopGracefully: true });
    await tick(); // let stop() reach its wait for the next allocation
    expect(receiver.calls).toEqual(["onStart", "onStop"]);
    await clock.advance(1000);
    await stopping;
    expect(batches).toEqual([
      { time: 1000, partitions: [["r0"], ["r1"], ["r2"], ["r3"]] },
      { time: 2000, partitions: [["r4"], ["r5", "r6", "r7", "r8", "r9", "r10", "r11"]] },
    ]);
    expect(events.at(-1)).toMatchObject({ kind: "stopped", info: { active: false, lastErrorMessage: "Stopped by driver", lastErrorTime: -1 } });
    expect(ssc.getState()).toBe("STOPPED");
  });
});

describe("a batch generated late (this thread was busy with the previous one)", () => {
  /** Lines a reading thread received at `at` (its stamp), handed over while this thread was busy. */
  const received = (receiver: ScriptedReceiver, text: string, at: number) =>
    receiver.storePackedLinesOrThrottle(Buffer.from(text), text.split("\n").length - 1, at);

  it("takes the lines received by its time, in blocks of their intervals, leaves later ones to the next batch, and counts its wait from its time", async () => {
    const clock = new BusyClock(0);
    const ssc = new StreamingContext({ appName: "late", master: "local[2]", batchDuration: 1000, clock });
    const receiver = new ScriptedReceiver();
    const batches: { time: number; partitions: string[][] }[] = [];
    ssc.receiverStream(receiver).foreachRDD((rdd, time) => { batches.push({ time: time.milliseconds, partitions: rdd.partitions.map((p) => [...p]) }); });
    const schedulingDelays: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => schedulingDelays.push(batchInfo.schedulingDelay as number) });
    ssc.start();
    received(receiver, "a\n", 100);
    received(receiver, "b\nc\n", 700);
    received(receiver, "d\n", 1000);
    received(receiver, "e\n", 1100);
    received(receiver, "f\n", 1500);
    // Busy until 1600: the batch at 1000 and four block intervals are overdue.
    clock.setTime(1600);
    clock.runDue();
    for (let i = 0; i < 10; i++) await tick();
    // Before, the first late block cut took every line at once, and a late batch took them all.
    expect(batches).toEqual([{ time: 1000, partitions: [["a"], ["b", "c"], ["d"]] }]);
    // It waited from 1000, when Spark's generator thread would have submitted it, till 1600.
    expect(schedulingDelays).toEqual([600]);
    clock.setTime(2000);
    clock.runDue();
    for (let i = 0; i < 10; i++) await tick();
    expect(batches[1]).toEqual({ time: 2000, partitions: [["e"], ["f"]] });
    expect(schedulingDelays).toEqual([600, 0]);
  });
});
