import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { main as linesMain } from "../../cli/lines";
import { main as salesMain } from "../../cli/sales";
import { salesLines } from "../../engine/tools/sales-generator";

/** Runs a CLI main with port 0, returns the port it announced and a stop function. */
async function runServer(main: typeof linesMain, args: string[], stdin?: NodeJS.ReadableStream) {
  const status: string[] = [];
  const abort = new AbortController();
  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => { announce = resolve; });
  const exit = main(args, {
    stdin,
    signal: abort.signal,
    status: (line) => {
      status.push(line);
      const m = / on 127\.0\.0\.1:(\d+) /.exec(line);
      if (m) announce(Number(m[1]));
    },
  });
  const port = await Promise.race([announced, exit.then(() => { throw new Error(status.join("\n")); })]);
  return { port, status, stop: async () => { abort.abort(); return exit; } };
}

/** Connects and resolves with the first `n` lines received. */
function receive(port: number, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`timed out after ${text.split("\n").length - 1} lines`)); }, 5000);
    socket.setEncoding("utf8");
    socket.on("error", reject);
    socket.on("data", (chunk: string) => {
      text += chunk;
      const lines = text.split("\n");
      if (lines.length > n) { clearTimeout(timer); socket.destroy(); resolve(lines.slice(0, n)); }
    });
  });
}

describe("streamlab lines", () => {
  it("serves stdin to a client", async () => {
    const run = await runServer(linesMain, ["--port", "0"], Readable.from(["a b\nc\n", "d\n"]));
    expect(await receive(run.port, 3)).toEqual(["a b", "c", "d"]);
    expect(await run.stop()).toBe(0);
    expect(run.status[0]).toBe(`streamlab: serving stdin on 127.0.0.1:${run.port} (Ctrl-C to stop)`);
    expect(run.status[1]).toBe("streamlab: stopped after 3 lines");
  });

  it("loops a file at a rate", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cli-"));
    fs.writeFileSync(path.join(dir, "f.txt"), "x\ny\n");
    const run = await runServer(linesMain, ["--port", "0", "--file", path.join(dir, "f.txt"), "--loop", "--rate", "500"]);
    expect(await receive(run.port, 5)).toEqual(["x", "y", "x", "y", "x"]);
    await run.stop();
  });

  it("rejects a non-numeric rate with a catalog error", async () => {
    await expect(linesMain(["--rate", "fast"])).rejects.toMatchObject({ code: "STREAM_ERR_BAD_OPTION", message: '--rate must be a number, got "fast". Use e.g. --rate 10.' });
  });
});

describe("streamlab sales", () => {
  it("serves the seeded stream: the same lines as salesLines(seed, options)", async () => {
    const run = await runServer(salesMain, ["--port", "0", "--seed", "7", "--rate", "2000", "--stores", "3", "--products", "6", "--malformed-rate", "0.05"]);
    const expected = [...salesLines(7, { stores: 3, products: 6, malformedRate: 0.05, count: 60 })];
    expect(await receive(run.port, 60)).toEqual(expected);
    await run.stop();
  });

  it("writes files for textFileStream, atomically, with the stream's lines in order", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-sales-")), "in");
    const status: string[] = [];
    const code = await salesMain(["--dir", dir, "--files", "3", "--lines-per-file", "4", "--interval-ms", "1", "--seed", "9"], { status: (l) => status.push(l) });
    expect(code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(["sales-000001.txt", "sales-000002.txt", "sales-000003.txt"]);
    const written = ["sales-000001.txt", "sales-000002.txt", "sales-000003.txt"].flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(0, -1));
    expect(written).toEqual([...salesLines(9, { count: 12 })]);
    expect(status).toHaveLength(4);
  });
});
