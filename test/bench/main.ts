import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setLogger } from "../../engine/log";
import { heapUsed, measureState, measureWindowMemory } from "./memory";
import { probeInOwnProcess } from "./own-process-probe";
import { analyze, Feed, fmt, ProbeAnalysis, ProbeResult, ProbeSpec, roundRate, searchRate } from "./probe";
import { loadPool, RecordPool, slicePool } from "./records";
import { renderReport } from "./report";
import { BenchConfig, BenchResults, RateRow } from "./results";
import { startKafka, KafkaBroker } from "../../engine/tools/kafka-broker";
import type { KafkaBench } from "./kafka-feed";
import { createRx } from "./rx-workloads";
import { buildSpark, SparkEngine } from "./spark-runner";
import { blockIntervalFor, blocksPerBatch, DEFAULT_BLOCK_MS, measureCapacity, measureEmptyBatch, probeStreamlab } from "./streamlab-runner";
import { BatchProcessor, createLoop, WindowShape, Workload, WorkloadName, WORKLOADS } from "./workloads";

/**
 * The benchmark suite (issue 6), run by `npm run bench`. Sections, in order: flat-out capacity of
 * streamlab vs a hand-written loop vs RxJS; the per-batch cost of an empty batch; memory (state
 * bytes per key, window state over time) and checkpoint cost; streamlab's maximum sustainable rate
 * and latency in real time per workload, feed and batch interval; the same on Apache Spark
 * Streaming. Results go to test/bench/results/ (results.json, results.md, chart.svg).
 */

export const FULL: BenchConfig = {
  workloads: WORKLOADS.map((w) => w.name),
  rateWorkloads: WORKLOADS.map((w) => w.name),
  feeds: ["generator", "socket", "kafka"],
  batchIntervals: [1000, 100],
  subSecondFeeds: ["generator", "socket"],
  probeSeconds: 20,
  grepWarmupMs: 3000,
  extraWarmupMs: 2000,
  windowMs: 30_000,
  blockMs: DEFAULT_BLOCK_MS,
  maxProbes: 4,
  spark: true,
  sparkFeeds: ["generator", "socket", "kafka"],
  sparkBatchIntervals: [1000],
  kafkaWorkloads: ["wordcount"],
  kafkaPartitions: 2,
  capacityBatchRecords: 100_000,
  capacityMeasuredBatches: 10,
  stateKeys: [100_000, 1_000_000],
  windowMemorySeconds: 600,
  windowMemoryRate: 20_000,
  poolSize: 1 << 18,
  backpressureSeconds: 120,
  confirmSeconds: 60,
};

/** A few seconds in all: what CI's smoke test runs (no Spark, tiny windows and sizes). */
export const SMOKE: BenchConfig = {
  workloads: WORKLOADS.map((w) => w.name),
  rateWorkloads: ["grep"],
  feeds: ["generator", "socket"],
  batchIntervals: [1000],
  subSecondFeeds: [],
  probeSeconds: 2.5,
  grepWarmupMs: 500,
  extraWarmupMs: 500,
  windowMs: 2000,
  blockMs: DEFAULT_BLOCK_MS,
  maxProbes: 1,
  spark: false,
  sparkFeeds: [],
  sparkBatchIntervals: [],
  kafkaWorkloads: [],
  kafkaPartitions: 2,
  capacityBatchRecords: 2000,
  capacityMeasuredBatches: 2,
  stateKeys: [1000],
  windowMemorySeconds: 6,
  windowMemoryRate: 1000,
  poolSize: 4096,
  backpressureSeconds: 4,
  confirmSeconds: 0,
};

/**
 * Where Spark's rate searches start: about 60% of what Spark sustained in the runs of 2026-12-01
 * (generator: Grep 7.7M, WordCount 390k, TopKCount 410k, sales 2.2M/s; TCP: 1.3M, 230k, 270k,
 * 1.3M/s). A first probe above the engine's capacity wastes a probe; the search climbs from a pass.
 */
