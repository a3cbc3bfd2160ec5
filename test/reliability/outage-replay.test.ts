import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DStream, HashPartitioner, ManualClock, State, StateSpec, StreamingContext } from "../../engine";
import { quiescenceHorizon } from "../../engine/checkpoint/replay";
import { setLogger } from "../../engine/log";
import { FileInputDStream } from "../../engine/sources/file-input-dstream";

// A restart after a long outage with a file stream and state (issue 22, finding 6). Every
// down-time batch used to read the file stream and leave an entry in batchTimeToSelectedFiles
// that each replayed checkpoint serialized, and the word count never turned quiet: 23.5 s and
// 311 MB after an hour of 100 ms batches. The timing itself is measured by
// test/checkpoint/outage-bench.js; this checks what it rests on: how many batches run, what each
// checkpoint holds, and that the state is exact.

const T0 = 1_700_000_000_000;
let root: string;
let previous: ReturnType<typeof setLogger>;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-outage-"));
  previous = setLogger({ warn: () => {}, info: () => {} });
});
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previous);
  fs.rmSync(root, { recursive: true, force: true });
});

function put(input: string, name: string, text: string, mtime: number): void {
  const staged = path.join(root, name);
  fs.writeFileSync(staged, text);
  fs.utimesSync(staged, (mtime + 0.5) / 1000, (mtime + 0.5) / 1000);
  fs.renameSync(staged, path.join(input, name));
}

async function outage(batch: number, outageMs: number, expectedReplayed: number): Promise<void> {
  const dir = path.join(root, "cp");
  const input = path.join(root, "in");
  fs.mkdirSync(input);
  const totals = new Map<number, Array<[string, number]>>();
  const build = (clock: ManualClock) => () => {
    const ssc = new StreamingContext({ appName: "outage", master: "local[2]", batchDuration: batch, clock });
    ssc.checkpoint(dir);
    ssc.textFileStream(input).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd, t) => { totals.set(t.milliseconds, rdd.collect().sort((a, b) => (a[0] < b[0] ? -1 : 1))); });
    return ssc;
  };
  const clock = new ManualClock(T0);
  const first = StreamingContext.getOrCreate(dir, build(clock));
  first.start();
  for (let i = 0; i < 20; i++) put(input, `f${i}.txt`, `w${i % 5} w${(i + 1) % 5} common\n`, T0 + 1 + i * 100);
  await clock.advance(5000);
  first.abandonForTest();
  const before = totals.get(T0 + 5000);
  expect(before).toEqual([["common", 20], ["w0", 8], ["w1", 8], ["w2", 8], ["w3", 8], ["w4", 8]]);

  const restart = T0 + 5000 + outageMs;
  const clock2 = new ManualClock(restart);
  const second = StreamingContext.getOrCreate(dir, build(clock2));
  second.start();
  expect(second.jobScheduler.pendingTimes.length).toBe(expectedReplayed);
  const firstLive = Math.ceil((restart + 1) / batch) * batch;
  put(input, "late.txt", "w0 late\n", firstLive - 1);
  await clock2.advance(firstLive - restart);
  expect(totals.get(firstLive)).toEqual([["common", 20], ["late", 1], ["w0", 9], ["w1", 8], ["w2", 8], ["w3", 8], ["w4", 8]]);
  // Each checkpoint holds the selections of the batches it must remember, not one per down-time batch.
  const sizes = fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).map((f) => fs.statSync(path.join(dir, f)).size);
  expect(Math.max(...sizes)).toBeLessThan(32 * 1024);
  await second.stop();
}

describe("restart after a long outage with a file stream and updateStateByKey", () => {
  // The word count is quiet after one empty batch (its state unchanged): the first down-time
  // batch runs, then the last; the state's 20 s of remembered batches are not waited for.
  it("1 h of 100 ms batches: 2 batches replayed (the first empty one, then the last), not 36,000", async () => {
    await outage(100, 3_600_000, 2);
  });

  it("1 day of 1 s batches: 2 batches replayed, not 86,400", async () => {
    await outage(1000, 86_400_000, 2);
  });
});

type Rows = Array<[string, unknown]>;
type Graph = (lines: DStream<string>, record: (t: number, rows: Rows) => void) => void;
const sorted = (rows: Rows): Rows => rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/**
 * The graph's output at the first live batch after an outage of `outageMs` with files arriving at
 * `late` ms into it, restarted with coalescing, and as Spark's one-by-one replay gives it: for
 * these deterministic graphs that is the run that never crashed, every batch of the outage run.
 */
