import type { DStream } from "../engine/dstream/dstream";
import type { PrintSink } from "../engine/output-hooks";
import { createLiveOutput } from "./live-output";

/** How many batches one print() output keeps on screen: the latest ones, not an endless scroll. */
export const PRINT_HISTORY = 3;

/**
 * print() in a notebook: one live text output under the defining cell showing Spark's exact text
 * of the latest PRINT_HISTORY batches (Spark's console keeps scrolling instead).
 */
export function createPrintOutput(_stream: DStream<unknown>, _num: number, history = PRINT_HISTORY): PrintSink {
  const output = createLiveOutput({ "text/plain": "" });
  const recent: string[] = [];
  return (text) => {
    recent.push(text);
    if (recent.length > history) recent.shift();
    const shown = recent.join("");
    output.update(() => ({ "text/plain": shown }));
  };
}
