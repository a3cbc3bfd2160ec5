import type { PackedLines } from "../receiver/packed-lines";

/** A block of records received by one receiver (Spark's ReceivedBlockInfo + its data). */
export interface ReceivedBlock<T = unknown> {
  streamId: number;
  records: T[];
  /** The same records packed, for a block of socketTextStream lines: what a batch reads. */
  packed?: PackedLines;
  /** Metadata given to `store(records, metadata)`, if any. */
  metadata?: unknown;
  /** Where the block is in the write-ahead log, when the WAL is on. */
  walHandle?: unknown;
}

/**
 * Something that runs a receiver for an input stream: starts it, restarts it, stops it.
 * Implemented by the receiver supervisor; the tracker only needs these.
 */
export interface ReceiverRunner {
  readonly streamId: number;
  /** Records the receiver has stored so far, whether still buffered or already in blocks. */
  readonly numRecordsReceived: number;
  start(): void;
  /** Stops the receiver and flushes what it buffered into blocks. */
  stop(message: string): Promise<void>;
  /** Cuts the blocks of intervals that ended by `time` and are overdue (BlockGenerator.cutBlocksDueBy). */
  cutBlocksDueBy(time: number): void;
}

/**
 * Tracks received blocks until they are allocated to a batch, and batches' blocks until they are
 * cleaned up (Spark's ReceiverTracker + ReceivedBlockTracker).
 */
export class ReceiverTracker {
  private readonly unallocated = new Map<number, ReceivedBlock[]>();
  private readonly allocated = new Map<number, Map<number, ReceivedBlock[]>>();
  private readonly runners: ReceiverRunner[] = [];
  private lastAllocatedBatchTime = -Infinity;
  /** Called for every added block before it is tracked (the write-ahead log hooks in here). */
  blockAddedHook?: (block: ReceivedBlock) => void;
  /** Called when a batch's blocks are allocated (the WAL records allocations here). */
  batchAllocatedHook?: (time: number, blocks: Map<number, ReceivedBlock[]>) => void;

  /** Registers a receiver runner to be started with the context. */
  addRunner(runner: ReceiverRunner): void { this.runners.push(runner); }

  /** Forgets a runner whose stream left the graph (its blocks not yet allocated are dropped). */
  removeRunner(runner: ReceiverRunner): void {
    const i = this.runners.indexOf(runner);
    if (i >= 0) this.runners.splice(i, 1);
    this.unallocated.delete(runner.streamId);
  }

  /** Records stored by all receivers so far (tests wait on this before advancing a ManualClock). */
  numRecordsReceived(): number {
    return this.runners.reduce((n, r) => n + r.numRecordsReceived, 0);
  }

  /** The number of registered receivers. */
  get numReceivers(): number { return this.runners.length; }

  startReceivers(): void { for (const r of this.runners) r.start(); }

  async stopReceivers(message = "Stopped by driver"): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop(message)));
  }

  /** Adds a block received by a receiver; it goes to the next batch that is allocated. */
  addBlock(block: ReceivedBlock): void {
    this.blockAddedHook?.(block);
    let q = this.unallocated.get(block.streamId);
    if (!q) this.unallocated.set(block.streamId, (q = []));
    q.push(block);
  }

  /**
   * Moves every unallocated block to batch `time` (once per time, in increasing order), after the
   * receivers have cut their overdue blocks up to `time`: this thread may have been busy with the
   * previous batch when they were due, and a receiver thread in Spark would have pushed them.
   */
  allocateBlocksToBatch(time: number): void {
    if (time <= this.lastAllocatedBatchTime) return;
    for (const r of this.runners) r.cutBlocksDueBy(time);
    const batch = new Map<number, ReceivedBlock[]>();
    for (const [streamId, blocks] of this.unallocated) batch.set(streamId, blocks.splice(0));
    this.allocated.set(time, batch);
    this.lastAllocatedBatchTime = time;
    this.batchAllocatedHook?.(time, batch);
  }

  /** The blocks of `streamId` allocated to batch `time`. */
  getBlocksOfBatch(time: number, streamId: number): ReceivedBlock[] {
    return this.allocated.get(time)?.get(streamId) ?? [];
  }

  /** Restores an allocation after recovery (blocks replayed from the write-ahead log). */
  restoreAllocation(time: number, blocks: Map<number, ReceivedBlock[]>): void {
    this.allocated.set(time, blocks);
    this.lastAllocatedBatchTime = Math.max(this.lastAllocatedBatchTime, time);
  }

  /** True while some received block has not been allocated to a batch yet. */
  hasUnallocatedBlocks(): boolean {
    for (const q of this.unallocated.values()) if (q.length > 0) return true;
    return false;
  }

  /** Forgets the blocks of batches before `threshold`. */
  cleanupOldBatches(threshold: number): void {
    for (const t of this.allocated.keys()) if (t < threshold) this.allocated.delete(t);
  }
}
