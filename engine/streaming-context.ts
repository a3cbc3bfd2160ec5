import * as os from "os";
import { ConfValue, parseMaster, SparkConf } from "./conf";
import { DStream } from "./dstream/dstream";
import { Errors } from "./errors/messages";
import { DStreamGraph } from "./graph";
import { log } from "./log";
import { outputHooks } from "./output-hooks";
import type { ForEachDStream } from "./dstream/foreach-dstream";
import type { OutputInfo } from "./scheduler/output-operation";
import { RDD, RDDContext } from "./rdd/rdd";
import { InputInfoTracker } from "./scheduler/input-info-tracker";
import { JobGenerator } from "./scheduler/job-generator";
import { JobScheduler } from "./scheduler/job-scheduler";
import { ListenerBus, StreamingListener } from "./scheduler/listener";
import { ReceiverTracker } from "./scheduler/receiver-tracker";
import { QueueInputDStream } from "./sources/queue-input-dstream";
import { ReceiverInputDStream } from "./dstream/receiver-input-dstream";
import type { Receiver } from "./receiver/receiver";
import { SocketInputDStream } from "./sources/socket-input-dstream";
import { bytesToLines } from "./sources/line-splitter";
import type { SocketConverter } from "./sources/socket-receiver";
import { FileInputDStream, FileStreamOptions, fixedLengthRecords, textLines, textRecords } from "./sources/file-input-dstream";
import { StorageLevel } from "./storage-level";
import { TransformedDStream } from "./dstream/transformed";
import { UnionDStream } from "./dstream/union";
import { Clock, isManualClock, SystemClock } from "./time/clock";
import { DurationLike, positiveMillis } from "./time/duration";
import { Time } from "./time/time";
import { WebUiHandle, webUiHooks } from "./ui-hooks";
import { defaultRecoveryHooks, getActiveOrCreate, getOrCreate, GetOrCreateOptions } from "./checkpoint/recovery";

/** The life-cycle states of a StreamingContext (Spark's StreamingContextState). */
export const StreamingContextState = { INITIALIZED: "INITIALIZED", ACTIVE: "ACTIVE", STOPPED: "STOPPED" } as const;
/** One of INITIALIZED, ACTIVE, STOPPED. */
export type StreamingContextState = (typeof StreamingContextState)[keyof typeof StreamingContextState];

/** Options of `new StreamingContext({...})`. */
export interface StreamingContextOptions {
  /** The application name (Spark's `spark.app.name`); shown by dashboards. Default "streamlab". */
  appName?: string;
  /** `local`, `local[N]` or `local[*]`: N is the default number of partitions of pair operations. Default `local[2]`. */
  master?: string;
  /** The batch interval: `Durations.seconds(1)` or a number of milliseconds. */
  batchDuration: DurationLike;
  /** The clock batches run on: SystemClock (default), or ManualClock in tests. */
  clock?: Clock;
  /** Spark configuration, e.g. `{ "spark.streaming.receiver.maxRate": 1000 }`, or a SparkConf. */
  conf?: SparkConf | Record<string, ConfValue>;
}

/** Options of `ssc.stop(...)`. */
export interface StopOptions {
  /** Wait until all received data has been processed (Spark's stopGracefully). Default false. */
  stopGracefully?: boolean;
  /** Accepted for Spark compatibility; streamlab has no separate SparkContext to stop. */
  stopSparkContext?: boolean;
  /**
   * Why the context stops, shown as the stop reason of its outputs (e.g. "its context was
   * replaced when cell [3] re-ran"). Default "the context stopped".
   */
  reason?: string;
}

/** What `ssc.removeOwnedBy(owner)` removes. */
export interface Removal {
  /** The owner's own outputs: they leave at the next batch boundary. */
  outputs: OutputInfo[];
  /** Outputs of other owners that read a removed stream: they stop at the same boundary, with a reason. */
  dependents: OutputInfo[];
  /** Stream ids that leave (the owner's, and every stream computed from them). */
  streams: number[];
  /** Resolves once they have left and their last jobs finished. */
  done: Promise<void>;
}

/**
 * Hooks the fault-tolerance layer installs: write checkpoints after job generation and after
 * each batch. @internal
 */
