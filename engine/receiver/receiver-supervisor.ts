import { log } from "../log";
import type { ReceiverInfo } from "../scheduler/listener";
import type { ReceiverRunner } from "../scheduler/receiver-tracker";
import type { StreamingContext } from "../streaming-context";
import type { TimerHandle } from "../time/clock";
import { BlockGenerator } from "./block-generator";
import { PackedLines } from "./packed-lines";
import { RateLimiter } from "./rate-limiter";
import { createRateEstimator, isBackPressureEnabled, RateController } from "../scheduler/rate-controller";
import type { ReceivedBlock } from "../scheduler/receiver-tracker";
import type { Receiver, ReceiverSupervisorPort } from "./receiver";

type ReceiverState = "initialized" | "started" | "stopped";

/**
 * Runs one Receiver (Spark's ReceiverSupervisorImpl, with the driver-side bookkeeping of the
 * ReceiverTracker folded in, since both live in one process): starts, restarts and stops it, cuts
 * its single records into blocks, pushes blocks to `ssc.receiverTracker`, and posts
 * onReceiverStarted / onReceiverError / onReceiverStopped to the listeners.
 *
 * Restart delays and block cutting run on `ssc.clock`, so ManualClock tests drive them.
 */
export class ReceiverSupervisor<T> implements ReceiverRunner, ReceiverSupervisorPort<T> {
  readonly blockGenerator: BlockGenerator<T>;
  /** Records pushed to the tracker in blocks so far (for tests and dashboards). */
  numRecordsPushed = 0;
  private receiverState: ReceiverState = "initialized";
  private supervisorStopped = false;
  private restartPending = false;
  /** The tracker refused a block (see storeHeldBlocks) and has not taken every held one since. */
  private storeFailing = false;
  private restartTimer: TimerHandle | undefined;
  private info: ReceiverInfo;
  /**
   * Blocks cut but not yet accepted by the tracker, oldest first: its write-ahead log failed to
   * write them (a full disk). They are offered again, in order, at every block and every batch.
   */
  private readonly unstored: ReceivedBlock[] = [];
  /** Records in `unstored`. */
  private unstoredRecords = 0;
  /** Set when `spark.streaming.backpressure.enabled`: adapts the rate limit after every batch. */
  readonly rateController: RateController | undefined;

  constructor(private readonly ssc: StreamingContext, readonly receiver: Receiver<T>, readonly streamId: number) {
    const blockInterval = ssc.conf.getTimeMs("spark.streaming.blockInterval", 200);
    const limiter = RateLimiter.fromConf(ssc.conf);
    this.blockGenerator = new BlockGenerator<T>(ssc.clock, blockInterval, limiter, (records) => this.addBlock(records), `stream ${streamId}`);
    if (isBackPressureEnabled(ssc.conf)) {
      // Spark's ReceiverRateController: each completed batch may lower or raise store(record)'s limit.
      this.rateController = new RateController(streamId, createRateEstimator(ssc.conf, ssc.batchDuration), (rate) => this.updateRateLimit(rate));
      ssc.addStreamingListener(this.rateController);
    }
    this.info = {
      streamId, name: `${receiver.constructor.name}-${streamId}`, active: false, location: "localhost", executorId: "driver",
      lastErrorMessage: "", lastError: "", lastErrorTime: -1,
    };
    receiver.attachSupervisor(this);
  }

  /** Backpressure's rate for this receiver (Spark's UpdateRateLimit message to the supervisor). */
  updateRateLimit(recordsPerSecond: number): void {
    this.blockGenerator.updateRate(recordsPerSecond);
    this.ssc.listenerBus.post("onRateLimitUpdated", { streamId: this.streamId, rate: recordsPerSecond, time: this.ssc.clock.getTimeMillis() });
  }

  /** Records stored so far: pushed in blocks or still buffered in the block generator. */
  get numRecordsReceived(): number { return this.numRecordsPushed + this.blockGenerator.numBufferedRecords; }

  /** The receiver's current status, as listeners see it. */
  get receiverInfo(): ReceiverInfo { return { ...this.info }; }

  /** Starts the block generator, then the receiver. Called by the tracker when the context starts. */
  start(): void {
    this.blockGenerator.start();
    this.startReceiver();
  }

  /** Stops the receiver for good and flushes every stored record into a last block. */
  async stop(message: string, error?: unknown): Promise<void> {
    if (this.supervisorStopped) return;
    this.supervisorStopped = true;
    this.restartTimer?.cancel();
    if (this.receiverState === "started") this.stopReceiver(message, error);
    this.blockGenerator.stop();
    if (this.unstored.length > 0) {
      log().warn(`ReceiverSupervisor: stream ${this.streamId} stops with ${this.unstored.length} blocks (${this.unstoredRecords} records) its write-ahead log could not write; they are dropped.`);
      this.unstored.length = 0;
      this.unstoredRecords = 0;
    }
  }

  pushSingle(record: T): Promise<void> | undefined {
    return this.blockGenerator.addData(record);
  }

  get rateLimit(): number { return this.blockGenerator.rateLimit; }

  setBeforeBlockCut(store: ((intervalEnd: number) => void) | undefined): void {
    this.blockGenerator.beforeCut = store;
  }

  pushPackedLines(segment: Uint8Array, count: number, receivedAtWall?: number): Promise<void> | undefined {
    return this.blockGenerator.addPackedLines(segment, count, receivedAtWall);
  }

  cutBlocksDueBy(time: number): void {
    this.blockGenerator.cutBlocksDueBy(time);
    this.storeHeldBlocks();
  }

  pushBlock(records: T[], metadata?: unknown): void {
    if (this.supervisorStopped) {
      log().warn(`ReceiverSupervisor: dropping a block of ${records.length} records stored by stream ${this.streamId} after its receiver was stopped.`);
      return;
    }
    this.addBlock(records, metadata);
  }

