import * as v8 from "v8";
import { DStream, HashPartitioner, RDD, StreamingContext } from "../../engine";
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
    expect(saved.state).toEqual({ reducedBatches: [[7000, [[], [["a", 7]]]], [8000, [[], [["a", 8]]]], [9000, [[], [["a", 9]]]], [10_000, [[], [["a", 10]]]]] });
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
