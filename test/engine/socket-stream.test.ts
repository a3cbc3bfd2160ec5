import * as net from "net";
import type { Readable } from "stream";
import { ManualClock, ReceiverInfo, ReceiverInputDStream, setLogger, StreamingContext } from "../../engine";

/** A TCP server on 127.0.0.1 that hands out its connections as they come. */
class TestServer {
  readonly sockets: net.Socket[] = [];
  private waiters: Array<(s: net.Socket) => void> = [];
  private server: net.Server;

  private constructor() {
    this.server = net.createServer((s) => {
      this.sockets.push(s);
      s.on("error", () => {});
      const w = this.waiters.shift();
      if (w) w(s);
    });
  }

  static async start(port = 0): Promise<TestServer> {
    const t = new TestServer();
    await t.listen(port);
    return t;
  }

  get port(): number { return (this.server.address() as net.AddressInfo).port; }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => { this.server.off("error", reject); resolve(); });
    });
  }

  /** The next connection not yet handed out (the n-th accepted overall). */
  connection(n: number): Promise<net.Socket> {
    if (this.sockets.length > n) return Promise.resolve(this.sockets[n]);
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), `connection #${n + 1} to the test server`);
  }

  /** Stops listening and drops every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Waits (bounded) until `cond` holds; for state that real I/O changes. */
async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function write(socket: net.Socket, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(chunk, (e) => (e ? reject(e) : resolve())));
}

type ReceiverEvent = { kind: "started" | "error" | "stopped"; info: ReceiverInfo };

function context<T>(make: (ssc: StreamingContext) => ReceiverInputDStream<T>, conf: Record<string, string | number> = {}) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "sockets", master: "local[2]", batchDuration: 1000, clock, conf });
  const stream = make(ssc);
  const batches: { time: number; partitions: T[][] }[] = [];
  stream.foreachRDD((rdd, time) => { batches.push({ time: time.milliseconds, partitions: rdd.partitions.map((p) => [...p]) }); });
  const events: ReceiverEvent[] = [];
  ssc.addStreamingListener({
    onReceiverStarted: ({ receiverInfo }) => events.push({ kind: "started", info: receiverInfo }),
    onReceiverError: ({ receiverInfo }) => events.push({ kind: "error", info: receiverInfo }),
    onReceiverStopped: ({ receiverInfo }) => events.push({ kind: "stopped", info: receiverInfo }),
  });
  const received = () => stream.supervisor.blockGenerator.numRecordsAdded;
  return { clock, ssc, stream, batches, events, received };
}

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const s = await TestServer.start();
  const port = s.port;
  await s.close();
  return port;
}

let servers: TestServer[] = [];
let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => { servers = []; previousLogger = setLogger({ warn: () => {}, info: () => {} }); });
afterEach(async () => {
  await StreamingContext.stopActive();
  await Promise.all(servers.map((s) => s.close()));
  setLogger(previousLogger);
});

async function server(port = 0): Promise<TestServer> {
  const s = await TestServer.start(port);
  servers.push(s);
  return s;
}

