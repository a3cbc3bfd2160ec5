import * as net from "net";
import type { Readable } from "stream";
import { Errors } from "../errors/messages";
import { log } from "../log";
import { Receiver } from "../receiver/receiver";
import { StorageLevel } from "../storage-level";
import { lineRun } from "../receiver/packed-lines";
import { LinePacker, LineSegment } from "./line-packer";
import { bytesToLines, DEFAULT_MAX_LINE_BYTES } from "./line-splitter";
import { ThreadSocket } from "./socket-reader-thread";

/**
 * Turns a connection's bytes into records (Spark's `InputStream => Iterator[T]`): receives the
 * socket as a Node Readable, which is also an async iterable of Buffers, and returns (or is a
 * generator of) records. `bytesToLines` is the one socketTextStream uses.
 *
 * @example
 * // one record per 4-byte big-endian integer
 * async function* ints(input: Readable) {
 *   let rest = Buffer.alloc(0);
 *   for await (const chunk of input) {
 *     rest = Buffer.concat([rest, chunk]);
 *     while (rest.length >= 4) { yield rest.readInt32BE(0); rest = rest.subarray(4); }
 *   }
 * }
 */
export type SocketConverter<T> = (input: Readable) => Iterable<T> | AsyncIterable<T>;

/**
 * Spark's SocketReceiver: a TCP client to `host:port` that stores every record the converter
 * yields. Like Spark it never gives up: a refused connection restarts it with "Error connecting to
 * host:port", the server closing the connection with "Socket data stream had no more data", any
 * other error with "Error receiving data"; each restart waits `spark.streaming.receiverRestartDelay`.
 * So a `nc -lk 9999` that is stopped and started again is simply reconnected to.
 * socketTextStream's connection is read on a thread of its own (ThreadSocket), as Spark reads a
 * receiver on its own thread; a custom converter's runs on the main thread, with the converter.
 */
export class SocketReceiver<T> extends Receiver<T> {
  private socket: net.Socket | ThreadSocket | undefined;
  /** Bumped on every start and stop, so callbacks of an old connection are ignored. */
  private generation = 0;

  /**
   * @param maxLineBytes socketTextStream's longest line (`streamlab.receiver.maxLineLength`): a
   *   longer one is dropped up to its end and reported (onReceiverError), and receiving goes on
   */
  constructor(readonly host: string, readonly port: number, private readonly bytesToObjects: SocketConverter<T>, storageLevel?: StorageLevel, readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    super(storageLevel);
  }

  onStart(): void {
    const gen = ++this.generation;
    const lines = (this.bytesToObjects as unknown) === bytesToLines;
    const socket: net.Socket | ThreadSocket = lines ? new ThreadSocket(this.host, this.port) : net.createConnection({ host: this.host, port: this.port });
    let connected = false;
    this.socket = socket;
    // Always listening for 'error': an unhandled one would crash the process (and the kernel).
    socket.on("error", (e) => {
      if (gen !== this.generation || this.isStopped()) return;
      if (connected) this.restart("Error receiving data", e);
      else this.restart(`Error connecting to ${this.host}:${this.port}`, e);
    });
    socket.once("connect", () => {
      connected = true;
      log().info(`SocketReceiver: Connected to ${this.host}:${this.port}`);
      if (socket instanceof ThreadSocket) this.receiveLines(socket, gen);
      else void this.receive(socket as net.Socket, gen);
    });
  }

  onStop(): void {
    this.generation++;
    this.storeBeforeEachBlock(undefined);
    this.closeSocket();
  }

  private async receive(socket: net.Socket, gen: number): Promise<void> {
    const current = () => gen === this.generation && !this.isStopped();
    try {
      for await (const record of this.bytesToObjects(socket)) {
        if (!current()) break;
        // Spark's store(record) blocks while rate-limited; awaiting it pauses reading the socket.
        await this.storeAndWait(record);
      }
      if (current()) this.restart("Socket data stream had no more data");
    } catch (e) {
      if (current()) this.restart("Error receiving data", e);
    } finally {
      if (socket === this.socket && gen === this.generation) this.closeSocket();
    }
  }

  /**
   * socketTextStream's loop, the same as `receive` with bytesToLines but driven by 'data' events:
   * an async iterator costs a promise per line, which capped a socket at about 800k lines/s.
   * Lines are stored packed, a chunk's lines at once (see PackedLines). Under a rate limit they
   * are stored in runs that take at most a millisecond of it (one line each under 1000 lines/s),
   * so a line enters its block at most a millisecond after its own permit, as `store(line)`
   * would. While the limiter holds a run back the socket is held (ThreadSocket.hold), so lines stay
   * in order, and the reading thread goes on reading and stamping what arrives.
   */
  private receiveLines(socket: ThreadSocket, gen: number): void {
    const current = () => gen === this.generation && !this.isStopped();
    const packer = new LinePacker(this.maxLineBytes, (limit) => {
      if (current()) this.reportError("Line too long", Errors.lineTooLong(`${this.host}:${this.port}`, limit));
    });
    let throttled = false;
    let ended = false;
    const finish = () => {
      if (current()) this.restart("Socket data stream had no more data");
      if (socket === this.socket && gen === this.generation) this.closeSocket();
    };
    /** Stores segments from `s` on, starting at byte `from` of it; they arrived at `receivedAt` (Date.now()). */
    const storeFrom = (segments: LineSegment[], receivedAt: number | undefined, s: number, from = 0): void => {
      for (; s < segments.length; s++, from = 0) {
        const { segment, count } = segments[s];
        const runLines = Math.max(1, Math.floor(this.rateLimit / 1000));
        while (from < segment.length) {
          if (!current()) return;
          const whole = from === 0 && count <= runLines;
          const { end, lines } = whole ? { end: segment.length, lines: count } : lineRun(segment, from, runLines);
          const wait = this.storePackedLinesOrThrottle(whole ? segment : segment.subarray(from, end), lines, receivedAt);
          from = end;
          if (wait === undefined) continue;
          const at = s, next = from;
          throttled = true;
          socket.hold();
          void wait.then(() => {
            throttled = false;
            storeFrom(segments, receivedAt, at, next);
            if (throttled) return;
            if (ended) finish();
            else socket.resume();
          });
          return;
        }
      }
    };
    socket.on("data", (chunk: Buffer, receivedAt: number) => storeFrom(packer.push(chunk), receivedAt, 0));
    this.storeBeforeEachBlock(() => { if (current()) socket.drain(); });
    socket.on("end", () => {
      ended = true;
      storeFrom(packer.end(), undefined, 0);
      if (!throttled) finish();
    });
  }

  private closeSocket(): void {
    if (!this.socket) return;
    this.socket.destroy();
    this.socket = undefined;
    log().info(`SocketReceiver: Closed socket to ${this.host}:${this.port}`);
  }
}
