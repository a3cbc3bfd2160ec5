/**
 * The Streaming page under load (issue 21): an in-process generator offers `rate` records/s to a
 * receiver, 100 ms batches run a keyed count, and phases alternate between a context without the
 * UI (`spark.ui.enabled=false`) and one with the UI and the page open in Chromium. Per phase it
 * measures the engine's processing rate (records per second of batch processing time: the rate it
 * could sustain with processing time = batch interval), p95 processing time, scheduling delay at
 * the end, and with the page: messages per second sent to the page and the page's own frame and
 * render times. `npm run bench:ui -- --rate=100000 --phase-seconds=30`; a short version runs in
 * `npm test` (test/ui/web-ui-load-smoke.test.ts).
 */
import * as os from "os";
import * as path from "path";
import { chromium } from "playwright-core";
import { BatchInfo, Receiver, StreamingContext } from "../../index";
import { webUiOf, WebUi } from "../../ui/index";
import { CHROMIUM_FLAGS, ensureChromium } from "../kernel/chromium";

export interface UiLoadOptions {
  /** Records per second offered. */
  rate: number;
  batchMs: number;
  /** Measured seconds per phase (after `warmupSeconds`). */
  phaseSeconds: number;
  warmupSeconds: number;
  /** Phases in order: "off" (no UI) or "page" (UI and the page open), each `phaseSeconds` long unless given (`["page", 60]`). */
  phases: Array<"off" | "page" | ["off" | "page", number]>;
  /** Where to save a screenshot of the page at the end of the last page phase. */
  screenshot?: string;
}

export interface PhaseResult {
  phase: "off" | "page";
  seconds: number;
  batches: number;
  offeredRate: number;
  processedRate: number;
  /** Records per second of batch processing time (wall): what the engine sustains when processing fills the batch interval. */
  capacity: number;
  /** Records per CPU second of the whole process (engine, generator, UI server): the same, free of other processes' load. */
  cpuCapacity: number;
  p95ProcessingMs: number;
  maxSchedulingDelayMs: number;
  lastSchedulingDelayMs: number;
  sustainable: boolean;
  page?: PageFigures;
}

export interface PageFigures {
  serverMessagesPerSecond: number;
  pageMessagesPerSecond: number;
  renders: number;
  renderMsP50: number;
  renderMsP95: number;
  renderMsMax: number;
  chartMsP50: number;
  chartMsP95: number;
  frameGapMsP50: number;
  frameGapMsP95: number;
  frameGapMsMax: number;
  longTasks: number;
  longTaskMsPerSecond: number;
  pageErrors: string[];
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `key${i}`);

