import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { DStream, FileInputDStream, FileStreamCheckpoint, ManualClock, setLogger, StreamingContext, StreamInputInfo } from "../../engine";

/** Batch times are T0 + k * 1000; T0 is on the batch grid. */
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

/**
 * Sets a file's modification time to `ms` (+0.5 ms: utimes takes float seconds, and 1700000001.001 s
 * lands a few ns below 1001 ms, which Hadoop's and our whole-ms truncation would read as 1000).
 */
function setMtime(file: string, ms: number): void {
  fs.utimesSync(file, (ms + 0.5) / 1000, (ms + 0.5) / 1000);
  expect(Math.floor(fs.statSync(file).mtimeMs)).toBe(ms);
}

/** A watched directory and a staging directory on the same file system, for atomic moves. */
function directories() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-files-"));
  roots.push(root);
  const dir = path.join(root, "in");
  const staging = path.join(root, "staging");
  fs.mkdirSync(dir);
  fs.mkdirSync(staging);
  /** Writes `name` in staging with modification time `mtime`, then renames it into the watched directory. */
  const put = (name: string, content: string | Buffer, mtime: number) => {
    const staged = path.join(staging, name);
    fs.writeFileSync(staged, content);
    setMtime(staged, mtime);
    fs.renameSync(staged, path.join(dir, name));
    return path.join(dir, name);
  };
  return { root, dir, put };
}

function context(conf: Record<string, string | number> = {}, startTime = T0) {
  const clock = new ManualClock(startTime);
  const ssc = new StreamingContext({ appName: "files", master: "local[2]", batchDuration: 1000, clock, conf });
  const inputInfos = new Map<number, Map<number, StreamInputInfo>>();
  ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => inputInfos.set(batchInfo.batchTime, batchInfo.streamIdToInputInfo) });
  return { clock, ssc, inputInfos };
}

function collect<T>(stream: DStream<T>) {
  const batches: { time: number; partitions: T[][] }[] = [];
  stream.foreachRDD((rdd, time) => { batches.push({ time: time.milliseconds - T0, partitions: rdd.partitions.map((p) => [...p]) }); });
  return batches;
}

describe("textFileStream", () => {
  it("assigns files to batches by modification time in (threshold, T], skips dot files, directories and reprocessing", async () => {
    const { dir, put } = directories();
    put("old.txt", "created with the stream\n", T0);          // not newer than the initial threshold
    const a = put("a.txt", "a1\na2\n", T0 + 500);
    const b = put("b.txt", "b1\r\nb2", T0 + 1000);            // mtime == T belongs to T
    put(".hidden.txt", "hidden\n", T0 + 500);
    put("c.txt", "c1\n", T0 + 1001);
    put("future.txt", "f1\n", T0 + 2500);
    fs.mkdirSync(path.join(dir, "subdir"));
    const { clock, ssc, inputInfos } = context();
    const stream = ssc.textFileStream(dir);
    const batches = collect(stream);
    ssc.start();
    await clock.advance(1000);
    // Changing a file already read does not make it read again...
    fs.writeFileSync(a, "a1\na2\na3 appended\n");
    setMtime(a, T0 + 1500);
    // ...and a file moved in late is taken by the next batch if its mtime is still in the window.
    put("late.txt", "late\n", T0 + 300);
    await clock.advance(3000);
    expect(batches).toEqual([
      { time: 1000, partitions: [["a1", "a2"], ["b1", "b2"]] },
      { time: 2000, partitions: [["c1"], ["late"]] },
      { time: 3000, partitions: [["f1"]] },
      { time: 4000, partitions: [] },
    ]);
    expect(inputInfos.get(T0 + 1000)?.get(stream.id)).toEqual({
      inputStreamId: stream.id, numRecords: 4, metadata: { files: [a, b], Description: `${a}\n${b}` },
    });
    expect(stream.batchTimeToSelectedFiles).toEqual(new Map([
      [T0 + 1000, [a, b]],
      [T0 + 2000, [path.join(dir, "c.txt"), path.join(dir, "late.txt")]],
      [T0 + 3000, [path.join(dir, "future.txt")]],
      [T0 + 4000, []],
    ]));
  });

  it("ignores files older than the remember window (minRememberDuration rounded up to batches)", async () => {
    const { dir, put } = directories();
    const { clock, ssc } = context({ "spark.streaming.fileStream.minRememberDuration": "1500ms" });
    const stream = ssc.textFileStream(dir);
    expect(stream.durationToRemember).toBe(2000);
    const batches = collect(stream);
    ssc.start();
    await clock.advance(3000);
    put("stale.txt", "too old\n", T0 + 1500);   // batch 4000: threshold = 4000 - 2000
    put("fresh.txt", "fresh\n", T0 + 2500);
    await clock.advance(1000);
    expect(batches.map((b) => b.partitions)).toEqual([[], [], [], [["fresh"]]]);
  });

  it("a missing directory gives empty batches", async () => {
    const { root } = directories();
    const { clock, ssc } = context();
    const batches = collect(ssc.textFileStream(path.join(root, "not-there")));
    ssc.start();
    await clock.advance(2000);
    expect(batches).toEqual([{ time: 1000, partitions: [] }, { time: 2000, partitions: [] }]);
  });
});

