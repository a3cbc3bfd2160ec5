import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as engine from "../../engine";
import { ManualClock, StreamingContext, TestInputStream, setCurrentOwner, setLogger } from "../../engine";
import { AppResult, BATCH_MS, buildApp, memoryBatches } from "./crash-app";
import { ChildPrograms, transpileForChildren, waitExit } from "./child-process";

// Recovery of a graph built while it ran (issue 19, item 6): the stateful streams a notebook cell
// added after start() resume from the checkpoint when the cell runs again after a crash, matched
// by their structural fingerprint, with the batches they missed computed exactly once.

const NUM_BATCHES = 40;
/** The uninterrupted run goes on past the input, as far as a child may get in wall time. */
const TRUTH_BATCHES = 250;
const KILLS = 8;
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `streamlab-live-${name}-`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let restoreLogger: (() => void) | undefined;
beforeEach(() => {
  const prev = setLogger({ warn: () => {}, info: () => {} });
  restoreLogger = () => setLogger(prev);
});
afterEach(async () => {
  restoreLogger?.();
  setCurrentOwner(undefined);
  await StreamingContext.stopActive();
});

/** The uninterrupted run: every stateful stream defined with the rest, results by batch index. */
async function truth(): Promise<Map<number, AppResult>> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "truth", master: "local[2]", batchDuration: BATCH_MS, clock });
  ssc.checkpoint(tmp("truth"));
  const results = new Map<number, AppResult>();
  buildApp(engine, new TestInputStream(ssc, memoryBatches(NUM_BATCHES)), { onResult: (t, r) => results.set(t / BATCH_MS, r) });
  ssc.start();
  await clock.advance(TRUTH_BATCHES * BATCH_MS);
  await ssc.stop();
  return results;
}

/** One run of the "notebook": cell 1 builds the context with getOrCreate and starts it. */
function cell1(dir: string, clock: ManualClock, conf: Record<string, string | number | boolean> = {}, start = true) {
  let lines: TestInputStream<string> | undefined;
  const ssc = StreamingContext.getOrCreate(dir, () => {
    const ssc = new StreamingContext({ appName: "notebook", master: "local[2]", batchDuration: BATCH_MS, clock, conf: { "streamlab.graph.liveChanges": true, ...conf } });
    ssc.checkpoint(dir);
    lines = new TestInputStream(ssc, memoryBatches(NUM_BATCHES));
    lines.foreachRDD(() => {});
    return ssc;
  });
  if (start) ssc.start();
  return { ssc, lines: lines as TestInputStream<string> };
}

/** Cell 2, run after start: the three stateful streams of crash-app, owned by the cell. */
function cell2(lines: TestInputStream<string>, results: Map<number, AppResult>): void {
  setCurrentOwner("cell-2");
  try {
    buildApp(engine, lines, { onResult: (t, r) => results.set(t / BATCH_MS, r) });
  } finally {
    setCurrentOwner(undefined);
  }
}

let expected: Map<number, AppResult>;
beforeAll(async () => { expected = await truth(); });

