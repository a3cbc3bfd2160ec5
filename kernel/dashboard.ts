import { StreamingContext } from "../engine/streaming-context";
import { dashboardTimelinesSpec } from "../ui/model/charts";
import { averages, BatchRow, opCounts, processingTime, schedulingDelay, stopReasonToShow, totalDelay, UiState } from "../ui/model/ui-state";
import { formatBatchTime, formatBytes, formatCount, formatDate, formatDuration, formatRate } from "../ui/model/units";
import { StreamingUiModel } from "../ui/server/ui-model";
import { webUiOf } from "../ui/index";
import { escapeHtml, htmlTable, textTable } from "./html";
import { createLiveOutput, inNotebook, MimeBundle } from "./live-output";
import { renderSvg, VEGA_LITE_MIME } from "./vega-render";

declare module "../engine/streaming-context" {
  interface StreamingContext {
    /**
     * Spark's "Streaming Statistics" as live outputs under the cell that calls it, in human units
     * (ms, s, min, h; batch times as dates with the ms value beside them): the averages of input
     * rate, scheduling delay, processing time and total delay with a link to the context's
     * Streaming page (`ssc.uiWebUrl()`); Spark's four timelines as a live Vega-Lite chart (the
     * batch interval drawn on processing time); the active (running and queued) and completed
     * batches; each output's status and last error with its code; the receivers; the
     * checkpoint's story (last checkpoint, restored from where, batches replayed). Redrawn after
     * every batch (coalesced). Call it before or after start(). Outside a notebook it prints the
     * statistics as text after each batch.
     * @example ssc.dashboard()
     */
    dashboard(options?: DashboardOptions): void;
  }
}

/** Options of `ssc.dashboard(...)`. */
export interface DashboardOptions {
  /** Batches the averages and timelines cover (Spark's UI keeps 1000; default 100). */
  history?: number;
  /** Rows of the completed-batches table. Default 10. */
  rows?: number;
}

/** What the dashboard shows: the page's state (its last `history` batches), the clock's now and the page's URL. */
export interface DashboardModel {
  state: UiState;
  now: number;
  url: string | undefined;
}

function header(m: DashboardModel): string {
  const s = m.state;
  const running = s.app.startTime === undefined ? "not started" : `${s.app.state === "stopped" ? "ran" : "running"} for ${formatDuration(m.now - s.app.startTime)} since ${formatDate(s.app.startTime, false)}`;
  return `Streaming Statistics · ${s.app.appName} · batches of ${formatDuration(s.app.batchDuration)} · ${running} · ${formatCount(s.totalCompleted)} completed batches, ${formatCount(s.totalRecords)} records`;
}

function stats(s: UiState): Array<[string, string]> {
  const a = averages(s);
  return [
    ["Input rate", formatRate(a.inputRate)],
    ["Scheduling delay", formatDuration(a.schedulingDelay)],
    ["Processing time", formatDuration(a.processingTime)],
    ["Total delay", formatDuration(a.totalDelay)],
  ];
}

/** The first output: the averages and the link to the page. */
export function summaryBundle(m: DashboardModel): MimeBundle {
  const over = `averages over the last ${m.state.completed.length} batches`;
  const text = [header(m), ...stats(m.state).map(([k, v]) => `  ${k}: ${v}`), `  (${over})`, `  Streaming UI: ${m.url ?? "-"}`].join("\n");
  const link = m.url ? `<a href="${escapeHtml(m.url)}" target="_blank" rel="noopener noreferrer">Streaming UI ↗</a>` : "<i>Streaming UI: not running</i>";
  const html = `<div class="streamlab-dashboard"><div><b>${escapeHtml(header(m))}</b> · ${link}</div>` +
    htmlTable(["Statistic", `Value (${over})`], stats(m.state)) + `</div>`;
  return { "text/plain": text, "text/html": html };
}

