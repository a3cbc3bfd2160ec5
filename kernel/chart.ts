import { DStream } from "../engine/dstream/dstream";
import { ChartOptions, ChartPlan, batchRows, chartRows, chartSpec, normalizeChart } from "./chart-spec";
import { liveForeach, waitingBundle } from "./display";
import { createLiveOutput, MimeBundle } from "./live-output";
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
     * coalesced and at most 5000 rows are sent. Outside a notebook it prints the summary.
     * @example totals.chart({ mark: "bar", x: "key", y: "value", top: 10 })
     */
    chart(spec?: ChartOptions | Record<string, unknown>): void;
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
export async function chartBundle(plan: ChartPlan, batches: Row[][], time: number, count: number): Promise<MimeBundle> {
  const rows = chartRows(plan, batches);
  const spec: VegaLiteSpec = chartSpec(plan, rows);
  const { svg, warnings } = await renderSvg(spec);
  const text = chartSummary(plan, rows, time, count) + warnings.map((w) => `\nwarning: ${w}`).join("");
  return { "text/plain": text, "image/svg+xml": svg, [VEGA_LITE_MIME]: spec };
}

DStream.prototype.chart = function <T>(this: DStream<T>, options: ChartOptions | Record<string, unknown> = {}): void {
  const plan = normalizeChart(options);
  const title = (plan.kind === "options" && plan.title) || `chart of ${this}`;
  const output = createLiveOutput(waitingBundle(title));
  const batches: Row[][] = [];
  liveForeach(this, output, title, (elements, time) => {
    batches.push(batchRows(elements, time));
    if (batches.length > plan.history) batches.shift();
    const retained = batches.slice();
    return () => chartBundle(plan, retained, time, elements.length);
  });
};
