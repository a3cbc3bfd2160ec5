import { DStream } from "../engine/dstream/dstream";
import { RDD } from "../engine/rdd/rdd";
import { Time } from "../engine/time/time";
import { escapeHtml, htmlTable, textTable } from "./html";
import { BundleRenderer, createLiveOutput, LiveOutput, MimeBundle } from "./live-output";
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
     * text). Outside a notebook it prints the table as text every batch.
     * @example totals.display({ title: "Word totals", sortBy: "value", top: 10 })
     */
    display(options?: DisplayOptions): void;
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

/** A failed batch, shown in the output it belongs to; the stream goes on. */
export function errorBundle(title: string, time: number, error: unknown): MimeBundle {
  const message = typeof error === "string" ? error : (error as Error)?.stack ?? String(error);
  const head = `${title ? title + " · " : ""}Time: ${time} ms · the batch failed`;
  return {
    "text/plain": `${head}\n${message}`,
    "text/html": `<div class="streamlab-display"><div>${escapeHtml(head)}</div><pre style="color:#b00">${escapeHtml(message)}</pre></div>`,
  };
}

/** Placeholder until the first batch. */
export function waitingBundle(title: string): MimeBundle {
  const text = `${title} · waiting for the first batch`;
  return { "text/plain": text, "text/html": `<div class="streamlab-display"><i>${escapeHtml(text)}</i></div>` };
}

/**
 * Registers a foreachRDD output that calls `onBatch(elements, time)` on every batch and redraws
 * `output` with the renderer it returns (rendering is lazy: coalesced updates skip it). A failing
 * batch is drawn as an error in the same output; as in Spark the stream goes on, and listeners
 * and awaitTermination see the error.
 */
export function liveForeach<T>(stream: DStream<T>, output: LiveOutput, title: string, onBatch: (elements: T[], time: number) => BundleRenderer): void {
  stream.foreachRDD((rdd: RDD<T>, time: Time) => {
    output.update(onBatch(rdd.collect(), time.milliseconds));
  });
  // The batch's computation may fail before our function runs (in an operator upstream): the
  // scheduler reports that as this output operation's failure.
  const outputOpId = stream.ssc.graph.outputStreams.length - 1;
  stream.ssc.addStreamingListener({
    onOutputOperationCompleted: ({ outputOperationInfo: op }) => {
      if (op.id === outputOpId && op.failureReason !== undefined) output.update(() => errorBundle(title, op.batchTime, op.failureReason));
    },
  });
}

DStream.prototype.display = function <T>(this: DStream<T>, options: DisplayOptions = {}): void {
  const output = createLiveOutput(waitingBundle(options.title ?? `display of ${this}`));
  liveForeach(this, output, options.title ?? "", (elements, time) => () => tableBundle(tableModel(elements, time, options)));
};
