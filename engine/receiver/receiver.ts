import { Errors } from "../errors/messages";
import { StorageLevel } from "../storage-level";

/** What a Receiver asks of the supervisor that runs it. @internal */
export interface ReceiverSupervisorPort<T> {
  readonly streamId: number;
  pushSingle(record: T): Promise<void> | undefined;
  pushPackedLines(segment: Uint8Array, count: number, receivedAtWall?: number): Promise<void> | undefined;
  /** The limit of stored records per second (Infinity when unlimited). */
  readonly rateLimit: number;
  /** Sets what stores input received on another thread before each block is cut (BlockGenerator.beforeCut). */
  setBeforeBlockCut(store: ((intervalEnd: number) => void) | undefined): void;
  pushBlock(records: T[], metadata?: unknown): void;
  reportError(message: string, error?: unknown): void;
  restartReceiver(message: string, error?: unknown, delayMs?: number): void;
  stop(message: string, error?: unknown): void;
  isReceiverStarted(): boolean;
  isReceiverStopped(): boolean;
}

/**
 * A custom source (Spark's Receiver): subclass it, start receiving in `onStart()` and hand records
 * to `store(...)`; clean up in `onStop()`. Use it with `ssc.receiverStream(new MyReceiver())`.
 *
 * - `onStart()` must not block: start an async loop, a socket, a timer, then return.
 * - `store(record)` buffers the record; every `spark.streaming.blockInterval` (200 ms) the buffer
 *   becomes one block, i.e. one partition of the next batch. `spark.streaming.receiver.maxRate`
 *   limits these records per second.
 * - `store(records)` / `store(iterable, metadata)` stores a whole block at once (not rate-limited):
 *   use it when the source must be acknowledged only after the data is stored.
 * - `restart(message, error?)` calls `onStop()`, waits `spark.streaming.receiverRestartDelay`
 *   (2000 ms) and calls `onStart()` again; `stop(message, error?)` stops for good.
 * - Receiving loops should check `isStopped()`.
 *
 * Which `store` form runs is decided at run time (TypeScript overloads vanish): arrays, other
 * iterables (Set, a generator) and iterators are blocks; anything else, strings, Buffers and typed
 * arrays included, is one record. When your records are themselves arrays or iterables, call
 * `storeSingle(record)` / `storeBlock(records)` explicitly.
 *
 * @example
 * class CounterReceiver extends Receiver<number> {
 *   private timer?: NodeJS.Timeout;
 *   onStart() { let i = 0; this.timer = setInterval(() => this.store(i++), 10); }
 *   onStop() { clearInterval(this.timer); }
 * }
 * ssc.receiverStream(new CounterReceiver()).print();
 */
export abstract class Receiver<T> {
  private supervisorPort: ReceiverSupervisorPort<T> | undefined;

  /** @param storageLevel recorded for Spark compatibility; streamlab keeps blocks in memory. Default MEMORY_AND_DISK_2. */
  constructor(readonly storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2) {}

  /** Called when the receiver starts, and again after each restart. Must not block. */
  abstract onStart(): void;
  /** Called when the receiver stops, and before each restart: close sockets, clear timers. */
  abstract onStop(): void;

  /** A host preference, as Spark's `preferredLocation`; streamlab runs every receiver in-process. */
  get preferredLocation(): string | undefined { return undefined; }

  /** Stores one record, or a whole block when given an array or an iterator (see the class notes). */
  store(record: T): void;
  /** Stores `records` as one block, synchronously, with optional metadata (Spark's store(ArrayBuffer, metadata)). */
  store(records: T[] | Iterator<T> | Iterable<T>, metadata?: unknown): void;
  store(x: T | T[] | Iterator<T> | Iterable<T>, metadata?: unknown): void {
    if (arguments.length > 1 || isBlock(x)) this.storeBlock(x as Iterable<T> | Iterator<T>, metadata);
    else this.storeSingle(x as T);
  }

  /** Stores one record through the block generator (rate-limited by `spark.streaming.receiver.maxRate`). */
  storeSingle(record: T): void {
    void this.supervisor.pushSingle(record);
  }

