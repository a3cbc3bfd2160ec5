import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LineServer, startLineServer } from "../../engine";
import { waitUntil } from "../helpers/wait";
import { ChildPrograms, printedBatches, transpileForChildren, waitExit } from "./child-process";

// The lecture's crash demo: "run the wordcount application (the global state version). You kill
// the process and then restart the application. You should observe that the global state is
// restored. NB: to make it work, you have to kill the process (kill -9)." The program
// (lecture-checkpoint-app.ts) runs in a child process on a real loopback line server, with the
// lecture's 1-second batches. Its state is written every 10 s (the default checkpoint interval of
// updateStateByKey: the smallest multiple of the batch that is at least 10 s), so the test waits
// for that state checkpoint before the kill, as the lecture's demo must: without a write-ahead
// log, words received after the last state checkpoint are lost, as in Spark.

const APP = "test/checkpoint/lecture-checkpoint-app.ts";
let children: ChildPrograms;
let server: LineServer;
beforeAll(() => { children = transpileForChildren([APP]); });
beforeEach(async () => { server = await startLineServer({ port: 0 }); });
afterEach(async () => { await server.close(); });

const TOTALS = ["(hello,2)", "(bye,2)", "(world,1)"];

it("getOrCreate with a create function: run, kill -9, restart, the totals continue", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-lecture-cp-"));
  const first = children.spawn(APP, [dir, String(server.port)], "pipe");
  const printed1 = printedBatches(first);
  try {
    await server.waitForConnections(1);
    server.write("hello world hello");
    server.write("bye bye");
    await waitUntil(() => printed1().some((b) => b.lines.join() === TOTALS.join()), "the first totals", 10_000);
    const counted = (printed1().find((b) => b.lines.join() === TOTALS.join()) as { time: number }).time;
    // The state checkpoint that holds these totals (written at most 10 s later).
    const stateFileAfter = () => fs.readdirSync(path.join(dir, "state")).map((f) => Number(/^stream-\d+-(\d+)$/.exec(f)?.[1])).filter((t) => t >= counted);
    await waitUntil(() => fs.existsSync(path.join(dir, "state")) && stateFileAfter().length > 0, "a state checkpoint", 15_000);
    await waitUntil(() => fs.existsSync(path.join(dir, `checkpoint-${stateFileAfter()[0]}`)), "its metadata checkpoint", 5_000);
  } finally {
    first.kill("SIGKILL");
  }
  expect(await waitExit(first)).toBe("SIGKILL");
  const lastBefore = printed1().at(-1) as { time: number };
  await waitUntil(() => server.connections === 0, "the killed receiver's connection to close");

  const second = children.spawn(APP, [dir, String(server.port)], "pipe");
  const printed2 = printedBatches(second);
  try {
    await server.waitForConnections(1);
    await waitUntil(() => printed2().length > 0, "the restarted program's first batch", 10_000);
    server.write("hello again");
    await waitUntil(() => printed2().some((b) => b.lines.includes("(again,1)")), "the new words", 10_000);
  } finally {
    second.kill("SIGKILL");
  }
  await waitExit(second);
  const batches = printed2();
  // Same time grid, carrying on from where the killed run left off (re-running what it had not checkpointed).
  expect((batches[0].time - lastBefore.time) % 1000).toBe(0);
  expect(batches[0].lines).toEqual(TOTALS);
  const withNewWords = batches.findIndex((b) => b.lines.includes("(again,1)"));
  expect(batches.slice(0, withNewWords).map((b) => b.lines)).toEqual(batches.slice(0, withNewWords).map(() => TOTALS));
  // The order is Spark's, as in the uninterrupted lecture test: the restored state keeps its partitions.
  expect(batches[withNewWords].lines).toEqual(["(hello,3)", "(bye,2)", "(again,1)", "(world,1)"]);
}, 60_000);
