/**
 * The Streaming page in the browser: Spark's Streaming tab (timelines and histograms, active and
 * completed batches, receivers, a batch's page) plus the DStream graph, the checkpoint's story,
 * backpressure, memory and failing outputs. It gets the whole state when its WebSocket connects
 * (on load, reload or reconnect) and then coalesced updates; it redraws at most once per frame.
 */
import { backpressureRows, DATA_NAME, inputStreamRows, memoryRows, METRICS, MetricKey, streamName, timelineRows, TimelineRow } from "../model/charts";
import { graphSvg } from "../model/graph-svg";
import { applyUpdate, averages, BatchRow, opCounts, OutputRow, processingTime, schedulingDelay, stopReasonToShow, totalDelay, UiMessage, UiState } from "../model/ui-state";
import { formatBatchTime, formatBytes, formatCount, formatDate, formatDuration, formatRate } from "../model/units";
import { esc, kv, setHtml, table } from "./dom";
import { VegaView, vegaGlobal } from "./vega-view";

const token = new URLSearchParams(location.search).get("token") ?? "";
const batchPage = location.pathname.startsWith("/streaming/batch");
const batchId = Number(new URLSearchParams(location.search).get("id"));
const q = `token=${encodeURIComponent(token)}`;
/** Rows of the completed-batches table (Spark pages it; the latest ones are what matter live). */
const COMPLETED_ROWS = 100;

let state: UiState | undefined;
let specs: Record<string, unknown> | undefined;
const views: Record<string, VegaView> = {};
let built = false;
let renderQueued = false;
let chartsBusy = false;
let chartsDirty = false;

/** What the page measures about itself (the load test reads it). */
const stats = { messages: 0, snapshots: 0, renders: 0, renderMs: [] as number[], chartMs: [] as number[], frameGaps: [] as number[], longTasks: 0, longTaskMs: 0, connects: 0 };
(window as unknown as { streamlab: unknown }).streamlab = { get state() { return state; }, views, stats };

function keep(xs: number[], x: number): void { xs.push(x); if (xs.length > 5000) xs.shift(); }

// ---- connection ----------------------------------------------------------------------------