  /**
   * Stores one record and resolves once the rate limiter has let it in: Spark's blocking
   * `store(record)`. A receiving loop that awaits it stops pulling from its source while throttled.
   */
  storeAndWait(record: T): Promise<void> {
    return this.storeOrThrottle(record) ?? Promise.resolve();
  }

  /**
   * `store(record)` for a receiving loop on I/O events: undefined when the record is accepted
   * now, else a promise that resolves when the rate limiter admits it (pause the source till then).
   * @internal
   */
  storeOrThrottle(record: T): Promise<void> | undefined {
    return this.supervisor.pushSingle(record);
  }

  /**
   * `storeOrThrottle` for `count` lines at once, packed as `segment` (see PackedLines): what
   * socketTextStream's receiver stores. @internal
   */
  storePackedLinesOrThrottle(segment: Uint8Array, count: number, receivedAtWall?: number): Promise<void> | undefined {
    return this.supervisor.pushPackedLines(segment, count, receivedAtWall);
  }

  /**
   * For a receiver that reads on another thread: `store(intervalEnd)` is called at each block
   * interval, before the block is cut, to store what has been received by the end of the interval
   * (a time on the context's clock). @internal
   */
  storeBeforeEachBlock(store: ((intervalEnd: number) => void) | undefined): void {
    this.supervisor.setBeforeBlockCut(store);
  }

  /** The limit of stored records per second now (maxRate, or backpressure's), Infinity when unlimited. @internal */
  get rateLimit(): number {
    return this.supervisor.rateLimit;
  }

  /** Stores `records` as one block, at once; the block is one partition of the next batch. */
  storeBlock(records: Iterable<T> | Iterator<T>, metadata?: unknown): void {
    const array = Array.isArray(records) ? records.slice() : Array.from(toIterable(records));
    this.supervisor.pushBlock(array, metadata);
  }

  /** Reports an error to the driver (listeners' `onReceiverError`); receiving goes on. */
  reportError(message: string, error?: unknown): void {
    this.supervisor.reportError(message, error);
  }

  /**
   * Restarts the receiver asynchronously: `onStop()`, then after `delayMs` (default
   * `spark.streaming.receiverRestartDelay`, 2000 ms, on the context's clock) `onStart()`.
   */
  restart(message: string, error?: unknown, delayMs?: number): void {
    this.supervisor.restartReceiver(message, error, delayMs);
  }

  /** Stops the receiver for good (`onStop()` is called); its stream then receives nothing more. */
  stop(message: string, error?: unknown): void {
    this.supervisor.stop(message, error);
  }

  /** True while the receiver is started (after onStart returned, until it stops or restarts). */
  isStarted(): boolean { return this.supervisor.isReceiverStarted(); }

  /** True once the receiver is stopped or restarting: receiving loops should end. */
  isStopped(): boolean { return this.supervisor.isReceiverStopped(); }

  /** The id of the input stream this receiver feeds. */
  get streamId(): number { return this.supervisor.streamId; }

  /** The stream this receiver is attached to, if any. @internal */
  get attachedStreamId(): number | undefined { return this.supervisorPort?.streamId; }

  /** Attaches the supervisor that runs this receiver (once). @internal */
  attachSupervisor(port: ReceiverSupervisorPort<T>): void {
    if (this.supervisorPort) throw Errors.receiverReused(this.constructor.name, this.supervisorPort.streamId);
    this.supervisorPort = port;
  }

  private get supervisor(): ReceiverSupervisorPort<T> {
    if (!this.supervisorPort) throw Errors.receiverNotAttached(this.constructor.name);
    return this.supervisorPort;
  }
}

/** Arrays, other iterables and iterators are blocks; strings, Buffers and typed arrays are records. */
function isBlock(x: unknown): boolean {
  if (Array.isArray(x)) return true;
  if (typeof x !== "object" || x === null || ArrayBuffer.isView(x)) return false;
  return Symbol.iterator in x || typeof (x as Iterator<unknown>).next === "function";
}

function toIterable<T>(x: Iterable<T> | Iterator<T>): Iterable<T> {
  if (Symbol.iterator in Object(x)) return x as Iterable<T>;
  const it = x as Iterator<T>;
  return { [Symbol.iterator]: () => it };
}
