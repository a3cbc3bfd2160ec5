import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  DStream, InputDStream, ManualClock, OutputFailure, OutputInfo, RDD, StateSpec, StreamingContext, TestInputStream,
  TextOutputFormat, outputHooks, setCurrentOwner, setLiveGraphDefault, setLogger, startLineServer,
} from "../../engine";
import { captureStdout } from "../helpers/capture";
import { toPlain } from "../helpers/test-operation";
import { waitUntil } from "../helpers/wait";

// Live graph changes (issue 19, docs/live-graph.md), all in virtual time: streams and outputs
// join and leave at batch boundaries, windows added live start from what their parents remember,
// a re-run stateful definition keeps its state, and outputs report their own failures.

type Batches = Array<[number, unknown[]]>;

let restoreLogger: (() => void) | undefined;
beforeEach(() => {
  const prev = setLogger({ warn: () => {}, info: () => {} });
  restoreLogger = () => setLogger(prev);
});
afterEach(async () => {
  restoreLogger?.();
  setCurrentOwner(undefined);
  setLiveGraphDefault(false);
  delete outputHooks.runJob;
  delete outputHooks.describeCallSite;
  await StreamingContext.stopActive();
});

function liveContext<T>(input: T[][], options: { live?: boolean; checkpoint?: boolean; remember?: number; conf?: Record<string, string | number | boolean> } = {}) {
  const clock = new ManualClock(0);
  const conf: Record<string, string | number | boolean> = { "streamlab.workerThreads": 0, ...options.conf };
  if (options.live !== false) conf["streamlab.graph.liveChanges"] = true;
  const ssc = new StreamingContext({ appName: "live", master: "local[2]", batchDuration: 1000, clock, conf });
  if (options.checkpoint) ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-live-")));
  if (options.remember) ssc.remember(options.remember);
  const stream = new TestInputStream<T>(ssc, input);
  return { ssc, clock, stream };
}

/** An output collecting each batch's elements (sorted when `sort`). */
function collect<T>(stream: DStream<T>, sort = false) {
  const batches: Batches = [];
  const handle = stream.foreachRDD((rdd, t) => {
    const items = toPlain(rdd.collect()) as unknown[];
    batches.push([t.milliseconds, sort ? items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : items]);
  });
  return { batches, handle };
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => [i + 1]);
const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

describe("turning live changes on", () => {
  const sparkMessage = "Adding new inputs, transformations, and output operations after starting a context is not supported. Define the whole graph before ssc.start(), or stop the context and build a new one.";

  it("keeps Spark's rule and exact message by default", async () => {
    const { ssc, clock, stream } = liveContext(numbers(3), { live: false });
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    expect(ssc.liveChangesEnabled).toBe(false);
    expect(() => stream.map((x) => x)).toThrow(expect.objectContaining({ code: "STREAM_ERR_ADD_AFTER_START", message: sparkMessage }));
    expect(() => stream.print()).toThrow(expect.objectContaining({ code: "STREAM_ERR_ADD_AFTER_START" }));
  });

  it("streamlab.graph.liveChanges allows them; the process default applies when the conf does not say", () => {
    expect(liveContext([[1]]).ssc.liveChangesEnabled).toBe(true);
    setLiveGraphDefault(true);
    expect(liveContext([[1]], { live: false }).ssc.liveChangesEnabled).toBe(true);
    expect(liveContext([[1]], { live: false, conf: { "streamlab.graph.liveChanges": false } }).ssc.liveChangesEnabled).toBe(false);
  });

  it("a stopped context still refuses new streams", async () => {
    const { ssc, stream } = liveContext(numbers(2));
    collect(stream);
    ssc.start();
    await ssc.stop();
    expect(() => stream.map((x) => x)).toThrow(expect.objectContaining({ code: "STREAM_ERR_ADD_AFTER_STOP" }));
  });
});