describe("socketTextStream", () => {
  it("splits UTF-8 bytes into lines as BufferedReader.readLine (\\n, \\r, \\r\\n), across chunk boundaries", async () => {
    const srv = await server();
    const { clock, ssc, batches, events, received } = context((s) => s.socketTextStream("127.0.0.1", srv.port));
    ssc.start();
    const conn = await srv.connection(0);
    for (const chunk of ["hello wor", "ld\r", "\nsecond\rthird\n", Buffer.from([0x63, 0x61, 0x66, 0xc3]), Buffer.from([0xa9, 0x0a]), "\n", "no newline yet"]) {
      await write(conn, chunk);
    }
    await waitUntil(() => received() === 5, "5 lines");
    await clock.advance(1000);
    conn.end("!");
    await waitUntil(() => received() === 6 && events.some((e) => e.kind === "stopped"), "the last line and end of stream");
    await clock.advance(1000);
    expect(batches).toEqual([
      { time: 1000, partitions: [["hello world", "second", "third", "café", ""]] },
      { time: 2000, partitions: [["no newline yet!"]] },
    ]);
    expect(events.map((e) => [e.kind, e.info.lastErrorMessage, e.info.lastError])).toEqual([
      ["started", "", ""],
      ["stopped", "Restarting receiver with delay 2000ms: Socket data stream had no more data", ""],
    ]);
    expect(events[0].info.name).toBe("SocketReceiver-0");
  });

  it("reconnects after the server goes away and comes back, reporting the failed connection attempts", async () => {
    const srv = await server();
    const port = srv.port;
    const { clock, ssc, batches, events, received } = context((s) => s.socketTextStream("127.0.0.1", port));
    ssc.start();
    const first = await srv.connection(0);
    first.end("one\n");
    await waitUntil(() => received() === 1 && events.length === 2, "the first line and the restart");
    await srv.close();
    servers = [];
    await clock.advance(1000); // batch 1000
    await clock.advance(1000); // t = 2000: the restart delay is over, the connection is refused
    await waitUntil(() => events.length === 5, "the refused connection to be reported");
    const back = await server(port);
    await clock.advance(2000); // t = 4000: second restart delay over, connects again
    const second = await back.connection(0);
    await write(second, "two\n");
    await waitUntil(() => received() === 2, "the line after reconnecting");
    await clock.advance(1000);
    expect(batches).toEqual([
      { time: 1000, partitions: [["one"]] },
      { time: 2000, partitions: [] },
      { time: 3000, partitions: [] },
      { time: 4000, partitions: [] },
      { time: 5000, partitions: [["two"]] },
    ]);
    const connecting = `Restarting receiver with delay 2000ms: Error connecting to 127.0.0.1:${port}`;
    expect(events.map((e) => [e.kind, e.info.active, e.info.lastErrorMessage, e.info.lastErrorTime])).toEqual([
      ["started", true, "", -1],
      ["stopped", false, "Restarting receiver with delay 2000ms: Socket data stream had no more data", -1],
      ["started", true, "", -1],
      ["error", false, connecting, 2000],
      ["stopped", false, connecting, 2000],
      ["started", true, "", -1],
    ]);
    expect(events[3].info.lastError).toMatch(/ECONNREFUSED/);
  });

  it("reports \"Error connecting to host:port\" when nothing listens, and keeps retrying every receiverRestartDelay", async () => {
    const port = await freePort();
    const { clock, ssc, events } = context((s) => s.socketTextStream("127.0.0.1", port), { "spark.streaming.receiverRestartDelay": 500 });
    ssc.start();
    await waitUntil(() => events.length === 3, "the first refused connection");
    await clock.advance(500);
    await waitUntil(() => events.length === 6, "the second refused connection");
    expect(events.map((e) => `${e.kind} ${e.info.lastErrorMessage}`)).toEqual([
      "started ",
      `error Restarting receiver with delay 500ms: Error connecting to 127.0.0.1:${port}`,
      `stopped Restarting receiver with delay 500ms: Error connecting to 127.0.0.1:${port}`,
      "started ",
      `error Restarting receiver with delay 500ms: Error connecting to 127.0.0.1:${port}`,
      `stopped Restarting receiver with delay 500ms: Error connecting to 127.0.0.1:${port}`,
    ]);
    expect(events.map((e) => e.info.lastErrorTime)).toEqual([-1, 0, 0, -1, 500, 500]);
  });

  it("a graceful stop processes every line received before it", async () => {
    const srv = await server();
    const { clock, ssc, batches, received } = context((s) => s.socketTextStream("127.0.0.1", srv.port));
    ssc.start();
    const conn = await srv.connection(0);
    await write(conn, "a\nb\nc\n");
    await waitUntil(() => received() === 3, "3 lines");
    await clock.advance(100); // not yet cut into a block
    const stopping = ssc.stop({ stopGracefully: true });
    await new Promise((r) => setImmediate(r));
    await clock.advance(900);
    await stopping;
    expect(batches).toEqual([{ time: 1000, partitions: [["a", "b", "c"]] }]);
  });

  it("keeps a remembered batch's lines packed: a word count reads them through its shuffle, the batch counts every line", async () => {
    const srv = await server();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "packed", master: "local[2]", batchDuration: 1000, clock });
    const lines = ssc.socketTextStream("127.0.0.1", srv.port);
    const counts: Array<[string, number][]> = [];
    lines.flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => { counts.push(rdd.collect().sort((a, b) => a[0].localeCompare(b[0]))); });
    const numRecords: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => { numRecords.push(batchInfo.numRecords); } });
    ssc.remember(5000);
    ssc.start();
    const conn = await srv.connection(0);
    await write(conn, "to be or\nnot to be\n\n");
    await write(conn, "be\n");
    await waitUntil(() => lines.supervisor.blockGenerator.numRecordsAdded === 4, "4 lines");
    await clock.advance(1000);
    expect(counts).toEqual([[["", 1], ["be", 3], ["not", 1], ["or", 1], ["to", 2]]]);
    expect(numRecords).toEqual([4]);
    const input = lines.generatedRDDs.get(1000);
    // Read through the shuffle, so never materialized: the batch still holds only its segments.
    expect(input?.isPipelined).toBe(true);
    expect(input?.collect()).toEqual(["to be or", "not to be", "", "be"]);
  });

  it("with maxRate, pauses the socket and keeps every line in order, then reports the server's close", async () => {
    const srv = await server();
    const { clock, ssc, batches, received, events } = context((s) => s.socketTextStream("127.0.0.1", srv.port), { "spark.streaming.receiver.maxRate": 4 });
    ssc.start();
    const conn = await srv.connection(0);
    const lines = Array.from({ length: 10 }, (_, i) => `line${i}`);
    await write(conn, lines.join("\n") + "\n");
    conn.end();
    // 4 lines per second: the rest wait for the rate limiter, which runs on the ManualClock.
    await waitUntil(() => received() >= 1, "the first line");
    await clock.advance(1000);
    expect(batches[0].partitions.flat().length).toBeLessThanOrEqual(5);
    for (let t = 0; t < 12; t++) await clock.advance(250);
    await waitUntil(() => received() === 10, "all 10 lines");
    await clock.advance(1000);
    expect(batches.flatMap((b) => b.partitions.flat())).toEqual(lines);
    await waitUntil(() => events.length >= 2, "the receiver's restart");
    expect(events.slice(0, 2).map((e) => [e.kind, e.info.lastErrorMessage])).toEqual([
      ["started", ""],
      ["stopped", "Restarting receiver with delay 2000ms: Socket data stream had no more data"],
    ]);
  });

  it("under a rate limit, stores lines in runs of at most a millisecond of it (one line each at 4/s), in order across a line split between writes", async () => {
    for (const [maxRate, runs] of [[4, [1, 1, 1, 1]], [100_000, [1, 1, 2]]] as const) {
      const srv = await server();
      const { clock, ssc, stream, batches, received } = context((s) => s.socketTextStream("127.0.0.1", srv.port), { "spark.streaming.receiver.maxRate": maxRate });
      const stored = jest.spyOn(stream.supervisor, "pushPackedLines");
      ssc.start();
      const conn = await srv.connection(0);
      await write(conn, "a\nb");
      await waitUntil(() => received() === 1, "the first line");
      // Two segments: the line split between the writes ("bc"), then the chunk's own lines.
      await write(conn, "c\nd\ne\n");
      await waitUntil(() => received() >= 2, "the second line");
      for (let t = 0; t < 8; t++) await clock.advance(250);
      await waitUntil(() => received() === 4, "all 4 lines");
      await clock.advance(1000);
      expect(batches.flatMap((b) => b.partitions.flat())).toEqual(["a", "bc", "d", "e"]);
      expect(stored.mock.calls.map(([, count]) => count)).toEqual(runs);
      expect(stored.mock.calls.map(([run]) => Buffer.from(run).toString())).toEqual(maxRate === 4 ? ["a\n", "bc\n", "d\n", "e\n"] : ["a\n", "bc\n", "d\ne\n"]);
      await ssc.stop();
    }
  });

  it("rejects a bad port or host when the stream is created", () => {
    const ssc = new StreamingContext({ appName: "sockets", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) });
    expect(() => ssc.socketTextStream("localhost", 70000)).toThrow(expect.objectContaining({
      name: "TypeError", code: "STREAM_ERR_BAD_ARGUMENT", message: "The socket stream's port must be a whole number from 1 to 65535, got number 70000.",
    }));
    expect(() => ssc.socketTextStream("", 9999)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_ARGUMENT", message: "The socket stream's host must be a host name such as \"localhost\", got \"\".",
    }));
    expect(ssc.graph.inputStreams).toHaveLength(0);
  });
});