/** Stores `rate` records per second in blocks every 20 ms, catching up on the wall clock. */
class Generator extends Receiver<string> {
  private timer?: NodeJS.Timeout;
  stored = 0;
  constructor(private readonly rate: number) { super(); }
  onStart(): void {
    const start = Date.now();
    let offset = 0;
    this.timer = setInterval(() => {
      const due = Math.floor((this.rate * (Date.now() - start)) / 1000) - this.stored;
      if (due <= 0) return;
      const block: string[] = new Array(due);
      for (let i = 0; i < due; i++) block[i] = KEYS[(offset + i) % KEYS.length];
      offset = (offset + due) % KEYS.length;
      this.stored += due;
      this.store(block);
    }, 20);
  }
  onStop(): void { clearInterval(this.timer); }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PageStats { messages: number; renders: number; renderMs: number[]; chartMs: number[]; frameGaps: number[]; longTasks: number; longTaskMs: number }
declare const window: { streamlab: { stats: PageStats } };

/** Runs the phases in one process, one after the other; returns each phase's figures. */
export async function runUiLoad(o: UiLoadOptions): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  const browser = o.phases.some((p) => p === "page" || (Array.isArray(p) && p[0] === "page")) ? await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_FLAGS }) : undefined;
  try {
    const kinds = o.phases.map((p) => (Array.isArray(p) ? p[0] : p));
    for (const [i, spec] of o.phases.entries()) {
      const [phase, phaseSeconds] = Array.isArray(spec) ? spec : [spec, o.phaseSeconds];
      const ssc = new StreamingContext({ appName: `UiLoad-${phase}`, master: "local[2]", batchDuration: o.batchMs,
        conf: { "spark.ui.enabled": phase === "page", "spark.ui.port": 0, "streamlab.workerThreads": 0 } });
      let keys = 0;
      ssc.receiverStream(new Generator(o.rate)).mapToPair((k) => [k, 1] as [string, number]).reduceByKey((a, b) => a + b).foreachRDD((rdd) => { keys = rdd.count(); });
      const batches: BatchInfo[] = [];
      let measuring = false;
      ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => { if (measuring) batches.push(batchInfo); } });
      ssc.start();
      const ui = webUiOf(ssc) as WebUi | undefined;
      const page = browser && ui ? await browser.newPage({ viewport: { width: 1300, height: 1000 } }) : undefined;
      const pageErrors: string[] = [];
      if (page && ui) {
        page.on("pageerror", (e) => pageErrors.push(e.message));
        await page.goto((await ui.ready) as string);
      }
      await sleep(o.warmupSeconds * 1000);
      const sentBefore = ui?.messagesSent ?? 0;
      const before = page ? await page.evaluate(() => ({ ...window.streamlab.stats, renderMs: window.streamlab.stats.renderMs.length, chartMs: window.streamlab.stats.chartMs.length, frameGaps: window.streamlab.stats.frameGaps.length })) : undefined;
      measuring = true;
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      await sleep(phaseSeconds * 1000);
      measuring = false;
      const cpu = process.cpuUsage(cpu0);
      const seconds = (Date.now() - t0) / 1000;
      let figures: PageFigures | undefined;
      if (page && ui && before) {
        const s = await page.evaluate(() => window.streamlab.stats);
        const renderMs = s.renderMs.slice(before.renderMs as unknown as number);
        const chartMs = s.chartMs.slice(before.chartMs as unknown as number);
        const gaps = s.frameGaps.slice(before.frameGaps as unknown as number);
        figures = {
          serverMessagesPerSecond: (ui.messagesSent - sentBefore) / seconds,
          pageMessagesPerSecond: (s.messages - before.messages) / seconds,
          renders: s.renders - before.renders,
          renderMsP50: pct(renderMs, 50), renderMsP95: pct(renderMs, 95), renderMsMax: Math.max(0, ...renderMs),
          chartMsP50: pct(chartMs, 50), chartMsP95: pct(chartMs, 95),
          frameGapMsP50: pct(gaps, 50), frameGapMsP95: pct(gaps, 95), frameGapMsMax: Math.max(0, ...gaps),
          longTasks: s.longTasks - before.longTasks, longTaskMsPerSecond: (s.longTaskMs - before.longTaskMs) / seconds,
          pageErrors,
        };
        if (o.screenshot && i === kinds.lastIndexOf("page")) await page.screenshot({ path: o.screenshot, fullPage: true });
        await page.close();
      }
      await ssc.stop();
      if (batches.length > 0 && keys === 0) throw new Error("the keyed count produced nothing: the workload did not run");
      const records = batches.reduce((n, b) => n + b.numRecords, 0);
      const busy = batches.reduce((n, b) => n + (b.processingDelay ?? 0), 0);
      const proc = batches.map((b) => b.processingDelay ?? 0);
      const sched = batches.map((b) => b.schedulingDelay ?? 0);
      const last = sched[sched.length - 1] ?? 0;
      results.push({
        phase, seconds, batches: batches.length, offeredRate: o.rate, processedRate: records / seconds, capacity: busy > 0 ? (records / busy) * 1000 : Infinity,
        cpuCapacity: records / ((cpu.user + cpu.system) / 1e6),
        p95ProcessingMs: pct(proc, 95), maxSchedulingDelayMs: Math.max(0, ...sched), lastSchedulingDelayMs: last,
        sustainable: pct(proc, 95) < o.batchMs && last < o.batchMs && records >= 0.97 * o.rate * seconds,
        page: figures,
      });
    }
  } finally {
    await browser?.close();
  }
  return results;
}

