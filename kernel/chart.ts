import { DStream } from "../engine/dstream/dstream";
import { adaptToNumbers, ChartOptions, ChartPlan, batchRows, chartRows, chartSpec, normalizeChart } from "./chart-spec";
import type { OutputHandle } from "../engine/scheduler/output-operation";
import { defaultTitle, liveForeach } from "./display";
import { MimeBundle } from "./live-output";
import { Note } from "./output-view";
import { cellText, Row } from "./table-model";
import { renderSvg, VEGA_LITE_MIME, VegaLiteSpec } from "./vega-render";

declare module "../engine/dstream/dstream" {
  interface DStream<T> {
    /**
     * A live Vega-Lite chart under the notebook cell that calls it, redrawn every batch. Give short
     * options (`{ mark: "bar", x: "key", y: "value", top: 10 }`; `history: 30` for a time series
     * of the last 30 batches over the field "time"), or a full Vega-Lite v5 spec whose data is
     * replaced by each batch's rows (pairs as key/value, objects as their fields, plus "time").
     * Every update carries the Vega-Lite JSON, an SVG rendered in the kernel (so saved notebooks
     * and GitHub show the last state without JavaScript) and a text summary. Updates are
     * coalesced and at most 5000 rows are sent. A stream of plain numbers (`count()`) draws a line
     * of the value over batch time (the last 60 batches) unless x or history is given. Outside a
     * notebook it prints the summary. Returns the output's handle: `.stop()` removes it.
     * @example totals.chart({ mark: "bar", x: "key", y: "value", top: 10 })
     */
    chart(spec?: ChartOptions | Record<string, unknown>): OutputHandle;
  }
}

/** The text/plain of a chart: what it shows and its first rows. */
export function chartSummary(plan: ChartPlan, rows: Row[], time: number, count: number): string {
  const what = plan.kind === "spec" ? "Vega-Lite chart" : `${plan.mark} chart of ${plan.y} by ${plan.x}${plan.color ? ` and ${plan.color}` : ""}`;
  const title = plan.kind === "options" && plan.title ? `${plan.title} · ` : "";
  const head = `${title}Time: ${time} ms · ${count} ${count === 1 ? "record" : "records"} · ${what}, ${rows.length} ${rows.length === 1 ? "row" : "rows"}`;
  const shown = rows.slice(-10).map((r) => Object.entries(r).map(([k, v]) => `${k}=${cellText(v)}`).join(" "));
  return [head, ...shown, ...(rows.length > 10 ? ["..."] : [])].join("\n");
}

/** The MIME bundle of one update: Vega-Lite v5 JSON, its SVG, the text summary. */
export async function chartBundle(plan: ChartPlan, batches: Row[][], time: number, count: number, notes: Note[] = []): Promise<MimeBundle> {
  const rows = chartRows(plan, batches);
  const spec: VegaLiteSpec = withSubtitle(chartSpec(plan, rows), notes);
  const { svg, warnings } = await renderSvg(spec);
  const text = chartSummary(plan, rows, time, count) + warnings.map((w) => `\nwarning: ${w}`).join("") + notes.map((n) => `\n${n.text}`).join("");
  return { "text/plain": text, "image/svg+xml": svg, [VEGA_LITE_MIME]: spec };
}

/**
 * A chart shows its notes (an error, console lines, that it stopped) as its title's subtitle:
 * frontends draw the Vega-Lite JSON (or the SVG) and never the text beside it.
 */
export function withSubtitle(spec: VegaLiteSpec, notes: Note[]): VegaLiteSpec {
  if (notes.length === 0) return spec;
  const lines = notes.flatMap((n) => n.text.split("\n")).slice(-12);
  const title = spec.title;
  const text = typeof title === "string" ? title : typeof title === "object" && title !== null ? (title as { text?: unknown }).text ?? "" : "";
  const color = notes.some((n) => n.kind === "error") ? "#b00" : "#555";
  return { ...spec, title: { text, subtitle: lines, subtitleColor: color, anchor: "start" } };
}

DStream.prototype.chart = function <T>(this: DStream<T>, options: ChartOptions | Record<string, unknown> = {}): OutputHandle {
  let plan = normalizeChart(options);
  let adapted = false;
  const title = (plan.kind === "options" && plan.title) || defaultTitle(this as DStream<unknown>);
  const batches: Row[][] = [];
  return liveForeach(this, "chart", title, (elements, time) => {
    if (!adapted && elements.length > 0) {
      adapted = true;
      plan = adaptToNumbers(plan, options, elements);
    }
    batches.push(batchRows(elements, time));
    if (batches.length > plan.history) batches.shift();
    const retained = batches.slice();
    return (notes) => chartBundle(plan, retained, time, elements.length, notes);
  });
};
