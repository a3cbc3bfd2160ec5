import { ChildProcess } from "child_process";
import * as net from "net";
import { ChildPrograms, transpileForChildren, waitExit } from "../checkpoint/child-process";

// A peer that sends one enormous line must not take the process down (issue 22, finding 1). The
// receiver runs in a child process so that its RSS can be measured and a crash seen as an exit.

const MB = 1024 * 1024;

interface ChildReport { lines: string[]; errors: string[]; maxRss: number; exited: () => number | string | null }

function watchChild(child: ChildProcess): ChildReport {
  const report: ChildReport = { lines: [], errors: [], maxRss: 0, exited: () => child.exitCode ?? child.signalCode };
  let rest = "";
  child.stdout?.on("data", (d) => {
    const parts = (rest + String(d)).split("\n");
    rest = parts.pop() as string;
    for (const p of parts) {
      const m = JSON.parse(p);
      if (m.lines) report.lines.push(...m.lines);
      if (m.receiverError) report.errors.push(m.receiverError);
      if (m.rss) report.maxRss = Math.max(report.maxRss, m.rss);
    }
  });
  return report;
}

async function waitFor(cond: () => boolean, what: string, child: ChildProcess, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes `total` bytes of `x` in 1 MB writes, honouring backpressure. */
async function writeFiller(socket: net.Socket, total: number): Promise<void> {
  const chunk = Buffer.alloc(MB, "x");
  for (let sent = 0; sent < total; sent += MB) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
  }
}

function write(socket: net.Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(text, (e) => (e ? reject(e) : resolve())));
}

describe("socketTextStream with an over-long line (in a child process)", () => {
  let children: ChildPrograms;
  let server: net.Server;
  const connections: net.Socket[] = [];
  let waiters: Array<() => void> = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    children = transpileForChildren(["test/reliability/long-line-app.ts"]);
    server = net.createServer((s) => { s.on("error", () => {}); connections.push(s); waiters.forEach((w) => w()); waiters = []; });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) { child.kill("SIGKILL"); await waitExit(child); }
    for (const s of connections.splice(0)) s.destroy();
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function connection(n: number, c: ChildProcess): Promise<net.Socket> {
    await waitFor(() => connections.length > n, `connection #${n + 1}`, c, 30_000);
    return connections[n];
  }

  function start(limit?: string): ChildReport {
    const port = (server.address() as net.AddressInfo).port;
    child = children.spawn("test/reliability/long-line-app.ts", [String(port), ...(limit ? [limit] : [])], "pipe");
    return watchChild(child);
  }

  const tooLong = (limit: number) => `Line too long: RangeError: A line from 127.0.0.1:${(server.address() as net.AddressInfo).port} is longer than ${limit} bytes (streamlab.receiver.maxLineLength), so it was dropped up to its end; the lines before and after it are kept and receiving goes on. End lines with \\n, or raise the limit, e.g. conf { "streamlab.receiver.maxLineLength": "256m" }.`;

  it("drops 'x\\r' + 600 MB without a newline, reports it, keeps the connection and the lines around it; RSS stays bounded", async () => {
    const report = start();
    const c = child as ChildProcess;
    const s = await connection(0, c);
    await write(s, "before\nx\r");
    await writeFiller(s, 600 * MB);
    await write(s, "\nafter\n");
    await waitFor(() => report.lines.includes("after"), "the line after the long one", c);
    expect(report.lines).toEqual(["before", "x", "after"]);
    expect(report.errors).toEqual([tooLong(64 * MB)]);
    expect(report.exited()).toBeNull();
    // The line is held up to the 64 MB limit, and the reading thread holds at most 256 MB unread.
    expect(report.maxRss).toBeLessThan(400 * MB);
    process.stdout.write(`600 MB line: child max RSS ${(report.maxRss / MB).toFixed(0)} MB\n`);
  });

  it("drops 700 MB without a newline then close, reconnects, and receives what comes next", async () => {
    const report = start();
    const c = child as ChildProcess;
    const s = await connection(0, c);
    await write(s, "first\n");
    await writeFiller(s, 700 * MB);
    s.end();
    const again = await connection(1, c);
    await write(again, "second\n");
    await waitFor(() => report.lines.includes("second"), "the line on the new connection", c);
    expect(report.lines).toEqual(["first", "second"]);
    expect(report.errors).toEqual([tooLong(64 * MB)]);
    expect(report.exited()).toBeNull();
    expect(report.maxRss).toBeLessThan(400 * MB);
    process.stdout.write(`700 MB line then close: child max RSS ${(report.maxRss / MB).toFixed(0)} MB\n`);
  });

  it("honours streamlab.receiver.maxLineLength: a 2 MB line with a 1m limit is dropped, a 1 MB one kept", async () => {
    const report = start("1m");
    const c = child as ChildProcess;
    const s = await connection(0, c);
    await write(s, "a\n" + "y".repeat(MB) + "\n" + "z".repeat(2 * MB) + "\nb\n");
    await waitFor(() => report.lines.includes("b"), "the last line", c);
    expect(report.lines).toEqual(["a", `<${MB} chars>`, "b"]);
    expect(report.errors).toEqual([tooLong(MB)]);
  });
});
