import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import * as vm from "vm";
import { InputDStream } from "../../engine/dstream/input-dstream";
import { RDD } from "../../engine/rdd/rdd";
import { StreamingContext } from "../../engine/streaming-context";
import { ManualClock } from "../../engine/time/clock";
import { PoolInputDStream } from "./streamlab-runner";
import { buildStreamlab } from "./workloads";
import "../../engine/index";

/** Memory and checkpoint figures, all in virtual time (ManualClock), heap measured after full GCs. */

v8.setFlagsFromString("--expose-gc");
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? vm.runInNewContext("gc");

/**
 * The process's resident memory (RSS): every thread's heap, garbage included, and what lives
 * outside them. Not the main heap plus `external`: socketTextStream's reading thread keeps the
 * bytes it receives in shared memory it allocates, which no heap statistic of this thread counts.
 */
export function memoryInUse(): number {
  return process.memoryUsage.rss();
}

/** Heap in use after full collections. */
export function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Batch 1 holds the numbers 0..n-1 (made in compute, so nothing outside the engine keeps them); later batches are empty. */
class KeysOnce extends InputDStream<number> {
  constructor(ssc: StreamingContext, private readonly n: number) { super(ssc); }
  protected compute(time: number): RDD<number> {
    const first = time - (this.zeroTime as number) === this.slideDuration;
    const half = Math.floor(this.n / 2);
    const parts = first ? [range(0, half), range(half, this.n)] : [];
    const rdd = new RDD(parts, this.ssc.rddContext);
    this.reportInput(time, rdd);
    return rdd;
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = i;
  return out;
}

export interface StateFigures {
  keys: number;
  /** Heap held by the running stream per key of updateStateByKey state (keys, values, the engine's copies). */
  bytesPerKey: number;
  /** The same keys and values in a plain Map<string, number>, for scale. */
  plainMapBytesPerKey: number;
  /** Milliseconds per batch (every key updated) without a checkpoint in the batch. */
  batchMs: number;
  /** Milliseconds per batch that also checkpoints the state. */
  batchWithCheckpointMs: number;
}

/** updateStateByKey with `keys` keys: bytes per key, and the cost of a batch with and without a checkpoint. */
export async function measureState(keys: number, timedBatches: number): Promise<StateFigures> {
  const baseline = await runState(0, 12);
  const held = await runState(keys, 12);
  const plain = plainMapBytes(keys);
  const plainCost = plain / keys;
  const noCheckpoint = await timedStateBatches(keys, timedBatches, 1_000_000);
  const everyBatch = await timedStateBatches(keys, timedBatches, 1000);
  return { keys, bytesPerKey: (held - baseline) / keys, plainMapBytesPerKey: plainCost, batchMs: noCheckpoint, batchWithCheckpointMs: everyBatch };
}

async function buildStateApp(keys: number, checkpointEveryMs: number) {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ appName: "bench-state", master: "local[2]", batchDuration: 1000, clock });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-state-"));
  ssc.checkpoint(dir);
  const state = new KeysOnce(ssc, keys).map((i) => [`key${i}`, 1] as [string, number])
    .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0));
  state.checkpoint(checkpointEveryMs);
  let count = 0;
  state.foreachRDD((rdd) => { count = rdd.count(); });
  ssc.start();
  return { clock, ssc, dir, count: () => count };
}

/** Runs `batches` batches and returns the heap in use while the stream still runs. */
async function runState(keys: number, batches: number): Promise<number> {
  const app = await buildStateApp(keys, 10_000);
  try {
    for (let i = 0; i < batches; i++) await app.clock.advance(1000);
    if (app.count() !== keys) throw new Error(`bench: state holds ${app.count()} keys, expected ${keys}`);
    return heapUsed();
  } finally {
    await app.ssc.stop();
    fs.rmSync(app.dir, { recursive: true, force: true });
  }
}

async function timedStateBatches(keys: number, batches: number, checkpointEveryMs: number): Promise<number> {
  const app = await buildStateApp(keys, checkpointEveryMs);
  try {
    for (let i = 0; i < 3; i++) await app.clock.advance(1000);
    const start = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) await app.clock.advance(1000);
    return Number(process.hrtime.bigint() - start) / 1e6 / batches;
  } finally {
    await app.ssc.stop();
    fs.rmSync(app.dir, { recursive: true, force: true });
  }
}

function plainMapBytes(keys: number): number {
  const before = heapUsed();
  const m = new Map<string, number>();
  for (let i = 0; i < keys; i++) m.set(`key${i}`, 1);
  const after = heapUsed();
  if (m.size !== keys) throw new Error("unreachable");
  return after - before;
}

export interface WindowMemoryPoint {
  /** Stream time since start, seconds. */
  t: number;
  heapMB: number;
}

/**
 * WordCount over a 30 s window at a steady `perBatch` records per 1 s batch for `seconds` of stream
 * time: the heap in use every `every` seconds. Flat once the window is full means the old batches
 * and their reduced copies are let go.
 */
export async function measureWindowMemory(pool: readonly string[], perBatch: number, seconds: number, every: number): Promise<WindowMemoryPoint[]> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ appName: "bench-window-memory", master: "local[2]", batchDuration: 1000, clock });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-window-"));
  ssc.checkpoint(dir);
  buildStreamlab("wordcount", new PoolInputDStream(ssc, pool, perBatch), { batchMs: 1000, windowMs: 30_000, slideMs: 1000 }, () => {});
  ssc.start();
  const points: WindowMemoryPoint[] = [];
  try {
    for (let t = 1; t <= seconds; t++) {
      await clock.advance(1000);
      if (t % every === 0) points.push({ t, heapMB: heapUsed() / 2 ** 20 });
    }
  } finally {
    await ssc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return points;
}
