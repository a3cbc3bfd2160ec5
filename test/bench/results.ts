import type { StateFigures, WindowMemoryPoint } from "./memory";
import type { Feed, ProbeAnalysis, SearchResult } from "./probe";
import type { WorkloadName } from "./workloads";

/** Everything one `npm run bench` measured; written as results.json and rendered to results.md and chart.svg. */
export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; memoryGB: number };
  /** os.loadavg() [1, 5, 15 min] at the start of each section: the other load on the machine. */
  load: Array<{ section: string; at: string; loadavg: number[] }>;
  config: BenchConfig;
  capacity: CapacityRow[];
  /** `msOnTmpfs`: the same with the checkpoint directory in /dev/shm (memory), where there is one. */
  emptyBatch: Array<{ workload: WorkloadName; batchMs: number; ms: number; msOnTmpfs?: number }>;
  rates: RateRow[];
  state: StateFigures[];
  windowMemory: WindowMemoryPoint[];
  spark: { status: "ran" | "skipped" | "failed"; reason?: string; version?: string };
  backpressure?: BackpressureRun[];
  /** Restart after a long outage (test/checkpoint/outage-bench.js): its markdown table and verdict. */
  outage?: { passed: boolean; table: string[]; cases: string[]; error?: string };
}

/** WordCount over a socket at a rate above capacity, with spark.streaming.backpressure.enabled off and on. */
export interface BackpressureRun {
  enabled: boolean;
  offeredRate: number;
  batches: Array<{ t: number; numRecords: number; schedulingDelay: number; memoryMB: number; rateLimit: number }>;
}

export interface BenchConfig {
  workloads: WorkloadName[];
  feeds: Feed[];
  batchIntervals: number[];
  /** Feeds probed with batch intervals under 1 s (the others only at 1 s and above). */
  subSecondFeeds: Feed[];
  /** Workloads whose real-time rates are searched (the others only get the in-process sections). */
  rateWorkloads: WorkloadName[];
  /** Seconds measured per probe, after the warm-up: the window filling (windowMs) or grepWarmupMs, plus extraWarmupMs. */
  probeSeconds: number;
  grepWarmupMs: number;
  extraWarmupMs: number;
  windowMs: number;
  /** `spark.streaming.blockInterval` for both engines' receivers at 1 s batches (absent in older results: 200). */
  blockMs?: number;
  maxProbes: number;
  spark: boolean;
  sparkFeeds: Feed[];
  /** Workloads run on the Kafka feed (absent in older results: none). */
  kafkaWorkloads?: WorkloadName[];
  /** Partitions of each probe's Kafka topic. */
  kafkaPartitions?: number;
  sparkBatchIntervals: number[];
  capacityBatchRecords: number;
  capacityMeasuredBatches: number;
  stateKeys: number[];
  windowMemorySeconds: number;
  windowMemoryRate: number;
  poolSize: number;
  /** Seconds of each backpressure run (on, then off), each in a process of its own; long enough to show memory once the window has filled. */
  backpressureSeconds: number;
  /**
   * After each streamlab search with the in-process generator at 1 s batches, the best rate is
   * probed again for this many measured seconds (the "processing stays under the batch
   * interval for 60 s"); 0 skips it.
   */
  confirmSeconds: number;
  /** Records/s offered in the backpressure section; by default 3x WordCount's sustainable rate over TCP. */
  backpressureRate?: number;
}

/** Records per second, flat out, in the same process, on the same batches. */
export interface CapacityRow {
  workload: WorkloadName;
  batchMs: number;
  recordsPerBatch: number;
  streamlab: number;
  loop: number;
  rx: number;
}

/** The maximum sustainable rate of one engine, workload, feed and batch interval, and latency at half of it. */
export interface RateRow {
  engine: "streamlab" | "spark";
  workload: WorkloadName;
  feed: Feed;
  batchMs: number;
  search: SearchResult;
  /** The probe at half the sustainable rate. */
  half?: ProbeAnalysis;
  /** The best rate probed again for confirmSeconds. */
  confirm?: ProbeAnalysis;
  error?: string;
}
