import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, StreamingContext, TestInputStream } from "../../engine";
import { captureStdout } from "../helpers/capture";

// Which outputs are exactly-once across a crash. A crash between a batch's outputs and its
// checkpoint (simulated: the context is abandoned and that batch's checkpoint file removed, as if
// the kill came just before it was written) makes recovery run the batch again:
// - saveAsTextFiles writes prefix-<batch ms>.suffix again, whole, with the same content:
//   idempotent per batch time, so the files are exactly-once;
// - foreachRDD and print run again: at-least-once (foreachRDD gets the batch time, so a user can
//   write idempotently, e.g. keyed by it).

const BATCHES = [["a b"], ["b c", "a"], ["c c"], ["d"]];

function app(out: string, clock: ManualClock, calls: number[], dir: string) {
  return () => {
    const ssc = new StreamingContext({ appName: "outputs", master: "local[2]", batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    const totals = new TestInputStream(ssc, BATCHES).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0));
    totals.saveAsTextFiles(path.join(out, "totals"), "txt");
    totals.foreachRDD((_rdd, t) => { calls.push(t.milliseconds); });
    totals.count().print();
    return ssc;
  };
}

const contents = (d: string) => fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), "utf8")]);

afterEach(async () => { await StreamingContext.stopActive(); });

it("a batch re-run after a crash rewrites the same saveAsTextFiles output; foreachRDD and print run twice", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-outputs-"));
  const [dir, out] = [path.join(tmp, "checkpoint"), path.join(tmp, "out")];
  const calls: number[] = [];
  const stdout = captureStdout();
  try {
    const clock1 = new ManualClock(0);
    const ssc1 = StreamingContext.getOrCreate(dir, app(out, clock1, calls, dir));
    ssc1.start();
    await clock1.advance(3000);
    ssc1.abandonForTest();
    const before = contents(path.join(out, "totals-3000.txt"));
    fs.rmSync(path.join(dir, "checkpoint-3000"));

    const clock2 = new ManualClock(3500);
    const ssc2 = StreamingContext.getOrCreate(dir, app(out, clock2, calls, dir));
    ssc2.start();
    await clock2.advance(500);
    await ssc2.stop();
    expect(contents(path.join(out, "totals-3000.txt"))).toEqual(before);
  } finally {
    stdout.restore();
  }
  expect(fs.readdirSync(out).sort()).toEqual(["totals-1000.txt", "totals-2000.txt", "totals-3000.txt", "totals-4000.txt"]);
  expect(calls).toEqual([1000, 2000, 3000, 3000, 4000]);
  expect(stdout.text().match(/^Time: \d+ ms$/gm)).toEqual(["Time: 1000 ms", "Time: 2000 ms", "Time: 3000 ms", "Time: 3000 ms", "Time: 4000 ms"]);
  const all = fs.readdirSync(path.join(out, "totals-4000.txt")).filter((f) => f.startsWith("part-"))
    .flatMap((f) => fs.readFileSync(path.join(out, "totals-4000.txt", f), "utf8").split("\n").filter(Boolean)).sort();
  expect(all).toEqual(["(a,2)", "(b,2)", "(c,3)", "(d,1)"]);
});
