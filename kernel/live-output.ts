import type { CellRun } from "./cells";

/**
 * A live output: one place under a notebook cell that each batch redraws (a Jupyter display id),
 * or, outside a kernel, a plain-text fallback on stdout.
 */

/** A Jupyter MIME bundle, e.g. `{ "text/plain": "...", "text/html": "<table>..." }`. Always has text/plain. */
export interface MimeBundle {
  "text/plain": string;
  [mime: string]: unknown;
}

/** Builds the latest bundle when the output is actually redrawn (rendering may be async, e.g. SVG). */
export type BundleRenderer = () => MimeBundle | Promise<MimeBundle>;

/** One live output. */
export interface LiveOutput {
  /** Asks for a redraw with what `render` builds; redraws are coalesced to a bounded rate. */
  update(render: BundleRenderer): void;
  /** Sends any pending redraw now (with `resend`, the latest one again if none is pending); resolves when sent. */
  flush(resend?: boolean): Promise<void>;
}

/**
 * How the environment creates live outputs. The kernel runtime installs the Jupyter one; `cell`
 * is the cell run the output shows under (default: the one running the code now).
 */
export type LiveOutputFactory = (initial: MimeBundle, cell?: CellRun) => LiveOutput;

/**
 * Outside a kernel (plain Node, `streamlab submit`): every redraw writes its text/plain to stdout,
 * like print().
 */
export const textOutputFactory: LiveOutputFactory = () => {
  let chain: Promise<void> = Promise.resolve();
  return {
    update(render) {
      chain = chain.then(async () => { process.stdout.write((await render())["text/plain"] + "\n"); }).catch((e) => {
        process.stderr.write(`streamlab: could not render an output: ${(e as Error)?.message ?? e}\n`);
      });
    },
    flush: () => chain,
  };
};

let factory: LiveOutputFactory = textOutputFactory;

/** Installs the environment's factory (the kernel runtime does, at start). */
export function setLiveOutputFactory(f: LiveOutputFactory): void {
  factory = f;
}

/** True once an environment other than plain text (the Jupyter kernel) is installed. */
export function inNotebook(): boolean {
  return factory !== textOutputFactory;
}

/**
 * Creates a live output showing `initial` at once. Call it while the defining cell runs: in
 * Jupyter, a display first written after its cell finished lands in whichever cell ran last.
 */
export function createLiveOutput(initial: MimeBundle, cell?: CellRun): LiveOutput {
  const output = factory(initial, cell);
  created.add(output);
  return output;
}

const created = new Set<LiveOutput>();

/**
 * Sends every output's pending (coalesced) redraw now, and with `resend` the latest one again where
 * none is pending; resolves when all are sent. The kernel calls it (resend) when a context stops,
 * so the cell awaiting `ssc.stop()` still runs when each output's final state is sent: nbclient,
 * and so a saved notebook, keeps only the updates that arrive while a cell runs.
 */
export async function flushLiveOutputs(resend = false): Promise<void> {
  await Promise.all([...created].map((o) => o.flush(resend)));
}
