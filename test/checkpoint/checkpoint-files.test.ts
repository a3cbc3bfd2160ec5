import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hasCode } from "../../engine";
import { decodeCheckpoint, encodeCheckpoint } from "../../engine/checkpoint/checkpoint-format";
import { readCheckpointFile, readLatestCheckpoint } from "../../engine/checkpoint/checkpoint-reader";
import { CheckpointWriter } from "../../engine/checkpoint/checkpoint-writer";
import { diffFingerprints, StreamIdentity } from "../../engine/checkpoint/graph-fingerprint";
import { readSegment } from "../../engine/checkpoint/write-ahead-log";
import { setLogger } from "../../engine/log";

function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-cpf-")); }

function captureWarnings(): { warns: string[]; restore: () => void } {
  const warns: string[] = [];
  const prev = setLogger({ warn: (m) => warns.push(m), info: () => {} });
  return { warns, restore: () => setLogger(prev) };
}

function errorOf(fn: () => unknown): Error & { code?: string } {
  try { fn(); } catch (e) { return e as Error & { code?: string }; }
  throw new Error("expected an error");
}

describe("checkpoint file format", () => {
  it("round-trips plain data: Map, Set, Date, BigInt, nested arrays", () => {
    const payload = { m: new Map([["a", 1]]), s: new Set([1, 2]), d: new Date(5), n: 10n, parts: [[["a", 1]], []] };
    const out = decodeCheckpoint(encodeCheckpoint(payload), "f") as typeof payload;
    // v8.deserialize builds its objects in Node's realm, not jest's: compare their contents.
    expect([[...out.m], [...out.s], out.d.getTime(), out.n, out.parts]).toEqual([[["a", 1]], [1, 2], 5, 10n, [[["a", 1]], []]]);
  });

  it("rejects a tampered body by its checksum, with a code", () => {
    const bytes = encodeCheckpoint({ total: 41 });
    const body = bytes.indexOf(0x0a) + 1;
    bytes[bytes.length - 1] ^= 0x01;
    expect(body).toBeGreaterThan(0);
    const e = errorOf(() => decodeCheckpoint(bytes, "/x/checkpoint-7"));
    expect(e.code).toBe("STREAM_ERR_CHECKPOINT_CHECKSUM");
    expect(e.message).toBe("Checkpoint file /x/checkpoint-7 failed its sha256 check: its content was changed or damaged after it was written, so streamlab refuses to load it. Restore the file, delete it to recover from the previous checkpoint, or use a new checkpoint directory.");
  });

  it("reports a torn file as truncated, and a foreign file as not a checkpoint", () => {
    const bytes = encodeCheckpoint({ a: "x".repeat(100) });
    const torn = errorOf(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10), "c"));
    expect(torn.code).toBe("STREAM_ERR_CHECKPOINT_TRUNCATED");
    expect(torn.message).toMatch(/^Checkpoint file c is truncated \(\d+ of \d+ bytes\): it was torn by a crash while being written\./);
    expect(errorOf(() => decodeCheckpoint(bytes.subarray(0, 12), "c")).code).toBe("STREAM_ERR_CHECKPOINT_TRUNCATED");
    const foreign = errorOf(() => decodeCheckpoint(Buffer.from("hello\nworld"), "c"));
    expect([foreign.code, foreign.message]).toEqual(["STREAM_ERR_CHECKPOINT_FORMAT",
      "Checkpoint file c cannot be read: its header line is not a streamlab checkpoint header. Point getOrCreate at a directory written by ssc.checkpoint(dir), or use a new checkpoint directory."]);
  });

  it("never runs code while decoding: functions cannot even be encoded", () => {
    expect(() => encodeCheckpoint({ f: () => 1 })).toThrow();
  });
});

