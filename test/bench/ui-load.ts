/**
 * The Streaming page under load (issue 21), in two parts, both in one process and one run:
 *
 * - The sustainable rate with and without the page (`searchBothModes`): for each mode, "off" (no
 *   UI, `spark.ui.enabled=false`) and "page" (the UI, with the page open in Chromium), a search
 *   for the highest rate the engine sustains at 100 ms batches, judged as `npm run bench` judges
 *   (probe.ts analyze(): p95 processing under the batch interval, no queue at the end, at least
 *   97% of the offered records processed, latency p50 under two batches). The two searches'
 *   probes take turns (off, page, then page, off, …), so a drift of the machine's load falls on
 *   both; the report gives both rates and their ratio.
 * - Fixed-rate phases (`runUiLoad`): an in-process generator offers `rate` records/s (100,000 by
 *   default) for 60 s with the page open; measured are the messages per second sent to the page
 *   and the page's own frame and render times, and the engine's processing figures.
 *
 * `npm run bench:ui` runs both (about 7 minutes); flags in `main`. A short fixed-rate version
 * runs in `npm test` (test/ui/web-ui-load-smoke.test.ts).
 */
import * as os from "os";
import * as path from "path";
import { Browser, chromium } from "playwright-core";
import * as v8 from "v8";
import * as vm from "vm";
import { BatchInfo, Receiver, StreamingContext } from "../../index";
import { webUiOf, WebUi } from "../../ui/index";
import { CHROMIUM_FLAGS, ensureChromium } from "../kernel/chromium";
import { analyze, BatchRecord, fmt, ProbeAnalysis } from "./probe";
import { blockIntervalFor, PoolReceiver } from "./streamlab-runner";

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
  /** `streamlab.workerThreads`: a number (0 by default: every task on the main thread), or "auto" for the engine's own default. */
  workers?: number | "auto";
}

/** The context's worker setting: a number of threads, or the engine's default when undefined. */
const workerConf = (workers: number | "auto" = 0): Record<string, number> => (workers === "auto" ? {} : { "streamlab.workerThreads": workers });

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
        conf: { "spark.ui.enabled": phase === "page", "spark.ui.port": 0, ...workerConf(o.workers) } });
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
        // frames=1: the page watches every frame (a requestAnimationFrame loop, itself a cost; the search's pages run without it).
        await page.goto(`${(await ui.ready) as string}&frames=1`);
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

// ---- the sustainable rate, with and without the page ----------------------------------------

export type Mode = "off" | "page";

export interface SearchOptions {
  batchMs: number;
  /** The first rate both searches probe. */
  startRate: number;
  /** Measured seconds per probe, after `probeWarmupSeconds` (counted from when the page has drawn, with the page). */
  probeSeconds: number;
  probeWarmupSeconds: number;
  /** A search ends when its lowest failing rate is within this fraction above its highest passing one. */
  precision: number;
  /** Probes per mode at most. */
  maxProbes: number;
  /** Wall-clock seconds for both searches together (after the warm-up probes): no probe starts after this. */
  budgetSeconds: number;
  /** Probe a marginal fail (median processing under half the batch) once more before it counts. */
  confirmFails: boolean;
  workers?: number | "auto";
}

export interface ModeProbe extends ProbeAnalysis {
  mode: Mode;
  /** Seconds since the search started, when the probe started. */
  at: number;
  /** Messages per second sent to the page (page mode). */
  messagesPerSecond?: number;
}

export interface ModeResult {
  mode: Mode;
  /** The highest rate that passed (0 if none did). */
  best: number;
  /** The lowest rate that failed (Infinity if none did). */
  lowestFail: number;
  /** Why the search stopped: "converged", "max probes" or "budget". */
  stopped: string;
  probes: ModeProbe[];
}

export interface SearchResult { seconds: number; off: ModeResult; page: ModeResult; probes: ModeProbe[] }

/** A full garbage collection between probes, so one probe's garbage does not land on the next (the bench runs without --expose-gc). */
let collect: (() => void) | undefined;
function fullGc(): void {
  if (!collect) {
    v8.setFlagsFromString("--expose-gc");
    collect = vm.runInNewContext("gc") as () => void;
  }
  collect();
}