describe("streams and outputs join and leave at batch boundaries", () => {
  it("an output defined after batch 2000 runs from 3000; stopped after 4000, it has no 5000", async () => {
    const { ssc, clock, stream } = liveContext(numbers(6));
    const base = collect(stream);
    ssc.start();
    await clock.advance(2000);
    const live = collect(stream.map((x) => x * 10));
    expect(live.handle.status()).toMatchObject({ status: "running", firstBatchTime: undefined, name: "map", operation: "foreachRDD" });
    await clock.advance(2000);
    expect(live.handle.status().firstBatchTime).toBe(3000);
    let stopped = false;
    const done = live.handle.stop().then(() => { stopped = true; });
    await Promise.resolve();
    expect([stopped, live.handle.status().status]).toEqual([false, "running"]);
    await clock.advance(1000);
    await done;
    expect(stopped).toBe(true);
    await clock.advance(1000);
    expect(base.batches).toEqual([[1000, [1]], [2000, [2]], [3000, [3]], [4000, [4]], [5000, [5]], [6000, [6]]]);
    expect(live.batches).toEqual([[3000, [30]], [4000, [40]]]);
    expect(live.handle.status()).toMatchObject({ status: "stopped", stopReason: "stopped by its handle", since: 5000, chain: "TestInputStream → map → foreachRDD" });
    expect(ssc.outputs().map((o) => [o.id, o.name, o.status])).toEqual([[0, "TestInputStream", "running"], [1, "map", "stopped"]]);
  });

  it("print() added after batch 1 and stopped after batch 2 prints exactly batches 2 and 3 in Spark's format", async () => {
    const { ssc, clock, stream } = liveContext([["a"], ["b", "c"], [], ["d"]]);
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    const printed = captureStdout();
    try {
      const handle = stream.map((w) => [w, w.length]).print();
      await clock.advance(2000);
      void handle.stop();
      await clock.advance(1000);
    } finally {
      printed.restore();
    }
    const dashes = "-------------------------------------------";
    expect(printed.text()).toBe(`${dashes}\nTime: 2000 ms\n${dashes}\n(b,1)\n(c,1)\n\n${dashes}\nTime: 3000 ms\n${dashes}\n\n`);
  });

  it("a cell re-run three times leaves exactly one running output, and each batch is counted once", async () => {
    const { ssc, clock, stream } = liveContext(numbers(6));
    collect(stream);
    ssc.start();
    const counted: number[] = [];
    const runCell = () => {
      ssc.removeOwnedBy("cell-7", "cell [7] re-ran");
      setCurrentOwner("cell-7");
      stream.foreachRDD((_rdd, t) => { counted.push(t.milliseconds); });
      setCurrentOwner(undefined);
    };
    for (let i = 0; i < 3; i++) {
      runCell();
      await clock.advance(1000);
    }
    runCell();
    runCell();
    await clock.advance(3000);
    expect(counted).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    expect(ssc.outputs().filter((o) => o.owner === "cell-7").map((o) => o.status)).toEqual(["stopped", "stopped", "stopped", "stopped", "running"]);
    expect(ssc.graph.outputStreams).toHaveLength(2);
  });

  it("an output defined while a batch runs joins at the next batch, never in the middle of one", async () => {
    const { ssc, clock, stream } = liveContext(numbers(4));
    let inner: ReturnType<typeof collect> | undefined;
    stream.foreachRDD((_rdd, t) => { if (t.milliseconds === 2000) inner = collect(stream.map((x) => -x)); });
    collect(stream);
    ssc.start();
    await clock.advance(4000);
    expect(inner?.batches).toEqual([[3000, [-3]], [4000, [-4]]]);
  });

  it("a new input stream joins at the boundary and a union reads it from there", async () => {
    const { ssc, clock, stream } = liveContext(numbers(5));
    collect(stream);
    ssc.start();
    await clock.advance(2000);
    const queue = ssc.queueStream([[70], [80]]);
    const both = collect(stream.union(queue));
    const alone = collect(queue);
    await clock.advance(3000);
    expect(both.batches).toEqual([[3000, [3, 70]], [4000, [4, 80]], [5000, [5]]]);
    expect(alone.batches).toEqual([[3000, [70]], [4000, [80]], [5000, []]]);
    expect(ssc.graph.inputStreams).toHaveLength(2);
  });

  it("a socket stream added live connects its receiver at the boundary; removing it disconnects (real loopback TCP)", async () => {
    const server = await startLineServer({ lines: [] });
    try {
      const { ssc, clock, stream } = liveContext(numbers(5));
      collect(stream);
      ssc.start();
      await clock.advance(1000);
      setCurrentOwner("cell-2");
      const lines = ssc.socketTextStream("127.0.0.1", server.port);
      const words = collect(lines.flatMap((l) => l.split(" ")));
      setCurrentOwner(undefined);
      expect([lines.supervisor.isReceiverStarted(), ssc.graph.inputStreams.length]).toEqual([false, 1]);
      await clock.advance(1000);
      expect(ssc.graph.inputStreams.length).toBe(2);
      await server.waitForConnections(1);
      server.write("to be or");
      await waitUntil(() => ssc.receiverTracker.numRecordsReceived() === 1, "the line to be received");
      await clock.advance(1000);
      expect(words.batches).toEqual([[2000, []], [3000, ["to", "be", "or"]]]);
      const removal = ssc.removeOwnedBy("cell-2", "cell [2] re-ran");
      await clock.advance(1000);
      await removal.done;
      await waitUntil(() => server.connections === 0, "the receiver to disconnect");
      expect([ssc.graph.inputStreams.length, ssc.receiverTracker.numReceivers, words.batches.length]).toEqual([1, 0, 2]);
    } finally {
      await server.close();
    }
  });

  it("removeOwnedBy removes an owner's streams and stops the outputs of other owners that read them", async () => {
    const { ssc, clock, stream } = liveContext(numbers(5));
    const base = collect(stream);
    const events: string[] = [];
    ssc.addStreamingListener({
      onOutputOperationStopped: ({ output }) => events.push(`stopped ${output.id} ${output.owner}: ${output.stopReason}`),
      onGraphChanged: ({ time, added, removed }) => events.push(`changed ${time} +[${added}] -[${removed}]`),
    });
    ssc.start();
    await clock.advance(2000);
    setCurrentOwner("cell-A");
    const doubled = stream.map((x) => x * 2);
    const a = collect(doubled);
    setCurrentOwner("cell-B");
    const b = collect(doubled.filter((x) => x > 4));
    setCurrentOwner("cell-C");
    const c = collect(stream.map((x) => x + 100));
    setCurrentOwner(undefined);
    await clock.advance(1000);
    const removal = ssc.removeOwnedBy("cell-A", "cell [2] re-ran");
    expect(removal.outputs.map((o) => [o.id, o.owner])).toEqual([[1, "cell-A"]]);
    expect(removal.dependents.map((o) => [o.id, o.owner])).toEqual([[2, "cell-B"]]);
    expect(removal.streams).toEqual([2, 3, 4, 5]);
    await clock.advance(2000);
    await removal.done;
    expect(base.batches.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(a.batches).toEqual([[3000, [6]]]);
    expect(b.batches).toEqual([[3000, [6]]]);
    expect(c.batches).toEqual([[3000, [103]], [4000, [104]], [5000, [105]]]);
    expect(b.handle.status()).toMatchObject({ status: "stopped", owner: "cell-B", stopReason: `its input stream map [${doubled.id}] was removed (cell [2] re-ran)` });
    expect(a.handle.status()).toMatchObject({ status: "stopped", owner: "cell-A", stopReason: "cell [2] re-ran" });
    expect(events).toEqual([
      "changed 3000 +[2,3,4,5,6,7] -[]",
      "stopped 1 cell-A: cell [2] re-ran",
      "stopped 2 cell-B: its input stream map [2] was removed (cell [2] re-ran)",
      "changed 4000 +[] -[2,3,4,5]",
    ]);
    expect(ssc.graph.streams.map((s) => s.id)).toEqual([0, 1, 6, 7]);
  });

  it("an output on a stream that was removed fails where it is defined", async () => {
    const { ssc, clock, stream } = liveContext(numbers(4));
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    setCurrentOwner("cell-A");
    const doubled = stream.map((x) => x * 2);
    setCurrentOwner(undefined);
    ssc.removeOwnedBy("cell-A", "cell [2] re-ran");
    await clock.advance(1000);
    expect(() => doubled.filter((x) => x > 2).print()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_STREAM_REMOVED",
      message: "The stream map [2] this output reads was removed from its running context (cell [2] re-ran), so it will never have another batch. Use the stream defined by the new run of that code (re-run the cell that defines it), then define this output again.",
    }));
    await clock.advance(1000);
    expect(ssc.outputs().map((o) => o.id)).toEqual([0]);
    expect(ssc.graph.streams.map((s) => s.id)).toEqual([0, 1]);
  });

  it("before start, removal is immediate", () => {
    const { ssc, stream } = liveContext(numbers(2));
    setCurrentOwner("cell-1");
    const out = collect(stream.map((x) => x));
    setCurrentOwner(undefined);
    const removal = ssc.removeOwnedBy("cell-1");
    expect(removal.outputs.map((o) => o.id)).toEqual([0]);
    expect(out.handle.status().status).toBe("stopped");
    expect(ssc.graph.outputStreams).toHaveLength(0);
    expect(() => ssc.removeOwnedBy("" as string)).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_ARGUMENT" }));
    // A receiver stream removed before start never starts its receiver.
    setCurrentOwner("cell-2");
    ssc.socketTextStream("127.0.0.1", 9).print();
    setCurrentOwner(undefined);
    expect(ssc.receiverTracker.numReceivers).toBe(1);
    ssc.removeOwnedBy("cell-2");
    expect([ssc.receiverTracker.numReceivers, ssc.graph.inputStreams.length]).toEqual([0, 1]);
  });
});