const SPARK_START_RATES: Record<Feed, Record<WorkloadName, number>> = {
  generator: { grep: 4_500_000, wordcount: 240_000, topk: 240_000, sales: 1_300_000 },
  socket: { grep: 800_000, wordcount: 140_000, topk: 160_000, sales: 800_000 },
  kafka: { grep: 100_000, wordcount: 100_000, topk: 100_000, sales: 100_000 },
};

/** A memory-backed folder (Linux's /dev/shm) for checkpoints, to tell the engine's cost from the disk's. */
const TMPFS = fs.existsSync("/dev/shm") ? "/dev/shm" : undefined;

const HELP = `npm run bench -- [options]
  --smoke                 the tiny CI version (seconds; no Spark)
  --workloads=a,b         of ${WORKLOADS.map((w) => w.name).join(",")}
  --feeds=a,b             of generator,socket,kafka (kafka: a broker started here, WordCount only)
  --batches=1000,100      batch intervals in ms for streamlab's real-time probes
  --sub-second-feeds=a,b  feeds probed with batch intervals under 1 s (default generator,socket)
  --probe-seconds=N       seconds measured per probe after the warm-up (default ${FULL.probeSeconds})
  --max-probes=N          probes per rate search (default ${FULL.maxProbes})
  --confirm-seconds=N     re-probe streamlab's best rate (generator, 1 s batches) for N s (default ${FULL.confirmSeconds}; 0 = skip)
  --backpressure-rate=N   records/s offered in the backpressure section (default 3x WordCount's rate over TCP in this run)
  --window-seconds=N      window length (default 30; shorter only to debug the harness)
  --block-ms=N            spark.streaming.blockInterval of both engines' receivers (default ${DEFAULT_BLOCK_MS}, Spark's; at most half a batch)
  --no-spark              skip Apache Spark Streaming
  --spark-feeds=a,b       feeds for Spark (default generator,socket,kafka)
  --sections=a,b          of capacity,empty,memory,outage,rates,backpressure,spark (default all)
  --results=DIR           output folder (default test/bench/results)
  --rerender              only re-render results.md and chart.svg from the folder's results.json`;

export interface RunOptions {
  config: BenchConfig;
  sections: Set<string>;
  resultsDir: string;
  log: (line: string) => void;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help")) { process.stdout.write(HELP + "\n"); return 0; }
  const opt = parseArgs(argv);
  if (argv.includes("--rerender")) {
    // Re-renders results.md and chart.svg from results.json (after changing the report's layout).
    await renderReport(JSON.parse(fs.readFileSync(path.join(opt.resultsDir, "results.json"), "utf8")) as BenchResults, opt.resultsDir);
    process.stdout.write(fs.readFileSync(path.join(opt.resultsDir, "results.md"), "utf8"));
    return 0;
  }
  const results = await runBench(opt);
  process.stdout.write(fs.readFileSync(path.join(opt.resultsDir, "results.md"), "utf8"));
  return results.rates.some((r) => r.error) ? 1 : 0;
}

function parseArgs(argv: string[]): RunOptions {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const list = (name: string) => get(name)?.split(",").filter(Boolean);
  const config: BenchConfig = { ...(argv.includes("--smoke") ? SMOKE : FULL) };
  if (list("workloads")) config.workloads = config.rateWorkloads = list("workloads") as WorkloadName[];
  if (list("feeds")) config.feeds = list("feeds") as Feed[];
  if (list("sub-second-feeds")) config.subSecondFeeds = list("sub-second-feeds") as Feed[];
  if (list("batches")) config.batchIntervals = (list("batches") as string[]).map(Number);
  if (get("probe-seconds")) config.probeSeconds = Number(get("probe-seconds"));
  if (get("max-probes")) config.maxProbes = Number(get("max-probes"));
  if (get("confirm-seconds")) config.confirmSeconds = Number(get("confirm-seconds"));
  if (get("backpressure-rate")) config.backpressureRate = Number(get("backpressure-rate"));
  if (get("block-ms")) config.blockMs = Number(get("block-ms"));
  if (get("window-seconds")) config.windowMs = Number(get("window-seconds")) * 1000;
  if (list("spark-feeds")) config.sparkFeeds = list("spark-feeds") as Feed[];
  if (argv.includes("--no-spark")) config.spark = false;
  if (config.spark && list("feeds") && !list("spark-feeds")) config.sparkFeeds = config.sparkFeeds.filter((f) => config.feeds.includes(f));
  const sections = new Set(list("sections") ?? ["capacity", "empty", "memory", "outage", "rates", "backpressure", "spark"]);
  const resultsDir = path.resolve(get("results") ?? path.join(__dirname, "results"));
  return { config, sections, resultsDir, log: (line) => process.stderr.write(line + "\n") };
}

