import * as fs from "fs";
import * as path from "path";
import { log } from "../log";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint-format";

/**
 * A directory of write-once files, one per batch time (`batch-<ms>`), in the checksummed
 * checkpoint format. A stream that must keep many past batches across a restart (an incremental
 * window keeps a whole window of reduced batches) writes each batch once, when it first needs
 * saving, and refers to the range in its metadata, so a checkpoint costs one batch, not a window.
 *
 * Files are written to a temp name and renamed (a kill -9 never leaves a half file under the real
 * name) but not fsynced: they survive a process crash, and a file lost to a power cut is detected
 * by its checksum and treated as not saved, the stream then recomputing that batch from its
 * source as Spark would.
 */
export class BatchJournal {
  private readonly written = new Set<number>();
  /** Batch times with a file on disk (undefined until the directory is first listed). */
  private onDisk: Set<number> | undefined;
  private dirMade = false;

  constructor(readonly dir: string) {}

  /** Saves `data` as the batch of `time`, unless it was saved already. */
  write(time: number, data: unknown): void {
    if (this.written.has(time)) return;
    if (!this.dirMade) fs.mkdirSync(this.dir, { recursive: true });
    this.dirMade = true;
    const target = this.file(time);
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, encodeCheckpoint(data));
    fs.renameSync(tmp, target);
    this.written.add(time);
    this.onDisk?.add(time);
  }

  /** The saved batch of `time`, or undefined when it is missing or damaged (with a warning). */
  read(time: number): unknown {
    const file = this.file(time);
    if (!fs.existsSync(file)) return undefined;
    try {
      const data = decodeCheckpoint(fs.readFileSync(file), file);
      this.written.add(time);
      return data;
    } catch (e) {
      log().warn(`Checkpoint: ignoring ${file}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Deletes the batches at or before `time`. */
  removeUpTo(time: number): void {
    if (this.onDisk === undefined) {
      // Listed once: files (and temp files) left by an earlier run are found here, later ones tracked.
      this.onDisk = new Set();
      if (!fs.existsSync(this.dir)) return;
      for (const f of fs.readdirSync(this.dir)) {
        const m = /^batch-(\d+)(\.tmp-\d+)?$/.exec(f);
        if (!m) continue;
        // Writes are synchronous: a temp file here was left by a killed process, never renamed.
        if (m[2]) fs.rmSync(path.join(this.dir, f), { force: true });
        else this.onDisk.add(Number(m[1]));
      }
    }
    for (const t of this.onDisk) {
      if (t > time) continue;
      fs.rmSync(this.file(t), { force: true });
      this.onDisk.delete(t);
      this.written.delete(t);
    }
  }

  private file(time: number): string {
    return path.join(this.dir, `batch-${time}`);
  }
}