export interface RecoveryHooks {
  /** Batch `time`'s jobs are generated and about to be submitted (none has run yet). */
  beforeJobsSubmitted?(time: number): void;
  afterBatchCompleted?(time: number): Promise<void> | void;
  /** Starts the graph on restored state instead of fresh; returns the first batch time. */
  start?(ssc: StreamingContext): number;
  onStop?(ssc: StreamingContext, graceful: boolean): Promise<void>;
  /** Lets go of files and handlers without writing anything (abandonForTest). */
  release?(): void;
}

let activeContext: StreamingContext | undefined;

/**
 * The entry point of a streaming program (Spark's StreamingContext): creates input streams, holds
 * the DStream graph, runs a batch every `batchDuration` once started.
 *
 * Both cores: with `local[N]`, up to N − 1 worker threads (no more than the machine's other cores;
 * `streamlab.workerThreads` sets the number, 0 turns them off) run the map side of reduceByKey,
 * count, distinct and combineByKey beside the main thread, when a batch's tasks are large and
 * costly and the functions of the chain (map, flatMap, filter, mapValues, flatMapValues and the
 * reduce function) are self-contained: they use only their arguments and built-ins such as
 * `Math` or `JSON`. Others, e.g. one that reads a notebook variable or logs, run on the main
 * thread as before; the output is the same either way.
 *
 * @example
 * import { StreamingContext, Durations } from "streamlab";
 * const ssc = new StreamingContext({ appName: "WordCount", master: "local[2]", batchDuration: Durations.seconds(1) });
 * const lines = ssc.socketTextStream("localhost", 9999);
 * lines.flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1]).reduceByKey((a, b) => a + b).print();
 * ssc.start();
 * await ssc.awaitTermination();
 */
export class StreamingContext {
  /** The batch interval in milliseconds. */
  readonly batchDuration: number;
  /** The configuration (Spark's SparkConf). */
  readonly conf: SparkConf;
  readonly clock: Clock;
  /** The application name. */
  readonly appName: string;
  /** The master URL, e.g. `local[2]`. */
  readonly master: string;
  /** Partitions of pair operations by default: N of `local[N]`, or `spark.default.parallelism`. */
  readonly defaultParallelism: number;
  /** The DStream graph: its streams, inputs and outputs, and `zeroTime`, the origin of the batch grid (one batch interval before the first batch), which notebooks use to number batches. */
  readonly graph: DStreamGraph;
  /** @internal */ readonly listenerBus = new ListenerBus();
  /** @internal */ readonly inputInfoTracker = new InputInfoTracker();
  /** @internal */ readonly receiverTracker = new ReceiverTracker();
  /** @internal */ readonly jobScheduler: JobScheduler;
  /** @internal */ readonly jobGenerator: JobGenerator;
  /** @internal */ readonly rddContext: RDDContext;
  /** @internal */ recoveryHooks: RecoveryHooks | undefined;
  /** The checkpoint directory, once `checkpoint(dir)` was called. */
  checkpointDir: string | undefined;
  /** Wall-clock time (per `clock`) at which start() ran. */
  startTime: number | undefined;
  /** Where start() was called from, for the one-active-context error. */
  startSite: string | undefined;

  private state: StreamingContextState = StreamingContextState.INITIALIZED;
  private lastError: Error | undefined;
  private terminationWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private stopPromise: Promise<void> | undefined;
  private unregisterIdle: (() => void) | undefined;
  private webUi: WebUiHandle | undefined;