describe("windows and stateful streams added live", () => {
  it("a window added at 4000 holds the batches its input remembers (3000 and 4000), then fills up", async () => {
    const { ssc, clock, stream } = liveContext(numbers(7));
    collect(stream);
    ssc.start();
    await clock.advance(3000);
    const w = collect(stream.window(3000, 1000));
    await clock.advance(4000);
    expect(w.batches).toEqual([[4000, [3, 4]], [5000, [3, 4, 5]], [6000, [4, 5, 6]], [7000, [5, 6, 7]]]);
  });

  it("with ssc.remember(5 s) a live window starts full, also over a map defined with it", async () => {
    const { ssc, clock, stream } = liveContext(numbers(7), { remember: 5000 });
    collect(stream);
    ssc.start();
    await clock.advance(3000);
    const w = collect(stream.map((x) => x * 10).window(3000, 1000));
    await clock.advance(2000);
    expect(w.batches).toEqual([[4000, [20, 30, 40]], [5000, [30, 40, 50]]]);
  });

  it("a window sliding every 2 s added after 4000 first runs at 6000, on the context's grid", async () => {
    const { ssc, clock, stream } = liveContext(numbers(7));
    collect(stream);
    ssc.start();
    await clock.advance(4000);
    const w = collect(stream.window(4000, 2000));
    await clock.advance(4000);
    expect(w.batches).toEqual([[6000, [4, 5, 6]], [8000, [5, 6, 7]]]);
  });

  it("an incremental reduceByKeyAndWindow added live reduces its first window from scratch, then subtracts only what it added", async () => {
    const words = [["a"], ["a", "b"], ["b"], ["a"], ["c"], [], []];
    const { ssc, clock, stream } = liveContext(words, { checkpoint: true });
    collect(stream);
    ssc.start();
    await clock.advance(2000);
    const pairs = stream.map((w): [string, number] => [w, 1]);
    const incremental = collect(pairs.reduceByKeyAndWindow(add, sub, 3000, 1000), true);
    const plain = collect(pairs.window(3000, 1000).reduceByKey(add), true);
    await clock.advance(5000);
    expect(incremental.batches).toEqual([
      [3000, [["a", 1], ["b", 2]]],
      [4000, [["a", 2], ["b", 2]]],
      [5000, [["a", 1], ["b", 1], ["c", 1]]],
      [6000, [["a", 1], ["b", 0], ["c", 1]]],
      [7000, [["a", 0], ["b", 0], ["c", 1]]],
    ]);
    // The same window computed by union: the incremental one never subtracts a batch it did not add.
    const nonZero = (b: Batches) => b.map(([t, kv]) => [t, (kv as [string, number][]).filter(([, n]) => n !== 0)]);
    expect(nonZero(incremental.batches)).toEqual(plain.batches);
  });

  it("updateStateByKey added live starts empty at its first batch", async () => {
    const { ssc, clock, stream } = liveContext([["a"], ["a"], ["b"], ["a"]], { checkpoint: true });
    collect(stream);
    ssc.start();
    await clock.advance(2000);
    const totals = collect(stream.map((w): [string, number] => [w, 1]).updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0)), true);
    await clock.advance(2000);
    expect(totals.batches).toEqual([[3000, [["b", 1]]], [4000, [["a", 1], ["b", 1]]]]);
  });

  it("a stateful stream defined in one cell and output in a later one starts when its output joins", async () => {
    const { ssc, clock, stream } = liveContext([["a"], ["a"], ["b"], ["a"], ["b"]], { checkpoint: true });
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    const totals = stream.map((w): [string, number] => [w, 1]).updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0));
    await clock.advance(2000);
    const out = collect(totals, true);
    await clock.advance(2000);
    expect(out.batches).toEqual([[4000, [["a", 1]]], [5000, [["a", 1], ["b", 1]]]]);
  });

  it("a live stateful stream without a checkpoint directory fails where it is defined, and nothing joins", async () => {
    const { ssc, clock, stream } = liveContext(numbers(3));
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    const state = stream.map((x): [number, number] => [x, 1]).updateStateByKey((vs: number[], s?: number) => vs.length + (s ?? 0));
    expect(() => state.print()).toThrow(expect.objectContaining({ code: "STREAM_ERR_NO_CHECKPOINT_DIR" }));
    await clock.advance(2000);
    expect(ssc.graph.outputStreams).toHaveLength(1);
    expect(ssc.outputs()).toHaveLength(1);
  });
});

