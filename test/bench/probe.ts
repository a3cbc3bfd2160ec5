import type { KafkaBench } from "./kafka-feed";
import type { WindowShape, WorkloadName } from "./workloads";

/**
 * Probes, their analysis and the search for the maximum sustainable rate, shared by the streamlab
 * and the Spark runners so both engines are judged by the same rules.
 */

/** In-process generator (a custom receiver), a TCP sender process, or a Kafka topic fed by a producer process. */
export type Feed = "generator" | "socket" | "kafka";

export interface ProbeSpec {
  workload: WorkloadName;
  feed: Feed;
  shape: WindowShape;
  /** Records per second offered. */
  rate: number;
  /** Wall-clock length of the probe. */
  seconds: number;
  pool: readonly string[];
  poolFile: string;
  /** The broker and producer of the Kafka feed. */
  kafka?: KafkaBench;
  /** Extra Spark configuration for the context (e.g. backpressure). */
  conf?: Record<string, string | number | boolean>;
}

/** One completed batch, from the engine's listener (Spark's BatchInfo fields). */
export interface BatchRecord {
  time: number;
  numRecords: number;
  processingDelay: number;
  schedulingDelay: number;
  processingEndTime: number;
  /**
   * Memory in use when the batch completed (streamlab only), MB: the process's resident memory,
   * which includes the bytes socketTextStream has received (memory.ts: memoryInUse).
   */
  memoryMB?: number;
  /** The receiver's store(record) limit when the batch completed (streamlab only), records/s. */
  rateLimit?: number;
}

export interface ProbeResult {
  /** Set when the probe was stopped early, and why (heap too large, queue clearly growing). */
  aborted?: string;
  /** When record 0 was due; record k was due at t0 + k / rate. */
  t0: number;
  started: number;
  stopped: number;
  batches: BatchRecord[];
}

export interface ProbeAnalysis {
  rate: number;
  sustainable: boolean;
  /** Why not, when not sustainable. */
  reasons: string[];
  measuredBatches: number;
  processingP50: number;
  processingP95: number;
  processingMax: number;
  /** Scheduling delay of the last measured batch: grows without bound when the engine falls behind. */
  finalSchedulingDelay: number;
  /** Records processed in the measured batches / records offered in their time. */
  delivered: number;
  /** End-to-end latency of records (due time to the end of the batch that output them), ms. */
  latencyP50: number;
  latencyP99: number;
}

/**
 * Judges a probe. Batches before `warmupMs` after t0 (the window filling up) and the batch cut by
 * the stop are left out. Sustainable means: p95 processing time under the batch interval, the last
 * batch's scheduling delay under the batch interval (no queue building up), at least 97% of the
 * offered records processed, and a median latency under two batch intervals (the input kept up).
 * The last one catches a backlog in front of the engine (in the sender's socket, say) that built up
 * while it warmed up and then stayed: batches then hold the offered rate on time, but records
 * reach them seconds late.
 */
export function analyze(result: ProbeResult, rate: number, batchMs: number, warmupMs: number): ProbeAnalysis {
  const sorted = [...result.batches].sort((a, b) => a.time - b.time);
  const latencies: Array<[number, number]> = []; // [latency, weight]
  let cumulative = 0;
  const measured: BatchRecord[] = [];
  const lastFull = result.stopped - batchMs;
  for (const b of sorted) {
    const first = cumulative;
    cumulative += b.numRecords;
    if (b.time < result.t0 + warmupMs || b.time > lastFull) continue;
    measured.push(b);
    const n = b.numRecords;
    const samples = Math.min(n, 200);
    for (let s = 0; s < samples; s++) {
      const k = first + Math.floor(((s + 0.5) * n) / samples);
      latencies.push([b.processingEndTime - (result.t0 + (k * 1000) / rate), n / samples]);
    }
  }
  const proc = measured.map((b) => b.processingDelay).sort((a, b) => a - b);
  const offered = (measured.length * batchMs * rate) / 1000;
  const processed = measured.reduce((s, b) => s + b.numRecords, 0);
  const a: ProbeAnalysis = {
    rate,
    sustainable: true,
    reasons: [],
    measuredBatches: measured.length,
    processingP50: percentile(proc, 0.5),
    processingP95: percentile(proc, 0.95),
    processingMax: proc.length ? proc[proc.length - 1] : NaN,
    finalSchedulingDelay: measured.length ? measured[measured.length - 1].schedulingDelay : NaN,
    delivered: offered > 0 ? processed / offered : NaN,
    latencyP50: weightedPercentile(latencies, 0.5),
    latencyP99: weightedPercentile(latencies, 0.99),
  };
  if (measured.length < 3) a.reasons.push(`only ${measured.length} batches measured`);
  if (!(a.processingP95 < batchMs)) a.reasons.push(`p95 processing ${a.processingP95} ms >= batch ${batchMs} ms`);
  if (!(a.finalSchedulingDelay < batchMs)) a.reasons.push(`scheduling delay ${a.finalSchedulingDelay} ms at the end`);
  if (!(a.delivered >= 0.97)) a.reasons.push(`only ${(a.delivered * 100).toFixed(1)}% of the offered records processed`);
  if (!(a.latencyP50 < 2 * batchMs)) a.reasons.push(`latency p50 ${Math.round(a.latencyP50)} ms >= 2 batch intervals: records reach their batch late`);
  a.sustainable = a.reasons.length === 0;
  return a;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function weightedPercentile(samples: Array<[number, number]>, q: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a[0] - b[0]);
  const total = s.reduce((t, [, w]) => t + w, 0);
  let acc = 0;
  for (const [v, w] of s) if ((acc += w) >= q * total) return v;
  return s[s.length - 1][0];
}

