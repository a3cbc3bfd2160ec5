/**
 * chart() compiles in phases, each a pure function tested on its own:
 *
 *   options ─► normalizeChart ─► ChartPlan ─► (per batch) chartRows ─► chartSpec ─► MIME bundle
 *                                                                  (Vega-Lite JSON, SVG, text)
 */
import { Row, toRow } from "./table-model";
import { VEGA_LITE_SCHEMA, VegaLiteSpec } from "./vega-render";

/** Short options of `dstream.chart(...)`. */
export interface ChartOptions {
  /** The mark: "bar" (default), or "line" (default with history), "point", "area", "tick", "circle", "square". */
  mark?: "bar" | "line" | "point" | "area" | "tick" | "circle" | "square";
  /** The field on x: "key" for pairs by default, "time" (the batch time) with history. */
  x?: string;
  /** The field on y: "value" by default. */
  y?: string;
  /** A field that colors the marks; "key" by default with history of pairs. */
  color?: string;
  /** Show only the `top` rows with the largest y (with history: the `top` keys of the latest batch). */
  top?: number;
  /** A time series: keep the rows of the last `history` batches, each with the field "time". */
  history?: number;
  /** The chart's title. */
  title?: string;
  width?: number;
  height?: number;
}

/** At most this many rows are sent per update, however long the history: updates re-embed the chart. */
export const MAX_CHART_ROWS = 5000;
/** History is capped at this many batches. */
export const MAX_HISTORY = 1000;

/** A normalized chart: either short options with every default filled, or a user's full spec. */
export type ChartPlan =
  | { kind: "options"; mark: string; x: string; y: string; color?: string; top?: number; history: number; title?: string; width?: number; height?: number }
  | { kind: "spec"; spec: VegaLiteSpec; history: number };

const SPEC_KEYS = ["$schema", "encoding", "layer", "facet", "repeat", "concat", "hconcat", "vconcat", "transform"];

/** True for a full Vega-Lite spec rather than short options. */
export function isFullSpec(o: object): boolean {
  return SPEC_KEYS.some((k) => k in o) || typeof (o as { mark?: unknown }).mark === "object";
}

/** Fills the defaults of short options, or keeps a full spec. */
export function normalizeChart(o: ChartOptions | VegaLiteSpec = {}): ChartPlan {
  if (isFullSpec(o)) return { kind: "spec", spec: o as VegaLiteSpec, history: 1 };
  const opts = o as ChartOptions;
  const history = Math.min(Math.max(1, Math.floor(opts.history ?? 1)), MAX_HISTORY);
  const series = opts.history !== undefined;
  return {
    kind: "options",
    mark: opts.mark ?? (series ? "line" : "bar"),
    x: opts.x ?? (series ? "time" : "key"),
    y: opts.y ?? "value",
    color: opts.color ?? (series && !opts.x ? "key" : undefined),
    top: opts.top,
    history,
    title: opts.title,
    width: opts.width,
    height: opts.height,
  };
}

/** How many batches a chart of plain numbers keeps by default: its line over batch time. */
export const NUMBER_SERIES_HISTORY = 60;

/**
 * A chart of a stream of plain numbers (`count()`, `reduce(...)`, `map((r) => r.price)`): with no
 * x and no history given, a line of the value over batch time, over the last 60 batches, instead
 * of one bar keyed `undefined`. `elements` is the first batch with data.
 */
export function adaptToNumbers(plan: ChartPlan, options: ChartOptions | VegaLiteSpec, elements: unknown[]): ChartPlan {
  const o = options as ChartOptions;
  if (plan.kind !== "options" || o.x !== undefined || o.history !== undefined || o.color !== undefined) return plan;
  if (elements.length === 0 || !elements.every((e) => typeof e === "number")) return plan;
  return { ...plan, mark: o.mark ?? "line", x: "time", history: NUMBER_SERIES_HISTORY };
}

/** The rows of one batch, each stamped with its batch time (field "time"). */
export function batchRows(elements: unknown[], time: number): Row[] {
  return elements.map((e) => ({ ...toRow(e), time }));
}

/**
 * The rows to chart from the retained batches (oldest first): `top` keeps the largest y of the
 * latest batch (and their series in the history), then the newest MAX_CHART_ROWS.
 */
export function chartRows(plan: ChartPlan, batches: Row[][]): Row[] {
  let rows = batches.flat();
  if (plan.kind === "options" && plan.top !== undefined) {
    const latest = [...(batches[batches.length - 1] ?? [])].sort((a, b) => Number(b[plan.y] ?? 0) - Number(a[plan.y] ?? 0)).slice(0, plan.top);
    if (plan.history > 1) {
      const series = plan.color ?? (plan.x === "time" ? "key" : plan.x);
      const keep = new Set(latest.map((r) => JSON.stringify(r[series])));
      rows = rows.filter((r) => keep.has(JSON.stringify(r[series])));
    } else {
      rows = latest;
    }
  }
  return rows.length > MAX_CHART_ROWS ? rows.slice(rows.length - MAX_CHART_ROWS) : rows;
}

function fieldType(field: string, rows: Row[]): "temporal" | "quantitative" | "nominal" {
  if (field === "time") return "temporal";
  const values = rows.map((r) => r[field]).filter((v) => v !== undefined && v !== null);
  return values.length > 0 && values.every((v) => typeof v === "number") ? "quantitative" : "nominal";
}

/** The Vega-Lite v5 spec of one update, data inline. A full spec gets `data: { values }` replaced. */
export function chartSpec(plan: ChartPlan, rows: Row[]): VegaLiteSpec {
  const values = rows.map(jsonRow);
  if (plan.kind === "spec") return { $schema: VEGA_LITE_SCHEMA, ...plan.spec, data: { values } };
  const encoding: Record<string, unknown> = {
    x: { field: plan.x, type: fieldType(plan.x, rows) },
    y: { field: plan.y, type: fieldType(plan.y, rows) },
  };
  if (plan.mark === "bar" && plan.x !== "time" && fieldType(plan.y, rows) === "quantitative") (encoding.x as Record<string, unknown>).sort = "-y";
  if (plan.color) encoding.color = { field: plan.color, type: fieldType(plan.color, rows) };
  const spec: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA, data: { values }, mark: plan.mark, encoding };
  if (plan.title) spec.title = plan.title;
  if (plan.width) spec.width = plan.width;
  if (plan.height) spec.height = plan.height;
  return spec;
}

// Vega-Lite data must be JSON: tuples and other values become their printed text.
function jsonRow(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] = v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? v : typeof v === "bigint" ? Number(v) : JSON.stringify(v);
  }
  return out;
}
