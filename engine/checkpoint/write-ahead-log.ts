import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import * as zlib from "zlib";
import type { SparkConf } from "../conf";
import { Errors } from "../errors/messages";
import { log } from "../log";
import type { ReceivedBlock, ReceiverTracker } from "../scheduler/receiver-tracker";
import type { StreamingContext } from "../streaming-context";
import { fsyncDirectory } from "./checkpoint-writer";

/** Spark's switch for the receivers' write-ahead log. */
export function writeAheadLogEnabled(conf: SparkConf): boolean {
  return conf.getBoolean("spark.streaming.receiver.writeAheadLog.enable", false);
}

type WalRecord =
  | { kind: "block"; id: number; streamId: number; records: unknown[]; metadata?: unknown }
  | { kind: "alloc"; time: number; blocks: [number, number[]][] };

const SEGMENT = /^log-(\d+)$/;
/** Each record: 4-byte length, 4-byte CRC-32 of the body, then the v8-encoded body. */
const FRAME = 8;

/**
 * The receivers' write-ahead log in `<checkpointDir>/receivedData` (Spark's receivedData plus the
 * driver's block-metadata log in one place). Every block a receiver stores is appended and
 * fsynced before the tracker accepts it; every allocation of blocks to a batch is appended too.
 * A segment file is closed at each allocation, so a segment holds the blocks of exactly one batch
 * and is deleted once that batch is older than what the checkpoint needs (`trim`).
 *
 * After a crash `start` replays it: blocks of allocations still needed are allocated to their
 * batch again, blocks of older allocations are dropped (their batch is in the checkpoint), and
 * blocks never allocated go to the next batch; the survivors are rewritten into a
 * fresh segment and the old segments deleted. A torn last record (the crash hit mid-append) is
 * ignored with a warning: that block was never acknowledged to its receiver.
 */
export class WriteAheadLog {
  private readonly blocks = new Map<number, ReceivedBlock>();
  private readonly allocations = new Map<number, number[]>();
  private readonly oldSegments: string[] = [];
  /** Closed segments and the batch time they were allocated to. */
  private readonly closed: Array<{ file: string; time: number }> = [];
  private fd: number | undefined;
  private current = "";
  private nextSegment = 0;
  private nextBlockId = 0;
  private blocksInSegment = 0;
  /** Bytes of the current segment that are whole records: a failed append is cut back to this. */
  private segmentBytes = 0;
  /** Allocation records not written yet (the disk was full): written before anything else. */
  private readonly pendingAllocations: Extract<WalRecord, { kind: "alloc" }>[] = [];
  private allocationFailureWarned = false;
  private detach: () => void = () => {};
  /** Bytes in this log's live segments, by segment file. */
  private readonly bytesBySegment = new Map<string, number>();
  /** Blocks read back from the log by `start` (recovered after a crash). */
  recoveredBlocks = 0;

  private constructor(private readonly dir: string) {}

  /** Opens (and reads) the log of `ssc`; fails with Spark's message without a checkpoint directory. */
  static open(ssc: StreamingContext): WriteAheadLog {
    if (!ssc.checkpointDir) throw Errors.writeAheadLogWithoutCheckpoint();
    const wal = new WriteAheadLog(path.join(ssc.checkpointDir, "receivedData"));
    fs.mkdirSync(wal.dir, { recursive: true });
    wal.readExisting();
    return wal;
  }