/** Runs the configured sections and writes results.json, results.md and chart.svg. */
export async function runBench(opt: RunOptions): Promise<BenchResults> {
  const { config, log, resultsDir } = opt;
  fs.mkdirSync(resultsDir, { recursive: true });
  const previousLogger = setLogger({ info: () => {}, warn: (m) => log(`  WARN ${m}`) });
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", node: process.version, memoryGB: Math.round(os.totalmem() / 2 ** 30) },
    load: [], config, capacity: [], emptyBatch: [], rates: [], state: [], windowMemory: [],
    spark: { status: "skipped", reason: config.spark && opt.sections.has("spark") ? undefined : "not requested" },
  };
  const save = async () => {
    fs.writeFileSync(path.join(resultsDir, "results.json"), JSON.stringify(results, null, 2));
    await renderReport(results, resultsDir);
  };
  const section = (name: string) => {
    results.load.push({ section: name, at: new Date().toISOString(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) });
    log(`== ${name} (load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")})`);
  };
  const pools = {
    words: loadPool("words", config.poolSize, path.join(resultsDir, "pools")),
    sales: loadPool("sales", config.poolSize, path.join(resultsDir, "pools")),
  };
  const poolOf = (w: WorkloadName) => pools[(WORKLOADS.find((x) => x.name === w) as Workload).pool];
  const workloads = WORKLOADS.filter((w) => config.workloads.includes(w.name));
  const shapeFor = (batchMs: number): WindowShape => ({ batchMs, windowMs: config.windowMs, slideMs: batchMs, blockMs: blockIntervalFor(batchMs, config.blockMs) });

  if (opt.sections.has("capacity")) {
    section("capacity: flat out, virtual time, 1 s batches");
    for (const w of workloads) {
      const shape = shapeFor(1000);
      const warmup = w.windowed ? config.windowMs / 1000 + 2 : 3;
      const n = config.capacityBatchRecords, m = config.capacityMeasuredBatches;
      const pool = poolOf(w.name).records;
      // A full collection before each one, so no implementation pays for the previous one's garbage.
      heapUsed();
      const streamlab = await measureCapacity(w.name, pool, shape, n, warmup, m);
      heapUsed();
      const loop = timeProcessor(createLoop(w.name, shape), pool, n, warmup, m, 1000);
      heapUsed();
      const rx = timeProcessor(createRx(w.name, shape), pool, n, warmup, m, 1000);
      results.capacity.push({ workload: w.name, batchMs: 1000, recordsPerBatch: n, streamlab, loop, rx });
      log(`  ${w.name}: streamlab ${fmt(streamlab)}/s, loop ${fmt(loop)}/s, RxJS ${fmt(rx)}/s`);
    }
    await save();
  }

  if (opt.sections.has("empty")) {
    section("empty batches: engine cost per batch");
    for (const w of workloads) {
      for (const batchMs of [1000, 100]) {
        const batches = config === SMOKE ? 20 : 500;
        const ms = await measureEmptyBatch(w.name, shapeFor(batchMs), batches);
        // A windowed batch writes checkpoint files; in memory the figure is the engine's own cost.
        const msOnTmpfs = w.windowed && TMPFS !== undefined ? await measureEmptyBatch(w.name, shapeFor(batchMs), batches, TMPFS) : undefined;
        results.emptyBatch.push({ workload: w.name, batchMs, ms, msOnTmpfs });
        log(`  ${w.name} ${batchMs} ms batches: ${ms.toFixed(3)} ms per empty batch${msOnTmpfs === undefined ? "" : ` (${msOnTmpfs.toFixed(3)} ms with the checkpoint in ${TMPFS})`}`);
      }
    }
    await save();
  }

  const warmupMs = (w: Workload) => (w.windowed ? config.windowMs : config.grepWarmupMs) + config.extraWarmupMs;
  let kafka: KafkaBench | undefined;
  const specFor = (w: Workload, feed: Feed, batchMs: number, rate: number, measuredSeconds = config.probeSeconds): ProbeSpec => ({
    workload: w.name, feed, shape: shapeFor(batchMs), rate, seconds: (warmupMs(w) + measuredSeconds * 1000) / 1000 + 1,
    pool: poolOf(w.name).records, poolFile: poolOf(w.name).file, kafka,
  });
  /** One rate search (and the half-rate probe) per workload for one engine, feed and batch interval. */
  const measureRates = async (engine: "streamlab" | "spark", run: (spec: ProbeSpec) => Promise<ProbeResult>, feed: Feed, batchMs: number, start: (w: Workload) => number) => {
    for (const w of workloads.filter((x) => config.rateWorkloads.includes(x.name) && (feed !== "kafka" || (config.kafkaWorkloads ?? []).includes(x.name)))) {
      section(`${engine} ${w.name}, ${feed}, ${batchMs} ms batches`);
      const probe = async (rate: number): Promise<ProbeAnalysis> => {
        const result = await run(specFor(w, feed, batchMs, rate));
        const a = analyze(result, rate, batchMs, warmupMs(w));
        if (result.aborted) { a.sustainable = false; a.reasons.unshift(result.aborted); }
        return a;
      };
      const row: RateRow = { engine, workload: w.name, feed, batchMs, search: { best: 0, probes: [] } };
      try {
        row.search = await searchRate(probe, start(w), batchMs, config.maxProbes, log);
        if (row.search.best > 0) {
          row.half = await probe(roundRate(row.search.best / 2));
          log(`    half rate ${fmt(row.half.rate)}/s: latency p50 ${Math.round(row.half.latencyP50)} ms, p99 ${Math.round(row.half.latencyP99)} ms`);
        }
        if (row.search.best > 0 && engine === "streamlab" && feed === "generator" && batchMs === 1000 && config.confirmSeconds > 0) {
          const result = await run(specFor(w, feed, batchMs, row.search.best, config.confirmSeconds));
          const a = analyze(result, row.search.best, batchMs, warmupMs(w));
          if (result.aborted) { a.sustainable = false; a.reasons.unshift(result.aborted); }
          row.confirm = a;
          log(`    ${config.confirmSeconds} s at ${fmt(a.rate)}/s: ${a.sustainable ? "held" : "NOT held (" + a.reasons.join("; ") + ")"}; ${a.measuredBatches} batches, processing p95 ${a.processingP95} max ${a.processingMax} ms`);
        }
      } catch (e) {
        row.error = (e as Error).message;
        log(`    failed: ${row.error}`);
      }
      results.rates.push(row);
      await save();
    }
  };

  // Spark runs in the same invocation, interleaved with streamlab per (batch interval, feed), so
  // that both engines see the same machine load.
  let spark: SparkEngine | undefined;
  const wantsSpark = config.spark && opt.sections.has("spark");
  const wantsKafka = (opt.sections.has("rates") && config.feeds.includes("kafka")) || (wantsSpark && config.sparkFeeds.includes("kafka"));
  let built: ReturnType<typeof buildSpark> | undefined;
  if (wantsSpark || wantsKafka) {
    section("Apache Spark Streaming (and the Kafka feed's producer): build");
    built = buildSpark(log);
  }
  if (wantsSpark) {
    if (built?.error || !built?.classpath) {
      results.spark = { status: "failed", reason: built?.error };
    } else {
      try {
        spark = await SparkEngine.start(built.classpath, pools.words.file, pools.sales.file, path.join(resultsDir, "spark.log"));
        results.spark = { status: "ran", version: spark.version };
      } catch (e) {
        results.spark = { status: "failed", reason: (e as Error).message };
        log(`  Spark failed: ${(e as Error).message}`);
      }
    }
  }
  let broker: KafkaBroker | undefined;
  if (wantsKafka) {
    section("Kafka: start a broker");
    try {
      if (!built?.classpath) throw new Error(`the Kafka feed's producer is built with the Spark side, which failed: ${built?.error}`);
      // A bigger heap than startKafka's default: the broker takes up to ~50 MB/s here.
      broker = await startKafka({ heap: "1g", log: (line) => log(`  ${line}`) });
      kafka = { bootstrap: broker.bootstrap, classpath: built.classpath, partitions: config.kafkaPartitions ?? 2 };
      log(`  broker ${broker.bootstrap} started in ${broker.startMs} ms`);
    } catch (e) {
      log(`  Kafka feed skipped: ${(e as Error).message}`);
      results.rates.push({ engine: "streamlab", workload: "wordcount", feed: "kafka", batchMs: 1000, search: { best: 0, probes: [] }, error: `no broker: ${(e as Error).message}` });
    }
  }
  try {
    const capacityOf = (w: WorkloadName) => results.capacity.find((c) => c.workload === w)?.streamlab ?? 100_000;
    for (const batchMs of [...new Set([...config.batchIntervals, ...config.sparkBatchIntervals])].sort((a, b) => b - a)) {
      for (const feed of [...new Set([...config.feeds, ...config.sparkFeeds])]) {
        if (feed === "kafka" && !kafka) continue;
        if (opt.sections.has("rates") && config.batchIntervals.includes(batchMs) && config.feeds.includes(feed) && (batchMs >= 1000 || config.subSecondFeeds.includes(feed))) {
          await measureRates("streamlab", probeStreamlab, feed, batchMs,
            (w) => feed === "kafka" ? 100_000 : feed === "socket" ? Math.min(capacityOf(w.name) * 0.5, 3_000_000) : capacityOf(w.name) * (batchMs < 1000 ? 0.4 : 0.7));
        }
        const engine = spark;
        if (engine && config.sparkBatchIntervals.includes(batchMs) && config.sparkFeeds.includes(feed)) {
          // Below Spark's rates in earlier runs on this machine (the README's table), so the search
          // starts with a pass and climbs: each probe's timing steers the next.
          await measureRates("spark", (spec) => engine.probe(spec), feed, batchMs, (w) => SPARK_START_RATES[feed][w.name]);
        }
      }
    }
  } finally {
    await spark?.stop();
    await broker?.stop();
  }

  if (opt.sections.has("backpressure")) {
    section("backpressure: WordCount over a socket at 3x its sustainable rate, on then off");
    const w = WORKLOADS.find((x) => x.name === "wordcount") as Workload;
    const measured = results.rates.find((r) => r.engine === "streamlab" && r.workload === "wordcount" && r.feed === "socket" && r.batchMs === 1000)?.search.best;
    const capacity = results.capacity.find((c) => c.workload === "wordcount")?.streamlab ?? 50_000;
    const offeredRate = config.backpressureRate ?? roundRate(3 * (measured || capacity * 0.5));
    results.backpressure = [];
    // Each case in a process of its own: memory is the process's resident memory, which the
    // allocator does not give back, so a case run after an overloaded one would start from its mark.
    for (const enabled of [true, false]) {
      const spec = { ...specFor(w, "socket", 1000, offeredRate), seconds: config.backpressureSeconds, conf: { "spark.streaming.backpressure.enabled": enabled } };
      const r = await probeInOwnProcess(spec);
      const batches = r.batches.map((b) => ({ t: (b.time - r.t0) / 1000, numRecords: b.numRecords, schedulingDelay: b.schedulingDelay, memoryMB: b.memoryMB ?? NaN, rateLimit: b.rateLimit ?? Infinity }));
      results.backpressure.push({ enabled, offeredRate, batches });
      const last = batches[batches.length - 1];
      log(`  ${enabled ? "on " : "off"}: offered ${fmt(offeredRate)}/s; last batch: scheduling delay ${last?.schedulingDelay} ms, resident memory ${last?.memoryMB.toFixed(0)} MB, limit ${fmt(last?.rateLimit ?? NaN)}/s`);
    }
    await save();
  }

  if (opt.sections.has("memory")) {
    section("memory: updateStateByKey bytes per key, checkpoint cost, window state over time");
    for (const keys of config.stateKeys) {
      const s = await measureState(keys, keys >= 1e6 ? 3 : 5);
      results.state.push(s);
      log(`  ${keys} keys: ${s.bytesPerKey.toFixed(0)} B/key (plain Map ${s.plainMapBytesPerKey.toFixed(0)} B/key); batch ${s.batchMs.toFixed(1)} ms, with checkpoint ${s.batchWithCheckpointMs.toFixed(1)} ms`);
    }
    results.windowMemory = await measureWindowMemory(pools.words.records, config.windowMemoryRate, config.windowMemorySeconds, Math.max(1, Math.round(config.windowMemorySeconds / 20)));
    log(`  window heap: ${results.windowMemory.map((p) => `${p.t}s ${p.heapMB.toFixed(1)}MB`).join(", ")}`);
    await save();
  }

  if (opt.sections.has("outage") && config !== SMOKE) {
    section("outage: restart after 1 h and 1 day down, file stream and state");
    results.outage = runOutageBench();
    log(`  ${results.outage.passed ? "PASS" : "FAIL"}: ${results.outage.cases.join("; ")}`);
    await save();
  }

  results.finishedAt = new Date().toISOString();
  section("done");
  await save();
  setLogger(previousLogger);
  return results;
}

