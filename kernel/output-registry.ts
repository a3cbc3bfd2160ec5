import type { StreamingContext } from "../engine/streaming-context";
import { cellLabel, runOf } from "./cells";
import { OutputView } from "./output-view";

/**
 * The OutputView of every output operation a cell defined, by its owner (`cell [N]`) and output
 * id, so a batch's failures, console text and warnings reach the output they belong to. Outputs
 * without a display of their own (foreachRDD, saveAs*Files) get one when they first have
 * something to show, under the cell that defined them.
 */
const views = new Map<string, OutputView>();
const key = (owner: string | undefined, id: number) => `${owner ?? ""}#${id}`;

/** Registers the view of output `id` defined by `owner`. */
export function bindView(owner: string | undefined, id: number, view: OutputView): void {
  views.set(key(owner, id), view);
}

/** The view of output `id` of `owner`; created (under the defining cell) when `create` and it has none. */
export function viewOf(owner: string | undefined, id: number, name: string, create = true): OutputView | undefined {
  const existing = views.get(key(owner, id));
  if (existing || !create) return existing;
  const run = runOf(owner);
  if (!run || run.replaced) return undefined;
  const title = `${name} · ${cellLabel(run)}`;
  const view = OutputView.create(title, { "text/plain": title, "text/html": `<div class="streamlab-display"><b>${title}</b></div>` }, run);
  views.set(key(owner, id), view);
  return view;
}

const listening = new WeakSet<StreamingContext>();

/** Shows every failure and stop of `ssc`'s outputs in their views. */
export function watchOutputs(ssc: StreamingContext): void {
  if (listening.has(ssc)) return;
  listening.add(ssc);
  ssc.addStreamingListener({
    onOutputOperationFailed: ({ failure }) => {
      const chain = ssc.outputs().find((o) => o.id === failure.outputOpId)?.chain;
      viewOf(failure.owner, failure.outputOpId, failure.name)?.fail(failure, chain);
    },
    onOutputOperationStopped: ({ output }) => viewOf(output.owner, output.id, output.operation, false)?.stop(output.stopReason ?? "stopped"),
  });
}

/** After `ssc` stopped: every view of its outputs says why. */
export function showStopped(ssc: StreamingContext): void {
  for (const o of ssc.outputs()) viewOf(o.owner, o.id, o.operation, false)?.stop(o.stopReason ?? "the context stopped");
}

/** Forgets the views of `owner`'s outputs (its cell ran again: their displays are gone). */
export function forgetViews(owner: string): void {
  for (const k of [...views.keys()]) if (k.startsWith(`${owner}#`)) views.delete(k);
}

/** Sends every view's pending redraw now. */
export async function flushViews(): Promise<void> {
  await Promise.all([...views.values()].map((v) => v.flush()));
}
