import { EventEmitter } from "events";
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "worker_threads";

/**
 * The reading thread's code. It is plain JavaScript evaluated by the Worker (no compiled file to
 * find), and uses nothing but net: it reads, hands every chunk over without copying (a socket
 * read's Buffer owns its ArrayBuffer, which is transferred), and stops reading while more than
 * `maxUnconsumed` bytes wait on the other side, so a main thread that falls behind still slows
 * the sender through TCP's own flow control.
 *
 * Why not shared memory: a SharedArrayBuffer's bytes count in no thread's external memory, so
 * they never prompt a garbage collection, and one is freed only after every thread that held it
 * has collected its wrapper. Handed over in 4 MB shared slabs, every byte received stayed in
 * memory (Grep over TCP at 2M lines/s: 190 MB more each second). A transferred ArrayBuffer
 * belongs to the main thread alone, which V8 counts and collects.
 */
const READER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const net = require("net");
const { host, port, maxUnconsumed, out } = workerData;
let unconsumed = 0, pausedByOwner = false, full = false;
const socket = net.createConnection({ host, port });
const flow = () => { if (pausedByOwner || full) socket.pause(); else socket.resume(); };
socket.on("connect", () => out.postMessage({ type: "connect" }));
socket.on("data", (chunk) => {
  const owned = chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length;
  unconsumed += chunk.length;
  out.postMessage({ type: "data", chunk, at: Date.now() }, owned ? [chunk.buffer] : []);
  if (unconsumed > maxUnconsumed && !full) { full = true; flow(); }
});
socket.on("end", () => out.postMessage({ type: "end" }));
socket.on("error", (e) => out.postMessage({ type: "error", message: e.message, code: e.code }));
parentPort.on("message", (m) => {
  if (m.type === "consumed") { unconsumed -= m.bytes; if (full && unconsumed <= maxUnconsumed / 2) { full = false; flow(); } }
  else if (m.type === "pause") { pausedByOwner = true; flow(); }
  else if (m.type === "resume") { pausedByOwner = false; flow(); }
  else if (m.type === "close") { socket.destroy(); out.close(); parentPort.close(); }
});
`;

/** Bytes read but not yet taken by the receiver, above which the reading thread stops reading. */
export const MAX_UNCONSUMED_BYTES = 256 * 1024 * 1024;

/**
 * Consumed bytes are reported back to the reading thread in steps of this many, not per chunk, or
 * of a quarter of a smaller bound: the reading thread resumes once at most half its bound is
 * unconsumed, so a step above that would never come and reading would stop for good.
 */
const CONSUMED_REPORT_BYTES = 4 * 1024 * 1024;

type ReaderMessage =
  | { type: "connect" }
  | { type: "data"; chunk: Uint8Array; at: number }
  | { type: "end" }
  | { type: "error"; message: string; code?: string };

/**
 * A TCP connection read on its own thread, as Spark's receiver reads on its own thread: the
 * socket is drained while the main thread runs a batch, so the sender is not stalled by TCP's
 * flow control for the length of every batch (which made batches alternate between bursts and
 * near-empty ones). It emits what a net.Socket would: 'connect', 'data' (a Buffer, in order, on
 * the main thread, and as a second argument the `Date.now()` at which the reading thread got it),
 * 'end' and 'error'; socketTextStream's receiver uses nothing else. pause() holds
 * back chunks already handed over, so no 'data' event fires while paused, as with a net.Socket.
 * `drain()` takes the chunks that arrived while the main thread was busy at once, so that a block
 * cut then holds what was received before it, as Spark's receiver thread would have stored it.
 */
export class ThreadSocket extends EventEmitter {
  private readonly worker: Worker;
  /** Where the reading thread's events arrive, in order. */
  private readonly events: MessagePort;
  private paused = false;
  /** The reading thread was told to pause (pause(), not hold()). */
  private readerPaused = false;
  private closed = false;
  private readonly held: ReaderMessage[] = [];
  /** Bytes emitted as 'data' since the reading thread was last told (see MAX_UNCONSUMED_BYTES). */
  private consumedUnreported = 0;
  /** The step in which consumed bytes are reported (CONSUMED_REPORT_BYTES). */
  private readonly reportEvery: number;

  constructor(host: string, port: number, maxUnconsumed = MAX_UNCONSUMED_BYTES) {
    super();
    this.reportEvery = Math.max(1, Math.min(CONSUMED_REPORT_BYTES, Math.floor(maxUnconsumed / 4)));
    const { port1, port2 } = new MessageChannel();
    this.events = port1;
    this.worker = new Worker(READER_SOURCE, { eval: true, workerData: { host, port, maxUnconsumed, out: port2 }, transferList: [port2] });
    this.events.on("message", (m: ReaderMessage) => this.deliver(m));
    this.worker.on("error", (e) => this.deliver({ type: "error", message: e.message }));
  }

  /** Emits, now, every event the reading thread has sent that is still queued (none while paused). */
  drain(): void {
    while (!this.paused && !this.closed) {
      const queued = receiveMessageOnPort(this.events);
      if (queued === undefined) return;
      this.deliver(queued.message as ReaderMessage);
    }
  }

  pause(): this {
    if (!this.readerPaused && !this.closed) this.worker.postMessage({ type: "pause" });
    this.paused = true;
    this.readerPaused = true;
    return this;
  }

  /**
   * Like pause(), but the reading thread goes on reading (up to its bound, see
   * MAX_UNCONSUMED_BYTES), stamping what arrives: what a rate-limited receiver uses, so that the
   * lines it holds back keep the times they arrived at, and take their permits from then, even
   * while this thread is busy with a batch (BlockGenerator.add). resume() ends it.
   */
  hold(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) this.emitMessage(this.held.shift() as ReaderMessage);
    if (!this.paused && !this.closed && this.readerPaused) {
      this.worker.postMessage({ type: "resume" });
      this.readerPaused = false;
    }
    return this;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    this.worker.postMessage({ type: "close" });
    this.events.close();
    // A reader stuck connecting exits with its thread; nothing of it outlives the receiver.
    void this.worker.terminate();
  }

  private deliver(m: ReaderMessage): void {
    if (this.closed) return;
    if (this.paused || this.held.length > 0) this.held.push(m);
    else this.emitMessage(m);
  }

  private emitMessage(m: ReaderMessage): void {
    switch (m.type) {
      case "connect":
        this.emit("connect");
        return;
      case "data": {
        const chunk = Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength);
        this.consumedUnreported += chunk.length;
        if (this.consumedUnreported >= this.reportEvery) {
          this.worker.postMessage({ type: "consumed", bytes: this.consumedUnreported });
          this.consumedUnreported = 0;
        }
        this.emit("data", chunk, m.at);
        return;
      }
      case "end":
        this.emit("end");
        return;
      case "error": {
        const e = new Error(m.message) as NodeJS.ErrnoException;
        if (m.code !== undefined) e.code = m.code;
        this.emit("error", e);
        return;
      }
    }
  }
}