describe("re-running an unchanged stateful definition keeps its state", () => {
  const words = [["a"], ["a", "b"], ["b"], ["a"], ["c"], ["a"], ["b"], []];

  /** A cell's code: the same source every time it runs. */
  function defineCell(stream: DStream<string>) {
    const pairs = stream.map((w): [string, number] => [w, 1]);
    const totals = collect(pairs.updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0)), true);
    const window = collect(pairs.reduceByKeyAndWindow(add, sub, 3000, 1000), true);
    const spec = StateSpec.function((w: string, one: number | undefined, state: { exists(): boolean; get(): number; update(n: number): void }) => {
      state.update((state.exists() ? state.get() : 0) + (one ?? 0));
      return w;
    });
    const sessions = collect((pairs.mapWithState(spec) as unknown as { stateSnapshots(): DStream<[string, number]> }).stateSnapshots(), true);
    return { totals, window, sessions };
  }

  it("updateStateByKey, reduceByKeyAndWindow and mapWithState continue as a twin that never re-ran", async () => {
    const { ssc, clock, stream } = liveContext(words, { checkpoint: true });
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    setCurrentOwner("twin");
    const twin = defineCell(stream);
    setCurrentOwner("cell-3");
    const first = defineCell(stream);
    setCurrentOwner(undefined);
    await clock.advance(3000);
    // Re-run the cell: remove what its last run defined, then define it again, before the next batch.
    const removal = ssc.removeOwnedBy("cell-3", "cell [3] re-ran");
    setCurrentOwner("cell-3");
    const second = defineCell(stream);
    setCurrentOwner(undefined);
    await clock.advance(4000);
    await removal.done;
    for (const key of ["totals", "window", "sessions"] as const) {
      expect(first[key].batches.map(([t]) => t)).toEqual([2000, 3000, 4000]);
      expect(second[key].batches.map(([t]) => t)).toEqual([5000, 6000, 7000, 8000]);
      expect([...first[key].batches, ...second[key].batches]).toEqual(twin[key].batches);
    }
    expect(second.totals.batches.at(-1)).toEqual([8000, [["a", 3], ["b", 3], ["c", 1]]]);
    expect(ssc.outputs().filter((o) => o.owner === "cell-3" && o.status === "running")).toHaveLength(3);
  });

  it("a changed definition starts empty", async () => {
    const { ssc, clock, stream } = liveContext(words, { checkpoint: true });
    collect(stream);
    ssc.start();
    await clock.advance(1000);
    setCurrentOwner("cell-3");
    stream.map((w): [string, number] => [w, 1]).updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0)).foreachRDD(() => {});
    await clock.advance(3000);
    ssc.removeOwnedBy("cell-3");
    const changed = collect(stream.map((w): [string, number] => [w, 1]).updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0) * 1), true);
    setCurrentOwner(undefined);
    await clock.advance(1000);
    expect(changed.batches).toEqual([[5000, [["c", 1]]]]);
  });
});