  /**
   * Hands the recovered blocks to `tracker` and starts logging what it receives. Recovering from
   * a checkpoint, `keep(time)` says which allocations are still needed: those are restored, the
   * blocks of the others are dropped, blocks never allocated are unallocated again. Without a
   * checkpoint (`keep` undefined: no batch was committed) every block is unallocated again.
   */
  start(tracker: ReceiverTracker, keep: ((time: number) => boolean) | undefined): void {
    this.openSegment();
    const pending = new Set(this.blocks.keys());
    if (!keep) this.allocations.clear();
    // A block allocated to a batch the checkpoint no longer needs was processed and is in the
    // restored state: it must not come back as a new block (that would count it twice).
    for (const ids of this.allocations.values()) for (const id of ids) pending.delete(id);
    for (const [time, ids] of [...this.allocations].sort((a, b) => a[0] - b[0])) {
      if (!keep?.(time)) continue;
      const batch = new Map<number, ReceivedBlock[]>();
      for (const id of ids) {
        const block = this.blocks.get(id);
        if (!block) continue;
        this.logBlock(block);
        const list = batch.get(block.streamId) ?? [];
        list.push(block);
        batch.set(block.streamId, list);
      }
      this.logAllocation(time, batch);
      tracker.restoreAllocation(time, batch);
    }
    for (const id of [...pending].sort((a, b) => a - b)) {
      const block = this.blocks.get(id) as ReceivedBlock;
      this.logBlock(block);
      tracker.addBlock(block);
    }
    this.recoveredBlocks = this.blocks.size;
    this.blocks.clear();
    this.allocations.clear();
    for (const f of this.oldSegments) fs.rmSync(f, { force: true });
    fsyncDirectory(this.dir);
    const blockAdded = (block: ReceivedBlock) => this.logBlock(block);
    const batchAllocated = (time: number, batch: Map<number, ReceivedBlock[]>) => this.logAllocation(time, batch);
    tracker.blockAddedHook = blockAdded;
    tracker.batchAllocatedHook = batchAllocated;
    this.detach = () => {
      if (tracker.blockAddedHook === blockAdded) tracker.blockAddedHook = undefined;
      if (tracker.batchAllocatedHook === batchAllocated) tracker.batchAllocatedHook = undefined;
    };
  }

  /** Deletes the segments of batches before `threshold`. */
  trim(threshold: number): void {
    while (this.closed.length > 0 && this.closed[0].time < threshold) {
      const { file } = this.closed.shift() as { file: string };
      fs.rmSync(file, { force: true });
      this.bytesBySegment.delete(file);
    }
  }

  /** Bytes in the log's segments now (what a dashboard shows as the WAL's size). */
  get sizeBytes(): number {
    let n = 0;
    for (const b of this.bytesBySegment.values()) n += b;
    return n;
  }

  /** Closes the log and unhooks it from the tracker: nothing is logged after this. */
  close(): void {
    this.detach();
    this.closeSegment();
  }

  private closeSegment(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }

  private logBlock(block: ReceivedBlock): void {
    // A recovered block keeps its id, so a crash while the log is being rewritten cannot
    // duplicate it: reading dedupes by id.
    const id = typeof block.walHandle === "number" ? block.walHandle : this.nextBlockId++;
    block.walHandle = id;
    this.append({ kind: "block", id, streamId: block.streamId, records: block.records, metadata: block.metadata });
    this.blocksInSegment++;
  }

  /**
   * Never throws: the batch goes on with its blocks in memory. An allocation that cannot be
   * written (a full disk) is kept and written before the next record; until then no checkpoint
   * is written (see `flushAllocations`), so a crash cannot make its blocks look unprocessed.
   */
  private logAllocation(time: number, batch: Map<number, ReceivedBlock[]>): void {
    let blocks = 0;
    for (const bs of batch.values()) blocks += bs.length;
    // A batch without blocks needs no record and no segment of its own.
    if (this.blocksInSegment === 0 || (blocks === 0 && this.pendingAllocations.length > 0)) {
      this.flushAllocations();
      return;
    }
    this.pendingAllocations.push({ kind: "alloc", time, blocks: [...batch].map(([streamId, bs]) => [streamId, bs.map((b) => b.walHandle as number)]) });
    this.flushAllocations();
  }