describe("a graph built live recovers in virtual time", () => {
  it("stateful streams added after start resume exactly after three crashes: before the cell ran again, and right after it caught up", async () => {
    const dir = tmp("cp");
    const got = new Map<number, AppResult>();

    // Run 1: cell 2 runs right after start; crash after batch 12.
    const clock1 = new ManualClock(0);
    const run1 = cell1(dir, clock1);
    cell2(run1.lines, got);
    await clock1.advance(12 * BATCH_MS);
    run1.ssc.abandonForTest();

    // Run 2: down until 15.5; batches 13-15 replayed (cell 2 not yet run again), 16-18 run, then
    // a second crash before cell 2 ran again.
    const clock2 = new ManualClock(15 * BATCH_MS + 50);
    const run2 = cell1(dir, clock2);
    await clock2.advance(3 * BATCH_MS);
    run2.ssc.abandonForTest();

    // Run 3: down until 20.5; 19-20 replayed, 21-22 run, then cell 2 runs again and joins at 23
    // (its streams computed 13-22 from their state first); a third crash right after 23, whose
    // checkpoint must hold state files consistent with what 13-22 computed.
    const clock3 = new ManualClock(20 * BATCH_MS + 50);
    const run3 = cell1(dir, clock3);
    await clock3.advance(2 * BATCH_MS);
    cell2(run3.lines, got);
    // The oldest waiting state: mapWithState checkpoints every 10 batches, its last at 10.
    expect(run3.ssc.graph.historyPin).toBe(10 * BATCH_MS);
    await clock3.advance(BATCH_MS);
    expect(run3.ssc.graph.historyPin).toBeUndefined();
    run3.ssc.abandonForTest();

    // Run 4: down until 25.5; 24-25 replayed, 26-27 run (the input forgets what it no longer
    // needs), then cell 2 runs again and joins at 28.
    const clock4 = new ManualClock(25 * BATCH_MS + 50);
    const run4 = cell1(dir, clock4);
    await clock4.advance(2 * BATCH_MS);
    cell2(run4.lines, got);
    await clock4.advance((NUM_BATCHES - 27) * BATCH_MS);
    for (let i = 1; i <= NUM_BATCHES; i++) if (got.has(i)) expect([i, got.get(i)]).toEqual([i, expected.get(i)]);
    const ran = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
    expect([...got.keys()]).toEqual([...ran(1, 12), 23, ...ran(28, NUM_BATCHES)]);
  });

  it("a notebook that defines them before start() after a crash gets their state back, twice, and the replay runs them", async () => {
    const dir = tmp("prestart");
    const got = new Map<number, AppResult>();
    const clock1 = new ManualClock(0);
    const run1 = cell1(dir, clock1);
    cell2(run1.lines, got);
    await clock1.advance(12 * BATCH_MS);
    run1.ssc.abandonForTest();
    // Run 2: cell 1 without start, cell 2, then start: down until 15.5, 13-15 replayed with cell 2's outputs.
    const clock2 = new ManualClock(15 * BATCH_MS + 50);
    const run2 = cell1(dir, clock2, {}, false);
    cell2(run2.lines, got);
    run2.ssc.start();
    await clock2.advance(5 * BATCH_MS);
    const ran = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
    expect([...got.keys()]).toEqual(ran(1, 20));
    expect(run2.ssc.graph.historyPin).toBeUndefined();
    run2.ssc.abandonForTest();
    // Run 3, the same way: the streams defined before start are not expected from create().
    const clock3 = new ManualClock(23 * BATCH_MS + 50);
    const run3 = cell1(dir, clock3, {}, false);
    cell2(run3.lines, got);
    run3.ssc.start();
    await clock3.advance(5 * BATCH_MS);
    expect([...got.keys()]).toEqual(ran(1, 28));
    for (const i of got.keys()) expect([i, got.get(i)]).toEqual([i, expected.get(i)]);
  });

  it("a changed definition does not take the checkpointed state; the state waits, then is dropped after streamlab.graph.recoveryWaitMs", async () => {
    const dir = tmp("changed");
    const clock1 = new ManualClock(0);
    const run1 = cell1(dir, clock1);
    cell2(run1.lines, new Map());
    await clock1.advance(8 * BATCH_MS);
    run1.ssc.abandonForTest();
    const warns: string[] = [];
    setLogger({ warn: (m) => warns.push(m), info: () => {} });
    const clock2 = new ManualClock(8 * BATCH_MS + 50);
    const run2 = cell1(dir, clock2, { "streamlab.graph.recoveryWaitMs": 2000 });
    setCurrentOwner("cell-2");
    const totals: Array<[number, [string, number][]]> = [];
    run2.lines.flatMap((l) => l.split(" ").slice(1)).map((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.length + (s ?? 0)).foreachRDD((rdd, t) => { totals.push([t.milliseconds / BATCH_MS, rdd.collect()]); });
    setCurrentOwner(undefined);
    await clock2.advance(BATCH_MS);
    // Batch 9 alone: the changed stream started empty.
    const counts = new Map<string, number>();
    for (const l of memoryBatches(NUM_BATCHES)[8]) for (const w of l.split(" ").slice(1)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const sorted = (kv: [string, number][]) => kv.slice().sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(totals.map(([i, kv]) => [i, sorted(kv)])).toEqual([[9, sorted([...counts])]]);
    // The three streams of the checkpointed cell 2 still wait: mapWithState had no state file yet
    // (its checkpoint interval is 10 batches), so the inputs keep everything from its first batch.
    expect(run2.ssc.graph.historyPin).toBe(0);
    await clock2.advance(2000);
    expect(warns.filter((w) => w.includes("streamlab.graph.recoveryWaitMs"))).toEqual([
      "Checkpoint: updateStateByKey [4] of cell-2, reduceByKeyAndWindow [5] of cell-2, mapWithState [8] of cell-2 added after start in the checkpointed run were not defined again within streamlab.graph.recoveryWaitMs; their state is dropped.",
    ]);
    expect(run2.ssc.graph.historyPin).toBeUndefined();
  });
});

describe("kill -9 of a process whose stateful streams were added after start", () => {
  let children: ChildPrograms;
  beforeAll(() => { children = transpileForChildren(["test/checkpoint/crash-app.ts", "test/checkpoint/live-crash-app.ts"]); });

  it(`SIGKILL ${KILLS} times; each restart defines them again after a delay; every output equals the uninterrupted run`, async () => {
    const work = tmp("kill");
    const dir = path.join(work, "checkpoint");
    const log = path.join(work, "results.log");
    const stderr: string[] = [];
    const run = (args: string[]) => {
      const child = children.spawn("test/checkpoint/live-crash-app.ts", [dir, log, String(NUM_BATCHES), ...args]);
      child.stderr?.on("data", (d) => stderr.push(String(d)));
      return child;
    };
    let kills = 0;
    for (; kills < KILLS; kills++) {
      const child = run([]);
      // Long enough for a restarted run to define cell 2 again most of the time, not always.
      await sleep(900 + Math.floor(Math.random() * 700));
      child.kill("SIGKILL");
      expect(await waitExit(child)).toBe("SIGKILL");
    }
    const last = run(["finish"]);
    const timer = setTimeout(() => last.kill("SIGKILL"), 60_000);
    const code = await waitExit(last);
    clearTimeout(timer);
    expect([code, stderr.join("").split("\n").filter((l) => /Error|error/.test(l))]).toEqual([0, []]);
    // Every line is `<pid> <batch index> <results JSON>`; each run's outputs must equal the truth.
    const lines = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" ", 2).concat(l.slice(l.indexOf("{"))));
    const runs = new Set(lines.map(([pid]) => pid));
    expect(runs.size).toBeGreaterThanOrEqual(2);
    const wrong = lines.filter(([, i, json]) => json !== JSON.stringify(expected.get(Number(i))));
    expect(wrong).toEqual([]);
    const lastIndex = Math.max(...lines.map(([, i]) => Number(i)));
    expect(lastIndex).toBeGreaterThanOrEqual(NUM_BATCHES + 5);
    expect(lastIndex).toBeLessThanOrEqual(TRUTH_BATCHES);
    process.stdout.write(`live graph kill -9: ${kills} kills, ${runs.size} runs wrote ${lines.length} outputs, all equal to the uninterrupted run\n`);
  }, 120_000);
});