let retryMs = 500;
let connected = false;
function connect(): void {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?${q}`);
  ws.onopen = () => { retryMs = 500; stats.connects++; connected = true; setConn(); };
  ws.onmessage = (e) => {
    stats.messages++;
    const m = JSON.parse(String(e.data)) as UiMessage;
    if (m.type === "snapshot") { state = m.state; stats.snapshots++; chartsDirty = true; replaceCharts = true; chartedUpTo = -Infinity; }
    else if (state) { applyUpdate(state, m.update); if (m.update.completed || m.update.rates || m.update.memory || m.update.receivers) chartsDirty = true; }
    if (batchPage && (m.type === "snapshot" || m.update.completed?.some((b) => b.batchTime === batchId) || m.update.active?.some((b) => b.batchTime === batchId))) void loadBatch();
    setConn();
    scheduleRender();
  };
  ws.onclose = () => {
    connected = false;
    setConn();
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 4000);
  };
}

function setConn(): void {
  const el = document.getElementById("conn");
  if (!el) return;
  const stopped = state?.app.state === "stopped";
  el.textContent = !connected ? (stopped ? "stopped · reconnecting…" : "disconnected · reconnecting…") : stopped ? "stopped" : "live";
  el.className = `conn ${connected && !stopped ? "live" : "down"}`;
  el.setAttribute("data-state", connected ? (stopped ? "stopped" : "live") : "down");
}

/**
 * Tables and text are redrawn at most this often, charts at most once a second (every half batch
 * interval with batches of a second or more, so each batch is drawn): a fast stream must not keep
 * the browser busy.
 */
const RENDER_INTERVAL_MS = 500;
const chartInterval = (s: UiState) => (s.app.batchDuration >= 1000 ? s.app.batchDuration / 2 : 1000);
let lastRender = -Infinity;

/**
 * A hidden tab (another tab in front, a minimized window) draws nothing: messages still update the
 * state, and the page draws once, with charts caught up, when it is shown again.
 */
const hidden = () => document.visibilityState === "hidden";
document.addEventListener("visibilitychange", () => { if (!hidden()) scheduleRender(); });

function scheduleRender(): void {
  if (renderQueued || hidden()) return;
  renderQueued = true;
  const wait = Math.max(0, lastRender + RENDER_INTERVAL_MS - performance.now());
  setTimeout(() => requestAnimationFrame(() => {
    renderQueued = false;
    lastRender = performance.now();
    const t0 = lastRender;
    try {
      if (batchPage) renderBatchPage(); else renderMain();
    } finally {
      stats.renders++;
      keep(stats.renderMs, performance.now() - t0);
    }
  }), wait);
}

// ---- main page ---------------------------------------------------------------------------

const CHART_IDS = [...METRICS.flatMap((m) => [`timeline-${m.key}`, `histogram-${m.key}`]), "inputStreams", "backpressure", "memory"];

function buildMain(): void {
  const main = document.getElementById("main") as HTMLElement;
  const rows = METRICS.map((m) => `<tr data-metric="${m.key}"><td style="width:230px"><div class="stat-title">${m.title}</div><div class="stat-avg" id="avg-${m.key}">Avg: -</div><div class="latest" id="latest-${m.key}">latest: -</div>` +
    `</td><td><div id="timeline-${m.key}" class="chart timeline"></div></td><td><div id="histogram-${m.key}" class="chart histogram"></div></td></tr>` +
    (m.key === "inputRate" ? `<tr><td colspan="3"><details id="input-streams-details"><summary>Input rate per input stream</summary><div id="input-streams-table"></div><div id="inputStreams" class="chart"></div></details></td></tr>` : ""));
  main.innerHTML = `<h3>Streaming Statistics</h3><div id="summary" class="note"></div>` +
    `<table class="timelines"><thead><tr><th></th><th>Timelines</th><th>Histograms</th></tr></thead><tbody>${rows.join("")}</tbody></table>` +
    `<h3 id="active-title">Active Batches</h3><div id="active"></div>` +
    `<h3 id="completed-title">Completed Batches</h3><div id="completed"></div>` +
    `<h3>Receivers</h3><div id="receivers"></div>` +
    `<h3>Output Operations</h3><div id="outputs"></div><h4>Failing outputs</h4><div id="failing"></div>` +
    `<h3>DStream Graph</h3><div class="note">each operator with its latest batch size; stateful ones with their state size</div><div id="graph" class="graph"></div>` +
    `<div class="panels"><div class="panel"><h3>Checkpoint</h3><div id="checkpoint"></div></div>` +
    `<div class="panel"><h3>Backpressure</h3><div class="note">rate limit set by backpressure against the rate received</div><div id="backpressure" class="chart"></div><div id="backpressure-note" class="note"></div></div>` +
    `<div class="panel"><h3>Memory</h3><div id="memory-note" class="note"></div><div id="memory" class="chart"></div></div></div>`;
  built = true;
}

async function createViews(): Promise<void> {
  const vega = vegaGlobal();
  if (!vega || !specs) return;
  const s = specs as { timelines: Record<string, unknown>; histograms: Record<string, unknown>; inputStreams: unknown; backpressure: unknown; memory: unknown };
  const specOf = (id: string): unknown => id.startsWith("timeline-") ? s.timelines[id.slice(9)] : id.startsWith("histogram-") ? s.histograms[id.slice(10)] : (s as Record<string, unknown>)[id];
  for (const id of CHART_IDS) {
    const el = document.getElementById(id);
    if (!el || views[id]) continue;
    views[id] = new vega.View(vega.parse(specOf(id)), { renderer: "canvas", container: el, hover: true });
  }
  chartsDirty = true;
}

let lastCharts = -Infinity;
/** What the backpressure and memory charts last drew (a key of their points), so equal data is not redrawn. */
const drawn = { backpressure: "", memory: "" };

/** Timeline rows of the completed batches after `after`, oldest first (found from the end: a few per update). */
function freshRows(s: UiState, after: number): TimelineRow[] {
  let i = s.completed.length;
  while (i > 0 && s.completed[i - 1].batchTime > after) i--;
  return i === s.completed.length ? [] : timelineRows({ ...s, completed: s.completed.slice(i) });
}
/** The newest batch time on the timelines, and whether the next update replaces their data (after a snapshot). */
let chartedUpTo = -Infinity;
let replaceCharts = true;
async function updateCharts(s: UiState): Promise<void> {
  if (chartsBusy || !chartsDirty || Object.keys(views).length === 0) return;
  const wait = lastCharts + chartInterval(s) - performance.now();
  if (wait > 0) { setTimeout(scheduleRender, wait); return; }
  lastCharts = performance.now();
  chartsBusy = true;
  chartsDirty = false;
  const t0 = performance.now();
  try {
    const runs: Promise<unknown>[] = [];
    // Timelines and histograms change incrementally: the new batches inserted, the ones no longer
    // retained removed, so vega only processes what changed (a whole new data set of 1000 rows per
    // view and update cost the browser several times more). Only the new batches' rows are made
    // (not all retained ones each time). A new snapshot replaces everything.
    const vega = vegaGlobal();
    const first = s.completed.length ? s.completed[0].batchTime : Infinity;
    const replace = replaceCharts;
    const rows = replace ? timelineRows(s) : freshRows(s, chartedUpTo);
    let changed = replace || rows.length > 0;
    if (changed) {
      for (const m of METRICS) {
        for (const id of [`timeline-${m.key}`, `histogram-${m.key}`]) {
          const v = views[id];
          if (!v || !vega) continue;
          if (replace) v.data(DATA_NAME, rows);
          else v.change(DATA_NAME, vega.changeset().insert(rows).remove((d) => (d as { time: number }).time < first));
          runs.push(v.runAsync());
        }
      }
    }
    replaceCharts = false;
    chartedUpTo = rows.length ? rows[rows.length - 1].time : chartedUpTo;
    const set = (id: string, data: unknown[]) => { const v = views[id]; if (v) { v.data(DATA_NAME, data); runs.push(v.runAsync()); } };
    if ((document.getElementById("input-streams-details") as HTMLDetailsElement | null)?.open) set("inputStreams", inputStreamRows(s));
    // Backpressure and memory are redrawn only when their points changed: without backpressure
    // the chart stays empty, and memory gets a point a second, not one per batch.
    const bpKey = `${s.rates.length}:${s.rates.at(-1)?.time}:${s.rates.length > 0 ? s.completed.at(-1)?.batchTime : ""}`;
    if (replace || bpKey !== drawn.backpressure) { drawn.backpressure = bpKey; set("backpressure", backpressureRows(s)); changed = true; }
    const memKey = `${s.memory.length}:${s.memory.at(-1)?.time}`;
    if (replace || memKey !== drawn.memory) { drawn.memory = memKey; set("memory", memoryRows(s)); changed = true; }
    if (changed) await Promise.all(runs);
  } finally {
    keep(stats.chartMs, performance.now() - t0);
    chartsBusy = false;
    if (chartsDirty) scheduleRender();
  }
}

function batchLink(b: BatchRow): string {
  return `<a class="batch-link" href="/streaming/batch/?id=${b.batchTime}&${q}">${esc(formatBatchTime(b.batchTime))}</a>`;
}

function opsCell(b: BatchRow): string {
  const c = opCounts(b);
  return `${c.succeeded}/${c.total}${c.failed ? ` <span class="failed">(${c.failed} failed)</span>` : ""}`;
}

function renderMain(): void {
  const s = state;
  if (!s) return;
  if (!built) buildMain();
  if (specs && Object.keys(views).length === 0) void createViews().then(scheduleRender);
  const avg = averages(s);
  const uptime = s.app.startTime === undefined ? "not started" : `for ${formatDuration((s.completed.at(-1)?.processingEndTime ?? s.app.startTime) - s.app.startTime)} since ${formatDate(s.app.startTime, false)}`;
  setHtml("summary", `${s.app.state === "stopped" ? "Stopped after running" : "Running"} batches of ${esc(formatDuration(s.app.batchDuration))} ${esc(uptime)} (${formatCount(s.totalCompleted)} completed batches, ${formatCount(s.totalRecords)} records) · master ${esc(s.app.master)} · pid ${s.app.pid}`);
  const latest = s.completed.at(-1);
  const rows = latest ? timelineRows({ ...s, completed: [latest] })[0] : undefined;
  for (const m of METRICS) {
    const v = (avg as Record<string, number | undefined>)[m.key];
    setHtml(`avg-${m.key}`, `Avg: ${esc(m.key === "inputRate" ? formatRate(v) : formatDuration(v))}`);
    const lv = rows ? (rows as unknown as Record<string, number | null>)[m.key] : undefined;
    const el = document.getElementById(`latest-${m.key}`);
    if (el && latest) el.setAttribute("data-batch-time", String(latest.batchTime));
    setHtml(`latest-${m.key}`, latest ? `latest: ${esc(m.key === "inputRate" ? formatRate(lv) : formatDuration(lv))} at ${esc(formatDate(latest.batchTime))}` : "latest: -");
  }
  renderInputStreams(s);
  setHtml("active-title", `Active Batches (${s.activeTotal})`);
  setHtml("active", table("active-batches", ["Batch Time", "Records", "Scheduling Delay", "Processing Time", "Output Ops: Succeeded/Total", "Status"],
    s.active.map((b) => [batchLink(b), formatCount(b.numRecords), formatDuration(b.processingStartTime === undefined ? undefined : schedulingDelay(b)), "-", opsCell(b),
      b.processingStartTime === undefined ? `<span class="queued">queued</span>` : `<span class="running">processing</span>`]), "no active batch"));
  setHtml("completed-title", `Completed Batches (last ${formatCount(s.completed.length)} out of ${formatCount(s.totalCompleted)})`);
  setHtml("completed", table("completed-batches", ["Batch Time", "Records", "Scheduling Delay", "Processing Time", "Total Delay", "Output Ops: Succeeded/Total"],
    s.completed.slice(-COMPLETED_ROWS).reverse().map((b) => [batchLink(b), formatCount(b.numRecords), formatDuration(schedulingDelay(b)), formatDuration(processingTime(b)), formatDuration(totalDelay(b)), opsCell(b)])) +
    (s.completed.length > COMPLETED_ROWS ? `<div class="note">showing the latest ${COMPLETED_ROWS}; ${formatCount(s.app.retainedBatches)} are kept (spark.streaming.ui.retainedBatches)</div>` : ""));
  renderReceivers(s);
  renderOutputs(s);
  setHtml("graph", graphSvg(s.graph));
  renderCheckpoint(s);
  setHtml("backpressure-note", s.rates.length ? `latest rate limit: ${s.rates.slice(-3).map((r) => `${esc(streamName(s, r.streamId))} ${formatRate(r.rate)}`).join(", ")}` : "no rate limit set (spark.streaming.backpressure.enabled is off, or no batch has finished yet)");
  const mem = s.memory.at(-1);
  setHtml("memory-note", mem ? `rss ${formatBytes(mem.rss)} · heap used ${formatBytes(mem.heapUsed)} of ${formatBytes(mem.heapTotal)} · external ${formatBytes(mem.external)}` : "");
  void updateCharts(s);
}

function receiverRate(s: UiState, streamId: number): number | undefined {
  const bs = s.completed.slice(-100);
  if (bs.length === 0) return undefined;
  return bs.reduce((n, b) => n + (b.inputs[streamId] ?? 0), 0) / ((bs.length * s.app.batchDuration) / 1000);
}

function renderInputStreams(s: UiState): void {
  const inputs = s.graph.filter((n) => n.input);
  setHtml("input-streams-table", table("input-streams", ["Input stream", "Avg rate (last 100 batches)", "Latest batch", "Receiver status"],
    inputs.map((n) => {
      const r = s.receivers.find((x) => x.streamId === n.id);
      return [esc(streamName(s, n.id)), esc(formatRate(receiverRate(s, n.id))), formatCount(s.completed.at(-1)?.inputs[n.id] ?? 0), r ? (r.active ? "ACTIVE" : "INACTIVE") : "no receiver"];
    })));
}

function renderReceivers(s: UiState): void {
  setHtml("receivers", table("receivers", ["Receiver", "Status", "Location", "Events/sec (avg of last 100 batches)", "Last Error Time", "Last Error Message"],
    s.receivers.map((r) => [esc(r.name), r.active ? `<span class="ok">ACTIVE</span>` : `<span class="failed">INACTIVE</span>`, esc(r.location), esc(formatRate(receiverRate(s, r.streamId))),
      r.lastErrorTime >= 0 ? esc(formatBatchTime(r.lastErrorTime)) : "-",
      r.lastErrorMessage ? `${esc(r.lastErrorMessage)}${r.lastError ? `<details><summary>details</summary><pre class="error">${esc(r.lastError)}</pre></details>` : ""}` : "-"]), "no receiver (input streams without receivers: queue, file and direct streams)"));
}

function errorCell(code: string | undefined, text: string | undefined): string {
  if (!text) return "-";
  const [first, ...rest] = text.split("\n");
  return `${code ? `<span class="code error-code">${esc(code)}</span> ` : ""}<span class="error-message">${esc(first)}</span>${rest.length ? `<details><summary>stack</summary><pre class="error">${esc(rest.join("\n"))}</pre></details>` : ""}`;
}

function outputRow(o: OutputRow): string[] {
  const status = o.status === "failing" ? `<span class="failed">failing</span>` : o.status === "ok" ? `<span class="ok">ok</span>`
    : o.status === "stopped" ? `<span class="queued">stopped${stopReasonToShow(o) ? `: ${esc(stopReasonToShow(o)!)}` : ""}</span>` : `<span class="queued">waiting</span>`;
  return [String(o.id), esc(o.name), status, formatCount(o.succeeded), formatCount(o.failed), formatDuration(o.lastDuration), errorCell(o.lastErrorCode, o.lastError)];
}

function renderOutputs(s: UiState): void {
  setHtml("outputs", table("outputs", ["Output Op Id", "Name", "Status", "Succeeded", "Failed", "Last Duration", "Last Error"], s.outputs.map(outputRow)));
  const failing = s.outputs.filter((o) => o.failed > 0);
  setHtml("failing", table("failing-outputs", ["Output Op Id", "Name", "Failed batches", "Since", "Last failed batch", "Code", "Error"],
    failing.map((o) => [String(o.id), esc(o.name), formatCount(o.failed), o.firstFailedBatch === undefined ? "-" : esc(formatDate(o.firstFailedBatch)),
      o.lastErrorBatch === undefined ? "-" : `<a href="/streaming/batch/?id=${o.lastErrorBatch}&${q}">${esc(formatBatchTime(o.lastErrorBatch))}</a>`,
      o.lastErrorCode ? `<span class="code">${esc(o.lastErrorCode)}</span>` : "-", esc((o.lastError ?? "").split("\n")[0])]), "no output has failed"));
}

function renderCheckpoint(s: UiState): void {
  const c = s.checkpoint;
  const pairs: Array<[string, string]> = [];
  if (!c.directory) pairs.push(["Directory", "none: ssc.checkpoint(dir) turns checkpointing on"]);
  else {
    pairs.push(["Directory", esc(c.directory)]);
    pairs.push(["Checkpoints written", formatCount(c.written)]);
    pairs.push(["Last checkpoint", c.lastBatchTime === undefined ? "none yet" : esc(formatBatchTime(c.lastBatchTime))]);
    if (c.lastWriteTime !== undefined) pairs.push(["Written at", esc(formatDate(c.lastWriteTime, true))]);
    if (c.lastFile) pairs.push(["File", esc(c.lastFile)]);
    if (c.lastBytes !== undefined) pairs.push(["Size", esc(formatBytes(c.lastBytes))]);
    pairs.push(["Write-ahead log", c.walEnabled ? esc(formatBytes(c.walBytes ?? 0)) : "off (spark.streaming.receiver.writeAheadLog.enable)"]);
  }
  const r = c.restoredFrom;
  pairs.push(["Restored", r ? `<span class="restored">from ${esc(r.file)}</span>` : "no: started fresh"]);
  if (r) {
    pairs.push(["Checkpoint time", esc(formatBatchTime(r.checkpointTime))]);
    pairs.push(["Batches replayed", `<span class="replayed">${formatCount(r.replayedBatches)}</span>`]);
    pairs.push(["Streams restored", formatCount(r.restoredStreams)]);
    if (r.walBlocks !== undefined) pairs.push(["WAL blocks recovered", formatCount(r.walBlocks)]);
  }
  setHtml("checkpoint", kv(pairs));
}

// ---- a batch's page ------------------------------------------------------------------------

let batch: BatchRow | undefined | null;
let loading = false;
async function loadBatch(): Promise<void> {
  if (loading) return;
  loading = true;
  try {
    const r = await fetch(`/api/batch?id=${batchId}&${q}`);
    batch = r.ok ? ((await r.json()) as BatchRow) : null;
  } finally {
    loading = false;
  }
  scheduleRender();
}

function renderBatchPage(): void {
  const main = document.getElementById("main") as HTMLElement;
  const s = state;
  if (batch === undefined || !s) { main.innerHTML = "<p>Loading…</p>"; return; }
  if (batch === null) { main.innerHTML = `<h3>Batch ${esc(batchId)}</h3><p>No such batch: it is older than spark.streaming.ui.retainedBatches, or not submitted yet.</p>`; return; }
  const b = batch;
  const status = b.processingEndTime !== undefined ? "completed" : b.processingStartTime !== undefined ? "processing" : "queued";
  const inputs = Object.entries(b.inputs).map(([id, n]) => [esc(streamName(s, Number(id))), formatCount(n), esc(b.inputDescriptions?.[id] ?? "")]);
  const ops = b.ops.map((o) => [String(o.id), esc(o.name), formatDuration(o.startTime !== undefined && o.endTime !== undefined ? o.endTime - o.startTime : undefined),
    o.failureReason !== undefined ? `<span class="failed">Failed</span>` : o.endTime !== undefined ? `<span class="ok">Succeeded</span>` : o.startTime !== undefined ? `<span class="running">Running</span>` : `<span class="queued">Queued</span>`,
    errorCell(o.errorCode, o.failureReason)]);
  main.innerHTML = `<h3 id="batch-title">Details of batch at ${esc(formatBatchTime(b.batchTime))}</h3>` +
    kv([["Batch Duration", esc(formatDuration(s.app.batchDuration))], ["Input data size", `${formatCount(b.numRecords)} records`], ["Status", status],
      ["Scheduling delay", esc(formatDuration(schedulingDelay(b)))], ["Processing time", esc(formatDuration(processingTime(b)))], ["Total delay", esc(formatDuration(totalDelay(b)))]]) +
    `<h4>Input Metadata</h4>${table("input-metadata", ["Input", "Records", "Metadata"], inputs, "no input stream")}` +
    `<h4>Output Operations</h4>${table("batch-ops", ["Output Op Id", "Description", "Duration", "Status", "Error"], ops, "no output operation")}` +
    `<p><a href="/streaming/?${q}">back to Streaming Statistics</a></p>`;
}

// ---- start ---------------------------------------------------------------------------------

/**
 * Frame gaps are measured only when the URL asks (`&frames=1`, as the load test does): the loop
 * that measures them asks for a frame 60 times a second, itself a cost an open page should not
 * have. Long tasks are always counted (the browser reports them; that costs nothing).
 */
function watchFrames(): void {
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) { stats.longTasks++; stats.longTaskMs += e.duration; } }).observe({ type: "longtask", buffered: true });
  } catch { /* no long-task timing in this browser */ }
  if (new URLSearchParams(location.search).get("frames") !== "1") return;
  let last = performance.now();
  const tick = (t: number) => { keep(stats.frameGaps, t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}

async function start(): Promise<void> {
  watchFrames();
  if (!batchPage) {
    const r = await fetch(`/api/specs?${q}`);
    if (r.ok) specs = (await r.json()) as Record<string, unknown>;
  } else {
    const nav = document.getElementById("nav-streaming");
    if (nav) nav.textContent = "Streaming ›  batch";
  }
  connect();
}

void start();
