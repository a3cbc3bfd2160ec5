import type { DStream } from "./dstream/dstream";

/** Where one print() output sends its text: Spark's exact console text for one batch. */
export type PrintSink = (text: string, time: number) => void;

/**
 * Hooks through which an environment (the Jupyter kernel) takes over where outputs go. The engine
 * never imports that environment; it only calls these when set.
 */
export interface OutputHooks {
  /**
   * Called when `print()` is defined (while the defining notebook cell runs); returns the sink for
   * that output's text, or undefined to write to stdout.
   */
  createPrintSink?(stream: DStream<unknown>, num: number): PrintSink | undefined;
}

/** The installed hooks; empty in plain Node. */
export const outputHooks: OutputHooks = {};
