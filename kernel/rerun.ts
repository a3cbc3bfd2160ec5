import { currentOwner } from "../engine/ownership";
import { StreamingContext, StreamingContextState } from "../engine/streaming-context";
import { CellRun, cellLabel, replacePreviousRun } from "./cells";
import { processWrite } from "./background";
import { forgetViews, showStopped, watchOutputs } from "./output-registry";

/**
 * Re-running a cell replaces what its previous run defined, so a notebook never holds duplicate
 * outputs or a context running unseen:
 * - a StreamingContext the previous run created is stopped gracefully (its last batches run and
 *   its checkpoint is written) before the new code runs; outputs other cells defined on it show
 *   that they stopped and why;
 * - streams and outputs the previous run added to another context leave at the next batch
 *   boundary (an identical stateful stream defined again keeps its state: the engine hands it over);
 * - the previous run's displays get no more updates (the frontend cleared them).
 */

/** Every context created in this kernel, with the cell run that created it. */
const contexts: Array<{ ssc: StreamingContext; owner: string | undefined }> = [];

/** Records a new context (outputHooks.onContextCreated) and shows its outputs' failures and stops. */
export function contextCreated(ssc: StreamingContext): void {
  contexts.push({ ssc, owner: currentOwner() });
  watchOutputs(ssc);
}

/** The contexts that are not stopped. */
function live(): Array<{ ssc: StreamingContext; owner: string | undefined }> {
  for (let i = contexts.length - 1; i >= 0; i--) if (contexts[i].ssc.getState() === StreamingContextState.STOPPED) contexts.splice(i, 1);
  return contexts.slice();
}

/** Before `run` executes: removes what the previous run of its cell defined (see above). */
export async function replacePrevious(run: CellRun): Promise<void> {
  const previous = replacePreviousRun(run);
  if (!previous) return;
  previous.replaced = true;
  const owner = cellLabel(previous);
  const now = cellLabel(run);
  forgetViews(owner);
  for (const { ssc, owner: creator } of live()) {
    try {
      if (creator === owner) {
        // A context that never started is simply dropped with the cell's old variables.
        if (ssc.getState() !== StreamingContextState.ACTIVE) continue;
        await ssc.stop({ stopGracefully: true, reason: `its context was replaced when ${owner} re-ran (now ${now}): re-run this cell` });
        showStopped(ssc);
      } else {
        ssc.removeOwnedBy(owner, `${owner} re-ran (now ${now})`);
      }
    } catch (e) {
      processWrite.stderr(`streamlab: replacing what ${owner} defined failed: ${(e as Error)?.stack ?? e}\n`);
    }
  }
}
