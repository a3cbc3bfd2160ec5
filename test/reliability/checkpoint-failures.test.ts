import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock, StreamingContext } from "../../engine";
import { readCheckpointFile } from "../../engine/checkpoint/checkpoint-reader";
import { TEMP_FILE } from "../../engine/checkpoint/checkpoint-writer";
import { setLogger } from "../../engine/log";
import { TestInputStream } from "../../engine/testing/test-input-stream";
import { mountSmallDisk, SmallDisk } from "./full-disk";

// Checkpoint writes that fail (issue 22 finding 4): a full disk, a removed directory, a state that
// cannot be serialized. The stream goes on, no short or temp file is left, failures are coded and
// summarised, and awaitTermination() is not rejected by a passing disk problem.

const disk = mountSmallDisk(512);
const onDisk = disk ? it : it.skip;
if (!disk) process.stdout.write("checkpoint-failures: mounting a tmpfs is not permitted here (not root); the full-disk case is skipped\n");
afterAll(() => disk?.unmount());
afterEach(() => StreamingContext.stopActive());

function captureWarnings(): { warns: string[]; restore: () => void } {
  const warns: string[] = [];
  const prev = setLogger({ warn: (m) => warns.push(m), info: () => {} });
  return { warns, restore: () => setLogger(prev) };
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))).sort();
}

/** A word count with state: 1 batch = `words` big words, so a state file is tens of kB. */
function stateful(dir: string, clock: ManualClock, batches: string[][], out: Map<number, number>) {
  const ssc = new StreamingContext({ appName: "CpFail", master: "local[2]", batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  new TestInputStream(ssc, batches, 2).mapToPair((w): [string, number] => [w, 1])
    .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
    .foreachRDD((rdd, t) => { out.set(t.milliseconds, rdd.count()); });
  return ssc;
}

describe("checkpoint write failures", () => {
  onDisk("a full disk: coded, summarised warnings; no short file renamed into place, no temp file left; the stream goes on", async () => {
    const d = disk as SmallDisk;
    const dir = path.join(d.dir, "cp");
    const log = captureWarnings();
    try {
      const clock = new ManualClock(0);
      // 40 batches of 100 distinct 60-byte keys: state files of tens of kB.
      const batches = Array.from({ length: 40 }, (_, b) => Array.from({ length: 100 }, (_, i) => `${"k".repeat(50)}-${b}-${i}`));
      const counts = new Map<number, number>();
      const ssc = stateful(dir, clock, batches, counts);
      let rejected: unknown;
      ssc.start();
      ssc.awaitTermination().catch((e) => { rejected = e; });
      await clock.advance(2000);
      // 12 kB left: the next state file (about 20 kB) is written in part, then the disk is full.
      d.fill(12 * 1024);
      await clock.advance(20_000);
      expect(counts.get(22_000)).toBe(22 * 100);
      const failed = log.warns.filter((w) => w.startsWith("Checkpoint: checkpoint of batch"));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^Checkpoint: checkpoint of batch \d+ ms failed: Could not write checkpoint file .*cp\/(state\/stream-\d+-\d+|checkpoint-\d+): ENOSPC: no space left on device, write\. The stream goes on/);
      // No temp file left, and every checkpoint file in place is whole.
      expect(filesUnder(dir).filter((f) => TEMP_FILE.test(path.basename(f)))).toEqual([]);
      const checkpointFiles = filesUnder(dir).filter((f) => /^(checkpoint-\d+|state\/stream-\d+-\d+)$/.test(f));
      expect(checkpointFiles.length).toBeGreaterThan(2);
      for (const f of checkpointFiles) readCheckpointFile(path.join(dir, f));
      d.free();
      await clock.advance(1000);
      expect(log.warns.filter((w) => w.includes("had failed to write theirs"))).toHaveLength(1);
      expect(fs.existsSync(path.join(dir, "checkpoint-23000"))).toBe(true);
      expect(rejected).toBeUndefined();
      await ssc.stop();
      expect(rejected).toBeUndefined();
    } finally {
      log.restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a checkpoint directory removed while running is recreated", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cprm-"));
    const log = captureWarnings();
    try {
      const clock = new ManualClock(0);
      const counts = new Map<number, number>();
      const ssc = stateful(dir, clock, [["a"], ["b"], ["c"], ["d"]], counts);
      ssc.start();
      await clock.advance(2000);
      fs.rmSync(dir, { recursive: true, force: true });
      await clock.advance(2000);
      expect(log.warns).toEqual([`Checkpoint: the checkpoint directory ${dir} (or its state/ subdirectory) was removed while running; recreating it.`]);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).sort()).toEqual(["checkpoint-3000", "checkpoint-4000"]);
      await ssc.stop();
    } finally {
      log.restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a state holding a function: one coded error naming the stream and the key, and no metadata pairing a newer time with an older state", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cpfn-"));
    const log = captureWarnings();
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ appName: "CpFn", master: "local[2]", batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const errors: Error[] = [];
      new TestInputStream(ssc, Array.from({ length: 25 }, (_, i) => [`w${i}`]).map((b, i) => (i === 0 ? ["a"] : b)), 1).mapToPair((w): [string, number] => [w, w === "a" ? 2 : 1])
        .updateStateByKey((vs: number[], s?: unknown) => (vs[0] === 2 ? { n: 1, toString() { return "x"; } } : s ?? vs.length))
        .foreachRDD(() => {});
      ssc.start();
      ssc.awaitTermination().catch((e) => errors.push(e));
      // State is checkpointed every 10 s (Spark's default for a 1 s batch): at 10 s and 20 s.
      await clock.advance(25_000);
      await Promise.resolve();
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error & { code: string }).code).toBe("STREAM_ERR_STATE_NOT_CHECKPOINTABLE");
      expect(errors[0].message).toMatch(/^Cannot checkpoint the state of stream 2 \(StateDStream\): the state of key "a" cannot be stored \(toString\(\) \{ return "x"; \} could not be cloned\.\)\. Checkpoints hold plain data only/);
      // Metadata up to 9 s (0: the first batch, pending, before its jobs ran); none from 10 s on, when a metadata file would pair time t with state from before.
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).map((f) => Number(f.slice(11))).sort((a, b) => a - b))
        .toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
      expect(log.warns.filter((w) => w.startsWith("Checkpoint: checkpoint of batch"))).toHaveLength(1);
      await ssc.stop();
    } finally {
      log.restore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
