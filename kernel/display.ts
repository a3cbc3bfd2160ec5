import { DStream } from "../engine/dstream/dstream";
import { RDD } from "../engine/rdd/rdd";
import { Time } from "../engine/time/time";
import { escapeHtml, htmlTable, textTable } from "./html";
import { withOperation } from "../engine/ownership";
import type { OutputHandle } from "../engine/scheduler/output-operation";
import { cellLabel, currentCell } from "./cells";
import { MimeBundle } from "./live-output";
import { bindView, watchOutputs } from "./output-registry";
import { NotedRenderer, OutputView, withNotes } from "./output-view";
import { cellText, columnsOf, Row, selectRows, toRow } from "./table-model";

/** Options of `dstream.display(...)`. */
export interface DisplayOptions {
  /** A heading above the table. */
  title?: string;
  /** The column to sort by: `"key"` or `"value"` for pairs, a field name for objects. Default: arrival order. */
  sortBy?: string;
  /** Sort ascending instead of descending (only with sortBy). Default false. */
  ascending?: boolean;
  /** How many rows to show. Default 20. */
  top?: number;
}

declare module "../engine/dstream/dstream" {
  interface DStream<T> {
    /**
     * A live table under the notebook cell that calls it, redrawn in place every batch: the batch
     * time, its record count and its first `top` rows (sorted with `sortBy`). Pairs show as
     * key/value columns, objects as their fields. Saved notebooks keep the last table (HTML and
     * text). Outside a notebook it prints the table as text every batch. The title defaults to
     * the stream's operation and cell (`reduceByKey · cell [4]`). A failing batch shows its error
     * once in the table's place, then how many batches failed since when. Returns the output's
     * handle: `.stop()` removes it.
     * @example totals.display({ title: "Word totals", sortBy: "value", top: 10 })
     */
    display(options?: DisplayOptions): OutputHandle;
  }
}

/** One batch as a table: what display() draws. */
export interface TableModel {
  title: string;
  time: number;
  count: number;
  columns: string[];
  rows: Row[];
  note: string;
}

/** Builds the table of one batch. */
export function tableModel(elements: unknown[], time: number, options: DisplayOptions): TableModel {
  const top = options.top ?? 20;
  const rows = selectRows(elements.map(toRow), options.sortBy, options.ascending ?? false, top);
  const order = options.sortBy ? ` by ${options.sortBy}${options.ascending ? " ascending" : ""}` : "";
  const note = elements.length > top ? `showing the first ${top}${order}` : "";
  return { title: options.title ?? "", time, count: elements.length, columns: columnsOf(rows), rows, note };
}

function heading(m: { title: string; time: number; count: number; note: string }): string[] {
  const parts = [`Time: ${m.time} ms`, `${m.count} ${m.count === 1 ? "record" : "records"}`];
  if (m.note) parts.push(m.note);
  return m.title ? [m.title, ...parts] : parts;
}

/** The table as a MIME bundle: HTML plus the same table as text. */
export function tableBundle(m: TableModel): MimeBundle {
  const cells = m.rows.map((r) => m.columns.map((c) => cellText(r[c])));
  const numeric = m.columns.map((c) => m.rows.length > 0 && m.rows.every((r) => typeof r[c] === "number"));
  const head = heading(m);
  const text = m.rows.length ? `${head.join(" · ")}\n${textTable(m.columns, cells)}` : `${head.join(" · ")}\n(empty batch)`;
  const html = `<div class="streamlab-display"><div>${head.map((h, i) => (i === 0 && m.title ? `<b>${escapeHtml(h)}</b>` : escapeHtml(h))).join(" · ")}</div>` +
    (m.rows.length ? htmlTable(m.columns, cells, numeric) : "<div><i>(empty batch)</i></div>") + "</div>";
  return { "text/plain": text, "text/html": html };
}

/** Placeholder until the first batch. */
export function waitingBundle(title: string): MimeBundle {
  const text = `${title} · waiting for the first batch`;
  return { "text/plain": text, "text/html": `<div class="streamlab-display"><i>${escapeHtml(text)}</i></div>` };
}

/** The default title of an output of `stream`: the operation that made it and the cell, e.g. `reduceByKey · cell [4]`. */
export function defaultTitle(stream: DStream<unknown>): string | undefined {
  const cell = currentCell();
  return cell ? `${stream.operation} · ${cellLabel(cell)}` : undefined;
}

/**
 * Registers a foreachRDD output that calls `onBatch(elements, time)` on every batch and shows what
 * it returns in a live view (rendering is lazy: coalesced updates skip it). The view's display is
 * made only once the output was defined without error, so a failed definition leaves no
 * placeholder behind. A failing batch is shown in the same view (the first error in full, then a
 * running count); as in Spark the stream goes on, and listeners and awaitTermination see the error.
 */
export function liveForeach<T>(stream: DStream<T>, operation: string, title: string | undefined, onBatch: (elements: T[], time: number) => NotedRenderer): OutputHandle {
  let view: OutputView | undefined;
  const handle = withOperation(operation, () => stream.foreachRDD((rdd: RDD<T>, time: Time) => {
    view?.show(onBatch(rdd.collect(), time.milliseconds));
  }));
  const name = title ?? `${operation} of ${stream}`;
  view = OutputView.create(name, waitingBundle(name));
  bindView(handle.owner, handle.id, view);
  watchOutputs(stream.ssc);
  return handle;
}

DStream.prototype.display = function <T>(this: DStream<T>, options: DisplayOptions = {}): OutputHandle {
  const title = options.title ?? defaultTitle(this as DStream<unknown>);
  return liveForeach(this, "display", title, (elements, time) => (notes) => withNotes(tableBundle(tableModel(elements, time, { ...options, title: title ?? "" })), notes));
};
