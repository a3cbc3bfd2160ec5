import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { Durations, Logger, ManualClock, MapWithStateDStream, RDD, setLogger, State, StateSpec, StreamingContext, TestInputStream, Time } from "../../engine";
import { StateMapData, stateMapEntries } from "../../engine/state/state-map";
import { setupOperation, TestOperationOptions, toPlain } from "../helpers/test-operation";

// Golden tests ported from Spark's MapWithStateSuite and MapWithStateRDDSuite. As there, the
// context runs with master "local" (one partition), so mapped data comes out in input order.
// State snapshots are compared as sets, as Spark does: their order is that of Spark's internal
// hash map and is not part of the API.

let previousLogger: Logger;
beforeAll(() => { previousLogger = setLogger({ warn: () => {}, info: () => {} }); }); // master "local" warns
afterAll(() => { setLogger(previousLogger); });
afterEach(async () => { await StreamingContext.stopActive(); });

const input = [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"], []];
const runningStates = [
  [], [["a", 1]], [["a", 2], ["b", 1]], [["a", 3], ["b", 2], ["c", 1]], [["a", 4], ["b", 3], ["c", 1]], [["a", 5], ["b", 3], ["c", 1]], [["a", 5], ["b", 3], ["c", 1]],
];

interface Run<E, S> {
  outputs: E[][];
  snapshots: [string, S][][];
  ssc: StreamingContext;
  mapped: MapWithStateDStream<string, number, S, E>;
}

async function runMapWithState<S, E>(batches: string[][], spec: StateSpec<string, number, S, E>, numBatches: number, options: TestOperationOptions = {}): Promise<Run<E, S>> {
  const snapshots: [string, S][][] = [];
  let mapped: MapWithStateDStream<string, number, S, E> | undefined;
  const { ssc, clock, output } = setupOperation(batches, (s) => {
    mapped = s.map((x) => [x, 1] as [string, number]).mapWithState(spec);
    mapped.stateSnapshots().foreachRDD((rdd) => { snapshots.push(rdd.collect()); });
    return mapped;
  }, { master: "local", ...options });
  ssc.start();
  await clock.advance(numBatches * (options.batchDuration ?? 1000));
  await ssc.stop();
  return { outputs: output.map((o) => o.items), snapshots, ssc, mapped: mapped as MapWithStateDStream<string, number, S, E> };
}

const asSets = <T>(batches: T[][]) => toPlain(batches).map((b) => b.map((x) => JSON.stringify(x)).sort());

describe("mapWithState (MapWithStateSuite)", () => {
  it("basic operations with simple API", async () => {
    // state maintains running count, and updated count is returned
    const mappingFunc = (_key: string, value: number | undefined, state: State<number>) => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return sum;
    };
    const run = await runMapWithState(input, StateSpec.function(mappingFunc), input.length);
    expect(run.outputs).toEqual([[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []]);
    expect(asSets(run.snapshots)).toEqual(asSets(runningStates));
  });

  it("basic operations with advanced API", async () => {
    // state maintains running count, key string doubled and returned
    const mappingFunc = (_time: Time, key: string, value: number | undefined, state: State<number>) => {
      state.update((value ?? 0) + (state.getOption() ?? 0));
      return key + key;
    };
    const run = await runMapWithState(input, StateSpec.function(mappingFunc), input.length);
    expect(run.outputs).toEqual([[], ["aa"], ["aa", "bb"], ["aa", "bb", "cc"], ["aa", "bb"], ["aa"], []]);
    expect(asSets(run.snapshots)).toEqual(asSets(runningStates));
  });

  it("states as mapped data", async () => {
    const mappingFunc = (_time: Time, key: string, value: number | undefined, state: State<number>) => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return [key, sum] as [string, number];
    };
    const run = await runMapWithState(input, StateSpec.function(mappingFunc), input.length);
    expect(run.outputs).toEqual([[], [["a", 1]], [["a", 2], ["b", 1]], [["a", 3], ["b", 2], ["c", 1]], [["a", 4], ["b", 3]], [["a", 5]], []]);
    expect(asSets(run.snapshots)).toEqual(asSets(runningStates));
  });

  it("initial states, with nothing returned as from mapping function", async () => {
    const mappingFunc = (_time: Time, _key: string, value: number | undefined, state: State<number>) => {
      state.update((value ?? 0) + (state.getOption() ?? 0));
      return undefined;
    };
    const spec = StateSpec.function(mappingFunc).initialState([["a", 5], ["b", 10], ["c", -20], ["d", 0]]);
    const run = await runMapWithState(input, spec, input.length);
    expect(run.outputs).toEqual(input.map(() => []));
    expect(asSets(run.snapshots)).toEqual(asSets([
      [["a", 5], ["b", 10], ["c", -20], ["d", 0]],
      [["a", 6], ["b", 10], ["c", -20], ["d", 0]],
      [["a", 7], ["b", 11], ["c", -20], ["d", 0]],
      [["a", 8], ["b", 12], ["c", -19], ["d", 0]],
      [["a", 9], ["b", 13], ["c", -19], ["d", 0]],
      [["a", 10], ["b", 13], ["c", -19], ["d", 0]],
      [["a", 10], ["b", 13], ["c", -19], ["d", 0]],
    ]));
  });

  it("initial states given as an RDD", async () => {
    const run = await runMapWithState([["a"]], StateSpec.function((_k: string, v: number | undefined, st: State<number>) => {
      st.update((v ?? 0) + (st.getOption() ?? 0));
      return st.get();
    }).initialState(RDD.parallelize([["a", 5], ["b", 1]] as [string, number][], 2)), 1);
    expect(run.outputs).toEqual([[6]]);
    expect(asSets(run.snapshots)).toEqual(asSets([[["a", 6], ["b", 1]]]));
  });

  it("state removing", async () => {
    const removeInput = [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c"], ["a", "b"], ["a"], []];
    const mappingFunc = (_time: Time, key: string, value: number | undefined, state: State<number>) => {
      if (state.exists()) {
        state.remove();
        return key;
      }
      state.update(value as number);
      return undefined;
    };
    const run = await runMapWithState(removeInput, StateSpec.function(mappingFunc).numPartitions(1), removeInput.length);
    // the states that were removed
    expect(run.outputs).toEqual([[], [], ["a"], ["b"], ["a", "c"], ["b"], ["a"], []]);
    expect(asSets(run.snapshots)).toEqual(asSets([[], [["a", 1]], [["b", 1]], [["a", 1], ["c", 1]], [["b", 1]], [["a", 1]], [], []]));
  });

  it("state timing out", async () => {
    const timeoutInput = [["a", "b", "c"], ["a", "b"], ["a"], [], [], ["a"], ...Array.from({ length: 20 }, () => ["a"])];
    const mappingFunc = (_time: Time, key: string, value: number | undefined, state: State<number>) => {
      if (value !== undefined) state.update(1);
      return state.isTimingOut() ? key : undefined;
    };
    const run = await runMapWithState(timeoutInput, StateSpec.function(mappingFunc).timeout(Durations.seconds(3)), 20);
    // b and c are returned once each, when they expire
    expect(run.outputs.flat().sort()).toEqual(["b", "c"]);
    // states for a, b, c are defined at one point of time; finally only a's is
    expect(asSets(run.snapshots)).toContainEqual(asSets([[["a", 1], ["b", 1], ["c", 1]]])[0]);
    expect(toPlain(run.snapshots[run.snapshots.length - 1])).toEqual([["a", 1]]);
  });
});

describe("mapWithState semantics", () => {
  it("calls the function once per record, in order, not per key; keys without data are not called", async () => {
    const calls: string[] = [];
    const spec = StateSpec.function((time: Time, key: string, value: number | undefined, state: State<number>) => {
      calls.push(`${time.milliseconds}:${key}=${value}/${state}`);
      state.update((state.getOption() ?? 0) + (value ?? 0));
      return undefined;
    });
    await runMapWithState([["a", "b", "a"], [], ["b"]], spec, 3);
    expect(calls).toEqual(["1000:a=1/<state not set>", "1000:b=1/<state not set>", "1000:a=1/1", "3000:b=1/1"]);
  });

  it("idle keys time out only on checkpoint batches (every 10 batches by default)", async () => {
    const spec = StateSpec.function((_t: Time, key: string, value: number | undefined, state: State<number>) => {
      if (value !== undefined) state.update(1);
      return state.isTimingOut() ? `${key} timed out` : undefined;
    }).timeout(Durations.seconds(3));
    const run = await runMapWithState([["a", "b", "c"], ["a", "b"], ...Array.from({ length: 10 }, () => ["a"])], spec, 12);
    // c was last updated at 1000, b at 2000: both idle for 3 s from 5000 on, but the first
    // checkpoint batch is 10000, whose threshold is 7000.
    expect(run.outputs.map((b, i) => [i + 1, [...b].sort()]).filter(([, b]) => (b as string[]).length > 0)).toEqual([[10, ["b timed out", "c timed out"]]]);
    expect(asSets(run.snapshots.slice(8, 10))).toEqual(asSets([[["a", 1], ["b", 1], ["c", 1]], [["a", 1]]]));
  });

  it("with a timeout, any data refreshes a key's idle time even without update()", async () => {
    const spec = StateSpec.function((_t: Time, key: string, _v: number | undefined, state: State<number>) => {
      if (!state.exists()) state.update(1);
      return state.isTimingOut() ? key : undefined;
    }).timeout(Durations.seconds(3));
    const run = await runMapWithState(Array.from({ length: 12 }, () => ["a"]), spec, 12);
    expect(run.outputs.flat()).toEqual([]);
    expect(toPlain(run.snapshots[11])).toEqual([["a", 1]]);
  });

  it("the short form's result is always emitted, even undefined; the full form's undefined emits nothing", async () => {
    const short = await runMapWithState([["a", "b"]], StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => undefined), 1);
    expect(short.outputs).toEqual([[undefined, undefined]]);
    const full = await runMapWithState([["a", "b"]], StateSpec.function((_t: Time, k: string, _v: number | undefined, _s: State<number>) => (k === "a" ? undefined : k)), 1);
    expect(full.outputs).toEqual([["b"]]);
  });

  it("with local[2], records are mapped partition by partition after hash partitioning (b; then a, c)", async () => {
    const run = await runMapWithState([["a", "b", "c"]], StateSpec.function((k: string, _v: number | undefined, s: State<number>) => { s.update(1); return k; }), 1, { master: "local[2]" });
    expect(run.outputs).toEqual([["b", "a", "c"]]);
    expect(run.mapped.internalStream.generatedRDDs.get(1000)?.getNumPartitions()).toBe(2);
  });

  it("checkpoint durations: 10 × the slide by default, on the internal stream only", async () => {
    const cases: [number, number, number | undefined][] = [[100, 1000, undefined], [1000, 10000, undefined], [10000, 100000, undefined], [100, 2000, 2000], [1000, 2000, 2000], [10000, 20000, 20000]];
    for (const [batch, expected, explicit] of cases) {
      let mapped: MapWithStateDStream<string, number, number, number> | undefined;
      const { ssc } = setupOperation<string, number>([], (s) => {
        mapped = s.map((x) => [x, 1] as [string, number]).mapWithState(StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => 0));
        if (explicit !== undefined) mapped.checkpoint(explicit);
        return mapped;
      }, { batchDuration: batch });
      ssc.start();
      const m = mapped as MapWithStateDStream<string, number, number, number>;
      // Spark's DStream.checkpoint() calls persist(), i.e. MEMORY_ONLY_SER, over the internal stream's MEMORY_ONLY.
      const level = explicit === undefined ? "MEMORY_ONLY" : "MEMORY_ONLY_SER";
      expect([m.checkpointDuration, m.internalStream.checkpointDuration, m.internalStream.storageLevel.name]).toEqual([undefined, expected, level]);
      await ssc.stop();
    }
  });

  it("start() without ssc.checkpoint(dir) fails with Spark's message", () => {
    const { ssc } = setupOperation<string, number>([["a"]], (s) => s.map((x) => [x, 1] as [string, number]).mapWithState(StateSpec.function((_k: string, v: number | undefined, _s: State<number>) => v ?? 0)), { checkpoint: false });
    expect(() => ssc.start()).toThrow(expect.objectContaining({
      code: "STREAM_ERR_NO_CHECKPOINT_DIR",
      message: "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().",
    }));
  });
});

