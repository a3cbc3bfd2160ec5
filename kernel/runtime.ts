import { outputHooks, setLiveGraphDefault } from "../engine/output-hooks";
import { StreamingContext } from "../engine/streaming-context";
import { installConsoleRouting, installLogRouting, runJobInterruptibly } from "./background";
import { CellRun, cellLabel, currentCell, executingCell } from "./cells";
import { DisplayPort, JupyterDisplay } from "./jupyter-display";
import { flushLiveOutputs, setLiveOutputFactory } from "./live-output";
import { contextCreated } from "./rerun";
import { dashboardModel } from "./dashboard";
import { installRequireHook, installTypeResolution } from "./module-resolution";
import { createPrintOutput, installPrint } from "./print-output";
import { installProtocolFixes } from "./tslab-protocol";
import { installStartupStatus } from "./startup-status";
import { installWebUi } from "../ui/index";

/** How long kernel shutdown waits for the active context's graceful stop (Jupyter kills at 5 s). */
const SHUTDOWN_STOP_TIMEOUT_MS = 4000;

interface TslabJupyter {
  ZmqServer: { prototype: { close(): void } };
}

/**
 * Where one display's messages go. It is created under `cell` (display_data parented to that
 * cell's request). Its updates go to the defining cell's request, unless the cell executing now
 * is waiting on the context (`await ssc.awaitTermination()`, `awaitTerminationOrTimeout`,
 * `ssc.stop()`): then to that cell's, as it is the one the batches answer. nbclient (and so every
 * saved notebook) keeps only the messages of the cell it is running and applies an
 * update_display_data to the earlier output by display id, so a notebook that ends with
 * `await ssc.stop()` saves each output's last batch; JupyterLab routes updates by display id
 * whatever their parent. A cell that waits on anything else (a timer, a server) is unrelated and
 * receives none. Once the defining cell has run again its displays are gone from the screen:
 * nothing more is sent.
 */
function displayPort(cell: CellRun | undefined): DisplayPort {
  return (content, update) => {
    if (!cell || cell.replaced) return;
    const executing = executingCell();
    const target = update && executing && executing.contextWaits > 0 ? executing : cell;
    target.send(update ? "update_display_data" : "display_data", content as unknown as Record<string, unknown>);
  };
}

/**
 * Loads streamlab into tslab's kernel process before the kernel starts:
 * - `import ... from "streamlab"` resolves (code and types) from any notebook directory;
 * - print(), display(), chart() and dashboard() become live outputs bound by display id to the
 *   cell that defines them;
 * - every started StreamingContext gets its Streaming page (the web UI);
 * - kernel shutdown (and SIGTERM) stops the active StreamingContext gracefully, so its last
 *   checkpoint is written, then exits.
 */
export function installRuntime(): void {
  installRequireHook();
  installTypeResolution();
  installProtocolFixes();
  installStartupStatus();
  const jupyter = require("tslab/dist/jupyter.js") as TslabJupyter;
  setLiveOutputFactory((initial, cell) => new JupyterDisplay(displayPort(cell ?? currentCell()), initial));
  outputHooks.createPrintSink = (stream, num) => createPrintOutput(stream, num);
  // Each started context gets its Streaming page; ssc.dashboard() links it. A taken port is not
  // worth a warning under whichever cell runs.
  installWebUi({ portWarnings: false });
  installPrint();
  installConsoleRouting();
  installLogRouting();
  setLiveGraphDefault(true);
  outputHooks.onContextCreated = (ssc) => {
    contextCreated(ssc);
    dashboardModel(ssc);
  };
  outputHooks.runJob = runJobInterruptibly;
  outputHooks.describeCallSite = () => {
    const cell = currentCell();
    if (!cell) return undefined;
    const label = cellLabel(cell);
    return `${label}. In a notebook, re-running ${label} replaces that context (stopped gracefully, its checkpoint written); or run \`await StreamingContext.stopActive()\` before starting another one`;
  };
  flushOutputsOnStop();
  countContextWaits();
  installShutdown(jupyter);
}

/**
 * `await ssc.stop()` resolves once every live output shows the last batch (see flushLiveOutputs).
 * A stop the user asked for leaves the outputs as they are; one the kernel made (a re-run cell
 * replaced the context) marks them stopped, with the reason (rerun.ts).
 */
function flushOutputsOnStop(): void {
  const proto = StreamingContext.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const stop = proto.stop;
  proto.stop = function (this: StreamingContext, ...args: unknown[]) {
    return stop.apply(this, args).then(() => flushLiveOutputs(true));
  };
}

/** Counts, per cell run, its pending waits on a context: while one is pending, the batches' updates go to that cell (displayPort). */
function countContextWaits(): void {
  const proto = StreamingContext.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  // awaitTerminationOrTimeout calls awaitTermination, whose promise outlives the timeout: only the
  // outermost call counts.
  let inWait = false;
  for (const name of ["stop", "awaitTermination", "awaitTerminationOrTimeout"]) {
    const wait = proto[name];
    proto[name] = function (this: StreamingContext, ...args: unknown[]) {
      const cell = currentCell();
      if (!cell || inWait) return wait.apply(this, args);
      cell.contextWaits++;
      let result: Promise<unknown>;
      inWait = true;
      try {
        result = wait.apply(this, args);
      } catch (e) {
        cell.contextWaits--;
        throw e;
      } finally {
        inWait = false;
      }
      const done = (): void => { cell.contextWaits--; };
      result.then(done, done);
      return result;
    };
  }
}

function installShutdown(jupyter: TslabJupyter): void {
  const close = jupyter.ZmqServer.prototype.close;
  jupyter.ZmqServer.prototype.close = function (this: unknown) {
    close.call(this);
    void stopActiveAndExit();
  };
  process.on("SIGTERM", () => void stopActiveAndExit());
}

let exiting = false;

/** Stops the active context gracefully (bounded), then ends the kernel process. */
export async function stopActiveAndExit(): Promise<never> {
  if (!exiting) {
    exiting = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_STOP_TIMEOUT_MS); });
    try {
      await Promise.race([StreamingContext.stopActive({ stopGracefully: true }), timeout]);
    } catch (e) {
      process.stderr.write(`streamlab: stopping the StreamingContext at shutdown failed: ${(e as Error)?.message ?? e}\n`);
    } finally {
      clearTimeout(timer);
    }
    process.exit(0);
  }
  return new Promise<never>(() => undefined);
}
