import type { OutputFailure } from "../engine/scheduler/output-operation";
import { escapeHtml } from "./html";
import type { CellRun } from "./cells";
import { createLiveOutput, LiveOutput, MimeBundle } from "./live-output";
import { readableError } from "./error-text";

/**
 * One output operation's place under its cell: what its latest batch shows, plus what else its
 * batches produced, so nothing of it lands under an unrelated cell:
 * - its failure: the first error in full (code, message, the user's function, its cell and line;
 *   the whole stack folded), then one running summary line, never one line per batch;
 * - what the user's functions wrote to the console while its batches ran (the latest lines);
 * - the engine's warnings about it;
 * - that it stopped, and why.
 */

/** A note shown below an output's content. */
export interface Note { text: string; html: string; kind: "error" | "stopped" | "console" }

/** Draws an output's content with its notes (a chart puts them in its title, a table below it). */
export type NotedRenderer = (notes: Note[]) => MimeBundle | Promise<MimeBundle>;

/** How many console lines an output keeps showing. */
export const CONSOLE_LINES = 20;

const two = (n: number) => String(n).padStart(2, "0");
/** `13:05:01` in the kernel's local time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Appends `notes` to a text/plain + text/html bundle. */
export function withNotes(bundle: MimeBundle, notes: Note[]): MimeBundle {
  if (notes.length === 0) return bundle;
  const out: MimeBundle = { ...bundle, "text/plain": [bundle["text/plain"], ...notes.map((n) => n.text)].filter((s) => s !== "").join("\n") };
  if (typeof bundle["text/html"] === "string") out["text/html"] = bundle["text/html"] + notes.map((n) => n.html).join("");
  return out;
}

interface FailureState { first: Note; count: number; firstAt: number; lastBatch: number; lastMessage: string }

export class OutputView {
  private content: NotedRenderer;
  private failure: FailureState | undefined;
  private consoleText = "";
  private stopped: Note | undefined;

  constructor(private readonly output: LiveOutput, placeholder: NotedRenderer, readonly title: string) {
    this.content = placeholder;
  }

  /** Creates the view and its display now (while the defining cell runs), showing `placeholder`. */
  static create(title: string, placeholder: MimeBundle, cell?: CellRun): OutputView {
    return new OutputView(createLiveOutput(placeholder, cell), (notes) => withNotes(placeholder, notes), title);
  }

  /** Shows a batch: `render` draws it (lazily: coalesced redraws skip it) with the notes. */
  show(render: NotedRenderer): void {
    if (this.stopped) return;
    this.content = render;
    this.redraw();
  }

  /** A failed batch: the first error in full, then a running count. The stream goes on. */
  fail(f: OutputFailure, chain?: string): void {
    const message = readableError(f.error).headline;
    if (!this.failure) {
      this.failure = { first: errorNote(this.title, f, chain), count: 0, firstAt: f.firstFailureTime, lastBatch: f.batchTime, lastMessage: message };
    }
    this.failure.count = f.failureCount;
    this.failure.lastBatch = f.batchTime;
    this.failure.lastMessage = message;
    this.redraw();
  }

  /** Text the user's functions wrote while this output's batch ran (console.log, process.stdout). */
  console(text: string): void {
    this.consoleText = (this.consoleText + text).split("\n").slice(-(CONSOLE_LINES + 1)).join("\n");
    this.redraw();
  }

  /** The output left the graph: it shows why, and updates no more. */
  stop(reason: string): void {
    if (this.stopped) return;
    const text = `■ stopped: ${reason}`;
    this.stopped = { kind: "stopped", text, html: `<div style="color:#666"><b>■ stopped:</b> ${escapeHtml(reason)}</div>` };
    this.redraw();
  }

  get isStopped(): boolean { return this.stopped !== undefined; }

  /** Sends the pending redraw now. */
  flush(): Promise<void> { return this.output.flush(); }

  private notes(): Note[] {
    const notes: Note[] = [];
    if (this.failure) {
      notes.push(this.failure.first);
      if (this.failure.count > 1) {
        const text = `failed in ${this.failure.count} batches since ${clockTime(this.failure.firstAt)}; last: batch ${this.failure.lastBatch} ms (${clockTime(this.failure.lastBatch)}): ${this.failure.lastMessage}`;
        notes.push({ kind: "error", text, html: `<div style="color:#b00">${escapeHtml(text)}</div>` });
      }
    }
    const lines = this.consoleText.replace(/\n$/, "");
    if (lines) notes.push({ kind: "console", text: lines, html: `<pre style="margin:0">${escapeHtml(lines)}</pre>` });
    if (this.stopped) notes.push(this.stopped);
    return notes;
  }

  private redraw(): void {
    const render = this.content;
    const notes = this.notes();
    this.output.update(() => render(notes));
  }
}

/** The first failure of an output, in full: headline, the user's frames, the stack folded. */
function errorNote(title: string, f: OutputFailure, chain: string | undefined): Note {
  const r = readableError(f.error);
  const head = `✖ ${title} failed at batch ${f.batchTime} ms (${clockTime(f.batchTime)}): ${r.headline}`;
  // An interrupted function leaves no frames: name the functions the output runs instead.
  const where = r.frames.length > 0 ? r.frames : chain && f.owner ? [`one of the functions of ${chain}, defined by ${f.owner}`] : [];
  const text = [head, ...where.map((l) => `    in ${l}`)].join("\n");
  const html = `<div style="color:#b00"><b>${escapeHtml(head)}</b>` +
    where.map((l) => `<div>&nbsp;&nbsp;in <code>${escapeHtml(l)}</code></div>`).join("") +
    `<details><summary>full stack</summary><pre>${escapeHtml(r.stack)}</pre></details></div>`;
  return { kind: "error", text, html };
}