describe("mapWithState errors", () => {
  it("a State misuse fails the batch with Spark's message; the next batch continues from the last good state", async () => {
    const spec = StateSpec.function((_k: string, value: number | undefined, state: State<number>) => {
      state.update((state.getOption() ?? 0) + (value ?? 0));
      if (state.get() === 2) { state.remove(); state.update(0); }
      return state.get();
    });
    const { ssc, clock, output } = setupOperation<[string, number], number>([[["a", 1]], [["a", 1], ["b", 5]], [["a", 3], ["b", 1]]], (s) => s.mapWithState(spec), { master: "local" });
    ssc.start();
    await clock.advance(3000);
    await expect(ssc.awaitTermination()).rejects.toThrow(expect.objectContaining({
      code: "STREAM_ERR_STATE_REMOVED", message: "requirement failed: Cannot update the state after it has been removed",
    }));
    await ssc.stop();
    // batch 2 failed on a's second record; batch 3 starts from batch 1's states {a: 1}: b's 5 is not there
    expect(toPlain(output)).toEqual([{ time: 1000, items: [1] }, { time: 3000, items: [4, 1] }]);
  });

  it("get() without a state fails the batch with a coded error", async () => {
    const spec = StateSpec.function((_k: string, _v: number | undefined, state: State<number>) => state.get());
    const { ssc, clock } = setupOperation<[string, number], number>([[["a", 1]]], (s) => s.mapWithState(spec));
    ssc.start();
    await clock.advance(1000);
    await expect(ssc.awaitTermination()).rejects.toThrow(expect.objectContaining({
      code: "STREAM_ERR_STATE_NOT_SET", message: "State is not set. Check state.exists() before state.get(), or use state.getOption().",
    }));
  });
});

