/** The life of an output operation: running, stopped (removed), or failed (stopped by an error). */
export type OutputStatus = "running" | "stopped" | "failed";

/** A snapshot of one output operation, as `ssc.outputs()` and `handle.status()` give it. */
export interface OutputInfo {
  /** The output operation id: definition order, unique in its context. */
  id: number;
  /** The operation that produced the stream the output reads, e.g. `reduceByKey`. */
  name: string;
  /** The output operation itself: `print`, `foreachRDD`, `saveAsTextFiles`, `display`... */
  operation: string;
  /** The public operations from the input to the output, e.g. `socketTextStream → flatMap → mapToPair → reduceByKey → print`. */
  chain: string;
  /** Who defined it (e.g. a notebook cell id), if anyone. */
  owner: string | undefined;
  /** running, stopped (removed) or failed (stopped by an error). */
  status: OutputStatus;
  /** When the status last changed, in the context clock's ms (definition time while running). */
  since: number;
  /** The first batch time the output ran for, once it joined the graph. */
  firstBatchTime: number | undefined;
  /** How many batches failed in this output (computing its stream or running its function). */
  failureCount: number;
  /** The batch time of the first failure. */
  firstFailureBatchTime: number | undefined;
  /** The batch time of the latest failure. */
  lastFailureBatchTime: number | undefined;
  /** The clock's ms when the first failure happened (for "failed in 17 batches since 13:05:01"). */
  firstFailureTime: number | undefined;
  /** The latest failure's error (or the error that stopped it). */
  lastError: Error | undefined;
  /** Why it stopped, when it did: e.g. "its input stream was removed when cell-3 re-ran". */
  stopReason: string | undefined;
}

/**
 * What an output operation returns (Spark's output operations return Unit, so this is an
 * addition): stop the output, or read its status.
 * @example
 * const out = counts.print();
 * out.status().failureCount;
 * await out.stop();   // removed at the next batch boundary
 */
export interface OutputHandle {
  /** The output operation id (the `outputOpId` of listener events; definition order). */
  readonly id: number;
  /** The operation that produced the stream the output reads, e.g. `reduceByKey`. */
  readonly name: string;
  /** Who defined it (e.g. a notebook cell id), if anyone. */
  readonly owner: string | undefined;
  /**
   * Removes the output at the next batch boundary; resolves once its last job has finished (at
   * once when the context is not running). Streams it read stay.
   */
  stop(reason?: string): Promise<void>;
  /**
   * Stops the output at once because of `error` (e.g. after an Interrupt ended its function):
   * status "failed" with that error, its queued jobs do not run, it leaves the graph at the next
   * boundary. The context and the other outputs go on.
   */
  fail(error: Error): void;
  /** Its status, failure count and last error now. */
  status(): OutputInfo;
}

/** A failed batch of one output, as listeners get it (`onOutputOperationFailed`). */
export interface OutputFailure {
  /** The output operation id. */
  outputOpId: number;
  /** Who defined the output, if anyone. */
  owner: string | undefined;
  /** The output operation: `print`, `foreachRDD`... */
  name: string;
  /** The batch that failed. */
  batchTime: number;
  /** What was thrown (a coded STREAM_ERR_OUTPUT_INTERRUPTED error for an interrupted job). */
  error: Error;
  /** Failures of this output so far, this one included. */
  failureCount: number;
  /** The batch time of the output's first failure. */
  firstFailureBatchTime: number;
  /** The clock's ms at the output's first failure. */
  firstFailureTime: number;
  /** True when this failure stopped the output (an interrupted function). */
  stopped: boolean;
}
