import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, StreamingContext } from "../../engine";
import { encodeCheckpoint } from "../../engine/checkpoint/checkpoint-format";
import { readCheckpointFile } from "../../engine/checkpoint/checkpoint-reader";
import { setLogger } from "../../engine/log";
import { TestInputStream } from "../../engine/testing/test-input-stream";

// User mistakes and odd input (issue 22, findings 7 and 8): a BOM, bad queueStream elements, two
// programs on one checkpoint directory, and checkpoint files whose paths lead outside.

const T0 = 1_700_000_000_000;
let roots: string[] = [];
let warnings: string[] = [];
let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => {
  roots = [];
  warnings = [];
  previousLogger = setLogger({ warn: (m) => warnings.push(m), info: () => {} });
});
afterEach(async () => {
  await StreamingContext.stopActive();
  setLogger(previousLogger);
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `streamlab-${prefix}-`));
  roots.push(d);
  return d;
}

describe("a UTF-8 byte order mark at the start of a file", () => {
  it("is not part of the first word (Hadoop's LineRecordReader strips it)", async () => {
    const root = tmp("bom");
    const dir = path.join(root, "in");
    fs.mkdirSync(dir);
    const clock = new ManualClock(T0);
    const ssc = new StreamingContext({ appName: "bom", master: "local[2]", batchDuration: 1000, clock });
    const counts: Array<[string, number]>[] = [];
    ssc.textFileStream(dir).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => { counts.push(rdd.collect().sort((a, b) => (a[0] < b[0] ? -1 : 1))); });
    ssc.start();
    const staged = path.join(root, "a.txt");
    fs.writeFileSync(staged, "\uFEFFhello world\nhello\n", "utf8");
    fs.utimesSync(staged, (T0 + 500.5) / 1000, (T0 + 500.5) / 1000);
    fs.renameSync(staged, path.join(dir, "a.txt"));
    await clock.advance(1000);
    expect(counts).toEqual([[["hello", 2], ["world", 1]]]);
  });
});

describe("queueStream", () => {
  it("refuses an element that is neither an RDD nor an array, naming it", () => {
    const ssc = new StreamingContext({ appName: "q", master: "local[2]", batchDuration: 1000, clock: new ManualClock(0) });
    expect(() => ssc.queueStream([[1, 2], "abc", null] as never)).toThrow(expect.objectContaining({
      name: "TypeError", code: "STREAM_ERR_QUEUE_ELEMENT",
      message: `queueStream's queue element 1 is "abc": each element must be an RDD or an array of records (one batch's records). Wrap a single record in an array, e.g. ["abc"], and use [] for an empty batch.`,
    }));
    expect(() => ssc.queueStream([[1]], true, 5 as never)).toThrow(expect.objectContaining({ code: "STREAM_ERR_QUEUE_ELEMENT", message: expect.stringMatching(/^queueStream's defaultRDD is number 5:/) }));
  });

  it("an element pushed later fails its one batch with the coded error; the stream goes on", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "q2", master: "local[2]", batchDuration: 1000, clock });
    const queue: unknown[][] = [[1, 2]];
    const seen: number[][] = [];
    ssc.queueStream(queue as number[][]).foreachRDD((rdd) => { seen.push(rdd.collect()); });
    const errors: Error[] = [];
    ssc.start();
    ssc.awaitTermination().catch((e) => errors.push(e));
    queue.push(null as never, [3]);
    await clock.advance(3000);
    expect(seen).toEqual([[1, 2], [3]]);
    expect(errors.map((e) => (e as Error & { code: string }).code)).toEqual(["STREAM_ERR_QUEUE_ELEMENT"]);
    expect(errors[0].message).toMatch(/^queueStream's queue element 0 is null:/);
  });
});

/** A stateful program on `dir` for `batches` batches of ManualClock time. */
function stateful(dir: string, clock: ManualClock) {
  const ssc = new StreamingContext({ appName: "lock", master: "local[2]", batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  new TestInputStream(ssc, [["a"], ["b"], ["a"], ["c"]], 1).mapToPair((w): [string, number] => [w, 1])
    .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).foreachRDD(() => {});
  return ssc;
}

/** Runs `sleep` as a stand-in for another live process; resolves with it and its pid. */
function otherProcess(): ChildProcess {
  return spawn("sleep", ["60"], { stdio: "ignore" });
}

function lockOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return JSON.stringify({ pid, host: os.hostname(), procStart: start, token: "other", since: "2026-01-01T00:00:00.000Z" });
}

describe("the checkpoint directory's lock", () => {
  it("refuses a second live writer with a clear error, and is released by stop()", async () => {
    const dir = tmp("lock");
    const other = otherProcess();
    try {
      fs.writeFileSync(path.join(dir, ".lock"), lockOf(other.pid as number));
      const ssc = stateful(dir, new ManualClock(0));
      expect(() => ssc.start()).toThrow(expect.objectContaining({
        code: "STREAM_ERR_CHECKPOINT_LOCKED",
        message: `The checkpoint directory ${dir} is in use by another running streaming program (process ${other.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z). Two writers would overwrite each other's checkpoints and write-ahead log. Stop the other program first, or give this one its own directory with ssc.checkpoint(dir).`,
      }));
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-"))).toEqual([]);
    } finally {
      other.kill("SIGKILL");
    }
    await new Promise((r) => other.once("exit", r));
    // Its process gone, the lock is stale: taken over with a warning.
    const clock = new ManualClock(0);
    const ssc = stateful(dir, clock);
    ssc.start();
    expect(warnings).toEqual([`Checkpoint: taking over the stale lock ${path.join(dir, ".lock")} of process ${other.pid}, which is no longer running.`]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, ".lock"), "utf8")).pid).toBe(process.pid);
    await clock.advance(2000);
    await ssc.stop();
    expect(fs.existsSync(path.join(dir, ".lock"))).toBe(false);
  });
});

