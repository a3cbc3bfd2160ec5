import { BatchInfo, OutputOperationInfo } from "./batch-info";
import type { OutputFailure, OutputInfo } from "./output-operation";
export type { OutputFailure, OutputInfo } from "./output-operation";

/** A receiver's status as reported to listeners (Spark's ReceiverInfo). */
export interface ReceiverInfo {
  streamId: number;
  name: string;
  active: boolean;
  location: string;
  executorId: string;
  lastErrorMessage: string;
  lastError: string;
  lastErrorTime: number;
}

/** One stream of the DStream graph, as dashboards draw it (streamlab; Spark has no such event). */
export interface StreamNodeInfo {
  /** The stream's id: its position in the context's creation order. */
  id: number;
  /** The operator's class, e.g. `MappedDStream`, `ShuffledDStream`, `ForEachDStream`. */
  kind: string;
  /** The ids of the streams it is computed from. */
  parents: number[];
  /** Its slide duration in milliseconds. */
  slideDuration: number;
  /** True for an input stream. */
  input: boolean;
  /** True for a stream that carries state across batches (updateStateByKey, mapWithState). */
  stateful: boolean;
  /** For an output operation: its id and name (`print`, `foreachRDD`, ...). */
  outputOpId?: number;
  outputOpName?: string;
}

/** How big one stream's batch was (streamlab; for dashboards). */
export interface StreamSizeInfo {
  streamId: number;
  /** Records of its batch, when it was kept in memory (undefined when pipelined into the next stream). */
  records?: number;
  /** For a stateful stream: the keys in its state. */
  stateSize?: number;
}

/** A checkpoint that was written after a batch (streamlab). */
export interface CheckpointWrittenInfo {
  /** The batch time it records. */
  batchTime: number;
  /** The metadata file's path. */
  file: string;
  /** Bytes written for this checkpoint: metadata plus any state files. */
  bytes: number;
  /** When it was written (the context's clock). */
  writeTime: number;
  /** Bytes in the receivers' write-ahead log after the checkpoint trimmed it; undefined without a WAL. */
  walBytes?: number;
}

/** What a recovery from a checkpoint restored (streamlab). */
export interface CheckpointRestoredInfo {
  /** The metadata file recovered from. */
  file: string;
  /** The batch time that checkpoint recorded. */
  checkpointTime: number;
  /** Batches run again: pending at the crash, or due while the application was down. */
  replayedBatches: number;
  /** Streams whose state or data was restored. */
  restoredStreams: number;
  /** Blocks read back from the receivers' write-ahead log; undefined without a WAL. */
  walBlocks?: number;
}

/**
 * Receives the events of a running StreamingContext (Spark's StreamingListener). Implement any
 * subset. Callbacks run on the engine's thread between batches: keep them short, and never call
 * `ssc.stop()` from one (Spark forbids it too).
 *
 * @example
 * ssc.addStreamingListener({
 *   onBatchCompleted: ({ batchInfo }) => console.log(batchInfo.batchTime, batchInfo.processingDelay),
 * });
 */
export interface StreamingListener {
  onStreamingStarted?(event: { time: number }): void;
  onReceiverStarted?(event: { receiverInfo: ReceiverInfo }): void;
  onReceiverError?(event: { receiverInfo: ReceiverInfo }): void;
  onReceiverStopped?(event: { receiverInfo: ReceiverInfo }): void;
  onBatchSubmitted?(event: { batchInfo: BatchInfo }): void;
  onBatchStarted?(event: { batchInfo: BatchInfo }): void;
  onBatchCompleted?(event: { batchInfo: BatchInfo }): void;
  onOutputOperationStarted?(event: { outputOperationInfo: OutputOperationInfo }): void;
  onOutputOperationCompleted?(event: { outputOperationInfo: OutputOperationInfo }): void;
  /**
   * An output's batch failed (its stream's computation or its function threw): the output's id,
   * owner, the error, the batch time and the running failure count since the first failure.
   * Posted before `onOutputOperationCompleted` of the same batch.
   */
  onOutputOperationFailed?(event: { failure: OutputFailure }): void;
  /** An output left the graph (removed, stopped by its handle or by an error); `output.stopReason` says why. */
  onOutputOperationStopped?(event: { output: OutputInfo }): void;
  /** Streams joined or left the running graph at the batch boundary `time` (stream ids). */
  onGraphChanged?(event: { time: number; added: number[]; removed: number[] }): void;
  /** streamlab: the context stopped; batches still queued were dropped (a non-graceful stop). */
  onStreamingStopped?(event: { time: number }): void;
  /** streamlab: the DStream graph, posted at start (before onStreamingStarted). */
  onGraphUpdated?(event: { streams: StreamNodeInfo[] }): void;
  /** streamlab: each stream's batch size and state size, posted before onBatchCompleted. */
  onStreamSizes?(event: { batchTime: number; streams: StreamSizeInfo[] }): void;
  /** streamlab: backpressure set a new rate limit (records per second) for an input stream. */
  onRateLimitUpdated?(event: { streamId: number; rate: number; time: number }): void;
  /** streamlab: a checkpoint was written after a batch. */
  onCheckpointWritten?(event: { checkpoint: CheckpointWrittenInfo }): void;
  /** streamlab: the context recovered from a checkpoint, posted at start. */
  onCheckpointRestored?(event: { restore: CheckpointRestoredInfo }): void;
}

type EventName = keyof StreamingListener;
type EventOf<N extends EventName> = Parameters<NonNullable<StreamingListener[N]>>[0];

/**
 * Delivers events to listeners in registration order. A throwing listener is reported on stderr
 * and never breaks the stream or the other listeners.
 */
export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];
  private depth = 0;

  add(l: StreamingListener): void { this.listeners.push(l); }
  remove(l: StreamingListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }
  /** True when some listener implements `name` (events costly to build are only built then). */
  wants(name: EventName): boolean { return this.listeners.some((l) => typeof l[name] === "function"); }
  /** True while a listener callback is running (ssc.stop() is refused then). */
  get inListener(): boolean { return this.depth > 0; }

  post<N extends EventName>(name: N, event: EventOf<N>): void {
    for (const l of [...this.listeners]) {
      const fn = l[name] as ((e: EventOf<N>) => void) | undefined;
      if (!fn) continue;
      this.depth++;
      try {
        fn.call(l, event);
      } catch (e) {
        process.stderr.write(`streamlab: listener threw in ${name}: ${(e as Error)?.stack ?? e}\n`);
      } finally {
        this.depth--;
      }
    }
  }
}