describe("CheckpointWriter and readLatestCheckpoint", () => {
  it("keeps the newest 10 metadata files and the state files they reference", () => {
    const dir = tmpDir();
    const w = new CheckpointWriter(dir);
    for (let t = 1000; t <= 15000; t += 1000) {
      if (t % 4000 === 0) w.writeState(3, t, { partitions: [[t]] });
      w.writeMetadata(t, { version: 1, checkpointTime: t });
    }
    const names = fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).map((f) => Number(f.slice(11))).sort((a, b) => a - b);
    expect(names).toEqual([6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000]);
    // checkpoint-6000 still references the state of 4000.
    expect(fs.readdirSync(path.join(dir, "state")).sort()).toEqual(["stream-3-12000", "stream-3-4000", "stream-3-8000"]);
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
    expect(readLatestCheckpoint(dir)?.data).toEqual({ version: 1, checkpointTime: 15000 });
  });

  it("prunes files an earlier writer (a previous run) left, as well as its own", () => {
    const dir = tmpDir();
    const first = new CheckpointWriter(dir);
    for (let t = 1000; t <= 8000; t += 1000) {
      if (t % 4000 === 0) first.writeState(3, t, { partitions: [[t]] });
      first.writeMetadata(t, { t });
    }
    first.close();
    const second = new CheckpointWriter(dir);
    for (let t = 9000; t <= 16000; t += 1000) {
      if (t % 4000 === 0) second.writeState(3, t, { partitions: [[t]] });
      second.writeMetadata(t, { t });
    }
    second.close();
    const names = fs.readdirSync(dir).filter((f) => f.startsWith("checkpoint-")).map((f) => Number(f.slice(11))).sort((a, b) => a - b);
    expect(names).toEqual([7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000, 16000]);
    expect(fs.readdirSync(path.join(dir, "state")).sort()).toEqual(["stream-3-12000", "stream-3-16000", "stream-3-4000", "stream-3-8000"]);
  });

  it("falls back to the previous checkpoint when the newest is torn, and says so", () => {
    const dir = tmpDir();
    const w = new CheckpointWriter(dir);
    w.writeMetadata(1000, { t: 1000 });
    w.writeMetadata(2000, { t: 2000 });
    const newest = path.join(dir, "checkpoint-2000");
    fs.truncateSync(newest, fs.statSync(newest).size - 3);
    const log = captureWarnings();
    const loaded = readLatestCheckpoint(dir);
    log.restore();
    expect(loaded).toEqual({ file: path.join(dir, "checkpoint-1000"), data: { t: 1000 } });
    expect(log.warns).toHaveLength(1);
    expect(log.warns[0]).toMatch(new RegExp(`^Checkpoint: skipping unreadable checkpoint file ${newest}; falling back to the previous checkpoint checkpoint-1000\\. Reason: Checkpoint file ${newest} is truncated \\(\\d+ of \\d+ bytes\\)`));
  });

  it("fails with every reason when no checkpoint is readable", () => {
    const dir = tmpDir();
    new CheckpointWriter(dir).writeMetadata(1000, { t: 1 });
    const file = path.join(dir, "checkpoint-1000");
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const log = captureWarnings();
    const e = errorOf(() => readLatestCheckpoint(dir));
    log.restore();
    expect(e.code).toBe("STREAM_ERR_CHECKPOINT_READ");
    expect(e.message.split("\n")[0]).toBe(`Failed to read checkpoint from directory ${dir}: no checkpoint file in it is readable.`);
    expect(e.message).toContain(`  - Checkpoint file ${file} failed its sha256 check`);
    expect(hasCode(errorOf(() => readCheckpointFile(file)), "STREAM_ERR_CHECKPOINT_CHECKSUM")).toBe(true);
  });

  it("reads nothing from an empty or missing directory", () => {
    expect(readLatestCheckpoint(path.join(tmpDir(), "none"))).toBeUndefined();
  });
});

describe("graph fingerprint differences", () => {
  const id = (i: number, operator: string, deps: number[], functionsHash = "h"): StreamIdentity => ({ id: i, operator, dependencies: deps, functionsHash, stateful: false });
  it("names changed operators, functions, inputs, added and removed streams", () => {
    const saved = [id(0, "TestInputStream", []), id(1, "MappedDStream", [0]), id(2, "StateDStream", [1], "a"), id(3, "ForEachDStream", [2])];
    const now = [id(0, "TestInputStream", []), id(1, "FilteredDStream", [0]), id(2, "StateDStream", [0], "b")];
    expect(diffFingerprints(saved, now)).toEqual([
      "stream 1 was MappedDStream, is now FilteredDStream",
      "stream 2 (StateDStream): its function's source code changed",
      "stream 2 (StateDStream): its inputs changed from streams [1] to [0]",
      "stream 3 (ForEachDStream) is in the checkpoint but not in the new graph",
    ]);
    expect(diffFingerprints(now, saved).at(-1)).toBe("stream 3 (ForEachDStream) is new: the checkpoint has no stream 3");
  });
});

describe("write-ahead log segments", () => {
  it("recovers the records before a torn tail and warns with the byte offset", () => {
    const dir = tmpDir();
    const file = path.join(dir, "log-0000000000");
    // Two whole records written through the real framing, then half of a third.
    const v8 = require("v8") as typeof import("v8");
    const zlib = require("zlib") as typeof import("zlib") & { crc32(b: Buffer): number };
    const frame = (rec: unknown) => {
      const body = v8.serialize(rec);
      const head = Buffer.alloc(8);
      head.writeUInt32LE(body.length, 0);
      head.writeUInt32LE(zlib.crc32(body), 4);
      return Buffer.concat([head, body]);
    };
    const a = frame({ kind: "block", id: 0, streamId: 1, records: ["x"] });
    const b = frame({ kind: "alloc", time: 1000, blocks: [[1, [0]]] });
    const c = frame({ kind: "block", id: 1, streamId: 1, records: ["y"] });
    fs.writeFileSync(file, Buffer.concat([a, b, c.subarray(0, 7)]));
    const log = captureWarnings();
    const records = readSegment(file);
    log.restore();
    expect(records).toEqual([{ kind: "block", id: 0, streamId: 1, records: ["x"] }, { kind: "alloc", time: 1000, blocks: [[1, [0]]] }]);
    expect(log.warns).toEqual([`WriteAheadLog: ${file} ends with a torn record at byte ${a.length + b.length} (7 bytes ignored): a crash interrupted its write. The 2 records before it are recovered.`]);
  });
});
