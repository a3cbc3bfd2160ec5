import * as fs from "fs";
import * as path from "path";
import { log } from "../log";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint-format";

/** `segment-<sequence>`: a journal file, appended to for `BATCHES_PER_SEGMENT` batches. */
const SEGMENT = /^segment-(\d+)$/;
/** The one-file-per-batch layout of earlier versions, still read and cleaned up. */
const BATCH_FILE = /^batch-(\d+)(\.tmp-\d+)?$/;
/** A frame's header: the encoded batch's length (u32) and its time (f64), little-endian. */
const FRAME_HEADER = 12;
const BATCHES_PER_SEGMENT = 10;

interface Entry {
  file: string;
  /** Where the encoded batch starts, after its frame header. */
  offset: number;
  length: number;
}

interface Segment {
  file: string;
  /** The newest batch time in it: the segment goes when that one may. */
  newest: number;
}

/** The segment this journal appends to. */
interface OpenSegment extends Segment {
  size: number;
  batches: number;
}

/**
 * The saved batches of one stream, in append-only segment files (`segment-<n>`, ten batches
 * each): a stream that must keep many past batches across a restart (an incremental window keeps
 * a whole window of reduced batches) saves each batch once per process, when it first needs
 * saving, and refers to the range in its metadata, so a checkpoint costs one batch, not a window.
 * Appending costs no file creation, rename or deletion per batch: on a VM disk those were most of
 * an empty windowed batch's time.
 *
 * Each batch is a frame (length, time, then the checksummed checkpoint encoding). Nothing is
 * fsynced: a batch survives a process crash, and one lost to a power cut, or torn by a kill
 * during its write, fails its length or checksum and is treated as not saved, the stream then
 * recomputing that batch from its source as Spark would. A new process appends to a new segment,
 * never after a torn tail.
 */
export class BatchJournal {
  /** Batch times this journal wrote or read: what this process's batches are. */
  private readonly written = new Set<number>();
  /** Every saved batch, from this process or found on disk (the directory is read on first use). */
  private index: Map<number, Entry> | undefined;
  private readonly closed: Segment[] = [];
  /** Batch files of the old layout, by time. */
  private readonly batchFiles = new Map<number, string>();
  private current: OpenSegment | undefined;
  private nextSequence = 0;

  constructor(readonly dir: string) {}

  /** True when this journal saved or read the batch of `time`. */
  has(time: number): boolean {
    return this.written.has(time);
  }

  /**
   * Saves `data` as the batch of `time`, unless this journal saved or read it already. A batch an
   * earlier process saved is saved again: this process may have computed it anew (a batch after
   * that process's last metadata), and a restart must subtract what this process added. The
   * newest frame of a time is the one read.
   */
  write(time: number, data: unknown): void {
    if (this.written.has(time)) return;
    const index = this.load();
    const segment = this.current !== undefined && this.current.batches < BATCHES_PER_SEGMENT ? this.current : this.rotate();
    const encoded = encodeCheckpoint(data);
    const frame = Buffer.allocUnsafe(FRAME_HEADER + encoded.length);
    frame.writeUInt32LE(encoded.length, 0);
    frame.writeDoubleLE(time, 4);
    encoded.copy(frame, FRAME_HEADER);
    fs.appendFileSync(segment.file, frame);
    index.set(time, { file: segment.file, offset: segment.size + FRAME_HEADER, length: encoded.length });
    this.written.add(time);
    segment.size += frame.length;
    segment.batches++;
    segment.newest = Math.max(segment.newest, time);
  }

  /** The saved batch of `time`, or undefined when it is missing or damaged (with a warning). */
  read(time: number): unknown {
    const entry = this.load().get(time);
    const file = entry?.file ?? this.batchFiles.get(time);
    if (file === undefined) return undefined;
    try {
      let data: unknown;
      if (entry === undefined) data = decodeCheckpoint(fs.readFileSync(file), file);
      else {
        const bytes = Buffer.alloc(entry.length);
        const fd = fs.openSync(file, "r");
        try { fs.readSync(fd, bytes, 0, entry.length, entry.offset); } finally { fs.closeSync(fd); }
        data = decodeCheckpoint(bytes, `${file} (batch ${time})`);
      }
      this.written.add(time);
      return data;
    } catch (e) {
      log().warn(`Checkpoint: ignoring ${entry ? `batch ${time} of ` : ""}${file}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The batch times saved, oldest first. */
  times(): number[] {
    return [...new Set([...this.load().keys(), ...this.batchFiles.keys()])].sort((a, b) => a - b);
  }

  /** Deletes the batches at or before `time`: whole segments whose newest batch is that old. */
  removeUpTo(time: number): void {
    const index = this.load();
    for (let i = this.closed.length - 1; i >= 0; i--) {
      const segment = this.closed[i];
      if (segment.newest > time) continue;
      fs.rmSync(segment.file, { force: true });
      this.closed.splice(i, 1);
      for (const [t, e] of index) {
        if (e.file !== segment.file) continue;
        index.delete(t);
        this.written.delete(t);
      }
    }
    for (const [t, file] of this.batchFiles) {
      if (t > time) continue;
      fs.rmSync(file, { force: true });
      this.batchFiles.delete(t);
      this.written.delete(t);
    }
  }

  /** Closes the segment being written (if any) and starts the next one. */
  private rotate(): OpenSegment {
    if (this.current !== undefined) this.closed.push({ file: this.current.file, newest: this.current.newest });
    else fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `segment-${String(this.nextSequence++).padStart(10, "0")}`);
    return (this.current = { file, size: 0, batches: 0, newest: -Infinity });
  }

  /** Reads the directory once: the frames of every segment, and old-layout batch files. */
  private load(): Map<number, Entry> {
    if (this.index !== undefined) return this.index;
    const index = new Map<number, Entry>();
    this.index = index;
    if (!fs.existsSync(this.dir)) return index;
    const names = fs.readdirSync(this.dir).sort();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const old = BATCH_FILE.exec(name);
      // Writes were synchronous: a temp file was left by a killed process, never renamed.
      if (old?.[2]) fs.rmSync(file, { force: true });
      else if (old) this.batchFiles.set(Number(old[1]), file);
      const m = SEGMENT.exec(name);
      if (!m) continue;
      this.nextSequence = Math.max(this.nextSequence, Number(m[1]) + 1);
      this.closed.push({ file, newest: this.readFrames(file, index) });
    }
    return index;
  }

  /** Indexes the frames of `file` up to a torn tail (warned about); returns its newest batch time. */
  private readFrames(file: string, index: Map<number, Entry>): number {
    const bytes = fs.readFileSync(file);
    let newest = -Infinity;
    let at = 0;
    while (at < bytes.length) {
      const length = at + FRAME_HEADER <= bytes.length ? bytes.readUInt32LE(at) : -1;
      if (length < 0 || at + FRAME_HEADER + length > bytes.length) {
        log().warn(`Checkpoint: ${file} ends with a torn batch at byte ${at} (${bytes.length - at} bytes ignored); that batch is recomputed from its source.`);
        break;
      }
      const time = bytes.readDoubleLE(at + 4);
      index.set(time, { file, offset: at + FRAME_HEADER, length });
      newest = Math.max(newest, time);
      at += FRAME_HEADER + length;
    }
    return newest;
  }
}
