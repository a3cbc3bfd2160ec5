import { log } from "../log";
import { Clock, TimerHandle } from "../time/clock";
import { RecurringTimer } from "../time/recurring-timer";
import { PackedLines } from "./packed-lines";
import { RateLimiter } from "./rate-limiter";

interface WaitingRecord<T> {
  /** A record, or with `lines` set a segment of that many packed lines. */
  record: T | Uint8Array;
  lines: number | undefined;
  /** When the rate limiter lets this record into the current block. */
  at: number;
  resolve: () => void;
}

/** Never held back by a cut: records stored on this thread, or when the clock cannot say when. */
const ALWAYS_DUE = -Infinity;

/**
 * Spark's BlockGenerator: buffers single records stored by a receiver and cuts the buffer into a
 * block every `blockInterval` (aligned to the clock's grid); each non-empty block goes to `push`.
 *
 * Spark's `store(record)` blocks the receiving thread while the rate limiter says wait. Node cannot
 * block, so a throttled record waits in an ordered queue instead and enters the current block when
 * its permit time comes (a timer on the injected clock). `addData` returns a promise for that
 * moment, so a receiving loop can await it and stop pulling from its source, which is the
 * backpressure Spark's blocking call gives.
 *
 * Lines may also be added packed (addPackedLines, socketTextStream's receiver): such a block is a
 * PackedLines. Packed and single records never share a block, so a switch cuts one early.
 *
 * Packed lines read on another thread carry the time they arrived. This thread may be busy with a
 * batch when a block interval ends; the late cut then takes only the lines that arrived by the end
 * of its interval (as Spark's receiver thread would have cut them), and cutBlocksDueBy lets a late
 * batch cut the blocks that are its own before it takes them, and no more. Otherwise a batch that
 * ran long made the next one take everything received meanwhile, which then ran longer still.
 */
export class BlockGenerator<T> {
  private buffer: T[] = [];
  /**
   * Segments of packed lines, buffered instead of `buffer` (never both at once): each with how
   * many lines it holds and when it arrived, on this generator's clock (ALWAYS_DUE when unknown).
   */
  private segments: Array<{ bytes: Uint8Array; lines: number; receivedAt: number }> = [];
  private linesInSegments = 0;
  private readonly waiting: WaitingRecord<T>[] = [];
  private recordsWaiting = 0;
  private readonly timer: RecurringTimer;
  private drainTimer: TimerHandle | undefined;
  private state: "initialized" | "active" | "stopped" = "initialized";
  private warnedAfterStop = false;
  /**
   * Called at each block interval before the block is cut, with the time the interval ended: a
   * receiver reading on another thread stores here what it has received by then, so the block
   * holds what arrived in its interval (as on Spark's receiver thread), even when this thread was
   * busy with a batch when the interval ended.
   */
  beforeCut: ((intervalEnd: number) => void) | undefined;