/** An input with no batch at 2000 ms: what a parent missing a batch looks like. */
class GappyInput extends InputDStream<[string, number]> {
  protected compute(time: number): RDD<[string, number]> | undefined {
    return time === 2000 ? undefined : this.ssc.parallelize([["k", time]] as [string, number][]);
  }
}

describe("a parent with no batch at a valid time (Spark's TransformedDStream rule)", () => {
  it.each([
    ["transform", (g: DStream<[string, number]>) => g.transform((rdd) => rdd)],
    ["transformWith", (g: DStream<[string, number]>, o: DStream<[string, number]>) => o.transformWith(g, (a, b) => a.union(b))],
    ["join", (g: DStream<[string, number]>, o: DStream<[string, number]>) => o.join(g)],
    ["cogroup", (g: DStream<[string, number]>, o: DStream<[string, number]>) => g.cogroup(o)],
  ])("%s fails that batch with Spark's message and goes on", async (_name, op) => {
    const { ssc, clock, stream } = liveContext([[["k", 1]], [["k", 2]], [["k", 3]]] as [string, number][][]);
    const gappy = new GappyInput(ssc);
    const out = collect(op(gappy, stream as DStream<[string, number]>) as DStream<unknown>);
    const failures: OutputFailure[] = [];
    ssc.addStreamingListener({ onOutputOperationFailed: ({ failure }) => failures.push(failure) });
    ssc.start();
    await clock.advance(3000);
    expect(out.batches.map(([t]) => t)).toEqual([1000, 3000]);
    expect(failures.map((f) => [f.batchTime, f.error.message, (f.error as Error & { code: string }).code])).toEqual([[2000,
      `Couldn't generate RDD from parent at time 2000 ms: GappyInput@${gappy.id} has no batch at that time. Every stream that transform, transformWith, join or cogroup reads must have a batch at each of its batch times; give the missing one a batch (e.g. an empty RDD) or combine streams on the same grid.`,
      "STREAM_ERR_NO_PARENT_BATCH"]]);
  });
});

