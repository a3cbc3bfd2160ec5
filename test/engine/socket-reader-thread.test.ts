import * as net from "net";
import { Worker } from "worker_threads";
import { ThreadSocket } from "../../engine/sources/socket-reader-thread";

/*
 * socketTextStream reads its connection on a thread of its own (ThreadSocket), as Spark's
 * receiver does. Real loopback sockets: every byte must arrive in order, nothing while paused,
 * and errors and closing must look like a net.Socket's.
 */

function listen(onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;
const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Eight megabytes of lines that differ everywhere, so a lost, doubled or swapped chunk shows. */
const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i} ${"x".repeat(i % 61)}\n`).join(""));

/** Writes `payload` in several writes, so that the reader sees many chunks, and ends. */
function sendPayload(s: net.Socket): void {
  for (let at = 0; at < payload.length; at += 1_000_003) s.write(payload.subarray(at, at + 1_000_003));
  s.end();
}

describe("ThreadSocket", () => {
  it("hands every byte over in order, and fires no 'data' or 'end' while paused", async () => {
    const server = await listen(sendPayload);
    const socket = new ThreadSocket("127.0.0.1", portOf(server));
    const chunks: Buffer[] = [];
    let paused = false;
    let whilePaused = 0;
    const ended = new Promise<void>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("data", (chunk) => {
        if (paused) whilePaused++;
        chunks.push(chunk);
        if (chunks.length % 3 === 0) {
          paused = true;
          socket.pause();
          setImmediate(() => { paused = false; socket.resume(); });
        }
      });
      socket.on("end", () => { if (paused) whilePaused++; resolve(); });
    });
    await ended;
    socket.destroy();
    await close(server);
    expect(whilePaused).toBe(0);
    expect(chunks.length).toBeGreaterThan(3);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it("gives back the memory of chunks once nothing holds them: 2 GB through, each chunk kept 200 ms, resident memory grows by far less", async () => {
    // Chunks in shared memory were never given back here: no thread counts a SharedArrayBuffer's
    // bytes, so nothing prompted the collections that free it (this grew by 2.1 GB).
    const megabyte = Buffer.alloc(1 << 20, 97);
    const server = await listen((s) => {
      let sent = 0;
      const write = () => {
        while (sent < 2048) {
          sent++;
          if (!s.write(megabyte)) { s.once("drain", write); return; }
        }
        s.end();
      };
      write();
    });
    const before = process.memoryUsage.rss();
    const socket = new ThreadSocket("127.0.0.1", portOf(server));
    const kept: [number, Buffer][] = [];
    let received = 0;
    let decoded = 0;
    let peak = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        // Held for a while, as a block holds its lines until its batch has run, and decoded, as a
        // batch decodes them (the garbage that makes collections promote what is held).
        kept.push([Date.now(), chunk]);
        decoded += chunk.toString("latin1").split("a", 50).length;
        while (kept.length > 0 && kept[0][0] < Date.now() - 200) kept.shift();
        peak = Math.max(peak, process.memoryUsage.rss() - before);
      });
      socket.on("end", () => resolve());
    });
    socket.destroy();
    await close(server);
    expect(received).toBe(2048 * 2 ** 20);
    expect(decoded).toBeGreaterThan(0);
    expect(peak / 2 ** 20).toBeLessThan(1024);
  });

  it("hold() emits nothing on this thread but lets the reading thread read on, so the sender finishes; resume() then emits it all in order", async () => {
    let finished!: () => void;
    const sent = new Promise<void>((resolve) => { finished = resolve; });
    const server = await listen((s) => { s.on("finish", () => finished()); sendPayload(s); });
    const socket = new ThreadSocket("127.0.0.1", portOf(server));
    const chunks: Buffer[] = [];
    socket.hold();
    const ended = new Promise<void>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("end", resolve);
    });
    // 8 MB is twice what the kernel's socket buffers hold here: the sender finishes only if the
    // reading thread keeps reading (after pause() it would not: see the bound test below).
    await sent;
    expect(chunks.length).toBe(0);
    socket.resume();
    await ended;
    socket.destroy();
    await close(server);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it("a refused connection is an 'error' with the socket's code and message", async () => {
    const server = await listen(() => {});
    const port = portOf(server);
    await close(server);
    const socket = new ThreadSocket("127.0.0.1", port);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.on("error", resolve));
    socket.destroy();
    expect(error.code).toBe("ECONNREFUSED");
    expect(error.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("connects, and destroy() closes the connection and emits nothing after", async () => {
    let serverSide: net.Socket | undefined;
    const closed = new Promise<void>((resolve) => {
      void listen((s) => {
        serverSide = s;
        // "after" may reach a connection the client has already destroyed: a reset, not a failure.
        s.on("error", () => {});
        s.on("close", () => resolve());
        s.write("before\n");
      }).then((server) => {
        const socket = new ThreadSocket("127.0.0.1", portOf(server));
        socket.once("connect", () => {
          socket.on("data", () => {
            socket.destroy();
            socket.on("data", () => { throw new Error("data after destroy"); });
            (serverSide as net.Socket).write("after\n");
          });
        });
        void closed.then(() => close(server));
      });
    });
    await closed;
    expect(serverSide?.destroyed).toBe(true);
  });

  it("with a bound below the 4 MB reporting step, still reads the whole stream (the bound pauses reading, never for good)", async () => {
    let serverSide: net.Socket | undefined;
    const server = await listen((s) => {
      serverSide = s;
      sendPayload(s);
    });
    // 64 KB: the reading thread stops after about one chunk until the main thread reports it consumed.
    const socket = new ThreadSocket("127.0.0.1", portOf(server), 64 * 1024);
    const chunks: Buffer[] = [];
    let stuck: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        stuck = setTimeout(() => reject(new Error(`reading stopped after ${Buffer.concat(chunks).length} of ${payload.length} bytes`)), 10_000);
        socket.on("error", reject);
        socket.on("data", (chunk) => chunks.push(chunk));
        socket.on("end", () => resolve());
      });
    } finally {
      clearTimeout(stuck);
      socket.destroy();
      serverSide?.destroy();
      await close(server);
    }
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it("stops reading at its bound while the main thread is busy, so TCP slows the sender", async () => {
    // The sender must keep writing while this thread is blocked, so it runs on a thread of its own
    // and counts, in shared memory, the megabytes the kernel has taken from it.
    const SENDER = `
      const { parentPort, workerData } = require("worker_threads");
      const net = require("net");
      const flushed = new Int32Array(workerData.flushed);
      const megabyte = Buffer.alloc(1 << 20, 120);
      const server = net.createServer((s) => {
        s.on("error", () => {});
        let left = workerData.megabytes;
        const next = () => { if (left-- === 0) { s.end(); return; } s.write(megabyte, () => { Atomics.add(flushed, 0, 1); next(); }); };
        next();
      });
      server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
    `;
    const megabytes = 64;
    const flushed = new Int32Array(new SharedArrayBuffer(4));
    const sender = new Worker(SENDER, { eval: true, workerData: { flushed: flushed.buffer, megabytes } });
    const port = await new Promise<number>((resolve) => sender.once("message", resolve));
    const socket = new ThreadSocket("127.0.0.1", port, 256 * 1024);
    let received = 0;
    let flushedWhileBusy = -1;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on("error", reject);
        socket.once("connect", () => {
          // A batch that keeps the main thread for 800 ms: nothing is consumed meanwhile.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);
          flushedWhileBusy = Atomics.load(flushed, 0);
        });
        socket.on("data", (chunk: Buffer) => { received += chunk.length; });
        socket.on("end", () => resolve());
      });
    } finally {
      socket.destroy();
      await sender.terminate();
    }
    // The bound (256 KB) plus what the two kernel socket buffers hold (3-4 MB here); without the
    // bound the reading thread takes all 64 MB in that time.
    expect(flushedWhileBusy).toBeGreaterThanOrEqual(0);
    expect(flushedWhileBusy).toBeLessThan(megabytes / 2);
    expect(received).toBe(megabytes << 20);
  });
});
