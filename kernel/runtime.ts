import { outputHooks } from "../engine/output-hooks";
import { StreamingContext } from "../engine/streaming-context";
import { DisplayPort, JupyterDisplay } from "./jupyter-display";
import { flushLiveOutputs, setLiveOutputFactory } from "./live-output";
import { installRequireHook, installTypeResolution } from "./module-resolution";
import { createPrintOutput } from "./print-output";
import { installProtocolFixes } from "./tslab-protocol";
import { installWebUi } from "../ui/index";

/** How long kernel shutdown waits for the active context's graceful stop (Jupyter kills at 5 s). */
const SHUTDOWN_STOP_TIMEOUT_MS = 4000;

interface TslabJupyter {
  lastWriteDisplayData: DisplayPort | null;
  ZmqServer: { prototype: { close(): void } };
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
  const jupyter = require("tslab/dist/jupyter.js") as TslabJupyter;
  // The writer of the cell executing now: updates then reach nbclient (which only reads the
  // current cell's messages); JupyterLab routes them by display id to the defining cell anyway.
  const port: DisplayPort = (content, update) => jupyter.lastWriteDisplayData?.(content, update);
  setLiveOutputFactory((initial) => new JupyterDisplay(port, initial));
  outputHooks.createPrintSink = (stream, num) => createPrintOutput(stream, num);
  // Each started context gets its Streaming page; ssc.dashboard() links it. A taken port is not
  // worth a warning under whichever cell runs.
  installWebUi({ portWarnings: false });
  flushOutputsOnStop();
  installShutdown(jupyter);
}

/** `await ssc.stop()` resolves once every live output shows the last batch (see flushLiveOutputs). */
function flushOutputsOnStop(): void {
  const stop = StreamingContext.prototype.stop as (this: StreamingContext, ...args: unknown[]) => Promise<void>;
  StreamingContext.prototype.stop = function (this: StreamingContext, ...args: unknown[]): Promise<void> {
    return stop.apply(this, args).then(flushLiveOutputs);
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
