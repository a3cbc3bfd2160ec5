import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Clock, DStream, Durations, ManualClock, StreamingContext, TestInputStream } from "../../engine";
import { ScaledClock } from "../../engine/time/scaled-clock";
import { salesRecords } from "../../engine/tools/sales-generator";
import { parseSales } from "../../engine/tools/sales-parser";

describe("ScaledClock", () => {
  it("runs stream time `speed` times faster than wall time", async () => {
    const clock = new ScaledClock({ speed: 1000, start: 5_000_000 });
    const t0 = process.hrtime.bigint();
    expect(clock.getTimeMillis()).toBeGreaterThanOrEqual(5_000_000);
    const fired = await new Promise<number>((resolve) => clock.schedule(5_000_000 + 50_000, () => resolve(clock.getTimeMillis())));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(fired).toBeGreaterThanOrEqual(5_050_000); // never early in stream time
    expect(wallMs).toBeGreaterThanOrEqual(49); // 50 s of stream time take 50 ms of wall time
    expect(wallMs).toBeLessThan(1000);
    expect(clock.wallDuration(Durations.days(1).milliseconds)).toBe(86_400);
  });

  it("fires a timer that is already due asynchronously, and not after cancel", async () => {
    const clock = new ScaledClock({ speed: 10, start: 1000 });
    const order: string[] = [];
    clock.schedule(0, () => order.push("due"));
    const cancelled = clock.schedule(0, () => order.push("cancelled"));
    cancelled.cancel();
    order.push("sync");
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(["sync", "due"]);
  });

  it("validates its options with catalog errors", () => {
    expect(() => new ScaledClock({ speed: 0 })).toThrow(expect.objectContaining({
      name: "RangeError",
      code: "STREAM_ERR_BAD_CLOCK_SPEED",
      message: "ScaledClock speed must be a positive, finite number (stream milliseconds per wall millisecond), got number 0. Use e.g. new ScaledClock({ speed: 8640 }) to play a day of stream time in 10 seconds.",
    }));
    expect(() => new ScaledClock({ speed: Infinity })).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_CLOCK_SPEED" }));
    expect(() => new ScaledClock({ speed: "fast" as unknown as number })).toThrow(expect.objectContaining({ code: "STREAM_ERR_BAD_CLOCK_SPEED" }));
    expect(() => new ScaledClock({ speed: 2, start: NaN })).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_OPTION",
      message: "ScaledClock start must be a finite epoch time in milliseconds, got number NaN. Use e.g. { start: Date.UTC(2024, 0, 1) }, or leave it out to start at the current time.",
    }));
  });
});

/*
 * The lecture's exercise with its 10-day window: the best seller over the last 10 days, plus the
 * best seller since the beginning. The lecture slides every minute over 10-second batches (86,400
 * batches a window); here batches are 1 hour and the window slides every 6 hours, the same shape
 * with fewer batches. Run once in virtual time (ManualClock) and once in real time on a
 * ScaledClock at 3,600,000x (30 days of stream time in about a second of wall time); both must
 * equal a reference computed with plain loops.
 */
const HOUR = 3_600_000;
const BATCH = HOUR;
const WINDOW = Durations.days(10).milliseconds;
const SLIDE = 6 * HOUR;
const NUM_BATCHES = 720; // 30 days: 40 growing windows, then 80 full sliding ones
const LINES_PER_BATCH = 3;
const SEED = 2024;
const SALES_OPTIONS = { stores: 4, products: 12, malformedRate: 0.03, shiftEvery: 1200 };

type Counts = Array<[string, number]>;
interface RunResult {
  /** Per window (by slide index 1, 2, ...): every product's count, sorted by product. */
  windows: Map<number, Counts>;
  /** Same, computed without the inverse function. */
  windowsPlain: Map<number, Counts>;
  /** Per window: the best seller. */
  best: Map<number, [string, number]>;
  /** Per batch: the best seller since the beginning. */
  bestEver: Map<number, [string, number]>;
  malformed: number;
  sales: number;
}