/**
 * Restart after a long outage (issue 22): test/checkpoint/outage-bench.js in a process of its own
 * (a fresh heap, and --expose-gc for its heap figures); its table and verdict go in the report.
 */
function runOutageBench(): NonNullable<BenchResults["outage"]> {
  const script = path.join(__dirname, "..", "checkpoint", "outage-bench.js");
  const run = spawnSync(process.execPath, ["--expose-gc", script], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const lines = (run.stdout ?? "").split("\n");
  return {
    passed: run.status === 0,
    table: lines.filter((l) => l.startsWith("|")),
    cases: lines.filter((l) => /: restart to first live batch/.test(l)),
    error: run.status === 0 ? undefined : `${run.stderr ?? ""}${lines.filter((l) => l.startsWith("FAIL")).join("\n")}`.trim() || `exit ${run.status}`,
  };
}

/** Records per second of a hand-written or RxJS processor on the same batches as the engine gets. */
function timeProcessor(p: BatchProcessor, pool: readonly string[], n: number, warmup: number, measured: number, batchMs: number): number {
  const blocks = blocksPerBatch(batchMs);
  let outputs = 0;
  for (let i = 0; i < warmup; i++) if (p.batch(slicePool(pool, i * n, n, blocks)) !== undefined) outputs++;
  const start = process.hrtime.bigint();
  for (let i = warmup; i < warmup + measured; i++) if (p.batch(slicePool(pool, i * n, n, blocks)) !== undefined) outputs++;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (outputs === 0) throw new Error("bench: a processor produced no output");
  return (n * measured * 1000) / ms;
}

export { heapUsed };
export type { RecordPool };
