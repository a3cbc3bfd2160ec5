import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { DStream } from "../../engine/dstream/dstream";
import { InputDStream } from "../../engine/dstream/input-dstream";
import { KafkaUtils } from "../../engine/sources/kafka/kafka-utils";
import { ConsumerStrategies, LocationStrategies } from "../../engine/sources/kafka/strategies";
import { RDD } from "../../engine/rdd/rdd";
import { Receiver } from "../../engine/receiver/receiver";
import { StreamingContext } from "../../engine/streaming-context";
import { ManualClock } from "../../engine/time/clock";
import type { BatchRecord, ProbeResult, ProbeSpec } from "./probe";
import { heapUsed, memoryInUse } from "./memory";
import { slicePool } from "./records";
import { deleteBenchTopic, kafkaOf, newBenchTopic, startKafkaFeed } from "./kafka-feed";
import { Sender, startSender } from "./sender-process";
import { buildStreamlab, WindowShape, WorkloadName, WORKLOADS } from "./workloads";

/**
 * A probe is stopped when, after a full collection, its heap passes MAX_PROBE_HEAP_GB (the heap
 * is 8 GB; the window's batches must fit) or its resident memory (received socket bytes
 * included) passes MAX_PROBE_MEMORY_GB (the machine has 24 GB, and Spark's JVM 8 GB).
 */
const MAX_PROBE_HEAP_GB = 5;
const MAX_PROBE_MEMORY_GB = 12;

const isWindowed = (w: WorkloadName) => WORKLOADS.some((x) => x.name === w && x.windowed);

/**
 * streamlab's side of the benchmark: flat-out capacity in virtual time (ManualClock) and
 * real-time probes on the wall clock with a receiver or a socket feed.
 */

/** Spark's default `spark.streaming.blockInterval`, which both engines run with unless `--block-ms` says otherwise. */
export const DEFAULT_BLOCK_MS = 200;

/**
 * The block interval both engines run with: `blockMs`, or half a batch when that is shorter
 * (Spark's tuning guide: keep blocks shorter than the batch; 50 ms for 100 ms batches), so that
 * every batch gets its share of blocks. A receiver's records become one partition, so one map
 * task, per block. SparkBench takes its interval from here.
 */
export const blockIntervalFor = (batchMs: number, blockMs = DEFAULT_BLOCK_MS) => Math.min(blockMs, batchMs / 2);

/** Partitions a receiver cuts from one batch. */
export const blocksPerBatch = (batchMs: number) => Math.max(1, Math.round(batchMs / blockIntervalFor(batchMs)));

/**
 * A replayable in-process source: batch i holds records [i*n, (i+1)*n) of the pool (cycled), cut
 * into one partition per block (blockIntervalFor), as a receiver at n records per batch would deliver them.
 */
export class PoolInputDStream extends InputDStream<string> {
  constructor(ssc: StreamingContext, private readonly pool: readonly string[], private readonly perBatch: number) {
    super(ssc);
  }

  protected compute(time: number): RDD<string> {
    const index = Math.round((time - (this.zeroTime as number)) / this.slideDuration) - 1;
    const parts = this.perBatch === 0 ? [] : slicePool(this.pool, index * this.perBatch, this.perBatch, blocksPerBatch(this.slideDuration));
    const rdd = new RDD(parts, this.ssc.rddContext);
    this.reportInput(time, rdd);
    return rdd;
  }
}

/**
 * The in-process generator as a custom Receiver: record k of the pool (cycled) is due at
 * `t0 + k / rate`; at each boundary `t0 + k * blockMs` the records due so far are stored as one
 * block, so the generator costs almost nothing and never falls behind on its own.
 *
 * Spark's generator (SparkBench.PoolReceiver) stores at those boundaries on a thread of its own,
 * whatever the batches do. Here storing shares the main thread with the batches, so it is driven by
 * the block generator's ticks, which a batch generated late runs before it takes its blocks
 * (BlockGenerator.cutBlocksDueBy). Each tick stores what Spark's thread would have stored by then:
 * the records due by the last boundary, a block per interval. A late batch so holds what it would
 * in Spark, rather than everything due by the time it got to run (which made it longer still), and
 * its map stage has one task per interval for the worker to share, not one huge one.
 */
export class PoolReceiver extends Receiver<string> {
  private stored = 0;
  private next = 0;
  /**
   * The pool repeated to cover one block interval's records from any start in the pool, so that a
   * block is one slice (a copy of memory). Copying records one by one took 130–200 ms of the main
   * thread per batch at 14M/s, enough to push a tick past the batch boundary.
   */
  private readonly cycle: string[];

