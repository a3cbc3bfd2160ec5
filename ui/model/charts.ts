/**
 * The Vega-Lite specs of the Streaming page and the notebook dashboard: Spark's four timelines
 * and histograms (input rate, scheduling delay, processing time with the batch interval drawn,
 * total delay), input rate per input stream, backpressure and memory. Shared by Node and the
 * browser: no imports but types. The page compiles them to Vega once (server side) and feeds
 * rows to the named data sets; the notebook inlines the rows.
 */
import { BatchRow, processingTime, schedulingDelay, totalDelay, UiState } from "./ui-state";

type Spec = Record<string, unknown>;

/** Spark's four metrics, with Spark's titles. */
export const METRICS = [
  { key: "inputRate", title: "Input Rate", unit: "records/sec" },
  { key: "schedulingDelay", title: "Scheduling Delay", unit: "ms" },
  { key: "processingTime", title: "Processing Time", unit: "ms" },
  { key: "totalDelay", title: "Total Delay", unit: "ms" },
] as const;
export type MetricKey = (typeof METRICS)[number]["key"];

/** One completed batch on the timelines. */
export interface TimelineRow { time: number; inputRate: number; schedulingDelay: number | null; processingTime: number | null; totalDelay: number | null }

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** The named data set every page chart reads (the page replaces its rows on each update). */
export const DATA_NAME = "rows";
/** Milliseconds on an axis in human units. */
const MS_LABEL = "datum.value >= 3600000 ? format(datum.value / 3600000, '.1f') + ' h' : datum.value >= 60000 ? format(datum.value / 60000, '.1f') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, '.1f') + ' s' : datum.value + ' ms'";
const TIME_AXIS = { title: null, format: "%H:%M:%S", labelOverlap: true, tickCount: 5 };

/** The rows of the timelines: one per completed batch, oldest first. */
export function timelineRows(s: UiState): TimelineRow[] {
  const perSecond = 1000 / s.app.batchDuration;
  return s.completed.map((b: BatchRow) => ({
    time: b.batchTime,
    inputRate: b.numRecords * perSecond,
    schedulingDelay: schedulingDelay(b) ?? null,
    processingTime: processingTime(b) ?? null,
    totalDelay: totalDelay(b) ?? null,
  }));
}

/** Where a chart's rows come from: a named set (page) or inline values (notebook). */
export type ChartData = { name: string } | { values: unknown[] };
const named: ChartData = { name: DATA_NAME };

function yAxis(unit: string): Spec {
  return unit === "ms" ? { title: null, labelExpr: MS_LABEL } : { title: unit };
}

/** Spark's timeline of one metric over batch time; processing time has the batch interval drawn. */
export function timelineSpec(metric: MetricKey, batchDuration: number, data: ChartData = named, size = { width: 460, height: 130 }): Spec {
  const m = METRICS.find((x) => x.key === metric) as (typeof METRICS)[number];
  const x = { field: "time", type: "temporal", axis: TIME_AXIS };
  const y = { field: metric, type: "quantitative", axis: yAxis(m.unit) };
  // A line over every batch and a dot on the latest one: a dot per batch costs the browser a
  // mark each, a thousand per chart with Spark's retained batches.
  const line: Spec = { mark: { type: "line", interpolate: "linear", strokeWidth: 1.5 }, encoding: { x, y } };
  const latest: Spec = {
    transform: [{ joinaggregate: [{ op: "max", field: "time", as: "latestTime" }] }, { filter: "datum.time === datum.latestTime" }],
    mark: { type: "point", filled: true, size: 40 },
    encoding: { x, y, tooltip: [{ field: "time", type: "temporal", format: "%Y/%m/%d %H:%M:%S.%L", title: "latest batch" }, { field: metric, type: "quantitative", title: m.unit }] },
  };
  const layers: Spec[] = [line, latest];
  if (metric === "processingTime") {
    // One mark each (own one-row data), not one per batch.
    const one = { values: [{}] };
    layers.push({ data: one, mark: { type: "rule", color: "#d62728", strokeDash: [5, 4] }, encoding: { y: { datum: batchDuration } } });
    layers.push({ data: one, mark: { type: "text", align: "left", dx: 3, dy: -6, color: "#d62728", fontSize: 10 }, encoding: { x: { value: 0 }, y: { datum: batchDuration }, text: { value: "batch interval" } } });
  }
  return { $schema: SCHEMA, ...size, data, layer: layers };
}

