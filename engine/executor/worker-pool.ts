import * as fs from "fs";
import * as path from "path";
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "worker_threads";
import { log } from "../log";
import { MapTaskMessage, MapTaskResult } from "./protocol";

/** No result for this long while tasks are out means a worker died: its tasks run here instead. */
const STALLED_MS = 60_000;

/**
 * The process's map-task worker threads, shared by every StreamingContext. The main thread stays
 * synchronous (a batch's jobs run to completion, as before): it posts tasks, runs its own share,
 * then blocks in Atomics.wait until the workers' results are in, reading them with
 * receiveMessageOnPort. Workers are unref'd, so they never keep the process alive.
 */
export class TaskWorkerPool {
  private static shared: TaskWorkerPool | undefined;
  private static unavailable = false;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly online: Promise<void>[] = [];
  /** Bumped by a worker after each result it posts; what the main thread waits on. */
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private dispatches = 0;
  private broken = false;

  private constructor(private readonly entry: string) {}

  /** The pool with at least `threads` workers, or undefined when workers cannot run here. */
  static get(threads: number): TaskWorkerPool | undefined {
    if (threads <= 0 || TaskWorkerPool.unavailable) return undefined;
    if (TaskWorkerPool.shared === undefined) {
      const entry = workerEntry();
      if (entry === undefined) {
        TaskWorkerPool.unavailable = true;
        log().warn("TaskWorkerPool: map tasks run on the main thread: the compiled worker (dist/engine/executor/task-worker.js) is missing; run `npm run build`");
        return undefined;
      }
      TaskWorkerPool.shared = new TaskWorkerPool(entry);
    }
    const pool = TaskWorkerPool.shared;
    if (pool.broken) return undefined;
    while (pool.workers.length < threads) pool.spawn();
    return pool;
  }

  /** Stops the workers (tests; a process exit stops them anyway). @internal */
  static async shutdown(): Promise<void> {
    const pool = TaskWorkerPool.shared;
    TaskWorkerPool.shared = undefined;
    if (pool) await Promise.all(pool.workers.map((w) => w.terminate()));
  }

  /** Resolves once every worker has started (tests). @internal */
  ready(): Promise<void> {
    return Promise.all(this.online).then(() => undefined);
  }

  get size(): number {
    return this.workers.length;
  }

  /** A new dispatch id: results of an earlier, abandoned dispatch are told apart by it. */
  newDispatch(): number {
    return ++this.dispatches;
  }

  /** Posts `task` to worker `w`; false when its records cannot be copied to a thread. */
  post(w: number, task: MapTaskMessage, transfer: ArrayBuffer[] = []): boolean {
    try {
      this.workers[w % this.workers.length].postMessage(task, transfer);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Blocks until `count` results of `dispatch` are in, or no result came for STALLED_MS (then the
   * pool is retired and the results so far are returned; the caller runs the rest).
   */
  awaitResults(dispatch: number, count: number): MapTaskResult[] {
    const out: MapTaskResult[] = [];
    let lastProgress = Date.now();
    while (out.length < count) {
      const seen = Atomics.load(this.signal, 0);
      let got = false;
      for (const port of this.ports) {
        for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
          const result = m.message as MapTaskResult;
          if (result.dispatch === dispatch) { out.push(result); got = true; }
        }
      }
      if (got) { lastProgress = Date.now(); continue; }
      if (Date.now() - lastProgress > STALLED_MS) {
        this.retire(`no map task result for ${STALLED_MS / 1000} s`);
        break;
      }
      Atomics.wait(this.signal, 0, seen, 1000);
    }
    return out;
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(this.entry, { workerData: { results: port2, signal: this.signal }, transferList: [port2] });
    worker.on("error", (e) => this.retire(`a map task worker failed: ${e instanceof Error ? e.message : String(e)}`));
    this.online.push(new Promise((resolve) => worker.once("online", () => resolve())));
    worker.unref();
    port1.unref();
    this.workers.push(worker);
    this.ports.push(port1);
  }

  private retire(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    if (TaskWorkerPool.shared === this) TaskWorkerPool.shared = undefined;
    log().warn(`TaskWorkerPool: map tasks run on the main thread from now on: ${reason}`);
    for (const w of this.workers) void w.terminate();
  }
}

/** The compiled worker script: beside this file in dist, or in dist when running from the TypeScript sources. */
function workerEntry(): string | undefined {
  const dir = __filename.endsWith(".ts") ? path.resolve(__dirname, "../../dist/engine/executor") : __dirname;
  const file = path.join(dir, "task-worker.js");
  return fs.existsSync(file) ? file : undefined;
}