  constructor(private readonly pool: readonly string[], private readonly rate: number, readonly t0: number, private readonly blockMs: number) {
    super();
    const perBlock = Math.ceil((rate * blockMs) / 1000) + 1;
    const copies = pool.length === 0 ? 0 : Math.ceil(perBlock / pool.length) + 1;
    this.cycle = new Array(copies * pool.length);
    for (let i = 0; i < this.cycle.length; i++) this.cycle[i] = pool[i % pool.length];
  }

  onStart(): void {
    this.storeBeforeEachBlock((intervalEnd) => this.storeDueUpTo(this.lastBoundaryBy(intervalEnd)));
  }

  onStop(): void {
    this.storeBeforeEachBlock(undefined);
  }

  /** The last of this generator's block boundaries at or before `time`. */
  private lastBoundaryBy(time: number): number {
    return this.t0 + Math.floor((time - this.t0) / this.blockMs) * this.blockMs;
  }

  /**
   * Stores the records due by `now` not stored yet: those due in each block interval passed since
   * the last call as a block of their own, then those due since the last boundary (none when `now`
   * is a boundary). @internal
   */
  storeDueUpTo(now: number): void {
    // The first boundary at or after the next record's due time: its block is the next one stored.
    const firstBoundary = this.t0 + Math.ceil((this.dueTime(this.stored) - this.t0) / this.blockMs) * this.blockMs;
    for (let boundary = firstBoundary; boundary < now; boundary += this.blockMs) this.storeDueBy(boundary);
    this.storeDueBy(now);
  }

  /**
   * The records of a block of `n` from `next` on, one by one: for a block longer than `cycle` covers,
   * which a block of one interval never is (only a due time rounded past a boundary makes one longer).
   */
  private copyFromPool(n: number): string[] {
    const block: string[] = new Array(n);
    for (let i = 0, k = this.next; i < n; i++) {
      block[i] = this.pool[k];
      if (++k === this.pool.length) k = 0;
    }
    return block;
  }

  /** When record `k` (from 0) is due, in milliseconds: by then k + 1 records are due. */
  private dueTime(k: number): number {
    return this.t0 + ((k + 1) * 1000) / this.rate;
  }

  /** Stores, as one block, the records due by `time` not stored yet. */
  private storeDueBy(time: number): void {
    const due = Math.floor(((time - this.t0) * this.rate) / 1000);
    const n = due - this.stored;
    if (n <= 0) return;
    const block = n <= this.cycle.length - this.next ? this.cycle.slice(this.next, this.next + n) : this.copyFromPool(n);
    this.next = (this.next + n) % this.pool.length;
    this.stored = due;
    this.storeBlock(block);
  }
}

/** Records per second when `workload` runs flat out on batches of `perBatch` records, in virtual time. */
export async function measureCapacity(workload: WorkloadName, pool: readonly string[], shape: WindowShape, perBatch: number, warmupBatches: number, measuredBatches: number): Promise<number> {
  const { ms } = await timeBatches(workload, pool, shape, perBatch, warmupBatches, measuredBatches);
  return (perBatch * measuredBatches * 1000) / ms;
}

/** Milliseconds per batch of a graph whose input batches are empty (the engine's fixed cost per batch). */
export async function measureEmptyBatch(workload: WorkloadName, shape: WindowShape, batches: number, checkpointParent = os.tmpdir()): Promise<number> {
  const { ms } = await timeBatches(workload, [], shape, 0, Math.min(batches, 50), batches, checkpointParent);
  return ms / batches;
}