describe("saveAsHadoopFiles", () => {
  it("writes key<TAB>value lines in part-NNNNN files and _SUCCESS under prefix-<ms>.suffix", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-hadoop-"));
    const { ssc, clock, stream } = liveContext<[string | null, number | null]>([[["a", 1], ["b", 2], [null, 3], ["d", null]], []]);
    stream.saveAsHadoopFiles(path.join(dir, "counts"), "txt");
    ssc.start();
    await clock.advance(2000);
    expect(fs.readdirSync(dir).sort()).toEqual(["counts-1000.txt", "counts-2000.txt"]);
    const batch = path.join(dir, "counts-1000.txt");
    expect(fs.readdirSync(batch).sort()).toEqual(["_SUCCESS", "part-00000", "part-00001"]);
    expect(fs.readFileSync(path.join(batch, "part-00000"), "utf8")).toBe("a\t1\nb\t2\n");
    expect(fs.readFileSync(path.join(batch, "part-00001"), "utf8")).toBe("3\nd\n");
    expect(fs.readFileSync(path.join(batch, "_SUCCESS"), "utf8")).toBe("");
    // An empty batch still has its (empty) part files, as Hadoop writes them.
    expect(fs.readdirSync(path.join(dir, "counts-2000.txt")).sort()).toEqual(["_SUCCESS", "part-00000", "part-00001"]);
    expect(fs.readFileSync(path.join(dir, "counts-2000.txt", "part-00000"), "utf8")).toBe("");
  });

  it("needs pairs, and takes another separator", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-hadoop-"));
    const { ssc, clock, stream } = liveContext<unknown>([[["a", 1]], ["oops"]]);
    (stream as unknown as DStream<[string, number]>).saveAsHadoopFiles(path.join(dir, "csv"), undefined, new TextOutputFormat(","));
    const failures: Error[] = [];
    ssc.addStreamingListener({ onOutputOperationFailed: ({ failure }) => failures.push(failure.error) });
    ssc.start();
    await clock.advance(2000);
    expect(fs.readFileSync(path.join(dir, "csv-1000", "part-00001"), "utf8")).toBe("a,1\n");
    expect(failures).toEqual([expect.objectContaining({ code: "STREAM_ERR_NOT_PAIR", message: expect.stringMatching(/^saveAsHadoopFiles needs a stream of \[key, value\] pairs, got the element "oops"/) })]);
  });
});

