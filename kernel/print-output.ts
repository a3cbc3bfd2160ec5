import { DStream } from "../engine/dstream/dstream";
// The engine's print() must be defined before installPrint wraps it.
import "../engine/dstream/print";
import type { PrintSink } from "../engine/output-hooks";
import type { OutputHandle } from "../engine/scheduler/output-operation";
import { cellLabel, currentCell } from "./cells";
import { bindView } from "./output-registry";
import { OutputView, withNotes } from "./output-view";

/** How many batches one print() output keeps on screen by default: the latest ones, not an endless scroll. */
export const PRINT_HISTORY = 3;
/** At most this many batches are kept, whatever `history` asks. */
export const MAX_PRINT_HISTORY = 100;

/** Options of `print(num, options)` in a notebook (outside one, print is exactly Spark's). */
export interface PrintOptions {
  /** How many batches stay on screen (default 3, at most 100). */
  history?: number;
  /**
   * Empty batches: "show" them as Spark does (default), "skip" them, or "collapse" each run of
   * them into one line (`… 5 empty batches, 1513517146000 ms to 1513517150000 ms …`), so a line
   * typed into a line server stays on screen behind the empty batches that follow it.
   */
  empty?: "show" | "skip" | "collapse";
}

declare module "../engine/dstream/dstream" {
  interface DStream<T> {
    /**
     * In a notebook: one live text output under the cell, Spark's exact text of the latest
     * `options.history` batches (default 3); `options.empty` skips or collapses empty batches.
     * @example lines.print(10, { history: 10, empty: "collapse" })
     */
    print(num: number, options: PrintOptions): OutputHandle;
  }
}

const EMPTY_BATCH = /^-+\nTime: \d+ ms\n-+\n\n$/;

interface Shown { text: string; empty: boolean; count: number; first: number; last: number }

/** The text of the kept batches: Spark's text, runs of empty batches collapsed when asked. */
export function printText(shown: Shown[]): string {
  return shown.map((s) => (s.empty && s.count > 1 ? `… ${s.count} empty batches, ${s.first} ms to ${s.last} ms …\n\n` : s.text)).join("");
}

/** The state of one print() output: adds each batch's text, keeps the latest `history`. */
export function printBuffer(options: PrintOptions = {}): { add(text: string, time: number): boolean; text(): string } {
  const history = Math.min(Math.max(1, Math.floor(options.history ?? PRINT_HISTORY)), MAX_PRINT_HISTORY);
  const mode = options.empty ?? "show";
  const shown: Shown[] = [];
  return {
    /** Adds a batch; false when nothing changed (a skipped empty batch). */
    add(text, time) {
      const empty = EMPTY_BATCH.test(text);
      if (empty && mode === "skip") return false;
      const last = shown[shown.length - 1];
      if (empty && mode === "collapse" && last?.empty) {
        last.count++;
        last.last = time;
        return true;
      }
      shown.push({ text, empty, count: 1, first: time, last: time });
      if (shown.length > history) shown.shift();
      return true;
    },
    text: () => printText(shown),
  };
}

let pendingOptions: PrintOptions | undefined;

/**
 * print() in a notebook (outputHooks.createPrintSink): one live text output under the defining
 * cell showing Spark's exact text of the latest batches (Spark's console keeps scrolling instead).
 */
export function createPrintOutput(stream: DStream<unknown>, _num: number): PrintSink {
  const cell = currentCell();
  const title = cell ? `print of ${stream.operation} · ${cellLabel(cell)}` : `print of ${stream}`;
  const buffer = printBuffer(pendingOptions);
  let view: OutputView | undefined;
  const ensureView = () => (view ??= OutputView.create(title, { "text/plain": "" }));
  // The display is made by the print() wrapper once the output was defined (see installPrint),
  // or at the first batch when print was defined some other way.
  const sink: PrintSink = (text, time) => {
    if (!buffer.add(text, time)) return;
    const shown = buffer.text();
    ensureView().show((notes) => withNotes({ "text/plain": shown }, notes));
  };
  (sink as { view?: () => OutputView }).view = ensureView;
  lastSink = sink;
  return sink;
}

let lastSink: PrintSink | undefined;

/** Wraps print() so that `print(num, options)` works in a notebook and its view is bound to its output. */
export function installPrint(): void {
  const enginePrint = DStream.prototype.print as (this: DStream<unknown>, num?: number) => OutputHandle;
  DStream.prototype.print = function (this: DStream<unknown>, num?: number, options?: PrintOptions): OutputHandle {
    pendingOptions = options;
    lastSink = undefined;
    try {
      const handle = enginePrint.call(this, num);
      const view = (lastSink as { view?: () => OutputView } | undefined)?.view?.();
      if (view) bindView(handle.owner, handle.id, view);
      return handle;
    } finally {
      pendingOptions = undefined;
      lastSink = undefined;
    }
  } as typeof DStream.prototype.print;
}