async function timeBatches(workload: WorkloadName, pool: readonly string[], shape: WindowShape, perBatch: number, warmupBatches: number, measuredBatches: number, checkpointParent = os.tmpdir()): Promise<{ ms: number }> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ appName: `bench-${workload}`, master: "local[2]", batchDuration: shape.batchMs, clock });
  const dir = fs.mkdtempSync(path.join(checkpointParent, "streamlab-bench-"));
  if (isWindowed(workload)) ssc.checkpoint(dir); // incremental windows need it, as in Spark
  let outputs = 0;
  buildStreamlab(workload, new PoolInputDStream(ssc, pool, perBatch), shape, () => { outputs++; });
  ssc.start();
  try {
    for (let i = 0; i < warmupBatches; i++) await clock.advance(shape.batchMs);
    const start = process.hrtime.bigint();
    for (let i = 0; i < measuredBatches; i++) await clock.advance(shape.batchMs);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (outputs === 0) throw new Error(`bench: ${workload} produced no output`);
    return { ms };
  } finally {
    await ssc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One real-time probe: runs `spec.workload` on the wall clock for `spec.seconds` with records
 * arriving at `spec.rate` per second (from a PoolReceiver, or from a sender process over TCP into
 * socketTextStream) and returns every batch's timing.
 */
export async function probeStreamlab(spec: ProbeSpec): Promise<ProbeResult> {
  // Start from a collected heap: the previous probe's garbage must not count against this one.
  heapUsed();
  const blockMs = spec.shape.blockMs ?? blockIntervalFor(spec.shape.batchMs);
  const ssc = new StreamingContext({ appName: `bench-${spec.workload}`, master: "local[2]", batchDuration: spec.shape.batchMs, conf: { "spark.streaming.blockInterval": `${blockMs}ms`, ...spec.conf } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-"));
  if (isWindowed(spec.workload)) ssc.checkpoint(dir);
  const batches: BatchRecord[] = [];
  const sender = spec.feed === "socket" ? await startSender(spec.poolFile, spec.rate) : undefined;
  const topic = spec.feed === "kafka" ? await newBenchTopic(kafkaOf(spec), spec.workload) : undefined;
  // Blocks end at t0 + k blocks, half a block off the batch grid, as in SparkBench (where a block
  // stored at a batch time would race that batch's allocation), so both engines' batches hold the same records.
  const t0 = Math.ceil(Date.now() / spec.shape.batchMs) * spec.shape.batchMs + blockMs / 2;
  let lines: DStream<string>;
  let rateLimit: () => number | undefined = () => undefined;
  if (topic) {
    // As SparkBench writes it: the direct stream from the new topic's first offset, values only.
    lines = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(), ConsumerStrategies.Subscribe([topic], {
      "bootstrap.servers": kafkaOf(spec).bootstrap, "group.id": `streamlab-bench-${topic}`, "auto.offset.reset": "earliest", "enable.auto.commit": false,
    })).map((r) => r.value as string);
  } else {
    const input = sender ? ssc.socketTextStream("127.0.0.1", sender.port) : ssc.receiverStream(new PoolReceiver(spec.pool, spec.rate, t0, blockMs));
    rateLimit = () => input.supervisor.blockGenerator.rateLimit;
    lines = input;
  }
  ssc.addStreamingListener({
    onBatchCompleted: ({ batchInfo: b }) => batches.push({
      time: b.batchTime, numRecords: b.numRecords, processingDelay: b.processingDelay ?? 0,
      schedulingDelay: b.schedulingDelay ?? 0, processingEndTime: b.processingEndTime ?? 0,
      memoryMB: memoryInUse() / 2 ** 20, rateLimit: rateLimit(),
    }),
  });
  buildStreamlab(spec.workload, lines, spec.shape, () => {});
  const started = Date.now();
  ssc.start();
  // The topic is read from its first offset, so the feed may start as the context does.
  const feed: Sender | undefined = topic ? await startKafkaFeed(kafkaOf(spec), topic, spec.poolFile, spec.rate) : sender;
  let aborted: string | undefined;
  try {
    await new Promise<void>((resolve) => {
      const finish = () => { clearTimeout(end); clearInterval(watchdog); resolve(); };
      const end = setTimeout(finish, spec.seconds * 1000);
      // A clearly overloaded probe stops early, before it exhausts the heap or wastes the run's time.
      const tooBig = () => process.memoryUsage().heapUsed / 2 ** 30 > MAX_PROBE_HEAP_GB || memoryInUse() / 2 ** 30 > MAX_PROBE_MEMORY_GB;
      const watchdog = setInterval(() => {
        // Garbage counts too: only memory still too big after a full collection stops the probe.
        let overLimit = tooBig();
        if (overLimit) {
          heapUsed();
          overLimit = tooBig();
        }
        const last = batches[batches.length - 1];
        if (overLimit) aborted = `stopped early: heap above ${MAX_PROBE_HEAP_GB} GB or resident memory above ${MAX_PROBE_MEMORY_GB} GB`;
        else if (last && last.schedulingDelay > Math.max(10_000, 10 * spec.shape.batchMs)) aborted = `stopped early: scheduling delay ${last.schedulingDelay} ms`;
        if (aborted) finish();
      }, 250);
    });
  } finally {
    await ssc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const stopped = Date.now();
  const feedT0 = feed ? await feed.stop() : undefined;
  if (topic) await deleteBenchTopic(kafkaOf(spec), topic);
  return { t0: feedT0 ?? t0, started, stopped, batches, aborted };
}