/** The report: one line per phase and the ratio of the page phases' capacity to the others'. */
export function report(o: UiLoadOptions, results: PhaseResult[]): string {
  // Phases weighted by their length: off 30 s, page 60 s, off 30 s compares 60 s against 60 s and cancels a steady drift of the machine's load.
  const weighted = (rs: PhaseResult[], f: (r: PhaseResult) => number) => rs.reduce((n, r) => n + f(r) * r.seconds, 0) / rs.reduce((n, r) => n + r.seconds, 0);
  const off = results.filter((r) => r.phase === "off"), on = results.filter((r) => r.phase === "page");
  const lines = [
    `Streaming page under load: ${o.rate} records/s offered, ${o.batchMs} ms batches, phases ${o.phases.map((p) => (Array.isArray(p) ? `${p[0]} ${p[1]} s` : `${p} ${o.phaseSeconds} s`)).join(", ")} (each after ${o.warmupSeconds} s of warm-up), ${os.cpus().length} cores, load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    ...results.map((r) => `  ${r.phase.padEnd(4)} ${r.seconds.toFixed(0)} s, batches ${r.batches}, processed ${Math.round(r.processedRate)}/s, capacity ${Math.round(r.capacity)} records/s (per CPU second ${Math.round(r.cpuCapacity)}), p95 processing ${r.p95ProcessingMs} ms, scheduling delay max ${r.maxSchedulingDelayMs} ms last ${r.lastSchedulingDelayMs} ms, sustainable ${r.sustainable}` +
      (r.page ? `\n       page: ${r.page.serverMessagesPerSecond.toFixed(2)} messages/s sent (${r.page.pageMessagesPerSecond.toFixed(2)}/s received), ${r.page.renders} renders: p50 ${r.page.renderMsP50.toFixed(1)} ms, p95 ${r.page.renderMsP95.toFixed(1)} ms, max ${r.page.renderMsMax.toFixed(1)} ms; charts p50 ${r.page.chartMsP50.toFixed(1)} ms p95 ${r.page.chartMsP95.toFixed(1)} ms; frame gaps p50 ${r.page.frameGapMsP50.toFixed(1)} ms p95 ${r.page.frameGapMsP95.toFixed(1)} ms max ${r.page.frameGapMsMax.toFixed(1)} ms; long tasks ${r.page.longTasks} (${r.page.longTaskMsPerSecond.toFixed(1)} ms/s); page errors ${r.page.pageErrors.length}` : "")),
  ];
  if (off.length && on.length) {
    const ratio = weighted(on, (r) => r.capacity) / weighted(off, (r) => r.capacity);
    const cpuRatio = weighted(on, (r) => r.cpuCapacity) / weighted(off, (r) => r.cpuCapacity);
    lines.push(`  capacity with the page open / without the UI: by processing time ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)}%), per CPU second ${cpuRatio.toFixed(3)} (${((cpuRatio - 1) * 100).toFixed(1)}%)`);
  }
  return lines.join("\n");
}

/** `node test/bench/webui-load.js [--rate=N] [--batch-ms=N] [--phase-seconds=N] [--warmup-seconds=N] [--phases=off:30,page:60,off:30]` */
export async function main(argv: string[]): Promise<number> {
  const arg = (name: string, d: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? d;
  const o: UiLoadOptions = {
    rate: Number(arg("rate", "100000")), batchMs: Number(arg("batch-ms", "100")), phaseSeconds: Number(arg("phase-seconds", "30")),
    warmupSeconds: Number(arg("warmup-seconds", "5")),
    phases: arg("phases", "off:30,page:60,off:30").split(",").map((p) => (p.includes(":") ? [p.split(":")[0], Number(p.split(":")[1])] : p) as "off" | "page" | ["off" | "page", number]),
    screenshot: path.join(__dirname, "..", "ui", "artifacts", "streaming-page-under-load.png"),
  };
  require("fs").mkdirSync(path.dirname(o.screenshot as string), { recursive: true });
  const results = await runUiLoad(o);
  process.stdout.write(report(o, results) + "\n");
  process.stdout.write(JSON.stringify(results) + "\n");
  return 0;
}