  /**
   * Writes the allocations still pending, each closing its segment; false while the disk refuses
   * them (warned about once per spell). The checkpoint writer calls this first and writes no
   * checkpoint while it is false.
   */
  flushAllocations(): boolean {
    while (this.pendingAllocations.length > 0) {
      const record = this.pendingAllocations[0];
      try {
        this.append(record);
      } catch (e) {
        if (!this.allocationFailureWarned) log().warn(`WriteAheadLog: ${(e as Error).message} The allocation of batch ${record.time} ms is kept and written again before the next block; no checkpoint is written until it is.`);
        this.allocationFailureWarned = true;
        return false;
      }
      this.pendingAllocations.shift();
      this.closeSegment();
      this.closed.push({ file: this.current, time: record.time });
      this.blocksInSegment = 0;
      try { this.openSegment(); } catch { /* opened again by the next append */ }
    }
    if (this.allocationFailureWarned) log().warn("WriteAheadLog: the pending batch allocations are written; checkpoints go on.");
    this.allocationFailureWarned = false;
    return true;
  }

  /**
   * Appends one record and fsyncs it; on a failure (ENOSPC, EIO...) the segment is cut back to its
   * last whole record, so the log stays readable, and STREAM_ERR_WAL_WRITE is thrown.
   */
  private append(record: WalRecord): void {
    if (record.kind === "block" && !this.flushAllocations()) throw Errors.writeAheadLogWrite(this.dir, "an earlier batch allocation is still waiting to be written");
    try {
      if (this.fd === undefined) this.openSegment();
    } catch (e) {
      throw Errors.writeAheadLogWrite(this.dir, (e as Error).message);
    }
    const body = v8.serialize(record);
    const frame = Buffer.alloc(FRAME);
    frame.writeUInt32LE(body.length, 0);
    frame.writeUInt32LE(zlib.crc32(body), 4);
    const bytes = Buffer.concat([frame, body]);
    const fd = this.fd as number;
    try {
      // writeSync may write part of the buffer (a nearly full disk): write the rest, or fail.
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      fs.fsyncSync(fd);
      this.segmentBytes += bytes.length;
      this.bytesBySegment.set(this.current, (this.bytesBySegment.get(this.current) ?? 0) + bytes.length);
    } catch (e) {
      try { fs.ftruncateSync(fd, this.segmentBytes); } catch { /* the torn tail is ignored on reading */ }
      throw Errors.writeAheadLogWrite(this.current, (e as Error).message);
    }
  }

  private openSegment(): void {
    const file = path.join(this.dir, `log-${String(this.nextSegment++).padStart(10, "0")}`);
    this.fd = fs.openSync(file, "a");
    this.current = file;
    this.blocksInSegment = 0;
    this.segmentBytes = 0;
    fsyncDirectory(this.dir);
  }

  private readExisting(): void {
    const segments = fs.readdirSync(this.dir).map((f) => SEGMENT.exec(f)).filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    for (const m of segments) {
      const file = path.join(this.dir, m[0]);
      this.oldSegments.push(file);
      this.nextSegment = Math.max(this.nextSegment, Number(m[1]) + 1);
      for (const record of readSegment(file)) {
        if (record.kind === "block") {
          this.blocks.set(record.id, { streamId: record.streamId, records: record.records, metadata: record.metadata, walHandle: record.id });
          this.nextBlockId = Math.max(this.nextBlockId, record.id + 1);
        } else {
          this.allocations.set(record.time, record.blocks.flatMap(([, bs]) => bs));
        }
      }
    }
  }
}

/** The records of one segment, up to a torn or damaged tail (warned about, then ignored). */
export function readSegment(file: string): WalRecord[] {
  const bytes = fs.readFileSync(file);
  const out: WalRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = offset + FRAME <= bytes.length ? bytes.readUInt32LE(offset) : -1;
    const body = length >= 0 ? bytes.subarray(offset + FRAME, offset + FRAME + length) : undefined;
    if (!body || body.length < length || zlib.crc32(body) !== bytes.readUInt32LE(offset + 4)) {
      log().warn(`WriteAheadLog: ${file} ends with a torn record at byte ${offset} (${bytes.length - offset} bytes ignored): a crash interrupted its write. The ${out.length} records before it are recovered.`);
      break;
    }
    out.push(v8.deserialize(body) as WalRecord);
    offset += FRAME + length;
  }
  return out;
}