  /** @param options appName, master, batchDuration, clock, conf */
  constructor(options: StreamingContextOptions);
  /** Java-lecture form: `new StreamingContext(new SparkConf().setAppName(..).setMaster(..), Durations.seconds(1))`. */
  constructor(conf: SparkConf, batchDuration: DurationLike);
  /** Scala form: `new StreamingContext("local[2]", "WordCount", Seconds(1))`. */
  constructor(master: string, appName: string, batchDuration: DurationLike);
  constructor(a: StreamingContextOptions | SparkConf | string, b?: DurationLike | string, c?: DurationLike) {
    const opts = normalizeOptions(a, b, c);
    this.conf = opts.conf instanceof SparkConf ? opts.conf.clone() : new SparkConf(opts.conf ?? {});
    this.master = opts.master ?? this.conf.get("spark.master") ?? "local[2]";
    this.appName = opts.appName ?? this.conf.get("spark.app.name") ?? "streamlab";
    this.conf.set("spark.master", this.master).set("spark.app.name", this.appName);
    this.batchDuration = positiveMillis(opts.batchDuration, "batchDuration");
    const cores = parseMaster(this.master, os.cpus().length || 1);
    const parallelismIsSet = this.conf.contains("spark.default.parallelism");
    this.defaultParallelism = parallelismIsSet ? this.conf.getNumber("spark.default.parallelism", cores) : cores;
    this.rddContext = { defaultParallelism: this.defaultParallelism, parallelismIsSet, workerThreads: workerThreadsFor(this.conf, cores) };
    this.clock = opts.clock ?? new SystemClock();
    this.graph = new DStreamGraph(this.batchDuration);
    this.jobScheduler = new JobScheduler(this);
    this.jobGenerator = new JobGenerator(this);
    this.jobScheduler.onBatchCompletion = (t) => this.jobGenerator.onBatchCompletion(t);
    if (cores === 1) {
      log().warn("StreamingContext: spark.master should be set as local[n], n > 1 in local mode if you have receivers to get data, otherwise Spark jobs will not get resources to process the received data.");
    }
    const dir = this.conf.get("spark.streaming.checkpoint.directory");
    if (dir) this.checkpoint(dir);
    this.graph.onChange.push((change) => {
      for (const s of change.removed) {
        const out = s as unknown as Partial<ForEachDStream<unknown>>;
        if (typeof out.status === "function") this.listenerBus.post("onOutputOperationStopped", { output: out.status() });
      }
      this.listenerBus.post("onGraphChanged", { time: change.time, added: change.added.map((s) => s.id), removed: change.removed.map((s) => s.id) });
      // The web UI and the dashboard redraw the graph picture from this.
      this.listenerBus.post("onGraphUpdated", { streams: this.graph.describe() });
    });
    outputHooks.onContextCreated?.(this);
  }

  /**
   * True when streams and outputs may be added and removed while this context runs: the
   * `streamlab.graph.liveChanges` setting, else the process default (false in plain Node, as
   * Spark; true in the streamlab Jupyter kernel; see `setLiveGraphDefault`).
   */
  get liveChangesEnabled(): boolean {
    return this.conf.contains("streamlab.graph.liveChanges") ? this.conf.getBoolean("streamlab.graph.liveChanges", false) : !!outputHooks.liveGraphDefault;
  }

  // ---- life cycle -------------------------------------------------------------------------

  /** The context that is started and not stopped, if any. */
  static getActive(): StreamingContext | undefined {
    return activeContext;
  }

  /**
   * The active context, or the one `create` builds. Notebook-friendly: re-running a cell that
   * uses it does not start a second context.
   */
  static getActiveOrCreate(create: () => StreamingContext): StreamingContext;
  /** The active context, or `getOrCreate(checkpointPath, create)`: recovers from a checkpoint when there is one. */
  static getActiveOrCreate(checkpointPath: string, create: () => StreamingContext, options?: GetOrCreateOptions): StreamingContext;
  static getActiveOrCreate(a: string | (() => StreamingContext), b?: () => StreamingContext, options?: GetOrCreateOptions): StreamingContext {
    if (typeof a === "string") return getActiveOrCreate(activeContext, a, b as () => StreamingContext, options);
    return activeContext ?? a();
  }

  /**
   * Recovers a context from the checkpoint in `checkpointPath`, or creates a new one. `create`
   * builds the whole graph (inputs, operations, outputs, `ssc.checkpoint(dir)`) and always runs:
   * JavaScript functions cannot be stored, so the graph is rebuilt and the checkpoint's state is
   * put back into it. If the checkpoint was written by a different graph, it fails with an error
   * naming the differences (see `options` for the ways forward). On `start()` the pending and
   * down-time batches are replayed (long empty stretches coalesced) on the original batch grid.
   *
   * @example
   * const ssc = StreamingContext.getOrCreate("checkpoints/wc", () => {
   *   const ssc = new StreamingContext({ appName: "WordCount", batchDuration: Durations.seconds(1) });
   *   ssc.checkpoint("checkpoints/wc");
   *   ssc.socketTextStream("localhost", 9999).flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1])
   *     .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).print();
   *   return ssc;
   * });
   * ssc.start();
   */
  static getOrCreate(checkpointPath: string, create: () => StreamingContext, options?: GetOrCreateOptions): StreamingContext {
    return getOrCreate(checkpointPath, create, options);
  }

