import * as fs from "fs";
import * as path from "path";
import { Errors } from "../errors/messages";
import { hasCode } from "../errors/streaming-error";
import { log } from "../log";
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
 * (without the last step a power loss can forget the rename). Every byte is written (writeSync
 * may write fewer than asked on a nearly full disk) before the rename; on any failure the temp
 * file is removed and STREAM_ERR_CHECKPOINT_WRITE names the file, so no short file is ever renamed
 * into place and none is left behind.
 * @param syncDir makes the rename durable (default: open and fsync the target's directory);
 *   null skips both fsyncs: still atomic against a process crash, not against a power loss
 *   (null, not undefined: an undefined argument takes the default, which made every metadata
 *   file pay for two fsyncs that durableEveryMs meant to spare)
 */
export function writeFileAtomically(dir: string, name: string, bytes: Buffer, syncDir: ((dir: string) => void) | null = fsyncDirectory): string {
  const target = path.join(dir, name);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  let created = false;
  try {
    const fd = fs.openSync(tmp, "w");
    created = true;
    try {
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      if (syncDir !== null) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    created = false;
    syncDir?.(path.dirname(target));
  } catch (e) {
    if (created) {
      try { fs.rmSync(tmp, { force: true }); } catch { /* a read-only remount: the next start removes it */ }
    }
    if (hasCode(e, "STREAM_ERR_CHECKPOINT_WRITE")) throw e;
    throw Errors.checkpointWrite(target, (e as Error).message ?? String(e));
  }
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
  /** Metadata times on disk, newest last. Tracked here so a batch's checkpoint lists no directory. */
  private readonly metadataTimes: number[];
  /** State file times on disk, per stream id. */
  private readonly stateTimes = new Map<number, number[]>();
  /** Directory handles kept open for the fsync after each rename (one open less per file). */
  private readonly dirHandles = new Map<string, number>();

  /** Wall-clock time of the last metadata file made durable (fsynced). */
  private lastDurable = -Infinity;

  /**
   * @param keep metadata files kept
   * @param durableEveryMs metadata files are fsynced (with their directory) at most this often;
   *   the ones between are written and renamed without fsync. A killed process loses none of them
   *   (they are in the page cache); a power loss can lose at most this much of the newest, and
   *   recovery then starts from the newest intact one. State files are always fsynced.
   */
  constructor(readonly dir: string, readonly keep = 10, readonly durableEveryMs = 1000) {
    fs.mkdirSync(path.join(dir, STATE_DIR), { recursive: true });
    removeTornTempFiles(dir);
    this.metadataTimes = fs.readdirSync(dir).map((f) => METADATA_FILE.exec(f)).filter((m) => m !== null)
      .map((m) => Number((m as RegExpExecArray)[1])).sort((a, b) => a - b);
    for (const f of fs.readdirSync(path.join(dir, STATE_DIR))) {
      const m = STATE_FILE.exec(f);
      if (m) this.stateTimesOf(Number(m[1])).push(Number(m[2]));
    }
  }

  /** Writes one stream's data for `time`; returns its name relative to the directory. */
  writeState(streamId: number, time: number, payload: unknown): { name: string; bytes: number } {
    const name = stateFileName(streamId, time);
    const bytes = encodeCheckpoint(payload);
    this.write(name, bytes, this.syncDir);
    const times = this.stateTimesOf(streamId);
    if (!times.includes(time)) times.push(time);
    return { name, bytes: bytes.length };
  }

  /**
   * Writes the metadata checkpoint of batch `time`, then drops files no longer needed.
   * @param durable fsync it even if the last durable one is recent (a graceful stop)
   */
  writeMetadata(time: number, payload: unknown, durable = false): { name: string; bytes: number } {
    const name = metadataFileName(time);
    const bytes = encodeCheckpoint(payload);
    // An fsync costs more than the rest of an empty batch (ext4 commits its journal), so with
    // sub-second batches only one metadata file per durableEveryMs pays for it.
    const now = Date.now();
    const sync = durable || now - this.lastDurable >= this.durableEveryMs;
    this.write(name, bytes, sync ? this.syncDir : null);
    if (sync) this.lastDurable = now;
    if (!this.metadataTimes.includes(time)) {
      this.metadataTimes.push(time);
      this.metadataTimes.sort((a, b) => a - b);
    }
    this.prune();
    return { name, bytes: bytes.length };
  }

  /**
   * writeFileAtomically, recreating the directory first when it was removed while running (a
   * user's `rm -r checkpoints`): checkpointing goes on instead of failing for good.
   */
  private write(name: string, bytes: Buffer, syncDir: ((dir: string) => void) | null): void {
    if (!fs.existsSync(path.join(this.dir, STATE_DIR))) {
      log().warn(`Checkpoint: the checkpoint directory ${this.dir} (or its ${STATE_DIR}/ subdirectory) was removed while running; recreating it.`);
      this.close();
      try {
        fs.mkdirSync(path.join(this.dir, STATE_DIR), { recursive: true });
      } catch (e) {
        throw Errors.checkpointWrite(path.join(this.dir, name), (e as Error).message);
      }
    }
    writeFileAtomically(this.dir, name, bytes, syncDir);
  }

  /** Closes the directory handles. The writer can still write afterwards (it reopens them). */
  close(): void {
    for (const fd of this.dirHandles.values()) {
      try { fs.closeSync(fd); } catch { /* already gone */ }
    }
    this.dirHandles.clear();
  }

  private readonly syncDir = (dir: string): void => {
    let fd = this.dirHandles.get(dir);
    if (fd === undefined) {
      fd = fs.openSync(dir, "r");
      this.dirHandles.set(dir, fd);
    }
    fs.fsyncSync(fd);
  };

  private stateTimesOf(streamId: number): number[] {
    let times = this.stateTimes.get(streamId);
    if (!times) this.stateTimes.set(streamId, (times = []));
    return times;
  }

  /**
   * Deletes all but the newest `keep` metadata files, then every state file older than the one
   * the oldest kept metadata file can reference (per stream: the newest at or before its time).
   */
  private prune(): void {
    const times = this.metadataTimes;
    while (times.length > this.keep) removeQuietly(path.join(this.dir, metadataFileName(times.shift() as number)));
    const oldestKept = times[0];
    if (oldestKept === undefined) return;
    for (const [id, stateTimes] of this.stateTimes) {
      const floor = Math.max(...stateTimes.filter((t) => t <= oldestKept), -Infinity);
      for (let i = stateTimes.length - 1; i >= 0; i--) {
        if (stateTimes[i] < floor) {
          removeQuietly(path.join(this.dir, stateFileName(id, stateTimes[i])));
          stateTimes.splice(i, 1);
        }
      }
    }
  }
}

/** Deletes an old checkpoint file; one that cannot be deleted (a read-only disk) is left for the next prune of a later run. */
function removeQuietly(file: string): void {
  try { fs.rmSync(file, { force: true }); } catch { /* left behind, harmless: recovery reads the newest files */ }
}
