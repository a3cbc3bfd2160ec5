import { BatchInfo, OutputOperationInfo } from "./batch-info";
import type { OutputFailure, OutputInfo } from "./output-operation";

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