export interface SearchResult {
  /** The highest rate that passed, 0 if none did. */
  best: number;
  /** The analysis of the best passing probe. */
  bestAnalysis?: ProbeAnalysis;
  probes: ProbeAnalysis[];
}

/**
 * The highest sustainable rate, in a few probes: each probe's processing time per record predicts
 * the rate that would fill 85% of the batch interval; until a rate fails it keeps going up (see
 * untriedRate); after a pass and a fail it bisects, and stops when they are within 15% or after
 * `maxProbes`.
 */
export async function searchRate(probe: (rate: number) => Promise<ProbeAnalysis>, startRate: number, batchMs: number, maxProbes: number, log: (line: string) => void): Promise<SearchResult> {
  let lo = 0;
  let hi = Infinity;
  let rate = roundRate(startRate);
  const probes: ProbeAnalysis[] = [];
  let bestAnalysis: ProbeAnalysis | undefined;
  for (let i = 0; i < maxProbes || (lo === 0 && i < maxProbes + 2); i++) {
    const a = await probe(rate);
    probes.push(a);
    log(`    rate ${fmt(rate)}/s: ${a.sustainable ? "ok" : "NOT sustainable (" + a.reasons.join("; ") + ")"}; processing p50 ${a.processingP50} p95 ${a.processingP95} ms; latency p50 ${Math.round(a.latencyP50)} p99 ${Math.round(a.latencyP99)} ms`);
    if (a.sustainable) { lo = rate; bestAnalysis = a; } else hi = Math.min(hi, rate);
    if (hi !== Infinity && lo > 0 && hi / lo < 1.15) break;
    const predicted = a.processingP95 > 0 ? (rate * 0.85 * batchMs) / a.processingP95 : rate * 2;
    let next = Math.min(Math.max(predicted, rate * 0.5), rate * 2);
    // The input, not the processing, fell behind: aim under what actually came through.
    if (a.delivered < 0.97 && a.processingP95 < batchMs) next = rate * Math.max(0.3, Math.min(0.9, a.delivered * 0.9));
    const untried = untriedRate(next, lo, hi);
    if (untried === undefined) break;
    rate = untried;
  }
  return { best: lo, bestAnalysis, probes };
}

/**
 * The rate to probe next: `next` rounded, if that lies strictly between the highest pass `lo` and
 * the lowest fail `hi` (every rate probed so far lies outside); else the rounded middle of a
 * bracket, the first rounded rate above a pass that has no fail above it, or one under a fail
 * with no pass below it. Undefined when rounding leaves nothing between `lo` and `hi`. A rate
 * that met its 85% aim passes, so the search goes on up until some rate fails: it does not stop
 * at the aim, where it would report less than the engine sustains.
 */
export function untriedRate(next: number, lo: number, hi: number): number | undefined {
  const between = (r: number) => r > lo && r < hi;
  let rate = roundRate(next);
  if (between(rate)) return rate;
  if (lo > 0 && hi !== Infinity) {
    rate = roundRate(Math.sqrt(lo * hi));
    return between(rate) ? rate : undefined;
  }
  if (hi === Infinity) {
    for (let step = 1.1; ; step += 0.1) if ((rate = roundRate(lo * step)) > lo) return rate;
  }
  rate = roundRate(hi * 0.8);
  return between(rate) ? rate : undefined;
}

/** Two significant digits, so reported rates do not pretend to more precision than they have. */
export function roundRate(r: number): number {
  if (!(r > 0)) return 1000;
  const p = Math.pow(10, Math.floor(Math.log10(r)) - 1);
  return Math.max(100, Math.round(r / p) * p);
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return n.toFixed(n < 10 ? 2 : 0);
}