  /** Stops the active context, if any (e.g. before re-running a notebook's set-up cell). */
  static async stopActive(options: StopOptions = {}): Promise<void> {
    await activeContext?.stop(options);
  }

  /** INITIALIZED, ACTIVE or STOPPED. */
  getState(): StreamingContextState {
    return this.state;
  }

  /**
   * Starts running batches: validates the graph, starts receivers and the batch timer. Returns at
   * once; batches run in the background. Only one context may be active per process.
   */
  start(): void {
    if (this.state === StreamingContextState.ACTIVE) {
      log().warn("StreamingContext: StreamingContext has already been started");
      return;
    }
    if (this.state === StreamingContextState.STOPPED) throw Errors.alreadyStopped();
    if (activeContext && activeContext !== this) throw Errors.anotherActive(activeContext.startSite ?? "<unknown>");
    try {
      this.graph.validate();
      if (this.checkpointDir && this.graph.inputStreams.some((s) => s instanceof QueueInputDStream)) throw Errors.queueStreamCheckpoint();
      this.startSite = outputHooks.describeCallSite?.() ?? callSite();
      this.startTime = this.clock.getTimeMillis();
      activeContext = this;
      this.state = StreamingContextState.ACTIVE;
      // The UI listens before recovery runs, so it sees the restore and the replayed batches.
      this.startWebUi();
      this.listenerBus.post("onGraphUpdated", { streams: this.graph.describe() });
      if (isManualClock(this.clock)) this.unregisterIdle = this.clock.addIdleWaiter(() => this.jobGenerator.whenIdle());
      this.recoveryHooks ??= defaultRecoveryHooks(this);
      if (this.recoveryHooks?.start) this.recoveryHooks.start(this);
      else this.jobGenerator.startFirstTime();
      this.receiverTracker.startReceivers();
    } catch (e) {
      this.state = StreamingContextState.STOPPED;
      if (activeContext === this) activeContext = undefined;
      this.jobGenerator.timer.stop();
      this.unregisterIdle?.();
      this.stopWebUi();
      throw e;
    }
    this.listenerBus.post("onStreamingStarted", { time: this.clock.getTimeMillis() });
  }

  /**
   * Stops the context. Immediately: the timer stops, queued batches are dropped, the running one
   * finishes. Gracefully (`{ stopGracefully: true }`): receivers stop, every received record is
   * processed, then it stops. Idempotent. Resolves when everything has stopped; called from inside
   * an output operation (e.g. `foreachRDD`), it resolves at once and the context stops when the
   * current batch ends (`awaitTermination()` tells when).
   */
  stop(options?: StopOptions): Promise<void>;
  /** Spark's `stop(stopSparkContext, stopGracefully)`. */
  stop(stopSparkContext: boolean, stopGracefully?: boolean): Promise<void>;
  stop(a: StopOptions | boolean = {}, b = false): Promise<void> {
    const graceful = typeof a === "boolean" ? b : !!a.stopGracefully;
    const reason = typeof a === "boolean" ? undefined : a.reason;
    if (this.listenerBus.inListener) throw Errors.stopInListener();
    // From inside an output operation (foreachRDD) the stop completes after the current batch,
    // which is waiting for this call: resolve now, or both would wait for each other forever.
    if (this.jobScheduler.inOutputOperation) {
      if (!this.stopPromise && this.state === StreamingContextState.ACTIVE) {
        this.stopPromise = this.doStop(graceful, reason);
        // Nobody awaits it here: a failure is logged instead of an unhandled rejection.
        this.stopPromise.catch((e) => log().warn(`StreamingContext: stopping failed: ${(e as Error).message}`));
      }
      return Promise.resolve();
    }
    if (this.stopPromise) return this.stopPromise;
    if (this.state === StreamingContextState.INITIALIZED) {
      log().warn("StreamingContext: StreamingContext has not been started yet");
      this.state = StreamingContextState.STOPPED;
      this.notifyTermination();
      return (this.stopPromise = Promise.resolve());
    }
    if (this.state === StreamingContextState.STOPPED) {
      log().warn("StreamingContext: StreamingContext has already been stopped");
      return Promise.resolve();
    }
    return (this.stopPromise = this.doStop(graceful, reason));
  }

