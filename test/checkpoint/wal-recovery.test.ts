import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LineServer, ManualClock, SparkConf, startLineServer, StreamingContext } from "../../engine";
import { readSegment } from "../../engine/checkpoint/write-ahead-log";
import { setLogger } from "../../engine/log";
import { waitUntil } from "../helpers/wait";

// The receiver write-ahead log end to end: a real socketTextStream on a loopback line server,
// batches in virtual time, a crash simulated in-process (abandonForTest: nothing is stopped,
// flushed or checkpointed), then getOrCreate on the same directory with a new receiver and the
// server sending nothing again. What the WAL held must come back, exactly once.

type Totals = Map<number, [string, number][]>;

let server: LineServer;
beforeEach(async () => { server = await startLineServer({ port: 0 }); });
afterEach(async () => {
  await StreamingContext.stopActive();
  await server.close();
});

function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-wal-")); }

function captureWarnings(): { warns: string[]; restore: () => void } {
  const warns: string[] = [];
  const prev = setLogger({ warn: (m) => warns.push(m), info: () => {} });
  return { warns, restore: () => setLogger(prev) };
}

/** The global word count of the lecture on a socket, with the WAL on; totals per batch go to `out`. */
function wordCount(dir: string, clock: ManualClock, out: Totals) {
  return () => {
    const conf = new SparkConf().setAppName("WalWordCount").setMaster("local[2]").set("spark.streaming.receiver.writeAheadLog.enable", "true");
    const ssc = new StreamingContext({ conf, batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    ssc.socketTextStream("127.0.0.1", server.port).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd, t) => { out.set(t.milliseconds, rdd.collect().sort((a, b) => (a[0] < b[0] ? -1 : 1))); });
    return ssc;
  };
}

/** Sends `lines` and waits until the receiver has stored them (buffered, not yet in a block). */
async function send(ssc: StreamingContext, lines: string[]): Promise<void> {
  const before = ssc.receiverTracker.numRecordsReceived();
  for (const l of lines) server.write(l);
  await waitUntil(() => ssc.receiverTracker.numRecordsReceived() === before + lines.length, `${lines.length} lines at the receiver`);
}

async function startFirstRun(dir: string, out: Totals): Promise<{ ssc: StreamingContext; clock: ManualClock }> {
  const clock = new ManualClock(0);
  const ssc = StreamingContext.getOrCreate(dir, wordCount(dir, clock, out));
  ssc.start();
  await server.waitForConnections(1);
  await send(ssc, ["a b", "a"]);
  await clock.advance(1000);
  await send(ssc, ["b c"]);
  await clock.advance(1000);
  return { ssc, clock };
}

/** A crash: the context is dropped as is, then its dead receiver is stopped (it would be gone). */
async function crash(ssc: StreamingContext): Promise<void> {
  ssc.abandonForTest();
  await ssc.receiverTracker.stopReceivers();
  await waitUntil(() => server.connections === 0, "the old receiver to disconnect");
}

async function restart(dir: string, now: number, out: Totals, options?: { warnings?: string[] }): Promise<{ ssc: StreamingContext; clock: ManualClock }> {
  const clock = new ManualClock(now);
  const log = captureWarnings();
  let ssc: StreamingContext;
  try {
    ssc = StreamingContext.getOrCreate(dir, wordCount(dir, clock, out));
    ssc.start();
  } finally {
    log.restore();
  }
  options?.warnings?.push(...log.warns);
  await server.waitForConnections(1);
  return { ssc, clock };
}

