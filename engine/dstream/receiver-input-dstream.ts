import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import { PackedLines, unpackSegment } from "../receiver/packed-lines";
import { Receiver } from "../receiver/receiver";
import { ReceiverSupervisor } from "../receiver/receiver-supervisor";
import type { StreamingContext } from "../streaming-context";
import { InputDStream } from "./input-dstream";

/**
 * An input stream fed by a Receiver (Spark's ReceiverInputDStream). The receiver runs from
 * `ssc.start()` to `ssc.stop()`; at batch time T the stream's batch holds the blocks the tracker
 * allocated to T, one partition per block, in the order they were stored. A batch exists even when
 * nothing arrived (an RDD with no partitions), so output operations run every batch, as in Spark.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  /** Runs the receiver and hands its blocks to the tracker. @internal */
  readonly supervisor: ReceiverSupervisor<T>;

  constructor(ssc: StreamingContext, readonly receiver: Receiver<T>) {
    super(checkReceiver(ssc, receiver));
    this.supervisor = new ReceiverSupervisor(ssc, receiver, this.id);
    ssc.receiverTracker.addRunner(this.supervisor);
  }

  /** Starts the receiver: the stream joined a running graph. @internal */
  override onJoin(): void {
    super.onJoin();
    this.supervisor.start();
  }

  /** Stops the receiver and forgets it: the stream left the graph. @internal */
  override async onLeave(): Promise<void> {
    this.ssc.receiverTracker.removeRunner(this.supervisor);
    await this.supervisor.stop("Stopped by driver: the stream was removed");
    await super.onLeave();
  }

  protected compute(time: number): RDD<T> {
    // Spark: a batch before the graph's start time (recovery without a WAL) is empty.
    if (this.ssc.graph.startTime !== undefined && time < this.ssc.graph.startTime) return this.ssc.emptyRDD<T>();
    const blocks = this.ssc.receiverTracker.getBlocksOfBatch(time, this.id);
    const packed = blocks.length > 0 && blocks.every((b) => b.packed !== undefined) ? blocks.map((b) => b.packed as PackedLines) : undefined;
    if (packed !== undefined) {
      // Lines are decoded when read (pipelined into a shuffle, or kept by whatever reads the
      // partitions), so the remembered batch holds only the segments' bytes.
      const segments = new RDD<Uint8Array>(packed.map((p) => p.segments as Uint8Array[]), this.ssc.rddContext);
      segments.recordCounts = packed.map((p) => p.count);
      const rdd = segments.flatMap(unpackSegment) as unknown as RDD<T>;
      this.reportInput(time, rdd, {}, segments.recordCounts.reduce((a, b) => a + b, 0));
      return rdd;
    }
    const rdd = new RDD<T>(blocks.map((b) => b.records as T[]), this.ssc.rddContext);
    this.reportInput(time, rdd);
    return rdd;
  }
}

/** Fails before the stream joins the graph when `receiver` is not a fresh Receiver. */
function checkReceiver(ssc: StreamingContext, receiver: unknown): StreamingContext {
  if (!(receiver instanceof Receiver)) throw Errors.badArgument("receiverStream's receiver", receiver, "must be an instance of a Receiver subclass");
  if (receiver.attachedStreamId !== undefined) throw Errors.receiverReused(receiver.constructor.name, receiver.attachedStreamId);
  return ssc;
}