/** Three significant digits: fine enough for a 5% comparison, coarse enough to read. */
export function round3(r: number): number {
  if (!(r > 0)) return 1000;
  const p = Math.pow(10, Math.floor(Math.log10(r)) - 2);
  return Math.max(100, Math.round(r / p) * p);
}

/**
 * One probe: a context running the keyed count at `rate` (PoolReceiver: record k due at t0 + k /
 * rate, stored a block per block interval), with the page open in `browser` in page mode, for
 * `probeWarmupSeconds + probeSeconds`; judged by analyze() on the batches after the warm-up.
 * A probe whose queue passes max(2 s, 20 batches) stops early: it has failed already.
 */
export async function probeMode(mode: Mode, rate: number, o: SearchOptions, browser: Browser | undefined): Promise<{ analysis: ProbeAnalysis; messagesPerSecond?: number }> {
  fullGc();
  const blockMs = blockIntervalFor(o.batchMs);
  const ssc = new StreamingContext({ appName: `UiLoadSearch-${mode}`, master: "local[2]", batchDuration: o.batchMs,
    conf: { "spark.ui.enabled": mode === "page", "spark.ui.port": 0, "spark.streaming.blockInterval": `${blockMs}ms`, ...workerConf(o.workers) } });
  const t0 = Math.ceil(Date.now() / o.batchMs) * o.batchMs + blockMs / 2;
  let keys = 0;
  ssc.receiverStream(new PoolReceiver(KEYS, rate, t0, blockMs)).mapToPair((k) => [k, 1] as [string, number]).reduceByKey((a, b) => a + b).foreachRDD((rdd) => { keys = rdd.count(); });
  const batches: BatchRecord[] = [];
  ssc.addStreamingListener({
    onBatchCompleted: ({ batchInfo: b }) => batches.push({ time: b.batchTime, numRecords: b.numRecords, processingDelay: b.processingDelay ?? 0, schedulingDelay: b.schedulingDelay ?? 0, processingEndTime: b.processingEndTime ?? 0 }),
  });
  const started = Date.now();
  ssc.start();
  let aborted: string | undefined;
  let measureFrom = t0;
  let messagesPerSecond: number | undefined;
  try {
    const ui = webUiOf(ssc) as WebUi | undefined;
    if (mode === "page" && (!ui || !browser)) throw new Error("bench:ui: page mode without a web UI or a browser");
    const page = ui && browser ? await browser.newPage({ viewport: { width: 1300, height: 1000 } }) : undefined;
    try {
      if (page && ui) {
        await page.goto((await ui.ready) as string);
        // The warm-up starts once the page has drawn its first state (loading vega and the specs is not the steady cost).
        await page.waitForFunction(() => (window as unknown as { streamlab: { stats: { renders: number } } }).streamlab.stats.renders > 0, undefined, { timeout: 30000 });
      }
      measureFrom = Date.now() + o.probeWarmupSeconds * 1000;
      const sent0 = ui?.messagesSent ?? 0;
      let sentAt0 = 0;
      await new Promise<void>((resolve) => {
        const end = measureFrom + o.probeSeconds * 1000;
        const watchdog = setInterval(() => {
          const last = batches[batches.length - 1];
          if (ui && sentAt0 === 0 && Date.now() >= measureFrom) sentAt0 = ui.messagesSent;
          if (last && last.schedulingDelay > Math.max(2000, 20 * o.batchMs)) aborted = `stopped early: scheduling delay ${last.schedulingDelay} ms`;
          if (aborted || Date.now() >= end) { clearInterval(watchdog); resolve(); }
        }, 50);
      });
      if (ui && !aborted) messagesPerSecond = (ui.messagesSent - (sentAt0 || sent0)) / o.probeSeconds;
    } finally {
      await page?.close();
    }
  } finally {
    await ssc.stop();
  }
  const stopped = Date.now();
  if (batches.length > 0 && keys === 0) throw new Error("bench:ui: the keyed count produced nothing: the workload did not run");
  const analysis = analyze({ t0, started, stopped, batches, aborted }, rate, o.batchMs, measureFrom - t0);
  if (aborted) { analysis.sustainable = false; analysis.reasons.unshift(aborted); }
  return { analysis, messagesPerSecond };
}

