import type { StreamIdentity } from "./graph-fingerprint";

/** What one metadata checkpoint file holds (v8-encoded plain data). @internal */
export interface CheckpointMetadata {
  version: 1;
  appName: string;
  master: string;
  batchDuration: number;
  /** The grid origin: batch times are zeroTime + k * batchDuration. */
  zeroTime: number;
  /** When the original run started (kept across recoveries). */
  startTime: number;
  /** The completed batch this file was written after. */
  checkpointTime: number;
  /** Batches generated but not completed when the file was written (replayed on recovery). */
  pendingTimes: number[];
  conf: [string, string][];
  /** Every stream now in the graph, those added after start included (they have a `joinTime`). */
  graph: StreamIdentity[];
  /** The graph as it was at start (what `create()` builds again on recovery). */
  startGraph?: StreamIdentity[];
  streams: StreamCheckpoint[];
}

/** What a metadata file records about one stream. @internal */
export interface StreamCheckpoint {
  id: number;
  /** What `stream.checkpointState(time)` returned (e.g. a file stream's selected files). */
  state?: unknown;
  /** The stream's newest checkpointed batch (state streams: the state), in its own file. */
  batch?: { time: number; file: string };
}

/** The content of a state file: one batch of one stream. @internal */
export interface StreamBatchData {
  partitions: unknown[][];
  /** numPartitions of the batch's HashPartitioner, when it had one. */
  hashPartitions?: number;
}
