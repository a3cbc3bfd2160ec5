import { log } from "../log";
import { Clock, TimerHandle } from "../time/clock";
import { RecurringTimer } from "../time/recurring-timer";
import { RateLimiter } from "./rate-limiter";

interface WaitingRecord<T> {
  record: T;
  /** When the rate limiter lets this record into the current block. */
  at: number;
  resolve: () => void;
}

/**
 * Spark's BlockGenerator: buffers single records stored by a receiver and cuts the buffer into a
 * block every `blockInterval` (aligned to the clock's grid); each non-empty block goes to `push`.
 *
 * Spark's `store(record)` blocks the receiving thread while the rate limiter says wait. Node cannot
 * block, so a throttled record waits in an ordered queue instead and enters the current block when
 * its permit time comes (a timer on the injected clock). `addData` returns a promise for that
 * moment, so a receiving loop can await it and stop pulling from its source, which is the
 * backpressure Spark's blocking call gives.
 */
export class BlockGenerator<T> {
  private buffer: T[] = [];
  private readonly waiting: WaitingRecord<T>[] = [];
  private readonly timer: RecurringTimer;
  private drainTimer: TimerHandle | undefined;
  private state: "initialized" | "active" | "stopped" = "initialized";
  private warnedAfterStop = false;
  /** Records accepted so far (those waiting for the rate limiter included). */
  numRecordsAdded = 0;

  /**
   * @param push receives each block, in order
   * @param name for log lines, e.g. "stream 3"
   */
  constructor(
    private readonly clock: Clock,
    readonly blockIntervalMs: number,
    private readonly rateLimiter: RateLimiter,
    private readonly push: (records: T[]) => void,
    private readonly name = "receiver",
  ) {
    this.timer = new RecurringTimer(clock, blockIntervalMs, () => this.cutBlock());
  }

  /** Records accepted but not yet pushed in a block. */
  get numBufferedRecords(): number { return this.buffer.length + this.waiting.length; }

  /** True while throttled records wait for the rate limiter. */
  get isThrottled(): boolean { return this.waiting.length > 0; }

  /** The current limit of `store(record)` in records per second (Infinity when unlimited). */
  get rateLimit(): number { return this.rateLimiter.currentLimit; }

  /**
   * Backpressure's new rate (Spark's BlockGenerator.updateRate), capped by
   * `spark.streaming.receiver.maxRate`. Records already waiting keep their permit times.
   */
  updateRate(newRate: number): void {
    this.rateLimiter.updateRate(newRate, this.clock.getTimeMillis());
  }

  /** Starts cutting blocks at the next multiple of the block interval. */
  start(): void {
    if (this.state !== "initialized") return;
    this.state = "active";
    this.timer.start();
  }

  /**
   * Adds one record. Returns undefined when it entered the current block at once, or a promise that
   * resolves when the rate limiter lets it in. After stop() the record is dropped with a warning.
   */
  addData(record: T): Promise<void> | undefined {
    if (this.state === "stopped") {
      // Spark throws here; in Node that would be an uncaught exception in some event handler of the
      // user's receiver, which takes the whole kernel down. Warn once and drop instead.
      if (!this.warnedAfterStop) log().warn(`BlockGenerator: Cannot add data as BlockGenerator of ${this.name} has been stopped; dropping records stored after stop.`);
      this.warnedAfterStop = true;
      return undefined;
    }
    this.numRecordsAdded++;
    // Unlimited (the default): no clock read per record.
    if (this.waiting.length === 0 && !this.rateLimiter.isLimited) {
      this.buffer.push(record);
      return undefined;
    }
    const now = this.clock.getTimeMillis();
    const at = this.rateLimiter.reserve(now);
    if (this.waiting.length === 0 && at <= now) {
      this.buffer.push(record);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.waiting.push({ record, at, resolve });
      if (this.waiting.length === 1) this.armDrain();
    });
  }

  /**
   * Stops cutting blocks and pushes everything accepted as a last block, rate-limited records
   * included: a stored record is never lost by a (graceful) stop.
   */
  stop(): void {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.timer.stop();
    this.drainTimer?.cancel();
    this.admit(Infinity);
    this.cutBlock();
  }

  private cutBlock(): void {
    if (this.buffer.length === 0) return;
    const block = this.buffer;
    this.buffer = [];
    this.push(block);
  }

  private armDrain(): void {
    this.drainTimer = this.clock.schedule(this.waiting[0].at, () => {
      this.admit(this.clock.getTimeMillis());
      if (this.waiting.length > 0) this.armDrain();
    });
  }

  /** Moves the waiting records whose permit time has come into the buffer, in order. */
  private admit(upTo: number): void {
    while (this.waiting.length > 0 && this.waiting[0].at <= upTo) {
      const w = this.waiting.shift() as WaitingRecord<T>;
      this.buffer.push(w.record);
      w.resolve();
    }
  }
}