  private async doStop(graceful: boolean, reason: string | undefined): Promise<void> {
    try {
      if (graceful) {
        await this.receiverTracker.stopReceivers("Stopped by driver");
        const timeoutMs = this.conf.getTimeMs("spark.streaming.gracefulStopTimeout", 10 * this.batchDuration);
        if (this.receiverTracker.hasUnallocatedBlocks()) {
          await withTimeout(this.jobGenerator.nextAllocation(), timeoutMs, () =>
            log().warn(`JobGenerator: Timed out while stopping the job generator (timeout = ${timeoutMs})`));
        }
        this.jobGenerator.timer.stop();
        await this.jobGenerator.whenIdle();
      } else {
        this.jobGenerator.timer.stop();
        this.jobGenerator.dropPreparing();
        this.jobScheduler.dropQueued();
        await this.receiverTracker.stopReceivers("Stopped by driver");
        await this.jobGenerator.whenIdle();
      }
      await this.recoveryHooks?.onStop?.(this, graceful);
      await this.graph.stop();
    } finally {
      this.unregisterIdle?.();
      this.listenerBus.post("onStreamingStopped", { time: this.clock.getTimeMillis() });
      this.stopWebUi();
      if (activeContext === this) activeContext = undefined;
      this.state = StreamingContextState.STOPPED;
      for (const o of this.graph.allOutputs) o.markStopped(reason ?? "the context stopped");
      this.notifyTermination();
    }
  }

  /**
   * The URL of this context's web UI (Spark's Streaming tab: timelines, batches, receivers, the
   * DStream graph, the checkpoint), token included. It runs on 127.0.0.1 from `start()` until the
   * context stops, at `spark.ui.port` (4040, or the next free port); undefined before it listens
   * (a few milliseconds after start), after stop, with `spark.ui.enabled=false`, or when only the
   * engine is loaded (`streamlab/engine` internals, tests).
   * @example
   * ssc.start();
   * setTimeout(() => console.log(ssc.uiWebUrl()), 100); // http://127.0.0.1:4040/streaming/?token=...
   */
  uiWebUrl(): string | undefined {
    return this.webUi?.url;
  }

  private startWebUi(): void {
    if (!webUiHooks.start || !this.conf.getBoolean("spark.ui.enabled", true)) return;
    try {
      this.webUi = webUiHooks.start(this);
    } catch (e) {
      // The stream matters more than its page: a UI that cannot start is reported, not fatal.
      log().warn(`SparkUI: the web UI did not start: ${(e as Error)?.message ?? e}`);
    }
  }

  private stopWebUi(): void {
    const ui = this.webUi;
    this.webUi = undefined;
    try {
      ui?.stop();
    } catch (e) {
      log().warn(`SparkUI: stopping the web UI failed: ${(e as Error)?.message ?? e}`);
    }
  }

  /**
   * Drops this context as a crash would: the timer stops, queued batches are dropped, files are
   * let go, nothing is stopped cleanly, flushed or checkpointed. Lets recovery tests "kill" a
   * context in-process. @internal
   */
  abandonForTest(): void {
    this.jobGenerator.timer.stop();
    this.jobGenerator.dropPreparing();
    this.jobScheduler.dropQueued();
    this.recoveryHooks?.release?.();
    this.unregisterIdle?.();
    this.stopWebUi();
    if (activeContext === this) activeContext = undefined;
    this.state = StreamingContextState.STOPPED;
  }

