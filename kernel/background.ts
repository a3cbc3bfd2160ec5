import * as vm from "vm";
import { TaskWorkerPool } from "../engine/executor/worker-pool";
import { setLogger } from "../engine/log";
import type { JobContext } from "../engine/output-hooks";
import { interruptWaitingCell } from "./cell-executor";
import { executingCell, scopes } from "./cells";
import { viewOf } from "./output-registry";

/**
 * Where what runs in the background goes, so it never shows under an unrelated cell:
 * - text a user function writes while an output's batch runs (console.log, process.stdout) goes
 *   into that output's display;
 * - text written by a cell's code, or by a callback the cell scheduled (a timer, a promise), goes
 *   to that cell as a stream message parented to its request;
 * - the engine's warnings go to the output whose batch is running, or to the cell running the
 *   code that caused them; the rest (a receiver reconnecting, a slow graceful stop) to the
 *   kernel's own stderr, which Jupyter's server log shows. A failed batch is shown once in its
 *   output by its failure event, not as one warning line per batch.
 */

type Write = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void) => boolean;
const decoder = new TextDecoder();

/** The process's own stdout/stderr writers, before the kernel routed them. */
export const processWrite: { stdout: Write; stderr: Write } = {
  stdout: process.stdout.write.bind(process.stdout) as Write,
  stderr: process.stderr.write.bind(process.stderr) as Write,
};

function route(name: "stdout" | "stderr", text: string): void {
  const scope = scopes.getStore();
  if (scope?.kind === "job") {
    const view = viewOf(scope.owner, scope.outputOpId, scope.name);
    if (view) return view.console(text);
  } else {
    const cell = scope?.kind === "cell" ? scope.cell : executingCell();
    if (cell) return cell.send("stream", { name, text });
  }
  processWrite[name](text);
}

/** Routes process.stdout/stderr writes (console.log included) as described above. */
export function installConsoleRouting(): void {
  for (const name of ["stdout", "stderr"] as const) {
    (process[name] as { write: Write }).write = (chunk, encoding, cb) => {
      route(name, typeof chunk === "string" ? chunk : decoder.decode(chunk));
      const done = typeof encoding === "function" ? encoding : cb;
      done?.();
      return true;
    };
  }
}

/** Routes the engine's log (log4j-style `WARN JobScheduler: ...` lines) as described above. */
export function installLogRouting(): void {
  setLogger({
    warn(message) {
      const scope = scopes.getStore();
      const line = `WARN ${message}\n`;
      if (scope?.kind === "job") {
        const view = viewOf(scope.owner, scope.outputOpId, scope.name);
        if (view) return view.console(line);
      }
      const cell = scope?.kind === "cell" ? scope.cell : undefined;
      // Only while the cell is still running (ssc.start() in it warned): afterwards its stream
      // would grow under it forever; the dashboard and the server log show background warnings.
      if (cell && cell === executingCell()) return cell.send("stream", { name: "stderr", text: line });
      processWrite.stderr(line);
    },
    info: () => {},
  });
}

const JOB_SCRIPT = new vm.Script("globalThis.__streamlabJob()", { filename: "streamlab-job" });
const INTERRUPTED = "ERR_SCRIPT_EXECUTION_INTERRUPTED";
/**
 * A job interrupted sooner than this after it started, while a cell awaits, was not stuck: the
 * Interrupt was meant for the awaiting cell (`await ssc.awaitTermination()`) and only happened to
 * arrive during a batch.
 */
export const STUCK_MS = 1000;

/**
 * Runs one output's batch job (outputHooks.runJob) in that output's scope, under `vm`'s
 * breakOnSigint: Jupyter's Interrupt (SIGINT) ends a user function stuck in it, an endless loop
 * included, within the engine's next check (immediately for JavaScript, at most ~1 s for a wait
 * on map-task workers). The engine then stops that output (STREAM_ERR_OUTPUT_INTERRUPTED); the
 * workers, which may still run the function, are replaced. While SIGINT is armed for a job the
 * process's own SIGINT handler does not run, so an Interrupt that lands in a short job while a
 * cell awaits ends that cell's wait instead, and the job runs again.
 */
export function runJobInterruptibly(job: () => Promise<void>, context: JobContext): Promise<void> {
  return scopes.run({ kind: "job", owner: context.owner, outputOpId: context.outputOpId, batchTime: context.batchTime, name: context.name }, () => runArmed(job));
}

function runArmed(job: () => Promise<void>): Promise<void> {
  const g = globalThis as { __streamlabJob?: () => Promise<void> };
  const started = performance.now();
  const interrupted = (e: unknown): Promise<void> => {
    if ((e as { code?: unknown })?.code !== INTERRUPTED) return Promise.reject(e);
    if (performance.now() - started < STUCK_MS && interruptWaitingCell()) return runArmed(job);
    void TaskWorkerPool.shutdown();
    return Promise.reject(e);
  };
  g.__streamlabJob = job;
  try {
    return (JOB_SCRIPT.runInThisContext({ breakOnSigint: true }) as Promise<void>).catch(interrupted);
  } catch (e) {
    return interrupted(e);
  } finally {
    delete g.__streamlabJob;
  }
}