/**
 * The highest sustainable rate without the UI and with the page open, searched side by side: the
 * probes take turns (off then page, then page then off, …) so that a change in the machine's load
 * falls on both. Each search goes up from `startRate` (aiming at 85% of the batch interval from the
 * last probe's p95 processing time, at least 10% higher) until a rate fails, then bisects until the
 * lowest fail is within `precision` of the highest pass, or it runs out of probes or time. A
 * marginal fail is probed twice (see the loop), and one uncounted probe of each mode warms the JIT.
 */
export async function searchBothModes(o: SearchOptions, log: (line: string) => void = () => {}): Promise<SearchResult> {
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_FLAGS });
  let t0 = Date.now();
  const state: Record<Mode, { lo: number; hi: number; next: number; stopped?: string; retried?: number; probes: ModeProbe[] }> = {
    off: { lo: 0, hi: Infinity, next: round3(o.startRate), probes: [] },
    page: { lo: 0, hi: Infinity, next: round3(o.startRate), probes: [] },
  };
  const all: ModeProbe[] = [];
  try {
    // One probe of each mode first, not counted: the first probe of a process runs code the JIT has not optimized yet.
    for (const mode of ["off", "page"] as Mode[]) {
      const { analysis: a } = await probeMode(mode, round3(o.startRate), o, mode === "page" ? browser : undefined);
      log(`  warm-up ${mode} ${fmt(a.rate)}/s (not counted): processing p50 ${a.processingP50} p95 ${a.processingP95} ms`);
    }
    t0 = Date.now();
    for (let step = 0; ; step++) {
      const order: Mode[] = step % 2 === 0 ? ["off", "page"] : ["page", "off"];
      let probed = false;
      for (const mode of order) {
        const s = state[mode];
        if (s.stopped) continue;
        if ((Date.now() - t0) / 1000 > o.budgetSeconds) { s.stopped = "budget"; continue; }
        const rate = s.next;
        const at = (Date.now() - t0) / 1000;
        const { analysis: a, messagesPerSecond } = await probeMode(mode, rate, o, mode === "page" ? browser : undefined);
        const p: ModeProbe = { ...a, mode, at, messagesPerSecond };
        s.probes.push(p);
        all.push(p);
        probed = true;
        log(`  ${at.toFixed(0).padStart(4)} s  ${mode.padEnd(4)} ${fmt(rate).padStart(6)}/s: ${a.sustainable ? "ok" : "NOT sustainable (" + a.reasons.join("; ") + ")"}; processing p50 ${a.processingP50} p95 ${a.processingP95} ms; delivered ${(a.delivered * 100).toFixed(1)}%; latency p50 ${Math.round(a.latencyP50)} ms${messagesPerSecond !== undefined ? `; ${messagesPerSecond.toFixed(2)} messages/s to the page` : ""}`);
        // A fail only from the tail (a few slow batches, the median well under the batch) is
        // probed once more before it counts: one collection or a neighbour's burst can make it,
        // and a single spurious fail would cap the search for good. A pass needs no second look.
        const marginal = !a.sustainable && a.processingP50 < o.batchMs / 2 && !a.reasons.some((r) => r.startsWith("stopped early"));
        if (a.sustainable) { s.lo = Math.max(s.lo, rate); s.retried = undefined; }
        else if (o.confirmFails && marginal && s.retried !== rate && rate > s.lo) { s.retried = rate; log(`          (a marginal fail: ${fmt(rate)}/s is probed again before it counts)`); if (s.probes.length < o.maxProbes) continue; }
        else { s.hi = Math.min(s.hi, rate); s.retried = undefined; }
        const next = nextRate(rate, a, s.lo, s.hi, o.batchMs);
        if (s.lo > 0 && s.hi / s.lo <= 1 + o.precision) s.stopped = "converged";
        else if (next === undefined) s.stopped = "converged";
        else if (s.probes.length >= o.maxProbes) s.stopped = "max probes";
        else s.next = next;
      }
      if (!probed) break;
    }
  } finally {
    await browser.close();
  }
  const result = (mode: Mode): ModeResult => ({ mode, best: state[mode].lo, lowestFail: state[mode].hi, stopped: state[mode].stopped ?? "budget", probes: state[mode].probes });
  return { seconds: (Date.now() - t0) / 1000, off: result("off"), page: result("page"), probes: all };
}

