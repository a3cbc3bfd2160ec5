import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DStream, hasCode, ManualClock, StreamingContext, TestInputStream } from "../../engine";
import { listCheckpointFiles } from "../../engine/checkpoint/checkpoint-reader";
import { setLogger } from "../../engine/log";

/** Word lines per batch: batch i holds a few words, some batches are empty. */
const BATCHES: string[][] = Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? [] : [`a b${i % 3}`, i % 5 === 0 ? "c a" : "a"]));

type Totals = Map<number, [string, number][]>;

function wordCountApp(dir: string, clock: ManualClock, outputs: Totals, opts: { stateCheckpoint?: number; fn?: (vs: number[], s?: number) => number; batches?: string[][]; batchDuration?: number } = {}) {
  return () => {
    const ssc = new StreamingContext({ appName: "wc", master: "local[2]", batchDuration: opts.batchDuration ?? 1000, clock });
    ssc.checkpoint(dir);
    const update = opts.fn ?? ((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0));
    const totals = new TestInputStream(ssc, opts.batches ?? BATCHES).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1]).updateStateByKey(update);
    if (opts.stateCheckpoint) totals.checkpoint(opts.stateCheckpoint);
    totals.foreachRDD((rdd, t) => { outputs.set(t.milliseconds, rdd.collect().sort((x, y) => (x[0] < y[0] ? -1 : 1))); });
    return ssc;
  };
}

/** What an uninterrupted run outputs at each batch time. */
async function referenceRun(numBatches: number): Promise<Totals> {
  const dir = tmpDir();
  const clock = new ManualClock(0);
  const out: Totals = new Map();
  const ssc = wordCountApp(dir, clock, out)();
  ssc.start();
  await clock.advance(numBatches * 1000);
  await ssc.stop();
  return out;
}

function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cp-")); }

function captureWarnings(): { warns: string[]; restore: () => void } {
  const warns: string[] = [];
  const prev = setLogger({ warn: (m) => warns.push(m), info: () => {} });
  return { warns, restore: () => setLogger(prev) };
}

