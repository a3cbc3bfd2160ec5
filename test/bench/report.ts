import * as fs from "fs";
import * as path from "path";
import { fmt, ProbeAnalysis } from "./probe";
import type { BenchResults, RateRow } from "./results";
import { WORKLOADS, WorkloadName } from "./workloads";

/** The issue's targets on this machine, 1-second batches, in-process generator. */
export const RATE_TARGETS: Partial<Record<WorkloadName, number>> = { grep: 2_000_000, wordcount: 600_000, topk: 500_000 };

const title = (w: WorkloadName) => WORKLOADS.find((x) => x.name === w)?.title ?? w;
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${Math.round(x)} ms`);
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
const batchLabel = (b: number) => (b >= 1000 ? `${b / 1000} s` : `${b} ms`);

/** Writes results.md and chart.svg for `r` into `dir`. */
export async function renderReport(r: BenchResults, dir: string): Promise<void> {
  fs.writeFileSync(path.join(dir, "results.md"), markdown(r));
  fs.writeFileSync(path.join(dir, "chart.vl.json"), JSON.stringify(chartSpec(r), null, 2));
  fs.writeFileSync(path.join(dir, "chart.svg"), await renderSvg(chartSpec(r)));
}

export function markdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(`# streamlab benchmark results`, ``);
  out.push(`Command: \`${r.command}\`. Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGB} GB, Node ${r.machine.node}. ` +
    `Run ${r.startedAt} – ${r.finishedAt ?? "(unfinished)"}.`, ``);
  out.push(`Load average (1/5/15 min) at each section: ${r.load.map((l) => `${l.section.split(":")[0]} ${l.loadavg.join("/")}`).join("; ")}.`, ``);
  const c = r.config;
  out.push(`Probes: each rate probe runs ${c.windowMs / 1000} s of window fill (Grep: ${c.grepWarmupMs / 1000} s) + ${c.extraWarmupMs / 1000} s, then ${c.probeSeconds} s measured; ` +
    `sustainable = p95 processing time < batch interval, final scheduling delay < batch interval, >= 97% of offered records processed, latency p50 < 2 batch intervals. ` +
    `Up to ${c.maxProbes} probes per search; latency = record due time to the end of the batch that output it, at half the sustainable rate. ` +
    `Window ${c.windowMs / 1000} s sliding every batch. Both engines' receivers cut a block (one map task) every ${c.blockMs ?? 200} ms, or half a batch if shorter. ` +
    `Records: 100-byte lines (99 chars + newline), ${c.poolSize} distinct in the pool.`, ``);

  out.push(`## Maximum sustainable rate and latency (real time)`, ``);
  const confirmed = (c.confirmSeconds ?? 0) > 0;
  out.push(`| Workload | Engine | Feed | Batch | Max sustainable rate | Processing p95 at max | Latency p50 / p99 at half rate |${confirmed ? ` ${c.confirmSeconds} s at max |` : ""} Target |`);
  out.push(`|---|---|---|---|---:|---:|---:|${confirmed ? "---|" : ""}---|`);
  for (const row of r.rates) {
    const target = row.engine === "streamlab" && row.feed === "generator" && row.batchMs === 1000 ? RATE_TARGETS[row.workload] : undefined;
    const best = row.search.best;
    const targetCell = target ? `${fmt(target)}/s: ${best >= target ? "met" : "NOT met"}` : "";
    out.push(`| ${title(row.workload)} | ${row.engine} | ${row.feed} | ${batchLabel(row.batchMs)} | ${row.error ? "error: " + row.error : best > 0 ? fmt(best) + "/s" : "none passed (lowest tried " + fmt(Math.min(...row.search.probes.map((p) => p.rate))) + "/s)"} | ` +
      `${ms(row.search.bestAnalysis?.processingP95)} | ${row.half ? `${ms(row.half.latencyP50)} / ${ms(row.half.latencyP99)}` : "–"} | ${confirmed ? `${confirmCell(row.confirm)} | ` : ""}${targetCell} |`);
  }
  out.push(``);

  const spark = r.rates.filter((x) => x.engine === "spark");
  out.push(`## streamlab vs Apache Spark Streaming ${r.spark.version ?? ""} (local[2], same run)`, ``);
  if (r.spark.status !== "ran") out.push(`Spark: ${r.spark.status}${r.spark.reason ? ` – ${r.spark.reason}` : ""}.`, ``);
  if (spark.length) {
    out.push(`Rates are each engine's maximum sustainable rate; p99 latencies are at half of each engine's own maximum. ` +
      `With 1 s batches both engines' latency is mostly the batch interval itself, so the last columns also compare ` +
      `streamlab with 100 ms batches (which its per-batch cost allows) against Spark with 1 s batches.`, ``);
    out.push(`| Workload | Feed | Batch | streamlab rate | Spark rate | rate ratio (target ≥ 3×) | streamlab p99 | Spark p99 | p99 ratio (target ≤ 0.5) | streamlab 100 ms: rate, p99 | p99 ratio, 100 ms vs Spark |`);
    out.push(`|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
    for (const s of spark) {
      const find = (batchMs: number) => r.rates.find((x) => x.engine === "streamlab" && x.workload === s.workload && x.feed === s.feed && x.batchMs === batchMs);
      const mine = find(s.batchMs);
      const fast = find(100);
      const p99Ratio = (a?: RateRow) => (a?.half && s.half ? (a.half.latencyP99 / s.half.latencyP99).toFixed(2) : "–");
      out.push(`| ${title(s.workload)} | ${s.feed} | ${batchLabel(s.batchMs)} | ${mine ? fmt(mine.search.best) : "–"} | ${fmt(s.search.best)} | ${ratio(mine?.search.best, s.search.best)} | ` +
        `${ms(mine?.half?.latencyP99)} | ${ms(s.half?.latencyP99)} | ${p99Ratio(mine)} | ${fast ? `${fmt(fast.search.best)}, ${ms(fast.half?.latencyP99)}` : "–"} | ${p99Ratio(fast)} |`);
    }
    out.push(``);
  }

  if (r.capacity.length) {
    out.push(`## Flat-out capacity in one process (virtual time, 1 s batches, the same batches for all)`, ``);
    out.push(`| Workload | records/batch | streamlab | hand-written loop | RxJS | streamlab / loop (target ≥ 0.5) | streamlab / RxJS |`);
    out.push(`|---|---:|---:|---:|---:|---:|---:|`);
    for (const x of r.capacity) {
      out.push(`| ${title(x.workload)} | ${fmt(x.recordsPerBatch)} | ${fmt(x.streamlab)}/s | ${fmt(x.loop)}/s | ${fmt(x.rx)}/s | ${ratio(x.streamlab, x.loop)} | ${ratio(x.streamlab, x.rx)} |`);
    }
    out.push(``);
  }

  if (r.emptyBatch.length) {
    out.push(`## Engine cost of an empty batch (target < 1 ms)`, ``);
    out.push(`Windowed workloads write a checkpoint every batch (metadata) and their window state every 10 s, into a directory under the system's temporary folder; the last columns put that directory in memory (/dev/shm), which leaves the engine's own cost.`, ``);
    out.push(`| Workload | 1 s batches | 100 ms batches | 1 s, checkpoint in memory | 100 ms, checkpoint in memory |`);
    out.push(`|---|---:|---:|---:|---:|`);
    for (const w of [...new Set(r.emptyBatch.map((e) => e.workload))]) {
      const find = (b: number) => r.emptyBatch.find((x) => x.workload === w && x.batchMs === b);
      const cell = (ms: number | undefined) => ms === undefined ? "–" : `${ms.toFixed(3)} ms`;
      out.push(`| ${title(w)} | ${cell(find(1000)?.ms)} | ${cell(find(100)?.ms)} | ${cell(find(1000)?.msOnTmpfs)} | ${cell(find(100)?.msOnTmpfs)} |`);
    }
    out.push(``);
  }

  if (r.state.length || r.windowMemory.length) {
    out.push(`## Memory and checkpoint cost`, ``);
    if (r.state.length) {
      out.push(`| updateStateByKey keys | heap per key (stream running) | plain Map<string, number> per key | batch (all keys updated) | same batch with checkpoint | checkpoint cost |`);
      out.push(`|---:|---:|---:|---:|---:|---:|`);
      for (const s of r.state) {
        out.push(`| ${fmt(s.keys)} | ${s.bytesPerKey.toFixed(0)} B | ${s.plainMapBytesPerKey.toFixed(0)} B | ${s.batchMs.toFixed(1)} ms | ${s.batchWithCheckpointMs.toFixed(1)} ms | ${(s.batchWithCheckpointMs - s.batchMs).toFixed(1)} ms |`);
      }
      out.push(``);
    }
    const w = r.windowMemory;
    if (w.length) {
      const filled = w.filter((p) => p.t > r.config.windowMs / 1000 + 10);
      const lo = Math.min(...filled.map((p) => p.heapMB)), hi = Math.max(...filled.map((p) => p.heapMB));
      out.push(`WordCount window state at ${fmt(r.config.windowMemoryRate)} records/s for ${w[w.length - 1].t} s of stream time (virtual time): ` +
        `heap ${w.map((p) => `${p.t} s ${p.heapMB.toFixed(1)} MB`).join(", ")}.` +
        (filled.length ? ` After the window filled: ${lo.toFixed(1)}–${hi.toFixed(1)} MB (${hi - lo < Math.max(2, 0.1 * lo) ? "flat" : "NOT flat"}).` : ""), ``);
    }
  }
  if (r.backpressure?.length) {
    const offered = r.backpressure[0].offeredRate;
    out.push(`## Backpressure: WordCount over a socket at ${fmt(offered)}/s (3× the sustainable rate), ${r.config.backpressureSeconds} s each`, ``);
    // As in Spark, the window's input keeps its blocks for the window plus two checkpoint
    // intervals (10 s each at 1 s batches), so memory rises until then.
    const rememberedS = r.config.windowMs / 1000 + 2 * 10;
    const filledAt = rememberedS + 5;
    out.push(`| spark.streaming.backpressure.enabled | records/s processed (last 10 batches) | scheduling delay at the end | resident memory at ${filledAt} s / at the end / max | receiver limit at the end |`);
    out.push(`|---|---:|---:|---:|---:|`);
    for (const run of r.backpressure) {
      const last = run.batches.slice(-10);
      const perSec = last.reduce((a, b) => a + b.numRecords, 0) / Math.max(1, last.length);
      const end = run.batches[run.batches.length - 1];
      const filled = run.batches.find((b) => b.t >= filledAt);
      const maxMemory = Math.max(...run.batches.map((b) => b.memoryMB));
      out.push(`| ${run.enabled} | ${fmt(perSec)}/s | ${ms(end?.schedulingDelay)} | ${filled ? filled.memoryMB.toFixed(0) : "–"} / ${end ? end.memoryMB.toFixed(0) : "–"} / ${maxMemory.toFixed(0)} MB | ${end && Number.isFinite(end.rateLimit) ? fmt(end.rateLimit) + "/s" : "none"} |`);
    }
    out.push(``, `Each case runs in a process of its own (resident memory is the process's). The window's input keeps its blocks for ${rememberedS} s (the window and two checkpoint intervals, as in Spark), so memory rises until then.`, ``);
  }
  if (r.outage) {
    out.push(`## Restart after a long outage (file stream, updateStateByKey, virtual time)`, ``);
    out.push(`From \`node --expose-gc test/checkpoint/outage-bench.js\`, run in a process of its own; each case must reach its first live batch in under 2 s with the heap near the steady state: ${r.outage.passed ? "all passed" : "FAILED"}.`, ``);
    out.push(...r.outage.table, ``);
    if (r.outage.error) out.push("```", r.outage.error, "```", ``);
  }
  return out.join("\n") + "\n";
}

