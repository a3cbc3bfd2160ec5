import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Durations, ManualClock, SparkConf, StreamingContext, startLineServer } from "../../engine";
import type { LineServer } from "../../engine";
import { captureStdout } from "../helpers/capture";
import { waitUntil } from "../helpers/wait";

// The lecture's programs (../shared/reference/spark-streaming-lecture.txt), written as a student
// would translate them, fed by a real TCP line server on a free loopback port (as `nc -lk 9999`).
// Batches run on a ManualClock: lines are sent, the test waits until the receiver has them, then
// advances the clock one batch. Expected output is Spark's, pair order included.

const DASHES = "-------------------------------------------";
const batch = (time: number, ...lines: string[]) => [DASHES, `Time: ${time} ms`, DASHES, ...lines, ""].join("\n") + "\n";

let server: LineServer;
let ssc: StreamingContext;
let clock: ManualClock;
let out: ReturnType<typeof captureStdout> | undefined;

beforeEach(async () => {
  server = await startLineServer({ port: 0 });
});

afterEach(async () => {
  out?.restore();
  out = undefined;
  await StreamingContext.stopActive();
  await server.close();
});

/** Starts the context, waits for the receiver's connection, and captures print() output. */
async function start(): Promise<void> {
  out = captureStdout();
  ssc.start();
  await server.waitForConnections(1);
}

/** Sends `lines`, waits until the receiver has stored them all, then runs `batches` batches. */
async function sendThenRun(lines: string[], batches = 1): Promise<void> {
  const before = ssc.receiverTracker.numRecordsReceived();
  for (const l of lines) server.write(l);
  await waitUntil(() => ssc.receiverTracker.numRecordsReceived() === before + lines.length, `${lines.length} lines at the receiver`);
  await clock.advance(batches * ssc.batchDuration);
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-lecture-"));
}

describe("the lecture's programs over a real socket", () => {
  it("WordCount: a separate word count per 1-second batch", async () => {
    clock = new ManualClock(1513517144000);
    const sparkConf = new SparkConf().setAppName("WordCountStreaming").setMaster("local[2]");
    ssc = new StreamingContext({ conf: sparkConf, batchDuration: Durations.seconds(1), clock });
    const lines = ssc.socketTextStream("localhost", server.port);
    const words = lines.flatMap((s) => s.split(" "));
    const wordCounts = words.mapToPair((s) => [s, 1]).reduceByKey((i1, i2) => i1 + i2);
    wordCounts.print();
    await start();
    await sendThenRun(["hello world hello", "bye bye"]);
    await sendThenRun([]);
    await sendThenRun(["hello again"]);
    expect(out!.text()).toBe(
      batch(1513517145000, "(hello,2)", "(bye,2)", "(world,1)") +
      batch(1513517146000) +
      batch(1513517147000, "(hello,1)", "(again,1)"),
    );
  });

  it("WordCount with updateStateByKey: a global count, checkpointed", async () => {
    clock = new ManualClock(1513517144000);
    ssc = new StreamingContext({ appName: "WordCountStreaming", master: "local[2]", batchDuration: Durations.seconds(1), clock });
    ssc.checkpoint(tempDir());
    const updateFunction = (values: number[], state: number | undefined) => {
      let newSum = state ?? 0; // the value of state if defined, else 0
      for (const i of values) newSum += i;
      return newSum;
    };
    const lines = ssc.socketTextStream("localhost", server.port);
    const words = lines.flatMap((s) => s.split(" "));
    const wordCounts = words.mapToPair((s) => [s, 1]).updateStateByKey(updateFunction);
    wordCounts.print();
    await start();
    await sendThenRun(["hello world hello", "bye bye"]);
    await sendThenRun([]);
    await sendThenRun(["hello again"]);
    // Batch 3 cogroups the new keys (hello, again) with the state (hello, bye, world): all five
    // hash to partition 0; Spark's map slots are hello 35, bye 36, again 44, world 62.
    expect(out!.text()).toBe(
      batch(1513517145000, "(hello,2)", "(bye,2)", "(world,1)") +
      batch(1513517146000, "(hello,2)", "(bye,2)", "(world,1)") +
      batch(1513517147000, "(hello,3)", "(bye,2)", "(again,1)", "(world,1)"),
    );
  });

  it("windowed WordCount: reduceByKeyAndWindow over 60 s sliding every 5 s", async () => {
    clock = new ManualClock(1513517144000);
    ssc = new StreamingContext({ appName: "WindowedWordCount", master: "local[2]", batchDuration: Durations.seconds(1), clock });
    const pairs = ssc.socketTextStream("localhost", server.port).flatMap((s) => s.split(" ")).mapToPair((s) => [s, 1]);
    const windowedWordCounts = pairs.reduceByKeyAndWindow((i1, i2) => i1 + i2, Durations.seconds(60), Durations.seconds(5));
    windowedWordCounts.print();
    await start();
    await sendThenRun(["hello world hello", "bye bye"]); // batch 145000
    await sendThenRun([], 1); // 146000
    await sendThenRun(["hello again"], 3); // 147000 .. 149000: the first window ends at 149000
    await sendThenRun([], 1); // 150000
    await sendThenRun(["bye"], 4); // 151000 .. 154000
    expect(out!.text()).toBe(
      batch(1513517149000, "(hello,3)", "(bye,2)", "(again,1)", "(world,1)") +
      batch(1513517154000, "(hello,3)", "(bye,3)", "(again,1)", "(world,1)"),
    );
  });
});

