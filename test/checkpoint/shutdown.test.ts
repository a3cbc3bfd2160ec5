import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LineServer, startLineServer } from "../../engine";
import { waitUntil } from "../helpers/wait";
import { ChildPrograms, printedBatches, transpileForChildren, waitExit } from "./child-process";

// spark.streaming.stopGracefullyOnShutdown in a child process (shutdown-app.ts: a socket word
// count with 1-second batches and no write-ahead log). SIGTERM arrives while a line is received
// but not yet in a batch: the context stops its receiver, runs the batch that holds the line,
// writes the last checkpoint with the state, and the process dies of SIGTERM. A restart then
// shows every word, although nothing was replayed from the socket.

const APP = "test/checkpoint/shutdown-app.ts";
let children: ChildPrograms;
let server: LineServer;
beforeAll(() => { children = transpileForChildren([APP]); });
beforeEach(async () => { server = await startLineServer({ port: 0 }); });
afterEach(async () => { await server.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A batch's lines in a fixed order (print() prints them in hash-partition order). */
const sorted = (lines: string[]) => [...lines].sort().join();

it("SIGTERM drains received data, writes the final checkpoint with the state, then exits by the signal", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-shutdown-"));
  const first = children.spawn(APP, [dir, String(server.port)], "pipe");
  const printed1 = printedBatches(first);
  let stderr = "";
  first.stderr?.on("data", (d) => { stderr += String(d); });
  let signalled: number | undefined;
  try {
    await server.waitForConnections(1);
    server.write("a b a");
    await waitUntil(() => printed1().some((b) => sorted(b.lines) === "(a,2),(b,1)"), "the first totals", 10_000);
    // Right after a batch: the next one is ~1 s away. The line is received, then SIGTERM comes.
    await waitUntil(() => printed1().length > printed1().findIndex((b) => sorted(b.lines) === "(a,2),(b,1)") + 1, "the next batch");
    server.write("c");
    await sleep(300);
    signalled = printed1().length;
    first.kill("SIGTERM");
    expect(await waitExit(first)).toBe("SIGTERM");
  } finally {
    first.kill("SIGKILL");
  }
  const batches = printed1();
  expect(batches.slice(0, signalled).some((b) => b.lines.includes("(c,1)"))).toBe(false);
  const last = batches.at(-1) as { time: number; lines: string[] };
  expect(sorted(last.lines)).toBe("(a,2),(b,1),(c,1)");
  expect(batches.length).toBe((signalled as number) + 1);
  expect(stderr).toBe("");
  // The last checkpoint is the last batch's, with the state of the word count in it.
  expect(fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).sort().at(-1)).toBe(`checkpoint-${last.time}`);
  expect(fs.readdirSync(path.join(dir, "state")).filter((f) => f.endsWith(`-${last.time}`))).toHaveLength(1);

  const second = children.spawn(APP, [dir, String(server.port)], "pipe");
  const printed2 = printedBatches(second);
  try {
    await waitUntil(() => printed2().length > 0, "the restarted program's first batch", 10_000);
  } finally {
    second.kill("SIGKILL");
  }
  await waitExit(second);
  expect(printed2()[0].lines).toEqual(last.lines);
  expect(printed2()[0].time).toBe(last.time + 1000);
}, 40_000);