/** A Vega-Lite spec: sustainable rates per workload and engine, and the window's heap over time. */
export function chartSpec(r: BenchResults): object {
  const rates = r.rates.filter((x) => x.search.best > 0).map((x: RateRow) => ({
    workload: title(x.workload), series: `${x.engine} ${x.feed} ${batchLabel(x.batchMs)}`, rate: x.search.best,
  }));
  const capacity = r.capacity.flatMap((x) => [
    { workload: title(x.workload), series: "streamlab (flat out)", rate: x.streamlab },
    { workload: title(x.workload), series: "hand-written loop", rate: x.loop },
    { workload: title(x.workload), series: "RxJS", rate: x.rx },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `streamlab benchmark (${r.startedAt.slice(0, 16)}Z)`,
    vconcat: [
      {
        title: "Maximum sustainable input rate, real time (records/s)",
        data: { values: rates },
        mark: "bar",
        encoding: {
          y: { field: "workload", type: "nominal", title: null },
          yOffset: { field: "series" },
          x: { field: "rate", type: "quantitative", scale: { type: "log" }, title: "records/s (log)" },
          color: { field: "series", type: "nominal", title: "engine, feed, batch" },
        },
        width: 520,
      },
      {
        title: "Flat-out capacity in one process (records/s)",
        data: { values: capacity },
        mark: "bar",
        encoding: {
          y: { field: "workload", type: "nominal", title: null },
          yOffset: { field: "series" },
          x: { field: "rate", type: "quantitative", scale: { type: "log" }, title: "records/s (log)" },
          color: { field: "series", type: "nominal", title: "implementation" },
        },
        width: 520,
      },
      {
        title: "Backpressure: resident memory over time, WordCount over a socket above capacity (MB)",
        data: { values: (r.backpressure ?? []).flatMap((run) => run.batches.map((b) => ({ t: b.t, memoryMB: b.memoryMB, backpressure: run.enabled ? "on" : "off" }))) },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "t", type: "quantitative", title: "seconds" },
          y: { field: "memoryMB", type: "quantitative", title: "resident MB" },
          color: { field: "backpressure", type: "nominal" },
        },
        width: 520,
      },
      {
        title: "WordCount window: heap in use over stream time (MB)",
        data: { values: r.windowMemory },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "t", type: "quantitative", title: "stream time (s)" },
          y: { field: "heapMB", type: "quantitative", title: "heap MB", scale: { zero: true } },
        },
        width: 520,
      },
    ],
  };
}

/** Renders a Vega-Lite spec to SVG headless (vega's "none" renderer). */
export async function renderSvg(spec: object): Promise<string> {
  // vega and vega-lite are CommonJS packages without bundled types for this use.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vega = require("vega");
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vegaLite = require("vega-lite");
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  const svg: string = await view.toSVG();
  view.finalize();
  return svg;
}

/** Whether the best rate held for the confirmation probe: its measured batches and p95/max processing time. */
function confirmCell(a: ProbeAnalysis | undefined): string {
  if (!a) return "–";
  return `${a.sustainable ? "held" : "NOT held"} (${a.measuredBatches} batches, p95 ${ms(a.processingP95)}, max ${ms(a.processingMax)})`;
}