describe("receiver write-ahead log: recovery with a real socket receiver", () => {
  it("blocks stored but not yet allocated to a batch survive the crash and are counted once", async () => {
    const dir = tmpDir();
    const first: Totals = new Map();
    const run1 = await startFirstRun(dir, first);
    await send(run1.ssc, ["c c"]);
    await run1.clock.advance(400); // the block interval (200 ms) cuts a block: it is in the WAL
    await crash(run1.ssc);
    expect([...first]).toEqual([[1000, [["a", 2], ["b", 1]]], [2000, [["a", 2], ["b", 2], ["c", 1]]]]);

    const second: Totals = new Map();
    const run2 = await restart(dir, 2500, second);
    await run2.clock.advance(500);
    await send(run2.ssc, ["a"]);
    await run2.clock.advance(1000);
    await run2.ssc.stop();
    expect([...second]).toEqual([[3000, [["a", 2], ["b", 2], ["c", 3]]], [4000, [["a", 3], ["b", 2], ["c", 3]]]]);
  });

  it("a crash before the first checkpoint: the WAL's blocks go to the new run's first batch", async () => {
    const dir = tmpDir();
    const clock = new ManualClock(0);
    const ssc = StreamingContext.getOrCreate(dir, wordCount(dir, clock, new Map()));
    ssc.start();
    await server.waitForConnections(1);
    await send(ssc, ["x y", "x"]);
    await clock.advance(400);
    await crash(ssc);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-"))).toEqual([]);

    const second: Totals = new Map();
    const run2 = await restart(dir, 5000, second);
    await run2.clock.advance(1000);
    await run2.ssc.stop();
    expect([...second]).toEqual([[6000, [["x", 2], ["y", 1]]]]);
  });

  it("falls back from a corrupt newest checkpoint, says so, and replays its batch from the WAL", async () => {
    const dir = tmpDir();
    const first: Totals = new Map();
    const run1 = await startFirstRun(dir, first);
    await send(run1.ssc, ["c c", "d"]);
    await run1.clock.advance(1000);
    await crash(run1.ssc);
    const newest = path.join(dir, "checkpoint-3000");
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(newest, bytes);

    const second: Totals = new Map();
    const warnings: string[] = [];
    const run2 = await restart(dir, 3500, second, { warnings });
    expect(warnings).toEqual([
      `Checkpoint: skipping unreadable checkpoint file ${newest}; falling back to the previous checkpoint checkpoint-2000. Reason: ` +
      `Checkpoint file ${newest} failed its sha256 check: its content was changed or damaged after it was written, so streamlab refuses to load it. Restore the file, delete it to recover from the previous checkpoint, or use a new checkpoint directory.`,
    ]);
    await run2.clock.advance(500);
    await run2.ssc.stop();
    // Batch 3000 was replayed from the blocks the WAL had allocated to it: same totals as before.
    expect(second.get(3000)).toEqual(first.get(3000));
    expect([...second]).toEqual([[3000, [["a", 2], ["b", 2], ["c", 3], ["d", 1]]], [4000, [["a", 2], ["b", 2], ["c", 3], ["d", 1]]]]);
  });

  it("recovers the records before a torn WAL tail, warns with the exact offset, and drops the torn block", async () => {
    const dir = tmpDir();
    const run1 = await startFirstRun(dir, new Map());
    await send(run1.ssc, ["c c"]);
    await run1.clock.advance(200);
    await send(run1.ssc, ["d"]);
    await run1.clock.advance(200);
    await crash(run1.ssc);
    // The crash tore the last append: cut the last record ("d"'s block) short by 3 bytes.
    const walDir = path.join(dir, "receivedData");
    const segment = path.join(walDir, fs.readdirSync(walDir).filter((f) => f.startsWith("log-")).sort().at(-1) as string);
    const records = readSegment(segment);
    expect(records.map((r) => (r.kind === "block" ? r.records : r.kind))).toEqual([["c c"], ["d"]]);
    // Each record is framed as 4-byte length, 4-byte CRC-32, body: the second starts after the first.
    const size = fs.statSync(segment).size;
    const lastStart = 8 + fs.readFileSync(segment).readUInt32LE(0);
    fs.truncateSync(segment, size - 3);

    const second: Totals = new Map();
    const warnings: string[] = [];
    const run2 = await restart(dir, 2500, second, { warnings });
    expect(warnings).toEqual([
      `WriteAheadLog: ${segment} ends with a torn record at byte ${lastStart} (${size - 3 - lastStart} bytes ignored): a crash interrupted its write. The 1 records before it are recovered.`,
    ]);
    await run2.clock.advance(500);
    await run2.ssc.stop();
    expect([...second]).toEqual([[3000, [["a", 2], ["b", 2], ["c", 3]]]]);
  });
});
