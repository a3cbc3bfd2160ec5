import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, setLogger, State, StateSpec, StreamingContext, TestInputStream } from "../../engine";
import type { CheckpointRestoredInfo, CheckpointWrittenInfo, OutputOperationInfo, StreamingListener, StreamNodeInfo, StreamSizeInfo } from "../../engine";
import { webUiHooks } from "../../engine/ui-hooks";

/*
 * The listener events the Streaming page reads (issue 21), in virtual time: the graph at start,
 * each stream's batch and state size, the failed output's code, checkpoints written and restored,
 * the stop; and the UI hook's life cycle (spark.ui.enabled, stop with the context).
 */

let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => { previousLogger = setLogger({ warn: () => {}, info: () => {} }); });
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previousLogger);
  webUiHooks.start = undefined;
});

function recorder() {
  const events: Array<[string, unknown]> = [];
  const listener: StreamingListener = {
    onGraphUpdated: (e) => events.push(["graph", e.streams]),
    onStreamSizes: (e) => events.push(["sizes", e]),
    onOutputOperationCompleted: (e) => events.push(["op", e.outputOperationInfo]),
    onCheckpointWritten: (e) => events.push(["written", e.checkpoint]),
    onCheckpointRestored: (e) => events.push(["restored", e.restore]),
    onStreamingStarted: () => events.push(["started", undefined]),
    onStreamingStopped: () => events.push(["stopped", undefined]),
  };
  const of = <T>(kind: string) => events.filter(([k]) => k === kind).map(([, v]) => v as T);
  return { listener, events, of };
}

function wordTotals(clock: ManualClock, dir: string | undefined, batches: string[][]) {
  const ssc = new StreamingContext({ appName: "events", master: "local[2]", batchDuration: 1000, clock });
  if (dir) ssc.checkpoint(dir);
  const words = new TestInputStream(ssc, batches, 2).flatMap((l: string) => l.split(" "));
  const pairs = words.mapToPair((w: string) => [w, 1] as [string, number]);
  pairs.updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).print();
  pairs.mapWithState(StateSpec.function((_k: string, v: number | undefined, s: State<number>) => { s.update((s.exists() ? s.get() : 0) + (v ?? 0)); return v; })).foreachRDD((rdd) => {
    if (rdd.count() === 3) throw Object.assign(new Error("three"), { code: "APP_THREE" });
  });
  return ssc;
}

