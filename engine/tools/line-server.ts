import * as fs from "fs";
import * as net from "net";
import * as readline from "readline";
import { Errors } from "../errors/messages";
import { log } from "../log";
import { Clock, SystemClock, TimerHandle } from "../time/clock";

/** Where a line server's lines come from. */
export type LineSource = readonly string[] | Iterable<string> | AsyncIterable<string> | NodeJS.ReadableStream;

/** Options of `startLineServer({...})`. */
export interface LineServerOptions {
  /** TCP port; 0 (default) picks a free one, read it back from `server.port`. */
  port?: number;
  /** Loopback address to bind: "127.0.0.1" (default), "localhost" or "::1". Nothing else is allowed. */
  host?: string;
  /** The lines to serve: an array, any (async) iterable such as `salesLines(42)`, or a readable stream. */
  lines?: LineSource;
  /** A text file whose lines to serve (instead of `lines`). */
  file?: string;
  /** Lines per second (of `clock` time); default: as fast as the clients read. */
  rate?: number;
  /** Serve the file or array again from the start when it ends (default false). */
  loop?: boolean;
  /**
   * Start sending once this many clients are connected (default 1). Like `nc -l`, nothing is
   * read from the source before that, so a stream that connects late misses no line.
   */
  minClients?: number;
  /** The time base of `rate` (default: the wall clock); pass a ScaledClock to pace in stream time. */
  clock?: Clock;
}

/** A running line server. */
export interface LineServer {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The bound address. */
  readonly host: string;
  /** Clients connected now. */
  readonly connections: number;
  /** Lines sent so far (each counted once, however many clients got it). */
  readonly linesSent: number;
  /** Resolves when the source is exhausted (never, for an endless or looping source). */
  readonly done: Promise<void>;
  /** Sends one line now to every connected client, outside the source's pacing. */
  write(line: string): void;
  /** Resolves once at least `n` clients are connected. */
  waitForConnections(n: number): Promise<void>;
  /** Stops sending, closes every connection and the server. */
  close(): Promise<void>;
}

const LOOPBACK: Record<string, string> = { "127.0.0.1": "127.0.0.1", localhost: "127.0.0.1", "::1": "::1" };

/**
 * Serves lines over TCP as `nc -lk 9999` does, so a notebook or test needs no `nc`: every
 * connected client gets every line sent while it is connected (broadcast), paced at `rate` lines
 * per second. Binds the loopback interface only. Differs from nc: nc serves one client at a time.
 *
 * @example
 * const server = await startLineServer({ port: 9999, lines: salesLines(42), rate: 20 });
 * const lines = ssc.socketTextStream("localhost", 9999);
 * // ... later
 * await server.close();
 */
export async function startLineServer(options: LineServerOptions = {}): Promise<LineServer> {
  const opts = checkOptions(options);
  const sockets = new Set<net.Socket>();
  const connectionWaiters: Array<{ n: number; resolve: () => void }> = [];
  let closed = false;
  let linesSent = 0;
  let sleeping: { handle: TimerHandle; wake: () => void } | undefined;

  const server = net.createServer((socket) => {
    if (closed) { socket.destroy(); return; }
    sockets.add(socket);
    socket.on("error", () => socket.destroy()); // a client that vanishes must not stop the others
    socket.on("close", () => sockets.delete(socket));
    socket.resume(); // what clients send is ignored
    for (const w of [...connectionWaiters]) {
      if (sockets.size >= w.n) { connectionWaiters.splice(connectionWaiters.indexOf(w), 1); w.resolve(); }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => { server.off("error", reject); resolve(); });
  });
  const address = server.address() as net.AddressInfo;

  const broadcast = (line: string) => {
    const data = line.endsWith("\n") ? line : line + "\n";
    for (const s of sockets) if (!s.destroyed) s.write(data);
    linesSent++;
  };
  const waitForConnections = (n: number) =>
    sockets.size >= n ? Promise.resolve() : new Promise<void>((resolve) => connectionWaiters.push({ n, resolve }));
  const sleepUntil = (at: number) => new Promise<void>((resolve) => {
    const wake = () => { sleeping = undefined; resolve(); };
    sleeping = { handle: opts.clock.schedule(at, wake), wake };
  });

  const pump = async () => {
    if (!opts.source) return;
    await Promise.race([waitForConnections(opts.minClients), closedSignal]);
    const start = opts.clock.getTimeMillis();
    let i = 0;
    do {
      for await (const line of opts.source()) {
        if (closed) return;
        if (opts.rate !== undefined) {
          const due = start + (i * 1000) / opts.rate;
          if (opts.clock.getTimeMillis() < due) await sleepUntil(due);
          if (closed) return;
        }
        broadcast(line);
        i++;
        await backpressure(sockets, i);
      }
    } while (opts.loop && !closed);
  };

  let signalClosed = () => {};
  const closedSignal = new Promise<void>((resolve) => { signalClosed = resolve; });
  const done = pump().catch((e) => { log().warn(`LineServer: stopped reading its source: ${e instanceof Error ? e.message : e}`); });

  return {
    port: address.port,
    host: address.address,
    get connections() { return sockets.size; },
    get linesSent() { return linesSent; },
    done,
    write: (line) => broadcast(line),
    waitForConnections,
    close: async () => {
      if (closed) return;
      closed = true;
      signalClosed();
      if (sleeping) { sleeping.handle.cancel(); sleeping.wake(); }
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.end(() => s.destroy());
      await serverClosed;
      await done;
    },
  };
}