/** Spark's histogram of one metric (horizontal bars: how many batches fell in each bin). */
export function histogramSpec(metric: MetricKey, data: ChartData = named, size = { width: 200, height: 130 }): Spec {
  const m = METRICS.find((x) => x.key === metric) as (typeof METRICS)[number];
  return {
    $schema: SCHEMA, ...size, data,
    transform: [{ filter: `isValid(datum.${metric})` }],
    mark: { type: "bar", color: "#4c78a8" },
    encoding: {
      y: { field: metric, bin: { maxbins: 20 }, type: "quantitative", axis: yAxis(m.unit) },
      x: { aggregate: "count", type: "quantitative", title: "#batches", axis: { tickMinStep: 1, labelExpr: "datum.value % 1 ? '' : datum.label" } },
    },
  };
}

/** Rows of the input rate per input stream: one per stream and batch. */
export function inputStreamRows(s: UiState): Array<{ time: number; stream: string; rate: number }> {
  const perSecond = 1000 / s.app.batchDuration;
  const names = new Map(s.graph.filter((n) => n.input).map((n) => [n.id, streamName(s, n.id)]));
  const out: Array<{ time: number; stream: string; rate: number }> = [];
  for (const b of s.completed) for (const [id, n] of Object.entries(b.inputs)) out.push({ time: b.batchTime, stream: names.get(Number(id)) ?? `stream ${id}`, rate: n * perSecond });
  return out;
}

/** An input stream's name: its receiver's (`SocketReceiver-0`), else its operator and id. */
export function streamName(s: UiState, id: number): string {
  const r = s.receivers.find((x) => x.streamId === id);
  if (r) return r.name;
  const n = s.graph.find((x) => x.id === id);
  return n ? `${n.kind}-${id}` : `stream ${id}`;
}

/** Input rate per input stream, one line each. */
export function inputStreamsSpec(data: ChartData = named, size = { width: 460, height: 110 }): Spec {
  return {
    $schema: SCHEMA, ...size, data,
    mark: { type: "line", point: { size: 10 } },
    encoding: {
      x: { field: "time", type: "temporal", axis: TIME_AXIS },
      y: { field: "rate", type: "quantitative", title: "records/sec" },
      color: { field: "stream", type: "nominal", legend: { orient: "bottom", title: null } },
    },
  };
}

/** Rows of backpressure: the rate limit set and the rate received, per input stream. */
export function backpressureRows(s: UiState): Array<{ time: number; series: string; rate: number }> {
  const out: Array<{ time: number; series: string; rate: number }> = [];
  const limited = new Set(s.rates.map((r) => r.streamId));
  for (const r of s.rates) out.push({ time: r.time, series: `${streamName(s, r.streamId)} rate limit`, rate: r.rate });
  const perSecond = 1000 / s.app.batchDuration;
  for (const b of s.completed) {
    for (const [id, n] of Object.entries(b.inputs)) {
      if (limited.has(Number(id))) out.push({ time: b.processingEndTime ?? b.batchTime, series: `${streamName(s, Number(id))} received`, rate: n * perSecond });
    }
  }
  return out;
}

/** Backpressure: the rate limit against the received rate. */
export function backpressureSpec(data: ChartData = named, size = { width: 460, height: 110 }): Spec {
  return {
    $schema: SCHEMA, ...size, data,
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "time", type: "temporal", axis: TIME_AXIS },
      y: { field: "rate", type: "quantitative", title: "records/sec" },
      color: { field: "series", type: "nominal", legend: { orient: "bottom", title: null } },
    },
  };
}

/** Rows of the process's memory, in MiB. */
export function memoryRows(s: UiState): Array<{ time: number; series: string; mib: number }> {
  const out: Array<{ time: number; series: string; mib: number }> = [];
  for (const p of s.memory) {
    out.push({ time: p.time, series: "rss", mib: p.rss / 1048576 });
    out.push({ time: p.time, series: "heap used", mib: p.heapUsed / 1048576 });
  }
  return out;
}

/** The process's memory over time. */
export function memorySpec(data: ChartData = named, size = { width: 460, height: 110 }): Spec {
  return {
    $schema: SCHEMA, ...size, data,
    mark: { type: "line" },
    encoding: {
      x: { field: "time", type: "temporal", axis: TIME_AXIS },
      y: { field: "mib", type: "quantitative", title: "MiB" },
      color: { field: "series", type: "nominal", legend: { orient: "bottom", title: null } },
    },
  };
}

/** The notebook dashboard's chart: the four timelines, stacked, rows inline. */
export function dashboardTimelinesSpec(s: UiState): Spec {
  const values = timelineRows(s);
  const size = { width: 420, height: 90 };
  const charts = METRICS.map((m) => {
    const t = timelineSpec(m.key, s.app.batchDuration, { values }, size);
    delete t.$schema;
    delete t.data;
    return { ...t, title: { text: m.title, anchor: "start", fontSize: 12 } };
  });
  return { $schema: SCHEMA, data: { values }, vconcat: charts, spacing: 12 };
}