describe("listener events for the Streaming page", () => {
  it("onGraphUpdated at start: every stream with its operator, parents, input/stateful flags and outputs", () => {
    const clock = new ManualClock(0);
    const ssc = wordTotals(clock, fs.mkdtempSync(path.join(os.tmpdir(), "ui-events-")), [["a b"]]);
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try { ssc.start(); } finally { out.mockRestore(); }
    expect(r.events.map(([k]) => k)).toEqual(["graph", "started"]);
    const pick = (n: StreamNodeInfo) => [n.id, n.kind, n.parents, n.input, n.stateful, n.outputOpId, n.outputOpName, n.slideDuration];
    expect(r.of<StreamNodeInfo[]>("graph")[0].map(pick)).toEqual([
      [0, "TestInputStream", [], true, false, undefined, undefined, 1000],
      [1, "FlatMappedDStream", [0], false, false, undefined, undefined, 1000],
      [2, "MappedDStream", [1], false, false, undefined, undefined, 1000],
      [3, "StateDStream", [2], false, true, undefined, undefined, 1000],
      [4, "ForEachDStream", [3], false, false, 0, "print", 1000],
      [5, "MapWithStateDStream", [6], false, false, undefined, undefined, 1000],
      [6, "InternalMapWithStateDStream", [2], false, true, undefined, undefined, 1000],
      [7, "ForEachDStream", [5], false, false, 1, "foreachRDD", 1000],
    ]);
  });

  it("onStreamSizes: each kept batch's records and each stateful stream's state; a failed output's code", async () => {
    const clock = new ManualClock(0);
    const ssc = wordTotals(clock, fs.mkdtempSync(path.join(os.tmpdir(), "ui-events-")), [["a b", "a"], ["c"], ["d e f"]]);
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      ssc.start();
      await clock.advance(3000);
    } finally { out.mockRestore(); }
    const sizes = r.of<{ batchTime: number; streams: StreamSizeInfo[] }>("sizes");
    expect(sizes.map((s) => s.batchTime)).toEqual([1000, 2000, 3000]);
    const byId = (t: number) => Object.fromEntries((sizes.find((s) => s.batchTime === t) as { streams: StreamSizeInfo[] }).streams.map((s) => [s.streamId, s]));
    // The input (2 lines, kept), the state after each batch (keys a, b; then c; then d, e, f), the mapped records of mapWithState.
    expect(byId(1000)[0]).toEqual({ streamId: 0, records: 2 });
    expect(byId(1000)[3]).toEqual({ streamId: 3, records: 2, stateSize: 2 });
    expect(byId(2000)[3]).toEqual({ streamId: 3, records: 3, stateSize: 3 });
    expect(byId(3000)[3]).toEqual({ streamId: 3, records: 6, stateSize: 6 });
    // mapWithState's state: Spark's approxSize of the delta chain (2 + 1 + 3 keys), in one state record per partition.
    expect(byId(3000)[6]).toEqual({ streamId: 6, records: 2, stateSize: 6 });
    const failed = r.of<OutputOperationInfo>("op").filter((o) => o.failureReason !== undefined);
    expect(failed.map((o) => [o.batchTime, o.id, o.name, o.errorCode, o.failureReason?.split("\n")[0]])).toEqual([[1000, 1, "foreachRDD", "APP_THREE", "Error: three"], [3000, 1, "foreachRDD", "APP_THREE", "Error: three"]]);
    expect(r.of<OutputOperationInfo>("op").filter((o) => o.failureReason === undefined).every((o) => o.errorCode === undefined)).toBe(true);
  });

  it("onCheckpointWritten after each batch, onCheckpointRestored at the restart with the batches replayed, onStreamingStopped", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ui-events-"));
    const clock = new ManualClock(0);
    const batches = [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]];
    const first = wordTotals(clock, dir, batches);
    const r1 = recorder();
    first.addStreamingListener(r1.listener);
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      first.start();
      await clock.advance(2000);
      first.abandonForTest();
      const written = r1.of<CheckpointWrittenInfo>("written");
      // The zero time's checkpoint holds the first batch as pending, written before its jobs ran.
      expect(written.map((w) => [w.batchTime, w.file, w.writeTime, w.walBytes])).toEqual([
        [0, path.join(dir, "checkpoint-0"), 1000, undefined],
        [1000, path.join(dir, "checkpoint-1000"), 1000, undefined],
        [2000, path.join(dir, "checkpoint-2000"), 2000, undefined],
      ]);
      expect(written.map((w) => w.bytes)).toEqual([fs.statSync(path.join(dir, "checkpoint-0")).size, fs.statSync(path.join(dir, "checkpoint-1000")).size, fs.statSync(path.join(dir, "checkpoint-2000")).size]);
      // Down for 3 batches: the restart replays 3000, 4000 and 5000 before the timer's first batch.
      await clock.advance(3500);
      const second = StreamingContext.getOrCreate(dir, () => wordTotals(clock, dir, batches));
      const r2 = recorder();
      second.addStreamingListener(r2.listener);
      second.start();
      expect(r2.of<CheckpointRestoredInfo>("restored")).toEqual([{ file: path.join(dir, "checkpoint-2000"), checkpointTime: 2000, replayedBatches: 3, restoredStreams: 8, walBlocks: undefined }]);
      expect(r2.events.map(([k]) => k).slice(0, 3)).toEqual(["graph", "restored", "started"]);
      await second.stop();
      expect(r2.events[r2.events.length - 1][0]).toBe("stopped");
    } finally { out.mockRestore(); }
  });

  it("the UI hook starts with the context unless spark.ui.enabled is false, and stops with it", async () => {
    const started: string[] = [];
    let stopped = 0;
    webUiHooks.start = (ssc) => { started.push(ssc.appName); return { url: `ui-of-${ssc.appName}`, stop: () => { stopped++; } }; };
    const clock = new ManualClock(0);
    const on = new StreamingContext({ appName: "on", batchDuration: 1000, clock });
    on.queueStream([]).foreachRDD(() => {});
    expect(on.uiWebUrl()).toBeUndefined();
    on.start();
    expect([started, on.uiWebUrl(), stopped]).toEqual([["on"], "ui-of-on", 0]);
    await on.stop();
    expect([on.uiWebUrl(), stopped]).toEqual([undefined, 1]);
    const off = new StreamingContext({ appName: "off", batchDuration: 1000, clock, conf: { "spark.ui.enabled": false } });
    off.queueStream([]).foreachRDD(() => {});
    off.start();
    expect([started, off.uiWebUrl()]).toEqual([["on"], undefined]);
    await off.stop();
    webUiHooks.start = () => { throw new Error("no port"); };
    const failing = new StreamingContext({ appName: "failing", batchDuration: 1000, clock });
    failing.queueStream([]).foreachRDD(() => {});
    failing.start();
    expect([failing.getState(), failing.uiWebUrl()]).toEqual(["ACTIVE", undefined]);
  });
});