describe("the lecture's sales exercise over a real socket", () => {
  // GetProductNumber: "storeid,productid,number,totalprice" -> (productid, number)
  const getProductNumber = (s: string): [string, number] => {
    const fields = s.split(",");
    return [fields[1], Number(fields[2])];
  };
  const start0 = 1513517140000; // a multiple of the 10-second batch: zeroTime, first batch 10 s later

  it("the best-selling product over the last 10 days, every minute", async () => {
    clock = new ManualClock(start0);
    ssc = new StreamingContext({ appName: "BestSeller", master: "local[2]", batchDuration: Durations.seconds(10), clock });
    const lines = ssc.socketTextStream("localhost", server.port);
    const sells = lines.mapToPair(getProductNumber);
    const counts = sells.reduceByKeyAndWindow((v1, v2) => v1 + v2, Durations.minutes(14400), Durations.minutes(1));
    const bestsell = counts.reduce((t1, t2) => (t1[1] > t2[1] ? t1 : t2));
    bestsell.print();
    await start();
    await sendThenRun(["s1,p1,3,30.0", "s2,p2,5,45.0", "s1,p3,1,12.5"]); // batch 1
    await sendThenRun([], 1);
    await sendThenRun(["s2,p1,4,40.0"], 4); // batches 3..6: the first minute ends
    await sendThenRun(["s3,p2,10,80.0"], 6); // batches 7..12: the second minute
    expect(out!.text()).toBe(batch(start0 + 60_000, "(p1,7)") + batch(start0 + 120_000, "(p2,15)"));
  });

  it("the best-selling product since the beginning, with updateStateByKey", async () => {
    clock = new ManualClock(start0);
    ssc = new StreamingContext({ appName: "BestSellerTotal", master: "local[2]", batchDuration: Durations.seconds(10), clock });
    ssc.checkpoint(tempDir());
    const sells = ssc.socketTextStream("localhost", server.port).mapToPair(getProductNumber);
    const totals = sells.updateStateByKey((values: number[], state: number | undefined) => values.reduce((a, b) => a + b, state ?? 0));
    totals.reduce((t1, t2) => (t1[1] > t2[1] ? t1 : t2)).print();
    await start();
    await sendThenRun(["s1,p1,3,30.0", "s2,p2,5,45.0", "s1,p3,1,12.5"]);
    await sendThenRun(["s2,p2,1,9.0"]);
    await sendThenRun([]);
    await sendThenRun(["s2,p1,4,40.0"]);
    expect(out!.text()).toBe(
      batch(start0 + 10_000, "(p2,5)") +
      batch(start0 + 20_000, "(p2,6)") +
      batch(start0 + 30_000, "(p2,6)") +
      batch(start0 + 40_000, "(p1,7)"),
    );
  });
});
