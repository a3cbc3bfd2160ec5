import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { DStream, HashPartitioner, ManualClock, RDD, StreamingContext, TestInputStream } from "../../engine";
import { BatchJournal } from "../../engine/checkpoint/batch-journal";
import { ReducedWindowedDStream } from "../../engine/dstream/reduced-windowed";
import { setupOperation } from "../helpers/test-operation";

// The fault-tolerance layer saves a stateful stream's batch at its checkpoint times plus whatever
// checkpointState returns, and puts both back before a restarted context runs. This exercises that
// contract for the incremental window by hand, on the original batch grid (zeroTime 0).

type Pair = [string, number];
const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;
// batch i (1-based) holds ("a", i); a 4 s window at T = k s sums k−3 .. k
const input: Pair[][] = Array.from({ length: 14 }, (_, i) => [["a", i + 1]]);
// after the crash the source can no longer replay anything up to 10 s (e.g. a socket)
const lostBeforeRestart: Pair[][] = input.map((batch, i) => (i < 10 ? [] : batch));

interface Saved { batch: Pair[][]; state: unknown }

async function runUntilCheckpoint(): Promise<Saved> {
  let stream: ReducedWindowedDStream<string, number> | undefined;
  const { ssc, clock, output } = setupOperation(input, (s) => (stream = s.reduceByKeyAndWindow(add, sub, 4000, 1000) as ReducedWindowedDStream<string, number>));
  ssc.start();
  await clock.advance(10_000);
  await ssc.stop();
  const s = stream as ReducedWindowedDStream<string, number>;
  expect(output.map((o) => o.items)).toEqual([1, 3, 6, 10, 14, 18, 22, 26, 30, 34].map((n) => [["a", n]]));
  expect(s.isCheckpointTime(10_000)).toBe(true);
  // through v8, as the checkpoint file is written
  return v8.deserialize(v8.serialize({ batch: (s.generatedRDDs.get(10_000) as RDD<Pair>).partitions, state: s.checkpointState(10_000) })) as Saved;
}

async function restartFrom(saved: Saved, restoreExtraState: boolean): Promise<Pair[][]> {
  let stream: DStream<Pair> | undefined;
  const { ssc, clock, output } = setupOperation(lostBeforeRestart, (s) => (stream = s.reduceByKeyAndWindow(add, sub, 4000, 1000)));
  await clock.advance(10_000); // the restart happens at 10 s
  const s = stream as ReducedWindowedDStream<string, number>;
  s.generatedRDDs.set(10_000, new RDD(saved.batch, ssc.rddContext, new HashPartitioner(2)));
  if (restoreExtraState) s.restoreState(saved.state, 10_000);
  ssc.recoveryHooks = { start: (c: StreamingContext) => c.jobGenerator.resume(0, 1000) };
  ssc.start();
  await clock.advance(4000);
  await ssc.stop();
  expect(output.map((o) => o.time)).toEqual([11_000, 12_000, 13_000, 14_000]);
  return output.map((o) => o.items);
}

describe("reduceByKeyAndWindow across a restart", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("saves the reduced batches of the last window at a checkpoint time", async () => {
    const saved = await runUntilCheckpoint();
    expect(saved.batch).toEqual([[], [["a", 34]]]);
    const state = saved.state as { journal: string; from: number; to: number; step: number };
    expect([state.from, state.to, state.step]).toEqual([7000, 10_000, 1000]);
    // each reduced batch saved once, whatever the window's length, appended to a segment file
    const journal = new BatchJournal(state.journal);
    expect([7000, 8000, 9000, 10_000].map((t) => journal.read(t))).toEqual([7, 8, 9, 10].map((n) => [[], [["a", n]]]));
    // older batches stay one checkpoint interval (10 s) longer, for a fallback to the previous metadata
    expect(journal.times()).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(fs.readdirSync(state.journal)).toEqual(["segment-0000000000"]);
  });

  it("with them restored, windows after the restart subtract exactly the batches that leave", async () => {
    const saved = await runUntilCheckpoint();
    expect(await restartFrom(saved, true)).toEqual([[["a", 38]], [["a", 42]], [["a", 46]], [["a", 50]]]);
  });

  it("with only the window's batch restored, lost source batches are never subtracted (as in Spark when the source cannot replay)", async () => {
    const saved = await runUntilCheckpoint();
    // 34 + 11, then + 12, ...: the old batches 7..10 recompute as empty from the lost source
    expect(await restartFrom(saved, false)).toEqual([[["a", 45]], [["a", 57]], [["a", 70]], [["a", 84]]]);
  });
});

describe("reduceByKeyAndWindow: crash and getOrCreate", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  function windowedSumApp(dir: string, clock: ManualClock, batches: Pair[][], outputs: Map<number, Pair[]>) {
    return () => {
      const ssc = new StreamingContext({ appName: "window", master: "local[2]", batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      new TestInputStream(ssc, batches).reduceByKeyAndWindow(add, sub, 4000, 1000).checkpoint(3000)
        .foreachRDD((rdd, t) => { outputs.set(t.milliseconds, rdd.collect()); });
      return ssc;
    };
  }

  it("windows continue exactly after a crash between checkpoint times, though the source lost its data", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-window-cp-"));
    const first = new Map<number, Pair[]>();
    const clock1 = new ManualClock(0);
    const ssc1 = StreamingContext.getOrCreate(dir, windowedSumApp(dir, clock1, input, first));
    ssc1.start();
    await clock1.advance(5000);
    ssc1.abandonForTest();
    // the window's own batch was last saved at 3 s; the crash comes after the batch of 5 s
    const second = new Map<number, Pair[]>();
    const clock2 = new ManualClock(5000);
    const lost: Pair[][] = input.map((batch, i) => (i < 5 ? [] : batch));
    const ssc2 = StreamingContext.getOrCreate(dir, windowedSumApp(dir, clock2, lost, second));
    ssc2.start();
    await clock2.advance(5000);
    await ssc2.stop();
    expect([...first]).toEqual([[1000, [["a", 1]]], [2000, [["a", 3]]], [3000, [["a", 6]]], [4000, [["a", 10]]], [5000, [["a", 14]]]]);
    // windows (T − 4 s, T]: 3+4+5+6, 4+5+6+7, ...
    expect([...second]).toEqual([[6000, [["a", 18]]], [7000, [["a", 22]]], [8000, [["a", 26]]], [9000, [["a", 30]]], [10_000, [["a", 34]]]]);
  });
});