  /** The latest arrival time rate-limited lines of another thread took permits from (see add); -Infinity before any. */
  private permitsFrom = -Infinity;

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
    private readonly push: (records: T[] | PackedLines) => void,
    private readonly name = "receiver",
  ) {
    this.timer = new RecurringTimer(clock, blockIntervalMs, (time) => {
      this.beforeCut?.(time);
      this.cutBlock(time);
    });
  }

  /** Records accepted but not yet pushed in a block. */
  get numBufferedRecords(): number { return this.buffer.length + this.linesInSegments + this.recordsWaiting; }

  /** True while throttled records wait for the rate limiter. */
  get isThrottled(): boolean { return this.waiting.length > 0; }

  /** The current limit of `store(record)` in records per second (Infinity when unlimited). */
  get rateLimit(): number { return this.rateLimiter.currentLimit; }

  /**
   * Backpressure's new rate (Spark's BlockGenerator.updateRate), capped by
   * `spark.streaming.receiver.maxRate`. Records already waiting keep their permit times.
   */
  updateRate(newRate: number): void {
    // The limiter's time is the receiving thread's (see add): a rate set while lines received
    // during a batch are still to be stored must not count the batch as idle time (a burst of
    // stored permits). Permits of a truly idle spell are counted when the next line arrives.
    const now = this.clock.getTimeMillis();
    this.rateLimiter.updateRate(newRate, this.permitsFrom === -Infinity ? now : Math.min(now, this.permitsFrom));
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
    return this.add(record, undefined);
  }

  /**
   * Adds `count` lines packed in `segment` (see PackedLines), rate-limited as that many records.
   * Same result as `addData` for each line, minus a string per line. `receivedAtWall` is the
   * `Date.now()` at which another thread received them, when it did. @internal
   */
  addPackedLines(segment: Uint8Array, count: number, receivedAtWall?: number): Promise<void> | undefined {
    const receivedAt = receivedAtWall === undefined || this.clock.timeAt === undefined ? ALWAYS_DUE : this.clock.timeAt(receivedAtWall);
    return this.add(segment, count, receivedAt);
  }

  /**
   * Cuts now the blocks of the intervals that ended by `time` but whose turn has not come because
   * this thread was busy: a batch allocated late takes its own blocks, and none of later ones.
   */
  cutBlocksDueBy(time: number): void {
    if (this.state === "active") this.timer.fireOverdue(time);
  }

  private add(record: T | Uint8Array, lines: number | undefined, receivedAt = ALWAYS_DUE): Promise<void> | undefined {
    if (this.state === "stopped") {
      // Spark throws here; in Node that would be an uncaught exception in some event handler of the
      // user's receiver, which takes the whole kernel down. Warn once and drop instead.
      if (!this.warnedAfterStop) log().warn(`BlockGenerator: Cannot add data as BlockGenerator of ${this.name} has been stopped; dropping records stored after stop.`);
      this.warnedAfterStop = true;
      return undefined;
    }
    const count = lines ?? 1;
    this.numRecordsAdded += count;
    // Unlimited (the default): no clock read per record.
    if (this.waiting.length === 0 && !this.rateLimiter.isLimited) {
      this.enter(record, lines, receivedAt);
      return undefined;
    }
    const now = this.clock.getTimeMillis();
    // Lines another thread received while this one was busy take their permits as Spark's
    // receiver thread would have taken them: from when they arrived, after the permits of the
    // lines before them, and enter the block of that time. Taken from now, they all waited for
    // permits after the busy spell and the blocks of the spell stayed empty; and a second of
    // stored permits let the first of them in at once, so batches swung from 0 to twice the limit.
    const from = receivedAt === ALWAYS_DUE ? now : Math.min(now, receivedAt);
    if (receivedAt !== ALWAYS_DUE) this.permitsFrom = Math.max(this.permitsFrom, from);
    let at = from;
    for (let i = 0; i < count; i++) at = this.rateLimiter.reserve(from);
    if (this.waiting.length === 0 && at <= now) {
      this.enter(record, lines, receivedAt === ALWAYS_DUE ? ALWAYS_DUE : at);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.waiting.push({ record, lines, at, resolve });
      this.recordsWaiting += count;
      if (this.waiting.length === 1) this.armDrain();
    });
  }

  private enter(record: T | Uint8Array, lines: number | undefined, receivedAt: number): void {
    if (lines === undefined) {
      if (this.segments.length > 0) this.cutBlock();
      this.buffer.push(record as T);
    } else {
      if (this.buffer.length > 0) this.cutBlock();
      this.segments.push({ bytes: record as Uint8Array, lines, receivedAt });
      this.linesInSegments += lines;
    }
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

  /** Pushes the buffer as a block; of packed lines, only those that arrived by `upTo`. */
  private cutBlock(upTo = Infinity): void {
    if (this.segments.length > 0) {
      let n = 0;
      let lines = 0;
      while (n < this.segments.length && this.segments[n].receivedAt <= upTo) lines += this.segments[n++].lines;
      if (n > 0) {
        const block = new PackedLines(this.segments.splice(0, n).map((s) => s.bytes), lines);
        this.linesInSegments -= lines;
        this.push(block);
      }
    }
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
      this.recordsWaiting -= w.lines ?? 1;
      // It entered when its permit came, whenever it arrived.
      this.enter(w.record, w.lines, w.at);
      w.resolve();
    }
  }
}