describe("fileStream", () => {
  it("newFilesOnly: false also reads files already there (within the remember window); records are [byteOffset, line]", async () => {
    const { dir, put } = directories();
    put("ancient.txt", "older than 60 s\n", T0 - 120_000);
    put("recent.txt", "x\r\ny\n", T0 - 30_000);
    put("now.txt", "z", T0);
    const { clock, ssc } = context();
    const all = collect(ssc.fileStream(dir, { newFilesOnly: false }));
    const onlyNew = collect(ssc.fileStream(dir));
    ssc.start();
    put("next.txt", "é\nw\n", T0 + 700);
    await clock.advance(1000);
    // Files in name order: next.txt, now.txt, recent.txt; "é" is 2 bytes, so "w" starts at byte 3.
    expect(all).toEqual([{ time: 1000, partitions: [[[0, "é"], [3, "w"]], [[0, "z"]], [[0, "x"], [3, "y"]]] }]);
    expect(onlyNew).toEqual([{ time: 1000, partitions: [[[0, "é"], [3, "w"]]] }]);
  });

  it("a filter replaces the default one (so it may take dot files)", async () => {
    const { dir, put } = directories();
    const { clock, ssc } = context();
    const batches = collect(ssc.fileStream(dir, { filter: (p) => p.endsWith(".csv") }).map(([, line]) => line));
    ssc.start();
    put("data.csv", "1,2\n", T0 + 100);
    put(".partial.csv", "3,4\n", T0 + 200);
    put("notes.txt", "not csv\n", T0 + 300);
    await clock.advance(1000);
    expect(batches).toEqual([{ time: 1000, partitions: [["3,4"], ["1,2"]] }]);
  });

  it("checkpoints the files of each batch as plain data; a restored batch re-reads exactly those files", async () => {
    const { dir, put } = directories();
    const first = context();
    const stream1 = first.ssc.textFileStream(dir);
    collect(stream1);
    first.ssc.start();
    const a = put("a.txt", "a\n", T0 + 400);
    await first.clock.advance(1000);
    const b = put("b.txt", "b\n", T0 + 1400);
    await first.clock.advance(1000);
    const state = v8.deserialize(v8.serialize(stream1.checkpointState(T0 + 2000))) as FileStreamCheckpoint;
    // (v8.deserialize makes a Map of Node's realm, which jest's equality cannot walk: spread it.)
    expect([...state.batchTimeToSelectedFiles]).toEqual([[T0 + 1000, [a]], [T0 + 2000, [b]]]);
    expect(state.initialModTimeIgnoreThreshold).toBe(T0);
    await first.ssc.stop();

    // The "crash": a file that would belong to batch 1000 appears, and a.txt changes. The restored
    // stream replays batches 1000 and 2000 with their recorded files, and never reads them again.
    put("c.txt", "c\n", T0 + 800);
    fs.writeFileSync(a, "a changed\n");
    const second = context({}, T0);
    const stream2 = second.ssc.textFileStream(dir);
    const batches = collect(stream2);
    stream2.restoreState(state, T0 + 2000);
    second.ssc.start();
    await second.clock.advance(3000);
    expect(batches).toEqual([
      { time: 1000, partitions: [["a changed"]] },
      { time: 2000, partitions: [["b"]] },
      { time: 3000, partitions: [["c"]] },
    ]);
  });
});

describe("binaryRecordsStream", () => {
  it("reads fixed-length records; a file of the wrong length fails its batch with Spark's message", async () => {
    const { dir, put } = directories();
    const { clock, ssc } = context();
    const stream = ssc.binaryRecordsStream(dir, 4);
    expect(stream).toBeInstanceOf(FileInputDStream);
    const batches = collect(stream);
    ssc.start();
    put("good.bin", Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), T0 + 100);
    await clock.advance(1000);
    put("bad.bin", Buffer.from([9, 9, 9, 9, 9, 9]), T0 + 1100);
    await clock.advance(1000);
    expect(batches).toEqual([{ time: 1000, partitions: [[Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7, 8])]] }]);
    await expect(ssc.awaitTermination()).rejects.toMatchObject({
      code: "STREAM_ERR_BINARY_RECORD_LENGTH",
      message: "requirement failed: Byte array does not have correct length. 2 did not equal recordLength: 4. Every file of a binaryRecordsStream must be a whole number of 4-byte records.",
    });
  });

  it("rejects a record length that is not a positive whole number", () => {
    const { ssc } = context();
    expect(() => ssc.binaryRecordsStream("x", 0)).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_ARGUMENT", message: "binaryRecordsStream's recordLength must be a whole number of bytes >= 1, got number 0.",
    }));
  });
});
