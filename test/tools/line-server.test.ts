import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { ManualClock } from "../../engine";
import { LineServer, startLineServer } from "../../engine/tools/line-server";
import { salesLines } from "../../engine/tools/sales-generator";

/** A TCP client collecting the lines it receives; waits are bounded by real events and a timeout. */
class LineClient {
  readonly lines: string[] = [];
  ended = false;
  private buffer = "";
  private waiters: Array<() => void> = [];
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() as string;
      this.lines.push(...parts);
      this.notify();
    });
    socket.on("end", () => { this.ended = true; this.notify(); });
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket: net.Socket = net.connect(port, "127.0.0.1", () => resolve(new LineClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Resolves once `cond()` holds; fails after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${this.lines.length} lines`)), timeoutMs);
      const check = () => {
        if (cond()) { clearTimeout(timer); resolve(); } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  close(): void { this.socket.destroy(); }

  private notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

describe("startLineServer", () => {
  let server: LineServer | undefined;
  const clients: LineClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });
  const connect = async (port: number) => { const c = await LineClient.connect(port); clients.push(c); return c; };

  it("broadcasts every line to every client, on 127.0.0.1", async () => {
    const lines = [...salesLines(3, { count: 2000 })];
    server = await startLineServer({ lines, minClients: 2 });
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    const a = await connect(server.port);
    const b = await connect(server.port);
    await Promise.all([a.until(() => a.lines.length >= 2000), b.until(() => b.lines.length >= 2000)]);
    await server.done;
    expect(a.lines).toEqual(lines);
    expect(b.lines).toEqual(lines);
    expect(server.connections).toBe(2);
    expect(server.linesSent).toBe(2000);
  });

  it("sends nothing before the first client connects (like nc -l)", async () => {
    server = await startLineServer({ lines: ["a", "b"] });
    await new Promise((r) => setImmediate(r));
    expect(server.linesSent).toBe(0);
    const c = await connect(server.port);
    await c.until(() => c.lines.length >= 2);
    expect(c.lines).toEqual(["a", "b"]);
  });

  it("paces lines at `rate` per second of its clock", async () => {
    const clock = new ManualClock(0);
    server = await startLineServer({ lines: ["a", "b", "c", "d"], rate: 2, clock });
    const c = await connect(server.port);
    await c.until(() => c.lines.length >= 1);
    expect(server.linesSent).toBe(1); // the first line is due at once, the next 500 ms later
    await clock.advance(499);
    expect(server.linesSent).toBe(1);
    await clock.advance(1);
    await c.until(() => c.lines.length >= 2);
    expect(server.linesSent).toBe(2);
    await clock.advance(1000);
    await c.until(() => c.lines.length >= 4);
    expect(c.lines).toEqual(["a", "b", "c", "d"]);
  });

  it("paces in wall time by default", async () => {
    server = await startLineServer({ lines: Array.from({ length: 40 }, (_, i) => `l${i}`), rate: 100 });
    const c = await connect(server.port);
    const t0 = process.hrtime.bigint();
    await c.until(() => c.lines.length >= 40);
    const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(elapsedMs).toBeGreaterThanOrEqual(380); // line 39 is due 390 ms after the first
    expect(c.lines[39]).toBe("l39");
  });

  it("loops an array of lines", async () => {
    server = await startLineServer({ lines: ["x", "y", "z"], loop: true });
    const c = await connect(server.port);
    await c.until(() => c.lines.length >= 10);
    expect(c.lines.slice(0, 10)).toEqual(["x", "y", "z", "x", "y", "z", "x", "y", "z", "x"]);
  });

  it("serves and loops a file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-lines-"));
    const file = path.join(dir, "in.txt");
    fs.writeFileSync(file, "one\r\ntwo\nthree\n");
    server = await startLineServer({ file, loop: true });
    const c = await connect(server.port);
    await c.until(() => c.lines.length >= 7);
    expect(c.lines.slice(0, 7)).toEqual(["one", "two", "three", "one", "two", "three", "one"]);
  });

  it("serves a readable stream (stdin) line by line", async () => {
    server = await startLineServer({ lines: Readable.from(["hello wor", "ld\nbye\n", "last"]) });
    const c = await connect(server.port);
    await c.until(() => c.lines.length >= 3);
    await server.done;
    expect(c.lines).toEqual(["hello world", "bye", "last"]);
  });

  it("write() broadcasts at once; close() ends every connection", async () => {
    server = await startLineServer();
    const a = await connect(server.port);
    const b = await connect(server.port);
    await server.waitForConnections(2);
    server.write("hello");
    await Promise.all([a.until(() => a.lines.length === 1), b.until(() => b.lines.length === 1)]);
    expect([a.lines, b.lines]).toEqual([["hello"], ["hello"]]);
    await server.close();
    await Promise.all([a.until(() => a.ended), b.until(() => b.ended)]);
    server = undefined;
  });

  it("keeps serving when a client goes away", async () => {
    server = await startLineServer({ minClients: 0 });
    const a = await connect(server.port);
    const b = await connect(server.port);
    await server.waitForConnections(2);
    a.close();
    await new Promise<void>((resolve) => a.socket.on("close", () => resolve()));
    for (let i = 0; i < 3; i++) server.write(`m${i}`);
    await b.until(() => b.lines.length >= 3);
    expect(b.lines).toEqual(["m0", "m1", "m2"]);
  });

  it("refuses a non-loopback host and bad options with catalog errors", async () => {
    await expect(startLineServer({ host: "0.0.0.0" })).rejects.toMatchObject({
      name: "RangeError",
      code: "STREAM_ERR_NOT_LOOPBACK",
      message: 'The line server binds the loopback interface only, got host "0.0.0.0". Use "127.0.0.1" (the default), "localhost" or "::1".',
    });
    await expect(startLineServer({ rate: 0 })).rejects.toMatchObject({ code: "STREAM_ERR_BAD_OPTION" });
    await expect(startLineServer({ lines: salesLines(1), loop: true })).rejects.toMatchObject({ code: "STREAM_ERR_BAD_OPTION" });
    await expect(startLineServer({ file: "/nonexistent/file.txt" })).rejects.toMatchObject({
      code: "STREAM_ERR_BAD_OPTION",
      message: 'Line server file must be an existing text file, got "/nonexistent/file.txt". Check the path (relative paths start at the current directory).',
    });
  });
});
