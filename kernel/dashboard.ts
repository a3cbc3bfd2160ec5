import { BatchInfo } from "../engine/scheduler/batch-info";
import { ReceiverInfo } from "../engine/scheduler/listener";
import { StreamingContext } from "../engine/streaming-context";
import { escapeHtml, htmlTable, textTable } from "./html";
import { createLiveOutput, MimeBundle } from "./live-output";

declare module "../engine/streaming-context" {
  interface StreamingContext {
    /**
     * Spark's "Streaming Statistics" as a live output under the cell that calls it: input rate,
     * scheduling delay, processing time and total delay over the recent batches, the receivers and
     * their last errors, and the table of recent batches, redrawn after every batch. Call it
     * before or after start(). Outside a notebook it prints the statistics as text.
     * @example ssc.dashboard()
     */
    dashboard(options?: DashboardOptions): void;
  }
}

/** Options of `ssc.dashboard(...)`. */
export interface DashboardOptions {
  /** Batches the averages are taken over (Spark's UI keeps 1000; default 100). */
  history?: number;
  /** Rows of the recent-batches table. Default 10. */
  rows?: number;
}

/** What the dashboard shows: the context, its receivers and its recent completed batches (oldest first). */
export interface DashboardModel {
  appName: string;
  batchDuration: number;
  startTime: number | undefined;
  now: number;
  totalCompleted: number;
  batches: BatchInfo[];
  receivers: ReceiverInfo[];
}

const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const ms = (x: number | undefined) => (x === undefined ? "-" : `${Math.round(x)} ms`);

/** The averages Spark's page shows; undefined before the first completed batch. */
export function dashboardStats(m: DashboardModel) {
  const records = m.batches.reduce((n, b) => n + b.numRecords, 0);
  return {
    inputRate: m.batches.length ? records / ((m.batches.length * m.batchDuration) / 1000) : undefined,
    schedulingDelay: avg(m.batches.map((b) => b.schedulingDelay ?? 0)),
    processingTime: avg(m.batches.map((b) => b.processingDelay ?? 0)),
    totalDelay: avg(m.batches.map((b) => b.totalDelay ?? 0)),
  };
}

/** The dashboard as HTML and text. */
export function dashboardBundle(m: DashboardModel, rows: number): MimeBundle {
  const s = dashboardStats(m);
  const uptime = m.startTime === undefined ? "not started" : `running for ${Math.round((m.now - m.startTime) / 1000)} s`;
  const head = `Streaming Statistics · ${m.appName} · batch interval ${m.batchDuration} ms · ${uptime} · ${m.totalCompleted} completed batches`;
  const over = `averages over the last ${m.batches.length} batches`;
  const stats: Array<[string, string]> = [
    ["Input rate", s.inputRate === undefined ? "-" : `${s.inputRate.toFixed(2)} records/sec`],
    ["Scheduling delay", ms(s.schedulingDelay)],
    ["Processing time", ms(s.processingTime)],
    ["Total delay", ms(s.totalDelay)],
  ];
  const recvCols = ["Receiver", "Status", "Last error"];
  const recvRows = m.receivers.map((r) => [r.name, r.active ? "ACTIVE" : "INACTIVE", r.lastErrorMessage ? `${r.lastErrorMessage} (${r.lastErrorTime} ms)` : "-"]);
  const batchCols = ["Batch time", "Input size", "Scheduling delay", "Processing time", "Total delay", "Output ops: succeeded/total"];
  const batchRows = m.batches.slice(-rows).reverse().map((b) => {
    const ops = [...b.outputOperationInfos.values()];
    const failed = ops.filter((o) => o.failureReason !== undefined);
    return [`${b.batchTime} ms`, `${b.numRecords} records`, ms(b.schedulingDelay), ms(b.processingDelay), ms(b.totalDelay),
      `${ops.length - failed.length}/${ops.length}${failed.length ? ` (failed: ${failed.map((o) => o.name).join(", ")})` : ""}`];
  });
  const text = [
    head,
    ...stats.map(([k, v]) => `${k}: ${v}`).map((l) => `  ${l}`),
    `  (${over})`,
    ...(recvRows.length ? ["Receivers", textTable(recvCols, recvRows)] : []),
    "Completed batches (latest first)",
    batchRows.length ? textTable(batchCols, batchRows) : "(none yet)",
  ].join("\n");
  const html = `<div class="streamlab-dashboard"><div><b>${escapeHtml(head)}</b></div>` +
    htmlTable(["Statistic", `Value (${over})`], stats.map(([k, v]) => [k, v])) +
    (recvRows.length ? `<div>Receivers</div>${htmlTable(recvCols, recvRows)}` : "") +
    `<div>Completed batches (latest first)</div>${batchRows.length ? htmlTable(batchCols, batchRows) : "<i>(none yet)</i>"}</div>`;
  return { "text/plain": text, "text/html": html };
}

StreamingContext.prototype.dashboard = function (this: StreamingContext, options: DashboardOptions = {}): void {
  const history = options.history ?? 100;
  const rows = options.rows ?? 10;
  const batches: BatchInfo[] = [];
  const receivers = new Map<number, ReceiverInfo>();
  let totalCompleted = 0;
  const model = (): DashboardModel => ({
    appName: this.appName, batchDuration: this.batchDuration, startTime: this.startTime, now: this.clock.getTimeMillis(),
    totalCompleted, batches: batches.slice(), receivers: [...receivers.values()],
  });
  const output = createLiveOutput(dashboardBundle(model(), rows));
  const redraw = () => { const m = model(); output.update(() => dashboardBundle(m, rows)); };
  const onReceiver = ({ receiverInfo }: { receiverInfo: ReceiverInfo }) => { receivers.set(receiverInfo.streamId, { ...receiverInfo }); redraw(); };
  this.addStreamingListener({
    onStreamingStarted: redraw,
    onReceiverStarted: onReceiver,
    onReceiverError: onReceiver,
    onReceiverStopped: onReceiver,
    onBatchCompleted: ({ batchInfo }) => {
      totalCompleted++;
      batches.push(batchInfo);
      if (batches.length > history) batches.shift();
      redraw();
    },
  });
};
