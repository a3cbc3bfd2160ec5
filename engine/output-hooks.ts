import type { DStream } from "./dstream/dstream";
import type { StreamingContext } from "./streaming-context";

/** Where one print() output sends its text: Spark's exact console text for one batch. */
export type PrintSink = (text: string, time: number) => void;

/** What `OutputHooks.runJob` is told about the job it runs. */
export interface JobContext {
  /** The output operation's id (see `ssc.outputs()`). */
  outputOpId: number;
  /** The owner that defined the output (e.g. a notebook cell id), if any. */
  owner: string | undefined;
  /** The batch time in ms. */
  batchTime: number;
  /** The output's name, e.g. `print` or `foreachRDD`. */
  name: string;
}

/**
 * Hooks through which an environment (the Jupyter kernel) takes over where outputs go and how
 * user code runs. The engine never imports that environment; it only calls these when set.
 */
export interface OutputHooks {
  /**
   * Called when `print()` is defined (while the defining notebook cell runs); returns the sink for
   * that output's text, or undefined to write to stdout.
   */
  createPrintSink?(stream: DStream<unknown>, num: number): PrintSink | undefined;
  /**
   * Runs one output operation's job of one batch: every user function the job calls (the
   * output's own and those of the operators it computes) runs inside `job()`. The default calls
   * `job()`. The kernel runs it so that an Interrupt can end a runaway function: a job that
   * rejects with an error whose `code` is `ERR_SCRIPT_EXECUTION_INTERRUPTED` stops that output
   * (status "failed", code STREAM_ERR_OUTPUT_INTERRUPTED); the context and other outputs go on,
   * and stateful streams continue from the last completed batch.
   */
  runJob?(job: () => Promise<void>, context: JobContext): Promise<void>;
  /**
   * Describes where `start()` is being called from (e.g. "cell [3]"); shown by the "Only one
   * StreamingContext may be started" error instead of a stack frame. Undefined: the stack frame.
   */
  describeCallSite?(): string | undefined;
  /**
   * Whether contexts accept new streams and outputs while they run when their configuration does
   * not say (`streamlab.graph.liveChanges`). False in plain Node (Spark's rule); the kernel sets
   * it true (see `setLiveGraphDefault`).
   */
  liveGraphDefault?: boolean;
  /**
   * Called at the end of every StreamingContext's constructor. The kernel records which cell
   * created each context, so re-running that cell stops it, and shows its outputs' failures.
   */
  onContextCreated?(ssc: StreamingContext): void;
}

/** The installed hooks; empty in plain Node. */
export const outputHooks: OutputHooks = {};

/**
 * Makes every context whose configuration does not set `streamlab.graph.liveChanges` accept
 * live graph changes (true) or refuse them with Spark's error (false, the default).
 */
export function setLiveGraphDefault(on: boolean): void {
  outputHooks.liveGraphDefault = on;
}