async function againstSpark(batch: number, outageMs: number, late: number[], graph: Graph): Promise<{ replayed: number; reads: number; restarted: Rows; spark: Rows }> {
  const restart = T0 + 5000 + outageMs;
  const firstLive = Math.ceil((restart + 1) / batch) * batch;
  const run = async (name: string, crash: boolean): Promise<{ replayed: number; reads: number; rows: Rows }> => {
    const dir = path.join(root, name, "cp");
    const input = path.join(root, name, "in");
    fs.mkdirSync(input, { recursive: true });
    const out = new Map<number, Rows>();
    const build = (clock: ManualClock) => () => {
      const ssc = new StreamingContext({ appName: "outage", master: "local[2]", batchDuration: batch, clock });
      ssc.checkpoint(dir);
      graph(ssc.textFileStream(input), (t, rows) => out.set(t, sorted(rows)));
      return ssc;
    };
    const clock = new ManualClock(T0);
    const first = StreamingContext.getOrCreate(dir, build(clock));
    first.start();
    for (let i = 0; i < 20; i++) put(input, `f${i}.txt`, `w${i % 5} w${(i + 1) % 5} common\n`, T0 + 1 + i * 100);
    await clock.advance(5000);
    late.forEach((at, i) => put(input, `late${i}.txt`, `w${i} late${i}\n`, T0 + 5000 + at));
    put(input, "live.txt", "w0 live\n", firstLive - 1);
    let replayed = 0;
    let reads = 0;
    if (crash) {
      first.abandonForTest();
      const clock2 = new ManualClock(restart);
      // How often the replay goes through the file stream's directory for new files.
      const findNewFiles = jest.spyOn(FileInputDStream.prototype as unknown as { findNewFiles: () => string[] }, "findNewFiles");
      const second = StreamingContext.getOrCreate(dir, build(clock2));
      second.start();
      reads = findNewFiles.mock.calls.length;
      findNewFiles.mockRestore();
      replayed = second.jobScheduler.pendingTimes.length;
      await clock2.advance(firstLive - restart);
      await second.stop();
    } else {
      await clock.advance(firstLive - (T0 + 5000));
      await first.stop();
    }
    return { replayed, reads, rows: out.get(firstLive) as Rows };
  };
  const restarted = await run("restarted", true);
  const spark = await run("spark", false);
  return { replayed: restarted.replayed, reads: restarted.reads, restarted: restarted.rows, spark: spark.rows };
}

const words = (lines: DStream<string>) => lines.flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1]);
const sum = (vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0);

