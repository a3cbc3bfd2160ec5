import { outputHooks, setLiveGraphDefault } from "../engine/output-hooks";
import { StreamingContext } from "../engine/streaming-context";
import { installConsoleRouting, installLogRouting, runJobInterruptibly } from "./background";
import { CellRun, cellLabel, currentCell, executingCell } from "./cells";
import { DisplayPort, JupyterDisplay } from "./jupyter-display";
import { flushLiveOutputs, setLiveOutputFactory } from "./live-output";
import { contextCreated } from "./rerun";
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
 * cell's request). Its updates are parented to the cell executing at that moment, if any: nbclient
 * (and so every saved notebook) keeps only the messages of the cell it is running, and applies an
 * update_display_data to the earlier output by its display id; no frontend renders an update under
 * the cell it is parented to. With no cell executing they go to the defining cell's request.
 * Once that cell has run again its displays are gone from the screen: nothing more is sent.
 */
function displayPort(cell: CellRun | undefined): DisplayPort {
  return (content, update) => {
    if (!cell || cell.replaced) return;
    const target = update ? executingCell() ?? cell : cell;
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
  outputHooks.onContextCreated = contextCreated;
  outputHooks.runJob = runJobInterruptibly;
  outputHooks.describeCallSite = () => {
    const cell = currentCell();
    if (!cell) return undefined;
    const label = cellLabel(cell);
    return `${label}. In a notebook, re-running ${label} replaces that context (stopped gracefully, its checkpoint written); or run \`await StreamingContext.stopActive()\` before starting another one`;
  };
  flushOutputsOnStop();
  installShutdown(jupyter);
}

/**
 * `await ssc.stop()` resolves once every live output shows the last batch (see flushLiveOutputs).
 * A stop the user asked for leaves the outputs as they are; one the kernel made (a re-run cell
 * replaced the context) marks them stopped, with the reason (rerun.ts).
 */
function flushOutputsOnStop(): void {
  const stop = StreamingContext.prototype.stop as (this: StreamingContext, ...args: unknown[]) => Promise<void>;
  StreamingContext.prototype.stop = function (this: StreamingContext, ...args: unknown[]): Promise<void> {
    return stop.apply(this, args).then(() => flushLiveOutputs(true));
  } as typeof StreamingContext.prototype.stop;
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
