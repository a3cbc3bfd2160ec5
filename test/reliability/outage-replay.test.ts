import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, StreamingContext } from "../../engine";
import { setLogger } from "../../engine/log";

// A restart after a long outage with a file stream and state (issue 22, finding 7). Every
// down-time batch used to read the file stream and leave an entry in batchTimeToSelectedFiles
// that each replayed checkpoint serialized, and the word count never turned quiet: 23.5 s and
// 311 MB after an hour of 100 ms batches. The timing itself is measured by
// test/checkpoint/outage-bench.js; this checks what it rests on: how many batches run, what each
// checkpoint holds, and that the state is exact.

const T0 = 1_700_000_000_000;
let root: string;
let previous: ReturnType<typeof setLogger>;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-outage-"));
  previous = setLogger({ warn: () => {}, info: () => {} });
});
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previous);
  fs.rmSync(root, { recursive: true, force: true });
});

function put(input: string, name: string, text: string, mtime: number): void {
  const staged = path.join(root, name);
  fs.writeFileSync(staged, text);
  fs.utimesSync(staged, (mtime + 0.5) / 1000, (mtime + 0.5) / 1000);
  fs.renameSync(staged, path.join(input, name));
}

async function outage(batch: number, outageMs: number, expectedReplayed: number): Promise<void> {
  const dir = path.join(root, "cp");
  const input = path.join(root, "in");
  fs.mkdirSync(input);
  const totals = new Map<number, Array<[string, number]>>();
  const build = (clock: ManualClock) => () => {
    const ssc = new StreamingContext({ appName: "outage", master: "local[2]", batchDuration: batch, clock });
    ssc.checkpoint(dir);
    ssc.textFileStream(input).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd, t) => { totals.set(t.milliseconds, rdd.collect().sort((a, b) => (a[0] < b[0] ? -1 : 1))); });
    return ssc;
  };
  const clock = new ManualClock(T0);
  const first = StreamingContext.getOrCreate(dir, build(clock));
  first.start();
  for (let i = 0; i < 20; i++) put(input, `f${i}.txt`, `w${i % 5} w${(i + 1) % 5} common\n`, T0 + 1 + i * 100);
  await clock.advance(5000);
  first.abandonForTest();
  const before = totals.get(T0 + 5000);
  expect(before).toEqual([["common", 20], ["w0", 8], ["w1", 8], ["w2", 8], ["w3", 8], ["w4", 8]]);

  const restart = T0 + 5000 + outageMs;
  const clock2 = new ManualClock(restart);
  const second = StreamingContext.getOrCreate(dir, build(clock2));
  second.start();
  expect(second.jobScheduler.pendingTimes.length).toBe(expectedReplayed);
  const firstLive = Math.ceil((restart + 1) / batch) * batch;
  put(input, "late.txt", "w0 late\n", firstLive - 1);
  await clock2.advance(firstLive - restart);
  expect(totals.get(firstLive)).toEqual([["common", 20], ["late", 1], ["w0", 9], ["w1", 8], ["w2", 8], ["w3", 8], ["w4", 8]]);
  // Each checkpoint holds the selections of the batches it must remember, not one per down-time batch.
  const sizes = fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).map((f) => fs.statSync(path.join(dir, f)).size);
  expect(Math.max(...sizes)).toBeLessThan(32 * 1024);
  await second.stop();
}

describe("restart after a long outage with a file stream and updateStateByKey", () => {
  it("1 h of 100 ms batches: 201 batches replayed (the 20 s the state remembers, then the last), not 36,000", async () => {
    await outage(100, 3_600_000, 201);
  });

  it("1 day of 1 s batches: 21 batches replayed, not 86,400", async () => {
    await outage(1000, 86_400_000, 21);
  });
});