  reportError(message: string, error?: unknown): void {
    const errorString = describeError(error);
    log().warn(`ReceiverTracker: Error reported by receiver for stream ${this.streamId}: ${errorString ? `${message} - ${errorString}` : message}`);
    // Spark keeps the previous lastErrorTime here (-1 for a first error); we stamp the report's time.
    this.info = { ...this.info, lastErrorMessage: message, lastError: errorString, lastErrorTime: this.ssc.clock.getTimeMillis() };
    this.ssc.listenerBus.post("onReceiverError", { receiverInfo: this.receiverInfo });
  }

  /**
   * Spark's restartReceiver: asynchronously stops the receiver, waits `delayMs` on the context's
   * clock and starts it again. A restart requested while one is pending is ignored.
   */
  restartReceiver(message: string, error?: unknown, delayMs?: number): void {
    if (this.supervisorStopped || this.restartPending) return;
    this.restartPending = true;
    const delay = delayMs ?? this.ssc.conf.getNumber("spark.streaming.receiverRestartDelay", 2000);
    // Asynchronous as Spark's Future: restart() may be called from inside onStart().
    queueMicrotask(() => {
      if (this.supervisorStopped) return;
      log().warn(`ReceiverSupervisor: Restarting receiver with delay ${delay} ms: ${message}${error ? ` - ${describeError(error)}` : ""}`);
      this.stopReceiver(`Restarting receiver with delay ${delay}ms: ${message}`, error);
      this.restartTimer = this.ssc.clock.schedule(this.ssc.clock.getTimeMillis() + delay, () => {
        this.restartTimer = undefined;
        this.restartPending = false;
        if (!this.supervisorStopped) this.startReceiver();
      });
    });
  }

  isReceiverStarted(): boolean { return this.receiverState === "started"; }
  isReceiverStopped(): boolean { return this.receiverState === "stopped"; }

  private addBlock(records: T[] | PackedLines, metadata?: unknown): void {
    let block: ReceivedBlock;
    if (records instanceof PackedLines) {
      this.numRecordsPushed += records.count;
      // `records` decodes the lines anew for whoever asks (the write-ahead log); a batch reads `packed`.
      block = { streamId: this.streamId, packed: records, get records() { return records.lines(); } };
    } else {
      this.numRecordsPushed += records.length;
      block = metadata === undefined ? { streamId: this.streamId, records } : { streamId: this.streamId, records, metadata };
    }
    this.unstored.push(block);
    this.unstoredRecords += records instanceof PackedLines ? records.count : records.length;
    this.storeHeldBlocks();
  }

  /**
   * Hands the blocks in `unstored` to the tracker, in order, up to the first it refuses (its
   * write-ahead log cannot write: STREAM_ERR_WAL_WRITE). The first refusal of a spell is reported
   * (onReceiverError); the block stays and is offered again, so nothing received is lost while
   * the process runs, and once the disk has room every held block enters the next batch.
   */
  private storeHeldBlocks(): void {
    while (this.unstored.length > 0) {
      const block = this.unstored[0];
      try {
        this.ssc.receiverTracker.addBlock(block);
      } catch (e) {
        if (!this.storeFailing) this.reportError("Error storing block", e);
        this.storeFailing = true;
        return;
      }
      this.unstored.shift();
      this.unstoredRecords -= block.packed ? block.packed.count : block.records.length;
      if (this.storeFailing && this.unstored.length === 0) {
        log().warn(`ReceiverSupervisor: stream ${this.streamId} stored the blocks its write-ahead log had held back; none was lost.`);
        this.storeFailing = false;
      }
    }
  }

  private startReceiver(): void {
    try {
      this.receiver.onStart();
      this.receiverState = "started";
      // Spark's registerReceiver replaces the tracking info: a (re)started receiver has no last error.
      this.info = { ...this.info, active: true, lastErrorMessage: "", lastError: "", lastErrorTime: -1 };
      this.ssc.listenerBus.post("onReceiverStarted", { receiverInfo: this.receiverInfo });
    } catch (e) {
      // As Spark: onStop is not called for a receiver whose onStart failed; the supervisor stops.
      this.receiverState = "stopped";
      log().warn(`ReceiverSupervisor: Error starting receiver ${this.streamId} - ${describeError(e)}`);
      this.postStopped(`Error starting receiver ${this.streamId}`, e);
      void this.stop(`Error starting receiver ${this.streamId}`, e);
    }
  }

  private stopReceiver(message: string, error?: unknown): void {
    if (this.receiverState !== "started") return;
    this.receiverState = "stopped";
    try {
      this.receiver.onStop();
    } catch (e) {
      log().warn(`ReceiverSupervisor: Error stopping receiver ${this.streamId} ${describeError(e)}`);
    }
    this.postStopped(message, error);
  }

  private postStopped(message: string, error?: unknown): void {
    const errorString = describeError(error);
    const lastErrorTime = errorString ? this.ssc.clock.getTimeMillis() : -1;
    this.info = { ...this.info, active: false, lastErrorMessage: message, lastError: errorString, lastErrorTime };
    // Spark reports a restart's or stop's error only inside onReceiverStopped; streamlab also posts
    // onReceiverError for it, so a listener that watches errors sees reconnect failures.
    if (errorString) this.ssc.listenerBus.post("onReceiverError", { receiverInfo: this.receiverInfo });
    this.ssc.listenerBus.post("onReceiverStopped", { receiverInfo: this.receiverInfo });
  }
}

/** Spark sends the error's stack trace as a string; "" when there is no error. */
function describeError(error: unknown): string {
  if (error === undefined || error === null) return "";
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