  /**
   * Resolves when the context stops; rejects with the error of a failed batch (the stream itself
   * keeps running, as in Spark).
   */
  awaitTermination(): Promise<void> {
    if (this.lastError) return Promise.reject(this.lastError);
    if (this.state === StreamingContextState.STOPPED) return Promise.resolve();
    return new Promise((resolve, reject) => this.terminationWaiters.push({ resolve, reject }));
  }

  /**
   * Like awaitTermination, but gives up after `timeoutMs` of wall time: resolves true if stopped,
   * false on timeout; rejects with a batch's error.
   */
  async awaitTerminationOrTimeout(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([this.awaitTermination().then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reports an error of the running computation: listeners see it, awaitTermination rejects with it. @internal */
  reportError(message: string, error: Error): void {
    log().warn(`JobScheduler: ${message}: ${error.message}`);
    this.lastError = error;
    const waiters = this.terminationWaiters;
    this.terminationWaiters = [];
    for (const w of waiters) w.reject(error);
  }

  private notifyTermination(): void {
    const waiters = this.terminationWaiters;
    this.terminationWaiters = [];
    for (const w of waiters) w.resolve();
  }

  // ---- configuration ----------------------------------------------------------------------

  /** Keeps every stream's batches at least `duration` (can be set once, before start). */
  remember(duration: DurationLike): void {
    this.graph.remember(positiveMillis(duration, "remember duration"));
  }

  /**
   * Sets the checkpoint directory (created if missing). Needed by stateful operations and for
   * recovery with `StreamingContext.getOrCreate`. `null` turns checkpointing off.
   */
  checkpoint(directory: string | null): void {
    if (directory === null) { this.checkpointDir = undefined; return; }
    if (typeof directory !== "string" || directory === "") throw Errors.badArgument("checkpoint directory", directory, "must be a non-empty path");
    require("fs").mkdirSync(directory, { recursive: true });
    this.checkpointDir = require("path").resolve(directory);
  }

  /** Registers a listener for streaming events. */
  addStreamingListener(listener: StreamingListener): void {
    this.listenerBus.add(listener);
  }

  /** Unregisters a listener. */
  removeStreamingListener(listener: StreamingListener): void {
    this.listenerBus.remove(listener);
  }

  // ---- graph building ---------------------------------------------------------------------

  // ---- live graph: outputs, owners ---------------------------------------------------------

  /**
   * Every output operation defined on this context, removed ones included (the latest 200 of
   * those), in definition order: id, name (the operation it reads, e.g. `reduceByKey`), owner, status
   * (running/stopped/failed), failure count, since, last error.
   * @example ssc.outputs().filter((o) => o.status === "failed").map((o) => `${o.name}: ${o.lastError?.message}`)
   */
  outputs(): OutputInfo[] {
    return [...this.graph.stoppedOutputs, ...this.graph.allOutputs.map((o) => o.status())].sort((a, b) => a.id - b.id);
  }

  /**
   * Removes, at the next batch boundary, every stream and output that `owner` defined (see
   * `setCurrentOwner`; e.g. a notebook cell id), and every stream and output computed from
   * them: outputs of other owners that read a removed stream stop too, with `reason` in their
   * stop reason. A stateful stream defined again identically before that boundary takes over
   * the removed one's state. Before start they are removed at once.
   * @param reason why, for the stop reasons (e.g. "cell [3] re-ran")
   * @example ssc.removeOwnedBy("cell-3", "cell [3] re-ran")
   */
  removeOwnedBy(owner: string, reason?: string): Removal {
    if (typeof owner !== "string" || owner === "") throw Errors.badOwner(owner);
    const owned = this.graph.ownedBy(owner);
    const gone = new Set<number>(owned.map((s) => s.id));
    const outputs: OutputInfo[] = [];
    const dependents: OutputInfo[] = [];
    for (const s of this.graph.withJoining()) {
      if (!gone.has(s.id) && dependsOnAny(s, gone)) gone.add(s.id);
    }
    for (const o of this.graph.allOutputs) {
      if (!gone.has(o.id) || !o.isRunning) continue;
      (o.owner === owner ? outputs : dependents).push(o.status());
    }
    const done = owned.length > 0 && this.state !== StreamingContextState.STOPPED ? this.graph.requestRemoval(owned, reason) : Promise.resolve();
    return { outputs, dependents, streams: [...gone].sort((a, b) => a - b), done };
  }

  /** @internal Throws Spark's error when streams are added after start or stop. */
  assertCanAddStreams(): void {
    if (this.state === StreamingContextState.ACTIVE && !this.liveChangesEnabled) throw Errors.addAfterStart();
    if (this.state === StreamingContextState.STOPPED) throw Errors.addAfterStop();
  }

  /**
   * A test source: each batch takes the next RDD (or array) from `queue` (`oneAtATime`), or all of
   * them. When the queue is empty the batch is `defaultRDD`, or empty. Items pushed later are seen.
   * Cannot be used with checkpointing.
   */
  queueStream<T>(queue: Array<RDD<T> | T[]>, oneAtATime = true, defaultRDD?: RDD<T> | T[]): DStream<T> {
    return new QueueInputDStream(this, queue, oneAtATime, defaultRDD);
  }

  /**
   * A stream fed by a custom Receiver: its `onStart()` runs when the context starts and its
   * `store(...)` calls become the batches (one partition per 200 ms block).
   * @example
   * class Ticks extends Receiver<number> {
   *   private timer?: NodeJS.Timeout;
   *   onStart() { let i = 0; this.timer = setInterval(() => this.store(i++), 100); }
   *   onStop() { clearInterval(this.timer); }
   * }
   * ssc.receiverStream(new Ticks()).count().print();
   */
  receiverStream<T>(receiver: Receiver<T>): ReceiverInputDStream<T> {
    return new ReceiverInputDStream(this, receiver);
  }

  /**
   * Lines of text read from a TCP server at `host:port` (e.g. `nc -lk 9999`): bytes are decoded as
   * UTF-8 and split at \n, \r or \r\n. If the server is not there or goes away, the receiver retries
   * every `spark.streaming.receiverRestartDelay` (2 s) until the context stops. The socket is read
   * on a thread of its own, so it keeps being read while a batch runs. A batch keeps the bytes as
   * received and decodes its lines each time it is read, as a serialized storage level does.
   * @param storageLevel recorded for Spark compatibility (default MEMORY_AND_DISK_SER_2)
   * @example
   * const lines = ssc.socketTextStream("localhost", 9999);
   * lines.flatMap((l) => l.split(" ")).countByValue().print();
   */
  socketTextStream(host: string, port: number, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_SER_2): ReceiverInputDStream<string> {
    return new SocketInputDStream(this, host, port, bytesToLines, storageLevel);
  }

  /**
   * Records read from a TCP server at `host:port` by `converter`, which gets the connection as a
   * Node Readable (an async iterable of Buffers) and returns or yields records. Reconnects as
   * socketTextStream does.
   * @param storageLevel recorded for Spark compatibility (Spark requires it; default here MEMORY_AND_DISK_SER_2)
   * @example
   * async function* csvRows(input: Readable) { for await (const line of bytesToLines(input)) yield line.split(","); }
   * ssc.socketStream("localhost", 9999, csvRows).print();
   */
  socketStream<T>(host: string, port: number, converter: SocketConverter<T>, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_SER_2): ReceiverInputDStream<T> {
    return new SocketInputDStream(this, host, port, converter, storageLevel);
  }

  /**
   * Lines of the files that appear in `directory`: each batch reads the files whose modification
   * time falls in that batch (move or rename finished files into the directory; names starting
   * with "." are skipped). Files already there at creation are not read. UTF-8 text.
   * @example
   * ssc.textFileStream("data/incoming").flatMap((l) => l.split(" ")).countByValue().print();
   */
  textFileStream(directory: string): FileInputDStream<string> {
    return new FileInputDStream(this, directory, textLines);
  }

  /**
   * Records of the files that appear in `directory` (Spark's fileStream): by default TextInputFormat's
   * `[byteOffset, line]` pairs, or whatever `options.format` reads from a file's bytes.
   * `options.filter(path)` replaces the default filter (skip names starting with "."), and
   * `newFilesOnly: false` also reads the files already there at the first batch.
   * @example
   * ssc.fileStream("data/in", { filter: (p) => p.endsWith(".csv"), newFilesOnly: false }).map(([, line]) => line).print();
   */
  fileStream(directory: string, options?: Omit<FileStreamOptions<[number, string]>, "format">): FileInputDStream<[number, string]>;
  fileStream<T>(directory: string, options: FileStreamOptions<T> & { format: FileStreamOptions<T>["format"] }): FileInputDStream<T>;
  fileStream<T>(directory: string, options: FileStreamOptions<T> = {}): FileInputDStream<T> {
    const format = (options.format ?? textRecords) as NonNullable<FileStreamOptions<T>["format"]>;
    return new FileInputDStream(this, directory, format, options);
  }

  /**
   * Fixed-length binary records (Buffers of `recordLength` bytes) of the new files in `directory`.
   * A file whose size is not a multiple of `recordLength` fails its batch with Spark's error
   * "Byte array does not have correct length".
   * @example
   * ssc.binaryRecordsStream("data/readings", 8).map((b) => b.readDoubleBE(0)).print();
   */
  binaryRecordsStream(directory: string, recordLength: number): FileInputDStream<Buffer> {
    if (!Number.isInteger(recordLength) || recordLength < 1) throw Errors.badArgument("binaryRecordsStream's recordLength", recordLength, "must be a whole number of bytes >= 1");
    return new FileInputDStream(this, directory, fixedLengthRecords(recordLength));
  }

  /** The union of streams with the same slide duration. */
  union<T>(...streams: Array<DStream<T> | DStream<T>[]>): DStream<T> {
    return new UnionDStream(streams.flat() as DStream<T>[]);
  }

  /**
   * A stream computed by `fn` from the batches of several streams at each batch time.
   * `fn` must return an RDD (an empty one, not null, when there is nothing).
   */
  transform<T>(streams: DStream<unknown>[], fn: (rdds: RDD<unknown>[], time: Time) => RDD<T>): DStream<T> {
    return new TransformedDStream(streams, fn);
  }

  /** An RDD of `items` in `numSlices` partitions (default: the default parallelism). */
  parallelize<T>(items: readonly T[], numSlices = this.defaultParallelism): RDD<T> {
    return RDD.parallelize(items, numSlices, this.rddContext);
  }

  /** An RDD with no elements. */
  emptyRDD<T>(): RDD<T> {
    return RDD.empty<T>(this.rddContext);
  }
}

function dependsOnAny(s: DStream<unknown>, ids: Set<number>): boolean {
  return s.dependencies.some((d) => ids.has(d.id) || dependsOnAny(d, ids));
}

function normalizeOptions(a: StreamingContextOptions | SparkConf | string, b?: DurationLike | string, c?: DurationLike): StreamingContextOptions {
  if (a instanceof SparkConf) return { conf: a, batchDuration: b as DurationLike };
  if (typeof a === "string") return { master: a, appName: b as string, batchDuration: c as DurationLike };
  if (!a || typeof a !== "object") throw Errors.badArgument("new StreamingContext(...)", a, "takes { appName, master, batchDuration }");
  return a;
}

const ENGINE_ROOT = require("path").dirname(__filename) + require("path").sep;

/** The first stack frame outside streamlab's own files: where the user called start(). */
function callSite(): string {
  const lines = (new Error().stack ?? "").split("\n").slice(1).map((l) => l.trim());
  const user = lines.filter((l) => !l.includes(ENGINE_ROOT) && !l.includes("node:internal"));
  return (user.length ? user : lines).slice(0, 3).join("\n");
}

async function withTimeout(p: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<void>((resolve) => { timer = setTimeout(() => { onTimeout(); resolve(); }, ms); });
  try {
    await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How many worker threads may run map tasks beside the main thread: `local[N]` runs up to N tasks
 * at once, as Spark's N task threads do, so N − 1 workers, no more than the machine's other
 * cores; `streamlab.workerThreads` overrides it (0: every task on the main thread).
 */
function workerThreadsFor(conf: SparkConf, cores: number): number {
  const set = conf.get("streamlab.workerThreads");
  if (set !== undefined) {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0) throw Errors.badConf("streamlab.workerThreads", set, "expected a whole number of threads, 0 or more");
    return n;
  }
  return Math.max(0, Math.min(cores, os.availableParallelism()) - 1);
}
