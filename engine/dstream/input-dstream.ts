import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import { DStream } from "./dstream";

/**
 * A stream fed from outside the graph (Spark's InputDStream): its slide is the batch interval and
 * the context starts and stops it.
 */
export abstract class InputDStream<T> extends DStream<T> {
  /** A name for dashboards and listener events, e.g. "SocketInputDStream localhost:9999". */
  name: string;

  constructor(ssc: StreamingContext) {
    super(ssc);
    this.name = `${this.constructor.name.replace(/DStream$/, " stream")} [${this.id}]`;
    ssc.graph.addInputStream(this);
  }

  get dependencies(): DStream<unknown>[] { return []; }
  get slideDuration(): number { return this.ssc.batchDuration; }
  /** An input's batches are what every other batch is recomputed from, persisted or not. @internal */
  protected override get keepsBatchesWhenUnpersisted(): boolean { return true; }

  /** Called when the context starts. */
  start(): void {}
  /** Called when the context stops. */
  async stop(): Promise<void> {}

  /** Called when this stream joins a running graph (defined after start). @internal */
  onJoin(): void { this.start(); }

  /** Called once this stream has left a running graph. @internal */
  async onLeave(): Promise<void> { await this.stop(); }

  /**
   * Readies batch `time` before it is computed, when that needs I/O (a Kafka direct stream fetches
   * the batch's offset ranges); the batch is generated once the promise resolves. Undefined (the
   * default): nothing to wait for. @internal
   */
  prepareBatch(_time: number): Promise<void> | undefined { return undefined; }

  /** True for a stream that prepares its batches asynchronously: replay then runs each of its batches. @internal */
  get preparesBatches(): boolean { return false; }

  /** Reports what this stream read for a batch, for BatchInfo and listeners. @param numRecords when known without counting `rdd` */
  protected reportInput(time: number, rdd: RDD<T>, metadata: Record<string, unknown> = {}, numRecords = rdd.count()): void {
    this.ssc.inputInfoTracker.reportInfo(time, { inputStreamId: this.id, numRecords, metadata });
  }
}