/** Waits while a client's buffer is full (so an endless fast source cannot fill memory), and
 * yields to the event loop now and then so sockets flush and timers run. */
async function backpressure(sockets: Set<net.Socket>, sent: number): Promise<void> {
  const full = [...sockets].filter((s) => s.writableNeedDrain && !s.destroyed);
  if (full.length > 0) {
    await Promise.all(full.map((s) => new Promise<void>((resolve) => {
      const finish = () => { s.off("drain", finish); s.off("close", finish); resolve(); };
      s.on("drain", finish);
      s.on("close", finish);
    })));
  } else if (sent % 256 === 0) {
    await new Promise((r) => setImmediate(r));
  }
}

function checkOptions(o: LineServerOptions) {
  const port = o.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw Errors.badOption("Line server port", port, "must be a whole number from 0 to 65535", "Use e.g. 9999, or 0 for any free port.");
  }
  const host = LOOPBACK[o.host ?? "127.0.0.1"];
  if (!host) throw Errors.notLoopback(String(o.host));
  if (o.rate !== undefined && (typeof o.rate !== "number" || !Number.isFinite(o.rate) || o.rate <= 0)) {
    throw Errors.badOption("Line server rate", o.rate, "must be a positive number of lines per second", "Use e.g. { rate: 10 }, or leave it out to send as fast as clients read.");
  }
  const minClients = o.minClients ?? 1;
  if (!Number.isInteger(minClients) || minClients < 0) {
    throw Errors.badOption("Line server minClients", minClients, "must be a whole number >= 0", "Use 1 (the default) to wait for the first client, 0 to send at once.");
  }
  if (o.file !== undefined && o.lines !== undefined) {
    throw Errors.badOption("Line server options", "both file and lines", "take one source", "Pass either { file } or { lines }.");
  }
  if (o.file !== undefined && !fs.existsSync(o.file)) {
    throw Errors.badOption("Line server file", o.file, "must be an existing text file", "Check the path (relative paths start at the current directory).");
  }
  const replayable = o.file !== undefined || Array.isArray(o.lines);
  if (o.loop && !replayable) {
    throw Errors.badOption("Line server loop", o.loop, "needs a file or an array of lines (an iterator or stream cannot restart)", "Pass { file } or an array, or leave loop out.");
  }
  return { port, host, rate: o.rate, loop: !!o.loop, minClients, clock: o.clock ?? new SystemClock(), source: sourceOf(o) };
}

function sourceOf(o: LineServerOptions): (() => AsyncIterable<string> | Iterable<string>) | undefined {
  const file = o.file;
  if (file !== undefined) return () => readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const lines = o.lines;
  if (lines === undefined) return undefined;
  if (isReadable(lines)) return () => readline.createInterface({ input: lines, crlfDelay: Infinity });
  return () => lines as Iterable<string> | AsyncIterable<string>;
}

function isReadable(x: unknown): x is NodeJS.ReadableStream {
  return typeof (x as NodeJS.ReadableStream).pipe === "function" && typeof (x as NodeJS.ReadableStream).on === "function";
}