const records = [...salesRecords(SEED, { ...SALES_OPTIONS, count: NUM_BATCHES * LINES_PER_BATCH })];
const batches = Array.from({ length: NUM_BATCHES }, (_, i) => records.slice(i * LINES_PER_BATCH, (i + 1) * LINES_PER_BATCH).map((r) => r.line));

/** The lecture's reduce, with a tie-break on the product id so the winner does not depend on order. */
const better = (a: [string, number], b: [string, number]): [string, number] => (a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]) ? a : b);
const byProduct = (counts: Counts): Counts => [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

function reference() {
  const windows = new Map<number, Counts>();
  const best = new Map<number, [string, number]>();
  const bestEver = new Map<number, [string, number]>();
  const total = new Map<string, number>();
  for (let i = 1; i <= NUM_BATCHES; i++) {
    for (const r of records.slice((i - 1) * LINES_PER_BATCH, i * LINES_PER_BATCH)) {
      if (r.sale) total.set(r.sale.productId, (total.get(r.sale.productId) ?? 0) + r.sale.number);
    }
    bestEver.set(i, [...total].reduce(better));
    if ((i * BATCH) % SLIDE !== 0) continue;
    const counts = new Map<string, number>();
    const first = Math.max(1, i - WINDOW / BATCH + 1);
    for (let j = first; j <= i; j++) {
      for (const r of records.slice((j - 1) * LINES_PER_BATCH, j * LINES_PER_BATCH)) {
        if (r.sale) counts.set(r.sale.productId, (counts.get(r.sale.productId) ?? 0) + r.sale.number);
      }
    }
    windows.set((i * BATCH) / SLIDE, byProduct([...counts]));
    best.set((i * BATCH) / SLIDE, [...counts].reduce(better));
  }
  return { windows, windowsPlain: windows, best, bestEver };
}

const tempDirs: string[] = [];
const newCheckpointDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-scaled-")); tempDirs.push(d); return d; };
afterAll(() => { for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true }); });

/** Builds the exercise's graph on `clock`; `done` resolves once batch `until` has been output. */
function buildApp(clock: Clock, checkpointDir = newCheckpointDir(), until = NUM_BATCHES) {
  const ssc = new StreamingContext({ appName: "BestSeller", master: "local[2]", batchDuration: BATCH, clock });
  ssc.checkpoint(checkpointDir);
  const input = new TestInputStream(ssc, batches);
  const result: RunResult = { windows: new Map(), windowsPlain: new Map(), best: new Map(), bestEver: new Map(), malformed: 0, sales: 0 };
  const index = (t: { milliseconds: number }, step: number) => (t.milliseconds - (input.zeroTime as number)) / step;
  const { sales, malformed } = parseSales(input as DStream<string>);
  const sells = sales.mapToPair((s) => [s.productId, s.number] as [string, number]);
  const counts = sells.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, WINDOW, SLIDE, 2, ([, n]) => n > 0);
  const countsPlain = sells.reduceByKeyAndWindow((a, b) => a + b, WINDOW, SLIDE);
  const totals = sells.updateStateByKey((values: number[], state?: number) => values.reduce((a, b) => a + b, state ?? 0));
  counts.foreachRDD((rdd, t) => { result.windows.set(index(t, SLIDE), byProduct(rdd.collect())); });
  countsPlain.foreachRDD((rdd, t) => { result.windowsPlain.set(index(t, SLIDE), byProduct(rdd.collect())); });
  counts.reduce(better).foreachRDD((rdd, t) => { for (const b of rdd.collect()) result.best.set(index(t, SLIDE), b); });
  totals.reduce(better).foreachRDD((rdd, t) => { for (const b of rdd.collect()) result.bestEver.set(index(t, BATCH), b); });
  malformed.count().foreachRDD((rdd) => { result.malformed += rdd.collect()[0]; });
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => { finish = resolve; });
  sales.count().foreachRDD((rdd, t) => {
    result.sales += rdd.collect()[0];
    if (index(t, BATCH) === until) finish();
  });
  return { ssc, result, done };
}