describe("output failures", () => {
  it("counts failed batches per output with the first failure's time; the stream goes on", async () => {
    const { ssc, clock, stream } = liveContext([["hi"], ["bye"], ["hi"], ["bye"], ["bye"]]);
    setCurrentOwner("cell-4");
    const failing = collect(stream.map((w) => { if (w === "bye") throw new Error(`cannot handle ${w}`); return w; }));
    setCurrentOwner(undefined);
    const healthy = collect(stream);
    const failures: string[] = [];
    ssc.addStreamingListener({ onOutputOperationFailed: ({ failure: f }) => failures.push(`${f.outputOpId} ${f.owner} ${f.batchTime} ${f.failureCount} since ${f.firstFailureBatchTime}: ${f.error.message}`) });
    ssc.start();
    await clock.advance(5000);
    expect(failures).toEqual(["0 cell-4 2000 1 since 2000: cannot handle bye", "0 cell-4 4000 2 since 2000: cannot handle bye", "0 cell-4 5000 3 since 2000: cannot handle bye"]);
    expect(failing.handle.status()).toMatchObject({ status: "running", failureCount: 3, firstFailureBatchTime: 2000, lastFailureBatchTime: 5000, firstFailureTime: 2000 });
    expect(failing.handle.status().lastError?.message).toBe("cannot handle bye");
    expect(failing.batches.map(([t]) => t)).toEqual([1000, 3000]);
    expect(healthy.batches.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it("runJob runs every job; an interrupted job (a real SIGINT through vm's breakOnSigint) stops only its output", async () => {
    const vm = require("vm") as typeof import("vm");
    const { spawn } = require("child_process") as typeof import("child_process");
    const ran: string[] = [];
    outputHooks.runJob = (job, ctx) => {
      ran.push(`${ctx.batchTime} ${ctx.outputOpId} ${ctx.owner}`);
      return vm.runInNewContext("job()", { job }, { breakOnSigint: true }) as Promise<void>;
    };
    const { ssc, clock, stream } = liveContext([[1], [2], [3], [4]], { checkpoint: true });
    const totals = stream.map((x): [string, number] => ["sum", x]).updateStateByKey((vs: number[], s?: number) => vs.reduce(add, s ?? 0));
    const state = collect(totals);
    setCurrentOwner("cell-5");
    const runaway = collect(stream.map((x) => {
      if (x === 2) {
        spawn("sh", ["-c", `sleep 0.2; kill -INT ${process.pid}`], { stdio: "ignore" });
        for (;;) { /* an endless loop the user wrote */ }
      }
      return x;
    }));
    setCurrentOwner(undefined);
    const after = collect(stream);
    const stopped: OutputInfo[] = [];
    ssc.addStreamingListener({ onOutputOperationStopped: ({ output }) => stopped.push(output) });
    ssc.start();
    await clock.advance(4000);
    expect(runaway.batches).toEqual([[1000, [1]]]);
    expect(state.batches).toEqual([[1000, [["sum", 1]]], [2000, [["sum", 3]]], [3000, [["sum", 6]]], [4000, [["sum", 10]]]]);
    expect(after.batches.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000]);
    const status = runaway.handle.status();
    expect(status).toMatchObject({ status: "failed", owner: "cell-5", failureCount: 1, firstFailureBatchTime: 2000 });
    expect(status.lastError).toMatchObject({
      code: "STREAM_ERR_OUTPUT_INTERRUPTED",
      message: "The foreachRDD defined by cell-5 was interrupted while running its batch at 2000 ms, so it was stopped; the context and the other outputs go on, and stateful streams keep the state of the last completed batch. Fix the function (an endless loop?) and define the output again (re-run its cell).",
    });
    expect((status.lastError as Error & { cause: { code: string } }).cause.code).toBe("ERR_SCRIPT_EXECUTION_INTERRUPTED");
    expect(stopped.map((o) => [o.id, o.status])).toEqual([[1, "failed"]]);
    expect(ran.filter((r) => r.endsWith("cell-5"))).toEqual(["1000 1 cell-5", "2000 1 cell-5"]);
    expect(ssc.getState()).toBe("ACTIVE");
  }, 20_000);
});

describe("an interrupted update function", () => {
  it("leaves the state at the last completed batch, stops the output whose job ran it, and not the other reader", async () => {
    const vm = require("vm") as typeof import("vm");
    const { spawn } = require("child_process") as typeof import("child_process");
    outputHooks.runJob = (job) => vm.runInNewContext("job()", { job }, { breakOnSigint: true }) as Promise<void>;
    const { ssc, clock, stream } = liveContext([[1], [2], [3], [4]], { checkpoint: true });
    const totals = stream.map((x): [string, number] => ["sum", x]).updateStateByKey((vs: number[], s?: number) => {
      if (vs.includes(2)) {
        spawn("sh", ["-c", `sleep 0.2; kill -INT ${process.pid}`], { stdio: "ignore" });
        for (;;) { /* stuck on the batch holding 2 */ }
      }
      return vs.reduce(add, s ?? 0);
    });
    const first = collect(totals);
    const second = collect(totals);
    ssc.start();
    await clock.advance(4000);
    // Batch 2000 failed in both outputs; 3000 continues from the state of 1000 (the last completed batch).
    expect(first.batches).toEqual([[1000, [["sum", 1]]]]);
    expect(second.batches).toEqual([[1000, [["sum", 1]]], [3000, [["sum", 4]]], [4000, [["sum", 8]]]]);
    expect(first.handle.status()).toMatchObject({ status: "failed", failureCount: 1 });
    expect(second.handle.status()).toMatchObject({ status: "running", failureCount: 1, lastError: expect.objectContaining({ code: "STREAM_ERR_OUTPUT_INTERRUPTED" }) });
  }, 20_000);

  it("handle.fail(error) stops an output at once: its queued jobs do not run", async () => {
    const { ssc, clock, stream } = liveContext(numbers(4));
    const a = collect(stream);
    let b: ReturnType<typeof collect> | undefined;
    stream.foreachRDD((_rdd, t) => { if (t.milliseconds === 2000) b?.handle.fail(new Error("interrupted elsewhere")); });
    b = collect(stream);
    ssc.start();
    await clock.advance(4000);
    expect(a.batches.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000]);
    expect(b.batches.map(([t]) => t)).toEqual([1000]);
    expect(b.handle.status()).toMatchObject({ status: "failed", stopReason: "interrupted elsewhere", lastError: new Error("interrupted elsewhere") });
    expect(ssc.graph.outputStreams).toHaveLength(2);
  });
});

describe("contexts in one process", () => {
  it("ssc.stop() then a new context just works; the one-active error names the site the hook gives", async () => {
    const first = liveContext(numbers(2));
    const out = collect(first.stream);
    first.ssc.start();
    await first.clock.advance(1000);
    await first.ssc.stop({ reason: "its context was replaced when cell [1] re-ran" });
    expect(out.handle.status()).toMatchObject({ status: "stopped", stopReason: "its context was replaced when cell [1] re-ran" });
    outputHooks.describeCallSite = () => "cell [1]";
    const second = liveContext(numbers(2));
    const again = collect(second.stream);
    second.ssc.start();
    await second.clock.advance(2000);
    expect(again.batches).toEqual([[1000, [1]], [2000, [2]]]);
    const third = liveContext(numbers(1));
    collect(third.stream);
    expect(() => third.ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_ANOTHER_CONTEXT_ACTIVE",
      message: "Only one StreamingContext may be started in this process. Currently running StreamingContext was started at\ncell [1]\nStop it with StreamingContext.stopActive() (or ssc.stop()), or reuse it with StreamingContext.getActiveOrCreate().",
    }));
  });
});