describe("getOrCreate: crash and recover in virtual time", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it.each([[undefined], [2000]])("totals continue exactly after a crash (state checkpoint interval %s)", async (stateCheckpoint) => {
    const expected = await referenceRun(12);
    const dir = tmpDir();
    const first: Totals = new Map();
    const clock1 = new ManualClock(0);
    const ssc1 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock1, first, { stateCheckpoint }));
    ssc1.start();
    await clock1.advance(5000);
    ssc1.abandonForTest();
    expect(listCheckpointFiles(dir).map((f) => path.basename(f))).toEqual(["checkpoint-5000", "checkpoint-4000", "checkpoint-3000", "checkpoint-2000", "checkpoint-1000", "checkpoint-0"]);

    // Down for 2.5 s: batches 6000 and 7000 are replayed, then the timer goes on at 8000.
    const second: Totals = new Map();
    const clock2 = new ManualClock(7500);
    const ssc2 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock2, second, { stateCheckpoint }));
    ssc2.start();
    await clock2.advance(4500);
    await ssc2.stop();
    expect([...first.keys()]).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect([...second.keys()]).toEqual([6000, 7000, 8000, 9000, 10000, 11000, 12000]);
    for (const [t, v] of [...first, ...second]) expect([t, v]).toEqual([t, expected.get(t)]);
  });

  it("recovers a crash during the first batch from the checkpoint written before its jobs ran", async () => {
    const expected = await referenceRun(4);
    const dir = tmpDir();
    const clock1 = new ManualClock(0);
    const first: Totals = new Map();
    // A second output that never finishes in the first run: the crash comes after the first
    // output of batch 1000 ran.
    const app = (clock: ManualClock, out: Totals, hang: boolean) => () => {
      const ssc = wordCountApp(dir, clock, out)();
      ssc.graph.outputStreams[0].dependencies[0].foreachRDD(() => (hang ? new Promise<void>(() => {}) : undefined));
      return ssc;
    };
    const ssc1 = StreamingContext.getOrCreate(dir, app(clock1, first, true));
    ssc1.start();
    void clock1.advance(1000);
    for (let i = 0; i < 20 && !first.has(1000); i++) await new Promise((r) => setImmediate(r));
    expect([...first.keys()]).toEqual([1000]);
    ssc1.abandonForTest();
    // Without it there was no checkpoint at all, and getOrCreate started afresh on a new time grid.
    expect(listCheckpointFiles(dir).map((f) => path.basename(f))).toEqual(["checkpoint-0"]);
    const second: Totals = new Map();
    const clock2 = new ManualClock(2500);
    const ssc2 = StreamingContext.getOrCreate(dir, app(clock2, second, false));
    ssc2.start();
    await clock2.advance(1500);
    await ssc2.stop();
    expect([...second.keys()]).toEqual([1000, 2000, 3000, 4000]);
    for (const [t, v] of second) expect([t, v]).toEqual([t, expected.get(t)]);
  });

  it("restores state from a state file even when the input is no longer replayable", async () => {
    const dir = tmpDir();
    const clock1 = new ManualClock(0);
    const first: Totals = new Map();
    const ssc1 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock1, first, { stateCheckpoint: 2000 }));
    ssc1.start();
    await clock1.advance(4000);
    ssc1.abandonForTest();
    expect(fs.readdirSync(path.join(dir, "state")).sort()).toEqual(["stream-3-2000", "stream-3-4000"]);
    // The second run's input has nothing before or after: only the state file can bring the totals back.
    const second: Totals = new Map();
    const clock2 = new ManualClock(4000);
    const ssc2 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock2, second, { stateCheckpoint: 2000, batches: [] }));
    ssc2.start();
    await clock2.advance(1000);
    await ssc2.stop();
    expect(second.get(5000)).toEqual(first.get(4000));
  });

  it("fails with the differences when the graph changed, and restores unchanged state on request", async () => {
    const dir = tmpDir();
    const clock1 = new ManualClock(0);
    const first: Totals = new Map();
    const ssc1 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock1, first, { stateCheckpoint: 2000 }));
    ssc1.start();
    await clock1.advance(4000);
    ssc1.abandonForTest();
    const changed = (vs: number[], s?: number) => vs.length + (s ?? 0) * 1;
    let error: unknown;
    try {
      StreamingContext.getOrCreate(dir, wordCountApp(dir, new ManualClock(4000), new Map(), { stateCheckpoint: 2000, fn: changed }));
    } catch (e) { error = e; }
    expect(hasCode(error, "STREAM_ERR_CHECKPOINT_GRAPH_CHANGED")).toBe(true);
    expect((error as Error).message).toBe([
      `The checkpoint ${path.join(dir, "checkpoint-4000")} was written by a different DStream graph, so its state cannot be restored as is:`,
      "  - stream 3 (StateDStream): its function's source code changed",
      "Either start from scratch (getOrCreate(dir, create, { createOnError: true }) or a new checkpoint directory), or restore only the state of the stateful streams whose identity did not change (none here) with getOrCreate(dir, create, { restoreUnchangedState: true }).",
    ].join("\n"));

    // A new print at the end changes nothing upstream: the state stream keeps its identity.
    const addPrint = (create: () => StreamingContext) => () => {
      const ssc = create();
      (ssc.graph.streams[3] as DStream<[string, number]>).count().foreachRDD(() => {});
      return ssc;
    };
    const second: Totals = new Map();
    const clock2 = new ManualClock(4000);
    expect(() => StreamingContext.getOrCreate(dir, addPrint(wordCountApp(dir, clock2, second, { stateCheckpoint: 2000 })))).toThrow(
      /stream 5 \(CountDStream|stream 5 .* is new[\s\S]*\(stream 3 \(StateDStream\)\)/,
    );
    const log = captureWarnings();
    const ssc2 = StreamingContext.getOrCreate(dir, addPrint(wordCountApp(dir, clock2, second, { stateCheckpoint: 2000 })), { restoreUnchangedState: true });
    log.restore();
    expect(log.warns).toEqual([`Checkpoint: the graph changed since ${path.join(dir, "checkpoint-4000")} was written; restoring only stream 3 (StateDStream).`]);
    ssc2.start();
    await clock2.advance(1000);
    await ssc2.stop();
    const expected = await referenceRun(5);
    expect(second.get(5000)).toEqual(expected.get(5000));
  });

  it("names a changed batch interval; createOnError starts from scratch and says why", async () => {
    const dir = tmpDir();
    const clock1 = new ManualClock(0);
    const ssc1 = StreamingContext.getOrCreate(dir, wordCountApp(dir, clock1, new Map()));
    ssc1.start();
    await clock1.advance(2000);
    ssc1.abandonForTest();
    const file = path.join(dir, "checkpoint-2000");
    const halfSecond = wordCountApp(dir, new ManualClock(2000), new Map(), { batchDuration: 500 });
    let error: unknown;
    try { StreamingContext.getOrCreate(dir, halfSecond); } catch (e) { error = e; }
    expect([(error as { code?: string }).code, (error as Error).message]).toEqual(["STREAM_ERR_CHECKPOINT_GRAPH_CHANGED", [
      `The checkpoint ${file} was written by a different DStream graph, so its state cannot be restored as is:`,
      "  - the batch interval changed from 1000 ms to 500 ms",
      "Either start from scratch (getOrCreate(dir, create, { createOnError: true }) or a new checkpoint directory), or restore only the state of the stateful streams whose identity did not change (none here) with getOrCreate(dir, create, { restoreUnchangedState: true }).",
    ].join("\n")]);
    const log = captureWarnings();
    const fresh = StreamingContext.getOrCreate(dir, halfSecond, { createOnError: true });
    log.restore();
    expect(log.warns).toEqual([`Checkpoint: the graph changed since ${file} was written; starting from scratch (createOnError).`]);
    expect(fresh.recoveryHooks).toBeUndefined();

    // Every checkpoint unreadable: Spark's "Failed to read checkpoint from directory", or a fresh start on request.
    for (const f of listCheckpointFiles(dir)) fs.writeFileSync(f, "damaged");
    const reason = (f: string) => `Checkpoint file ${f} cannot be read: it does not start with a streamlab checkpoint header. Point getOrCreate at a directory written by ssc.checkpoint(dir), or use a new checkpoint directory.`;
    const files = listCheckpointFiles(dir);
    const quiet = captureWarnings();
    let readError: unknown;
    try { StreamingContext.getOrCreate(dir, wordCountApp(dir, new ManualClock(2000), new Map())); } catch (e) { readError = e; }
    const scratch = StreamingContext.getOrCreate(dir, wordCountApp(dir, new ManualClock(2000), new Map()), { createOnError: true });
    quiet.restore();
    expect(hasCode(readError, "STREAM_ERR_CHECKPOINT_READ")).toBe(true);
    expect((readError as Error).message).toBe([
      `Failed to read checkpoint from directory ${dir}: no checkpoint file in it is readable.`,
      ...files.map((f) => `  - ${reason(f)}`),
      "Start from scratch with StreamingContext.getOrCreate(dir, create, { createOnError: true }), or use a new checkpoint directory.",
    ].join("\n"));
    expect(quiet.warns.at(-1)).toBe(`Checkpoint: starting from scratch (createOnError): ${(readError as Error).message}`);
    expect(scratch.recoveryHooks).toBeUndefined();
  });

  it("coalesces a long empty outage instead of running every batch", async () => {
    const dir = tmpDir();
    const clock1 = new ManualClock(0);
    const make = (clock: ManualClock, out: Totals) => () => {
      const ssc = new StreamingContext({ appName: "wc", master: "local[2]", batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      new TestInputStream(ssc, [["a"], ["b", "a"]]).mapToPair((w): [string, number] => [w, 1])
        .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
        .foreachRDD((rdd, t) => { out.set(t.milliseconds, rdd.collect().sort()); });
      return ssc;
    };
    const ssc1 = StreamingContext.getOrCreate(dir, make(clock1, new Map()));
    ssc1.start();
    await clock1.advance(2000);
    ssc1.abandonForTest();
    const out: Totals = new Map();
    const clock2 = new ManualClock(3_600_000);
    const ssc2 = StreamingContext.getOrCreate(dir, make(clock2, out));
    ssc2.start();
    await clock2.advance(0);
    await ssc2.stop();
    // The first empty batch leaves the state unchanged, a fixed point of the update function:
    // then a jump to the last down-time batch (the state's 20 s remember duration is not waited).
    expect([...out.keys()]).toEqual([3000, 3_600_000]);
    for (const v of out.values()) expect(v).toEqual([["a", 2], ["b", 1]]);
  });

  it("fails with Spark's message when queueStream is checkpointed", () => {
    const ssc = new StreamingContext({ master: "local[2]", appName: "q", batchDuration: 1000, clock: new ManualClock() });
    ssc.checkpoint(tmpDir());
    ssc.queueStream([[1]]).print();
    expect(() => ssc.start()).toThrow("queueStream doesn't support checkpointing. Please don't use queueStream when checkpointing is enabled.");
  });
});