const opsText = (b: BatchRow) => {
  const c = opCounts(b);
  return `${c.succeeded}/${c.total}${c.failed ? ` (${c.failed} failed)` : ""}`;
};

/** The tables: active and completed batches, outputs, receivers, checkpoint. */
export function tablesBundle(m: DashboardModel, rows: number): MimeBundle {
  const s = m.state;
  const activeCols = ["Batch time", "Input size", "Status", "Output ops: succeeded/total"];
  const activeRows = s.active.slice(0, rows).map((b) => [formatBatchTime(b.batchTime), `${formatCount(b.numRecords)} records`, b.processingStartTime === undefined ? "queued" : "processing", opsText(b)]);
  const batchCols = ["Batch time", "Input size", "Scheduling delay", "Processing time", "Total delay", "Output ops: succeeded/total"];
  const batchRows = s.completed.slice(-rows).reverse().map((b) => [formatBatchTime(b.batchTime), `${formatCount(b.numRecords)} records`,
    formatDuration(schedulingDelay(b)), formatDuration(processingTime(b)), formatDuration(totalDelay(b)), opsText(b)]);
  const outCols = ["Output", "Name", "Status", "Succeeded", "Failed", "Last error"];
  const outRows = s.outputs.map((o) => [String(o.id), o.name, stopReasonToShow(o) ? `stopped: ${stopReasonToShow(o)}` : o.status, formatCount(o.succeeded), formatCount(o.failed),
    o.lastError ? `${o.lastErrorCode ? `[${o.lastErrorCode}] ` : ""}${o.lastError.split("\n")[0]} (batch ${formatBatchTime(o.lastErrorBatch as number)})` : "-"]);
  const recvCols = ["Receiver", "Status", "Last error"];
  const recvRows = s.receivers.map((r) => [r.name, r.active ? "ACTIVE" : "INACTIVE", r.lastErrorMessage ? `${r.lastErrorMessage}${r.lastErrorTime >= 0 ? ` (${formatBatchTime(r.lastErrorTime)})` : ""}` : "-"]);
  const cp = checkpointLines(s);
  const sections: Array<[string, string[], string[][], string]> = [
    [`Active batches (${s.activeTotal}: running and queued)`, activeCols, activeRows, "(none)"],
    ["Completed batches (latest first)", batchCols, batchRows, "(none yet)"],
    ["Output operations", outCols, outRows, "(none)"],
  ];
  if (recvRows.length) sections.push(["Receivers", recvCols, recvRows, "(none)"]);
  const text = [...sections.flatMap(([title, cols, rs, empty]) => [title, rs.length ? textTable(cols, rs) : empty]), "Checkpoint", ...cp.map((l) => `  ${l}`)].join("\n");
  const html = `<div class="streamlab-dashboard">` + sections.map(([title, cols, rs, empty]) => `<div><b>${escapeHtml(title)}</b></div>${rs.length ? htmlTable(cols, rs) : `<i>${escapeHtml(empty)}</i>`}`).join("") +
    `<div><b>Checkpoint</b></div><ul>${cp.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul></div>`;
  return { "text/plain": text, "text/html": html };
}

/** The checkpoint's story in a few lines. */
export function checkpointLines(s: UiState): string[] {
  const c = s.checkpoint;
  const lines: string[] = [];
  if (!c.directory) lines.push("no checkpoint directory (ssc.checkpoint(dir) turns checkpointing on)");
  else {
    lines.push(`directory ${c.directory}`);
    lines.push(c.lastBatchTime === undefined ? "no checkpoint written yet" : `last checkpoint: batch ${formatBatchTime(c.lastBatchTime)}, ${formatBytes(c.lastBytes)}, ${formatCount(c.written)} written`);
    lines.push(c.walEnabled ? `write-ahead log: ${formatBytes(c.walBytes ?? 0)}` : "write-ahead log: off");
  }
  const r = c.restoredFrom;
  lines.push(r ? `restored from ${r.file} (batch ${formatBatchTime(r.checkpointTime)}); ${formatCount(r.replayedBatches)} batches replayed` : "not restored: started fresh");
  return lines;
}