describe("mapWithState state as plain data (the fault-tolerance contract)", () => {
  it("each batch of the internal stream holds the states with their update times; a restored copy continues", async () => {
    const spec = () => StateSpec.function((_k: string, v: number | undefined, st: State<number>) => {
      st.update((st.getOption() ?? 0) + (v ?? 0));
      return st.get();
    });
    const first = await runMapWithState([["a"], ["a", "b"], []], spec(), 3);
    const saved = first.mapped.internalStream.generatedRDDs.get(3000) as RDD<unknown>;
    // v8 round trip, as the checkpoint writer does; the restored RDD has lost its partitioner
    const plain = v8.deserialize(v8.serialize(saved.partitions)) as unknown[][];
    expect(plain.flat().map((r) => stateMapEntries((r as { stateMap: StateMapData<string, number> }).stateMap))).toEqual([[["a", 2, 2000], ["b", 1, 2000]]]);

    // A new graph on the same grid, restored at 3000: its first batch (4000) continues from it.
    const clock = new ManualClock(3000);
    const ssc = new StreamingContext({ appName: "restored", master: "local", batchDuration: 1000, clock });
    ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-restore-")));
    const mapped = new TestInputStream(ssc, [["a", "c"]]).map((x) => [x, 1] as [string, number]).mapWithState(spec());
    const out: number[][] = [];
    const snaps: [string, number][][] = [];
    mapped.foreachRDD((rdd) => { out.push(rdd.collect()); });
    mapped.stateSnapshots().foreachRDD((rdd) => { snaps.push(rdd.collect()); });
    mapped.internalStream.generatedRDDs.set(3000, new RDD(plain as never));
    ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    expect(out).toEqual([[3, 1]]);
    expect(asSets(snaps)).toEqual(asSets([[["a", 3], ["b", 1], ["c", 1]]]));
  });
});