describe("restored paths stay inside their directories", () => {
  async function run(dir: string): Promise<void> {
    const clock = new ManualClock(0);
    const ssc = stateful(dir, clock);
    ssc.start();
    await clock.advance(4000);
    // A graceful stop writes every stream's state: the newest metadata file names a state file.
    await ssc.stop({ stopGracefully: true });
  }

  it("a metadata file naming a state file outside the checkpoint is skipped like a damaged one", async () => {
    const dir = tmp("paths");
    await run(dir);
    const newest = path.join(dir, "checkpoint-4000");
    const cp = readCheckpointFile<{ streams: Array<{ batch?: { file: string } }> }>(newest);
    const entry = cp.streams.find((s) => s.batch) as { batch: { file: string } };
    entry.batch.file = "../../../etc/passwd";
    fs.writeFileSync(newest, encodeCheckpoint(cp));
    const ssc = StreamingContext.getOrCreate(dir, () => stateful(dir, new ManualClock(4500)));
    expect(warnings[0]).toBe(`Checkpoint: skipping unreadable checkpoint file ${newest}; falling back to the previous checkpoint checkpoint-3000. Reason: Checkpoint file ${newest} names a state file "../../../etc/passwd", which is not inside ${path.join(dir, "state")}; streamlab refuses to read or use paths outside their directory. The file was not written by streamlab for this directory: delete it to recover from the previous checkpoint, or use a new checkpoint directory.`);
    expect(ssc.getState()).toBe("INITIALIZED");
  });

  it("a file stream's restored batchTimeToSelectedFiles must be in its watched directory", async () => {
    const root = tmp("paths2");
    const dir = path.join(root, "cp");
    const input = path.join(root, "in");
    fs.mkdirSync(input);
    const build = (clock: ManualClock) => {
      const ssc = new StreamingContext({ appName: "paths", master: "local[2]", batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      ssc.textFileStream(input).foreachRDD(() => {});
      return ssc;
    };
    const clock = new ManualClock(T0);
    const first = build(clock);
    first.start();
    await clock.advance(2000);
    await first.stop();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-"));
    for (const f of files) {
      const cp = readCheckpointFile<{ streams: Array<{ state?: { batchTimeToSelectedFiles: Map<number, string[]> } }> }>(path.join(dir, f));
      cp.streams[0].state?.batchTimeToSelectedFiles.set(T0 + 1000, ["/etc/passwd"]);
      fs.writeFileSync(path.join(dir, f), encodeCheckpoint(cp));
    }
    expect(() => StreamingContext.getOrCreate(dir, () => build(new ManualClock(T0 + 2500)))).toThrow(expect.objectContaining({
      code: "STREAM_ERR_CHECKPOINT_READ",
      message: expect.stringContaining(`names an input file "/etc/passwd", which is not inside ${input}`),
    }));
  });
});
