import { EventEmitter } from "events";
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "worker_threads";

/**
 * The reading thread's code. It is plain JavaScript evaluated by the Worker (no compiled file to
 * find), and uses nothing but net: it reads, copies every chunk into shared memory (a slab of
 * SLAB_BYTES, a new one when it is full) and hands over a view of it, and stops reading while
 * more than `maxUnconsumed` bytes wait on the other side, so a main thread that falls behind
 * still slows the sender through TCP's own flow control.
 *
 * Why shared memory: a block's lines are posted on to a map-task worker as bytes, and a view of
 * a SharedArrayBuffer is posted without a copy, where an ArrayBuffer's bytes were copied by the
 * main thread (7% of it with TopKCount over TCP at 1.2M lines/s). The copy made here instead is
 * one memcpy on a thread that mostly waits for the socket. A slab is freed once no block holds
 * a view of it any more.
 */
const READER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const net = require("net");
const { host, port, maxUnconsumed, out, slabBytes } = workerData;
let unconsumed = 0, pausedByOwner = false, full = false;
let slab = new Uint8Array(0), used = 0;
const socket = net.createConnection({ host, port });
const flow = () => { if (pausedByOwner || full) socket.pause(); else socket.resume(); };
socket.on("connect", () => out.postMessage({ type: "connect" }));
socket.on("data", (chunk) => {
  if (chunk.length > slab.length - used) { slab = new Uint8Array(new SharedArrayBuffer(Math.max(slabBytes, chunk.length))); used = 0; }
  slab.set(chunk, used);
  const shared = slab.subarray(used, used + chunk.length);
  used += chunk.length;
  unconsumed += chunk.length;
  out.postMessage({ type: "data", chunk: shared, at: Date.now() });
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

/** The shared memory the reading thread copies chunks into is allocated this many bytes at a time. */
const SLAB_BYTES = 4 * 1024 * 1024;

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
    this.worker = new Worker(READER_SOURCE, { eval: true, workerData: { host, port, maxUnconsumed, out: port2, slabBytes: SLAB_BYTES }, transferList: [port2] });
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