describe("the coalescing rule: one empty batch that changes no state is a fixed point", () => {
  it("updateStateByKey: 2 batches per file in the outage (the file's, one empty), one read, state as Spark's", async () => {
    const r = await againstSpark(1000, 600_000, [100_000.5, 300_000.5, 500_000.5], (lines, record) => {
      words(lines).updateStateByKey(sum).foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    // 5001 (first empty), then per file its batch and the next, then the last down-time batch.
    expect(r.replayed).toBe(1 + 3 * 2 + 1);
    // The directory is gone through once per replayed batch: not at each of the 60 batches of the
    // stream's 60 s window after each file (600 at 100 ms).
    expect(r.reads).toBe(r.replayed);
    expect(r.restarted).toEqual([["common", 20], ["late0", 1], ["late1", 1], ["late2", 1], ["live", 1], ["w0", 10], ["w1", 9], ["w2", 9], ["w3", 8], ["w4", 8]]);
    expect(r.restarted).toEqual(r.spark);
  });

  it("a file moved in after the crash with an older time is read once, as Spark's", async () => {
    // late0 is modified 2 s before the checkpoint but was not in the directory then: Spark's 60 s
    // window selects it at the first down-time batch. Reading the stream there bounds which files
    // can be new later (only those modified after it), so 100 s on, late1 is read once too.
    const r = await againstSpark(1000, 600_000, [-2000, 100_000.5], (lines, record) => {
      words(lines).updateStateByKey(sum).foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    expect(r.replayed).toBe(2 + 2 + 1);
    expect(r.restarted).toEqual([["common", 20], ["late0", 1], ["late1", 1], ["live", 1], ["w0", 10], ["w1", 9], ["w2", 8], ["w3", 8], ["w4", 8]]);
    expect(r.restarted).toEqual(r.spark);
  });

  it("a window feeding the state: the window's 30 s replayed after each input, state as Spark's", async () => {
    const r = await againstSpark(1000, 600_000, [100_000.5, 300_000.5], (lines, record) => {
      words(lines).reduceByKeyAndWindow((a, b) => a + b, 30_000)
        .updateStateByKey((vs: number[], s?: number) => vs.length ? (s ?? 0) + vs.length : s)
        .foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    // The window holds each input for 30 s and the state counts it at every slide: each stretch
    // turns quiet 30 s after its last input (the checkpoint's at 5 s, then each file's), then the
    // last down-time batch.
    expect(r.replayed).toBe(30 + 2 * 31 + 1);
    expect(r.restarted).toEqual([["common", 31], ["late0", 30], ["late1", 30], ["live", 1], ["w0", 62], ["w1", 61], ["w2", 31], ["w3", 31], ["w4", 31]]);
    expect(r.restarted).toEqual(r.spark);
  });

  it("mapWithState without a timeout: 3 batches per file, states as Spark's", async () => {
    const r = await againstSpark(1000, 600_000, [100_000.5, 300_000.5], (lines, record) => {
      const spec = StateSpec.function((w: string, one: number | undefined, state: State<number>) => {
        state.update((state.getOption() ?? 0) + (one ?? 0));
        return [w, state.get()] as [string, number];
      });
      words(lines).mapWithState(spec).stateSnapshots().foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    // Its state record holds the batch's mapped values too, so the first empty batch after a file
    // differs from the file's and the second shows it unchanged.
    expect(r.replayed).toBe(1 + 2 * 3 + 1);
    expect(r.restarted).toEqual([["common", 20], ["late0", 1], ["late1", 1], ["live", 1], ["w0", 10], ["w1", 9], ["w2", 8], ["w3", 8], ["w4", 8]]);
    expect(r.restarted).toEqual(r.spark);
  });

  it("mapWithState with a timeout: replayed until every timeout has fired, as Spark's", async () => {
    const r = await againstSpark(1000, 600_000, [100_000.5], (lines, record) => {
      const spec = StateSpec.function((w: string, one: number | undefined, state: State<number>) => {
        if (one === undefined) return [w, -1] as [string, number];
        state.update((state.getOption() ?? 0) + one);
        return [w, state.get()] as [string, number];
      }).timeout(60_000);
      words(lines).mapWithState(spec).stateSnapshots().foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    // The timeout fires at the first full scan (every 10 s) more than 60 s after a key's last
    // record: the wait is 60 s + 10 s after the checkpoint (70 batches) and after the file (its
    // batch and 70 more), then the last down-time batch.
    expect(r.replayed).toBe(70 + 71 + 1);
    expect(r.restarted).toEqual([["live", 1], ["w0", 1]]);
    expect(r.restarted).toEqual(r.spark);
  });

  it("an update function reading the batch time keeps the former wait (two checkpoint intervals)", async () => {
    const r = await againstSpark(1000, 600_000, [], (lines, record) => {
      words(lines).updateStateByKey((_t: unknown, _k: string, vs: number[], s?: number) => sum(vs, s), new HashPartitioner(2), true)
        .foreachRDD((rdd, t) => record(t.milliseconds, rdd.collect()));
    });
    expect(r.replayed).toBe(20 + 1);
    expect(r.restarted).toEqual([["common", 20], ["live", 1], ["w0", 9], ["w1", 8], ["w2", 8], ["w3", 8], ["w4", 8]]);
    expect(r.restarted).toEqual(r.spark);
  });
});

describe("the quiescence horizon: how long after the last input the graph may turn quiet", () => {
  const horizon = async (batch: number, graph: (lines: DStream<string>) => void): Promise<number> => {
    const input = path.join(root, "in");
    fs.mkdirSync(input, { recursive: true });
    const ssc = new StreamingContext({ appName: "horizon", master: "local[2]", batchDuration: batch, clock: new ManualClock(T0) });
    ssc.checkpoint(fs.mkdtempSync(path.join(root, "cp-")));
    graph(ssc.textFileStream(input));
    ssc.start();
    const h = quiescenceHorizon(ssc);
    await ssc.stop();
    return h;
  };

  it("one batch for a word count; its state's 20 s remember duration is lineage, not meaning", async () => {
    expect(await horizon(100, (l) => words(l).updateStateByKey(sum).print())).toBe(100);
    expect(await horizon(1000, (l) => words(l).mapWithState(StateSpec.function((_w: string, v: number | undefined) => v)).print())).toBe(1000);
  });

  it("the windows between an input and the state, summed along the path", async () => {
    expect(await horizon(1000, (l) => words(l).window(5000).reduceByKeyAndWindow((a, b) => a + b, 30_000).updateStateByKey(sum).print())).toBe(35_000);
    expect(await horizon(1000, (l) => words(l).countByWindow(8000, 2000).print())).toBe(8000);
  });

  it("a mapWithState timeout adds the timeout and one checkpoint interval (its full scans)", async () => {
    const spec = StateSpec.function((_w: string, v: number | undefined) => v).timeout(60_000);
    expect(await horizon(1000, (l) => words(l).mapWithState(spec).print())).toBe(70_000);
  });

  it("the former wait (what the graph remembers) for a time-reading update or a window over state", async () => {
    const timed = (_t: unknown, _k: string, vs: number[], s?: number) => sum(vs, s);
    expect(await horizon(1000, (l) => words(l).updateStateByKey(timed, new HashPartitioner(2), true).print())).toBe(20_000);
    expect(await horizon(1000, (l) => words(l).updateStateByKey(sum).window(5000).updateStateByKey(sum).print())).toBe(25_000);
  });
});