/** The timelines chart's bundle: Vega-Lite (live in JupyterLab), its SVG, a text line. */
export async function timelinesBundle(s: UiState): Promise<MimeBundle> {
  const spec = dashboardTimelinesSpec(s);
  const { svg } = await renderSvg(spec);
  return { "text/plain": `Timelines of the last ${s.completed.length} batches: input rate, scheduling delay, processing time (batch interval ${formatDuration(s.app.batchDuration)} drawn), total delay`, "image/svg+xml": svg, [VEGA_LITE_MIME]: spec };
}

/** One context's dashboard model, shared by its dashboards; `watchers` redraw on each change. */
interface SharedModel {
  model: StreamingUiModel;
  watchers: Set<() => void>;
}

const models = new WeakMap<StreamingContext, SharedModel>();

/**
 * The model `ssc`'s dashboards read, made (and listening) on first use. The kernel calls it as
 * each context is created, so a dashboard made in a later cell shows every batch since start,
 * the restore and the outputs stopped before it was made.
 */
export function dashboardModel(ssc: StreamingContext): SharedModel {
  let shared = models.get(ssc);
  if (!shared) {
    const model = new StreamingUiModel(ssc);
    const watchers = new Set<() => void>();
    // The dashboard reads the whole state each redraw; the deltas are the web page's concern.
    model.onChange = () => { model.takeUpdate(); for (const w of watchers) w(); };
    ssc.addStreamingListener(model);
    shared = { model, watchers };
    models.set(ssc, shared);
  }
  return shared;
}

StreamingContext.prototype.dashboard = function (this: StreamingContext, options: DashboardOptions = {}): void {
  const history = Math.max(1, Math.floor(options.history ?? 100));
  const rows = options.rows ?? 10;
  const { model, watchers } = dashboardModel(this);
  const view = (): DashboardModel => {
    const st = model.state;
    return { state: { ...st, completed: st.completed.slice(-history) }, now: this.clock.getTimeMillis(), url: this.uiWebUrl() };
  };
  const initial = view();
  let redraw: () => void;
  if (!inNotebook()) {
    // Text on stdout: once per completed batch and receiver change, as before, not per event.
    const text = createLiveOutput(textBundle(initial, rows));
    redraw = () => { const m = view(); text.update(() => textBundle(m, rows)); };
  } else {
    const summary = createLiveOutput(summaryBundle(initial));
    const chart = createLiveOutput({ "text/plain": "Timelines: waiting for the first batch" });
    const tables = createLiveOutput(tablesBundle(initial, rows));
    let charted = -1;
    let linked = false;
    redraw = () => {
      const m = view();
      summary.update(() => summaryBundle(m));
      tables.update(() => tablesBundle(m, rows));
      if (m.state.totalCompleted !== charted) {
        charted = m.state.totalCompleted;
        chart.update(() => timelinesBundle(m.state));
      }
      // The page binds a few ms after start: show its link once it listens.
      const ui = webUiOf(this);
      if (!m.url && ui && !linked) {
        linked = true;
        void ui.ready.then(() => { const again = view(); summary.update(() => summaryBundle(again)); });
      }
    };
    // Active batches and outputs change between batches too: every change redraws (coalesced by the display).
    watchers.add(redraw);
    return;
  }
  const onReceiver = () => redraw();
  this.addStreamingListener({
    onStreamingStarted: () => redraw(),
    onReceiverStarted: onReceiver,
    onReceiverError: onReceiver,
    onReceiverStopped: onReceiver,
    onBatchCompleted: () => redraw(),
  });
};

/** Outside a notebook: the summary and the tables as one text. */
function textBundle(m: DashboardModel, rows: number): MimeBundle {
  return { "text/plain": `${summaryBundle(m)["text/plain"]}\n${tablesBundle(m, rows)["text/plain"]}` };
}