/** The next rate of a search after probing `rate` (highest pass `lo`, lowest fail `hi`), or undefined when nothing lies between them. */
export function nextRate(rate: number, a: ProbeAnalysis, lo: number, hi: number, batchMs: number): number | undefined {
  let next: number;
  if (lo > 0 && hi !== Infinity) next = Math.sqrt(lo * hi);
  else if (hi === Infinity) {
    const aim = a.processingP95 > 0 ? (rate * 0.85 * batchMs) / a.processingP95 : rate * 2;
    next = Math.min(Math.max(aim, rate * 1.1), rate * 2);
  } else if (a.delivered < 0.97 && a.processingP95 < batchMs) {
    // The input, not the processing, fell behind: aim under what actually came through.
    next = rate * Math.max(0.3, Math.min(0.9, a.delivered * 0.9));
  } else {
    const aim = a.processingP95 > 0 ? (rate * 0.85 * batchMs) / a.processingP95 : rate * 0.5;
    next = Math.min(Math.max(aim, rate * 0.5), rate * 0.9);
  }
  const r = round3(next);
  return r > lo && r < hi ? r : undefined;
}

/** The search's report: every probe in order, each mode's rate and the ratio page / off. */
export function searchReport(o: SearchOptions, r: SearchResult): string {
  const bracket = (m: ModeResult) => `${fmt(m.best)}/s (lowest failing ${Number.isFinite(m.lowestFail) ? fmt(m.lowestFail) + "/s" : "none"}; ${m.probes.length} probes, ${m.stopped})`;
  const lines = [
    `Sustainable rate with the page open and without the UI: keyed count, ${o.batchMs} ms batches, probes of ${o.probeWarmupSeconds} + ${o.probeSeconds} s taking turns, precision ${(o.precision * 100).toFixed(0)}%, workers ${o.workers === "auto" ? "engine default" : (o.workers ?? 0)}, ${os.cpus().length} cores, load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}; search took ${r.seconds.toFixed(0)} s`,
    `  without the UI:     ${bracket(r.off)}`,
    `  with the page open: ${bracket(r.page)}`,
  ];
  const unbounded = [r.off, r.page].filter((m) => m.best > 0 && !Number.isFinite(m.lowestFail)).map((m) => m.mode);
  if (unbounded.length) lines.push(`  page / off: no verdict: the search of ${unbounded.join(" and ")} ended before any rate failed: a rate with no fail above it is only a lower bound (raise --search-budget-seconds or --start-rate)`);
  else if (r.off.best > 0 && r.page.best > 0) {
    const ratio = r.page.best / r.off.best;
    // What the brackets allow: each true rate lies in [best, lowest fail).
    const low = r.page.best / r.off.lowestFail;
    const high = r.page.lowestFail / r.off.best;
    lines.push(`  page / off: ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)}%; the brackets allow ${low.toFixed(3)}–${high.toFixed(3)}); within 5%: ${ratio >= 0.95 ? "yes" : "NO"}`);
  } else lines.push("  page / off: no ratio (a search found no sustainable rate: lower --start-rate)");
  return lines.join("\n");
}