describe("socketStream with a converter", () => {
  async function* int32s(input: Readable): AsyncGenerator<number> {
    let rest = Buffer.alloc(0);
    for await (const chunk of input) {
      rest = Buffer.concat([rest, chunk as Buffer]);
      while (rest.length >= 4) { yield rest.readInt32BE(0); rest = rest.subarray(4); }
    }
  }

  it("stores what the converter yields from the connection's bytes", async () => {
    const srv = await server();
    const { clock, ssc, batches, received } = context((s) => s.socketStream("127.0.0.1", srv.port, int32s));
    ssc.start();
    const conn = await srv.connection(0);
    const bytes = Buffer.alloc(16);
    [1, 2, 300, -5].forEach((n, i) => bytes.writeInt32BE(n, i * 4));
    await write(conn, bytes.subarray(0, 6));
    await write(conn, bytes.subarray(6));
    await waitUntil(() => received() === 4, "4 integers");
    await clock.advance(1000);
    expect(batches).toEqual([{ time: 1000, partitions: [[1, 2, 300, -5]] }]);
  });

  it("restarts with \"Error receiving data\" when the converter throws", async () => {
    const srv = await server();
    async function* strict(input: Readable) {
      for await (const chunk of input) {
        const text = String(chunk);
        if (text.includes("!")) throw new Error(`bad frame ${JSON.stringify(text)}`);
        yield text;
      }
    }
    const { ssc, events } = context((s) => s.socketStream("127.0.0.1", srv.port, strict));
    ssc.start();
    const conn = await srv.connection(0);
    await write(conn, "oops!");
    await waitUntil(() => events.length === 3, "the receive error");
    expect(events.map((e) => [e.kind, e.info.lastErrorMessage])).toEqual([
      ["started", ""],
      ["error", "Restarting receiver with delay 2000ms: Error receiving data"],
      ["stopped", "Restarting receiver with delay 2000ms: Error receiving data"],
    ]);
    expect(events[1].info.lastError).toMatch(/^Error: bad frame "oops!"/);
  });
});
