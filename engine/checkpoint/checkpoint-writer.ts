import * as fs from "fs";
import * as path from "path";
import { encodeCheckpoint } from "./checkpoint-format";

/** Metadata checkpoints are `<dir>/checkpoint-<batch ms>`, as Spark names them. */
export const METADATA_FILE = /^checkpoint-(\d+)$/;
/** Stream data (a stateful stream's batch at a checkpoint time) lives in `<dir>/state/`. */
export const STATE_DIR = "state";
const STATE_FILE = /^stream-(\d+)-(\d+)$/;

/** `checkpoint-<time>` */
export function metadataFileName(time: number): string { return `checkpoint-${time}`; }
/** `state/stream-<id>-<time>` */
export function stateFileName(streamId: number, time: number): string { return `${STATE_DIR}/stream-${streamId}-${time}`; }

/**
 * Writes `bytes` to `dir/name` so that a crash at any moment leaves either the old file or the
 * complete new one: write a temp file, fsync it, rename it over the target, fsync the directory
 * (without the last step a power loss can forget the rename).
 */
export function writeFileAtomically(dir: string, name: string, bytes: Buffer): string {
  const target = path.join(dir, name);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  fsyncDirectory(path.dirname(target));
  return target;
}

/** A temp file of writeFileAtomically: `.<name>.tmp-<pid>`. */
export const TEMP_FILE = /^\..+\.tmp-(\d+)$/;

/**
 * Deletes the temp files a killed writer left behind (it died between creating and renaming
 * them); they were never part of a checkpoint. Files of this process are left alone.
 */
export function removeTornTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const sub of [dir, path.join(dir, STATE_DIR)]) {
    if (!fs.existsSync(sub)) continue;
    for (const f of fs.readdirSync(sub)) {
      const m = TEMP_FILE.exec(f);
      if (!m || Number(m[1]) === process.pid) continue;
      fs.rmSync(path.join(sub, f), { force: true });
      removed.push(path.join(sub, f));
    }
  }
  return removed;
}

/** Makes a rename or unlink in `dir` durable. */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

/**
 * Writes the checkpoint files of one context: a metadata file per completed batch and, at a
 * stream's checkpoint times, that stream's batch as a separate state file (written once, then
 * referenced by every metadata file until the next one: Spark's RDD checkpoint files). Keeps the
 * newest `keep` metadata files and the state files they reference.
 */
export class CheckpointWriter {
  constructor(readonly dir: string, readonly keep = 10) {
    fs.mkdirSync(path.join(dir, STATE_DIR), { recursive: true });
    removeTornTempFiles(dir);
  }

  /** Writes one stream's data for `time`; returns its name relative to the directory. */
  writeState(streamId: number, time: number, payload: unknown): { name: string; bytes: number } {
    const name = stateFileName(streamId, time);
    const bytes = encodeCheckpoint(payload);
    writeFileAtomically(this.dir, name, bytes);
    return { name, bytes: bytes.length };
  }

  /** Writes the metadata checkpoint of batch `time`, then drops files no longer needed. */
  writeMetadata(time: number, payload: unknown): { name: string; bytes: number } {
    const name = metadataFileName(time);
    const bytes = encodeCheckpoint(payload);
    writeFileAtomically(this.dir, name, bytes);
    this.prune();
    return { name, bytes: bytes.length };
  }

  /**
   * Deletes all but the newest `keep` metadata files, then every state file older than the one
   * the oldest kept metadata file can reference (per stream: the newest at or before its time).
   */
  private prune(): void {
    const times = fs.readdirSync(this.dir).map((f) => METADATA_FILE.exec(f)).filter((m) => m !== null)
      .map((m) => Number((m as RegExpExecArray)[1])).sort((a, b) => b - a);
    for (const t of times.slice(this.keep)) fs.rmSync(path.join(this.dir, metadataFileName(t)), { force: true });
    const oldestKept = times.slice(0, this.keep).at(-1);
    if (oldestKept === undefined) return;
    const byStream = new Map<number, number[]>();
    for (const f of fs.readdirSync(path.join(this.dir, STATE_DIR))) {
      const m = STATE_FILE.exec(f);
      if (!m) continue;
      const list = byStream.get(Number(m[1])) ?? [];
      list.push(Number(m[2]));
      byStream.set(Number(m[1]), list);
    }
    for (const [id, stateTimes] of byStream) {
      const floor = Math.max(...stateTimes.filter((t) => t <= oldestKept), -Infinity);
      for (const t of stateTimes) if (t < floor) fs.rmSync(path.join(this.dir, stateFileName(id, t)), { force: true });
    }
  }
}