/** The report: one line per phase and the ratio of the page phases' capacity to the others'. */
export function report(o: UiLoadOptions, results: PhaseResult[]): string {
  // Phases weighted by their length: off 30 s, page 60 s, off 30 s compares 60 s against 60 s and cancels a steady drift of the machine's load.
  const weighted = (rs: PhaseResult[], f: (r: PhaseResult) => number) => rs.reduce((n, r) => n + f(r) * r.seconds, 0) / rs.reduce((n, r) => n + r.seconds, 0);
  const off = results.filter((r) => r.phase === "off"), on = results.filter((r) => r.phase === "page");
  const lines = [
    `Streaming page under load: ${o.rate} records/s offered, ${o.batchMs} ms batches, phases ${o.phases.map((p) => (Array.isArray(p) ? `${p[0]} ${p[1]} s` : `${p} ${o.phaseSeconds} s`)).join(", ")} (each after ${o.warmupSeconds} s of warm-up), workers ${o.workers === "auto" ? "engine default" : (o.workers ?? 0)}, ${os.cpus().length} cores, load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
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

/**
 * `node test/bench/webui-load.js [flags]` (`npm run bench:ui -- [flags]`): the search, then the fixed-rate phases.
 *   --search=on|off            the sustainable-rate search with and without the page (on)
 *   --start-rate=N             the search's first rate (400000); a probe of each mode there comes first, not counted (JIT warm-up)
 *   --probe-seconds=N          measured seconds per probe (6), after --probe-warmup-seconds=N (2)
 *   --precision=X              a search ends when its lowest fail is within X of its highest pass (0.03)
 *   --max-probes=N             probes per mode at most (12)
 *   --search-budget-seconds=N  no probe starts after this (300)
 *   --confirm-fails=on|off     probe a marginal fail once more before it counts (on)
 *   --phases=page:60,...       fixed-rate phases, "off" or "page" with seconds ("page:60"; "none" for none)
 *   --rate=N                   the fixed phases' rate (100000); --warmup-seconds=N before each (5)
 *   --batch-ms=N               batch interval of both (100)
 *   --workers=N|auto           streamlab.workerThreads (0: all on the main thread; auto: the engine's default)
 */
export async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  const arg = (name: string, d: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? d;
  const num = (name: string, d: string) => {
    const v = Number(arg(name, d));
    if (!Number.isFinite(v) || v < 0) throw new Error(`bench:ui: --${name}=${arg(name, d)} is not a number >= 0: give e.g. --${name}=${d}`);
    return v;
  };
  const workers = arg("workers", "0") === "auto" ? "auto" : num("workers", "0");
  const batchMs = num("batch-ms", "100");
  const phases = arg("phases", "page:60");
  const o: UiLoadOptions = {
    rate: num("rate", "100000"), batchMs, phaseSeconds: num("phase-seconds", "30"),
    warmupSeconds: num("warmup-seconds", "5"), workers,
    phases: phases === "none" ? [] : phases.split(",").map((p) => (p.includes(":") ? [p.split(":")[0], Number(p.split(":")[1])] : p) as "off" | "page" | ["off" | "page", number]),
    screenshot: path.join(__dirname, "..", "ui", "artifacts", "streaming-page-under-load.png"),
  };
  const out: { search?: SearchResult; phases?: PhaseResult[] } = {};
  if (arg("search", "on") !== "off") {
    const so: SearchOptions = {
      batchMs, startRate: num("start-rate", "400000"), probeSeconds: num("probe-seconds", "6"), probeWarmupSeconds: num("probe-warmup-seconds", "2"),
      precision: num("precision", "0.03"), maxProbes: num("max-probes", "12"), budgetSeconds: num("search-budget-seconds", "300"), workers,
      confirmFails: arg("confirm-fails", "on") !== "off",
    };
    process.stdout.write("Searching the sustainable rate, without the UI and with the page open, probes taking turns:\n");
    out.search = await searchBothModes(so, (l) => process.stdout.write(l + "\n"));
    process.stdout.write(searchReport(so, out.search) + "\n");
  }
  if (o.phases.length) {
    require("fs").mkdirSync(path.dirname(o.screenshot as string), { recursive: true });
    out.phases = await runUiLoad(o);
    process.stdout.write(report(o, out.phases) + "\n");
  }
  process.stdout.write(`bench:ui took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  process.stdout.write(JSON.stringify(out) + "\n");
  return 0;
}