/** Only the first NUM_BATCHES batches (a real-time run may have started a few more before stop). */
function firstBatches(r: RunResult) {
  const upTo = <V>(m: Map<number, V>, max: number) => new Map([...m].filter(([k]) => k <= max));
  const windows = NUM_BATCHES / (SLIDE / BATCH);
  return { windows: upTo(r.windows, windows), windowsPlain: upTo(r.windowsPlain, windows), best: upTo(r.best, windows), bestEver: upTo(r.bestEver, NUM_BATCHES) };
}

const expected = reference();

describe("best seller over a sliding 10-day window: ManualClock and ScaledClock agree with the reference", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("the reference is non-trivial", () => {
    expect(expected.windows.size).toBe(120);
    expect(new Set([...expected.best.values()].map(([p]) => p)).size).toBeGreaterThan(1); // the leader changes
    expect(records.filter((r) => !r.sale).length).toBeGreaterThan(50);
  });

  let manual: RunResult;
  it("in virtual time (ManualClock)", async () => {
    const clock = new ManualClock(0);
    const app = buildApp(clock);
    app.ssc.start();
    await clock.advance(NUM_BATCHES * BATCH);
    await app.done;
    await app.ssc.stop();
    manual = app.result;
    expect(firstBatches(manual)).toEqual(expected);
    expect(manual.malformed).toBe(records.filter((r) => !r.sale).length);
    expect(manual.sales).toBe(records.filter((r) => r.sale).length);
  });

  it("in real time at 3,600,000x (ScaledClock), with the same results", async () => {
    const speed = 3_600_000; // a 1-hour batch every millisecond of wall time
    const clock = new ScaledClock({ speed, start: 0 });
    const app = buildApp(clock);
    const t0 = process.hrtime.bigint();
    app.ssc.start();
    await app.done;
    await app.ssc.stop();
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(wallMs).toBeGreaterThanOrEqual((NUM_BATCHES * BATCH) / speed - 5); // stream time never outruns the clock
    expect(wallMs).toBeLessThan(20_000);
    const scaled = firstBatches(app.result);
    expect(scaled).toEqual(expected);
    expect(scaled).toEqual(firstBatches(manual));
    expect(app.result.malformed).toBe(manual.malformed); // later batches are empty: they add 0
    expect(app.result.sales).toBe(manual.sales);
  });
});

describe("checkpoints in scaled stream time", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("a run killed half-way recovers from its checkpoint on a new ScaledClock and goes on with the same windows", async () => {
    const speed = 3_600_000;
    const dir = newCheckpointDir();
    const first = buildApp(new ScaledClock({ speed, start: 0 }), dir, NUM_BATCHES / 2);
    first.ssc.start();
    await first.done;
    await first.ssc.stop(); // not graceful: queued batches are dropped, as when the process dies
    // The restart comes after 30 hours of stream-time down time; getOrCreate replays the
    // pending and down-time batches from the checkpoint, then the timer goes on on the same grid.
    let second: ReturnType<typeof buildApp> | undefined;
    const restartClock = new ScaledClock({ speed, start: (NUM_BATCHES / 2 + 30) * BATCH + 1 });
    const ssc = StreamingContext.getOrCreate(dir, () => { second = buildApp(restartClock, dir); return second.ssc; });
    ssc.start();
    await second!.done;
    await ssc.stop();
    const a = firstBatches(first.result);
    const b = firstBatches(second!.result);
    // Every window the two runs produced is the reference's, and together they produced all of them.
    for (const run of [a, b]) {
      for (const key of ["windows", "windowsPlain", "best", "bestEver"] as const) {
        for (const [i, v] of run[key] as Map<number, unknown>) expect([key, i, v]).toEqual([key, i, expected[key].get(i)]);
      }
    }
    expect(new Set([...a.best.keys(), ...b.best.keys()]).size).toBe(expected.best.size);
    expect(new Set([...a.bestEver.keys(), ...b.bestEver.keys()]).size).toBe(NUM_BATCHES);
    expect(Math.min(...b.bestEver.keys())).toBeLessThanOrEqual(NUM_BATCHES / 2 + 30); // down-time batches were replayed
  });
});
