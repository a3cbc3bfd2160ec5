import * as path from "path";
import * as v8 from "v8";
import type { DStream } from "../dstream/dstream";
import { Errors } from "../errors/messages";
import { hasCode } from "../errors/streaming-error";
import { log } from "../log";
import { HashPartitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import type { RecoveryHooks, StreamingContext } from "../streaming-context";
import { CheckpointMetadata, StreamBatchData, StreamCheckpoint } from "./checkpoint-data";
import { CheckpointLock } from "./checkpoint-lock";
import { CheckpointWriter } from "./checkpoint-writer";
import { fingerprintGraph, StreamIdentity } from "./graph-fingerprint";
import { LiveStreamRecovery } from "./live-recovery";
import { replayBatches, replayTimes } from "./replay";
import { installShutdownHook } from "./shutdown-hook";
import { WriteAheadLog, writeAheadLogEnabled } from "./write-ahead-log";

/** A checkpoint chosen for recovery, with the state files it references already read. @internal */
export interface RestorePlan {
  file: string;
  metadata: CheckpointMetadata;
  /** Decoded state files by stream id, for the streams to restore. */
  batches: Map<number, StreamBatchData>;
  /** The streams whose state and data are restored (all of them unless restoreUnchangedState). */
  streamIds: Set<number>;
  /** The ids of the streams `create()` built. */
  createdIds: Set<number>;
}

/**
 * The fault-tolerance layer of one StreamingContext, installed as its RecoveryHooks: starts the
 * graph fresh or from a restored checkpoint (replaying pending and down-time batches), writes a
 * checkpoint after every completed batch, runs the receivers' write-ahead log and the shutdown
 * hook. Installed by `start()` when a checkpoint directory or `stopGracefullyOnShutdown` is set,
 * and by `getOrCreate` when it restores.
 */
export class CheckpointManager implements RecoveryHooks {
  private writer: CheckpointWriter | undefined;
  private lock: CheckpointLock | undefined;
  private wal: WriteAheadLog | undefined;
  /** Per stream, the newest state file written or restored: every metadata file references it. */
  private readonly latestBatch = new Map<number, { time: number; file: string }>();
  private removeShutdownHook: () => void = () => {};
  /** The newest batch whose checkpoint was written. */
  private lastCompleted: number | undefined;
  /** The batch checkpointed as pending before its jobs ran (the first of a fresh run). */
  private pendingAtGeneration: number | undefined;
  private generationCheckpointWritten = false;
  private readonly failures = new CheckpointFailures();
  /** Streams whose state file failed to write: no metadata file is written until one is. */
  private readonly stateOwed = new Set<number>();
  /** STREAM_ERR_STATE_NOT_CHECKPOINTABLE messages already reported (once each, not per batch). */
  private readonly reportedStateErrors = new Set<string>();

  /** The graph `create()` built, as it was at start: what a recovery compares its own with. */
  private startGraph: StreamIdentity[] = [];
  /** The graph's identities, computed again only when streams joined or left (see graph.version). */
  private identities: { version: number; graph: StreamIdentity[] } | undefined;
  /** The streams the checkpointed run added after start, waiting to be defined again. */
  private readonly live: LiveStreamRecovery | undefined;

  constructor(private readonly ssc: StreamingContext, private readonly plan?: RestorePlan) {
    if (plan) {
      this.live = new LiveStreamRecovery(ssc, plan.metadata, plan.batches, (id, batch) => this.latestBatch.set(id, batch));
      this.live.reserveIds();
    }
  }

  start(ssc: StreamingContext): number {
    try {
      return this.startOrThrow(ssc);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  private startOrThrow(ssc: StreamingContext): number {
    if (ssc.checkpointDir) this.lock = CheckpointLock.acquire(ssc.checkpointDir);
    if (writeAheadLogEnabled(ssc.conf)) this.wal = WriteAheadLog.open(ssc);
    if (ssc.checkpointDir) this.writer = new CheckpointWriter(ssc.checkpointDir);
    this.removeShutdownHook = installShutdownHook(ssc);
    // A stream that takes over the state of a removed one (a re-run cell) refers to its state
    // file until it writes its own.
    ssc.graph.onChange.push((change) => {
      for (const a of change.added) {
        const batch = a.adoptsFrom && this.latestBatch.get(a.adoptsFrom.id);
        if (batch) this.latestBatch.set(a.id, batch);
      }
    });
    const plan = this.plan;
    if (!plan) {
      this.wal?.start(ssc.receiverTracker, undefined);
      const first = ssc.jobGenerator.startFirstTime();
      this.startGraph = fingerprintGraph(ssc.graph).filter((s) => s.joinTime === undefined);
      return first;
    }
    const cp = plan.metadata;
    ssc.graph.start(cp.zeroTime, cp.startTime);
    this.startGraph = fingerprintGraph(ssc.graph).filter((s) => s.joinTime === undefined);
    this.restoreStreams(plan);
    this.live?.matchStartGraph(plan.createdIds);
    const keepFrom = Math.min(cp.checkpointTime - ssc.graph.maxInputRememberDuration(), this.live?.oldestNeeded ?? Infinity);
    this.wal?.start(ssc.receiverTracker, (time) => time > keepFrom);
    const restartTime = ssc.jobGenerator.timer.getRestartTime(cp.zeroTime);
    this.live?.install(restartTime);
    const times = replayTimes(cp, restartTime);
    // Posted once the replayed batches are queued (the first may have started).
    const restore = { file: plan.file, checkpointTime: cp.checkpointTime, replayedBatches: 0, restoredStreams: plan.streamIds.size, walBlocks: this.wal?.recoveredBlocks };
    restore.replayedBatches = replayBatches(ssc, times, new Set(cp.pendingTimes), cp.checkpointTime);
    ssc.listenerBus.post("onCheckpointRestored", { restore });
    return ssc.jobGenerator.timer.start(restartTime);
  }

  /**
   * Checkpoints the first batch of a fresh run as pending, at the graph's zero time, before its
   * jobs run, as Spark checkpoints every batch once its jobs are generated. Later batches are
   * covered by the checkpoint of the batch before them (streamlab writes one when a batch
   * completes; it lists the batches still pending) and by the Kafka ranges journal. Without it,
   * a crash before the first batch completed found no checkpoint and started the program afresh
   * although that batch's outputs may have run: an exactly-once Kafka sink had committed it, and
   * the fresh run read its records again under later batch times, so the sink held them twice.
   */
  beforeJobsSubmitted(time: number): void {
    if (this.plan || this.generationCheckpointWritten || this.lastCompleted !== undefined || !this.writer) return;
    const zero = this.ssc.graph.zeroTime;
    if (zero === undefined || zero >= time) return;
    this.generationCheckpointWritten = true;
    this.pendingAtGeneration = time;
    try {
      this.tryWriteCheckpoint(zero, false);
    } finally {
      this.pendingAtGeneration = undefined;
    }
  }

  /**
   * Writes the checkpoint of batch `time`, then trims the write-ahead log. A failed write is
   * logged (summarised, see CheckpointFailures) and the stream goes on, as Spark's checkpoint
   * writer logs and goes on: awaitTermination() is not rejected by a full or read-only disk. A
   * state that can never be checkpointed is the program's error and is reported as a batch error.
   */
  afterBatchCompleted(time: number): void {
    this.lastCompleted = time;
    this.live?.expire(time);
    this.tryWriteCheckpoint(time, false);
  }

  private tryWriteCheckpoint(time: number, everyState: boolean): void {
    try {
      this.writeCheckpoint(time, everyState);
      this.failures.succeeded(time);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (hasCode(error, "STREAM_ERR_STATE_NOT_CHECKPOINTABLE") && !this.reportedStateErrors.has(error.message)) {
        this.reportedStateErrors.add(error.message);
        this.ssc.reportError(`Error checkpointing batch ${time} ms`, error);
      }
      this.failures.failed(time, error);
    }
  }

  /**
   * Writes the checkpoint of batch `time`: the metadata file and, for each stateful stream at its
   * checkpoint times (or, with `everyState`, whenever its newest batch is not in a state file yet),
   * its batch as a state file.
   */
  private writeCheckpoint(time: number, everyState: boolean): void {
    const writer = this.writer;
    if (!writer) return;
    const ssc = this.ssc;
    const streams: StreamCheckpoint[] = [];
    let bytes = 0;
    for (const s of ssc.graph.streams) {
      // A stream whose last state file failed to write owes one: it is written at the next batch.
      const stateTime = s.checkpointDuration === undefined ? undefined
        : everyState || this.stateOwed.has(s.id) ? Math.max(-Infinity, ...[...s.generatedRDDs.keys()].filter((t) => t <= time))
        : lastCheckpointTime(s, time);
      const written = this.latestBatch.get(s.id)?.time;
      const rdd = stateTime !== undefined && stateTime !== written ? s.generatedRDDs.get(stateTime) : undefined;
      if (rdd && stateTime !== undefined) {
        const data: StreamBatchData = { partitions: rdd.partitions, hashPartitions: rdd.partitioner instanceof HashPartitioner ? rdd.partitioner.numPartitions : undefined };
        // A state file that cannot be written fails the whole checkpoint: a metadata file must
        // never pair a newer time with an older state.
        this.stateOwed.add(s.id);
        const stateFile = writeStateOf(writer, s, stateTime, data);
        bytes += stateFile.bytes;
        this.latestBatch.set(s.id, { time: stateTime, file: stateFile.name });
        this.stateOwed.delete(s.id);
      }
      const state = s.checkpointState(time);
      const batch = this.latestBatch.get(s.id);
      if (state !== undefined || batch) streams.push({ id: s.id, state, batch });
    }
    // An allocation the WAL could not record yet would let a crash re-add its processed blocks.
    if (this.wal && !this.wal.flushAllocations()) throw Errors.checkpointWrite(writer.dir, "the write-ahead log has not recorded an earlier batch's blocks yet (its disk is full)");
    const meta = writer.writeMetadata(time, this.metadata(time, streams), everyState);
    try {
      this.wal?.trim(Math.min(time - ssc.graph.maxInputRememberDuration(), ssc.graph.historyPin ?? Infinity));
    } catch { /* an old segment that cannot be deleted now is deleted by a later trim or restart */ }
    if (ssc.listenerBus.wants("onCheckpointWritten")) {
      ssc.listenerBus.post("onCheckpointWritten", { checkpoint: {
        batchTime: time, file: path.join(writer.dir, meta.name), bytes: bytes + meta.bytes, writeTime: ssc.clock.getTimeMillis(), walBytes: this.wal?.sizeBytes,
      } });
    }
  }

  /**
   * A graceful stop (all received data processed) rewrites the last batch's checkpoint with the
   * state of every stateful stream, so a restart loses nothing even without a write-ahead log.
   * Spark writes only its usual metadata checkpoint here; its state between RDD checkpoints is
   * recomputed from input that a receiver without WAL no longer has.
   */
  async onStop(_ssc: StreamingContext, graceful: boolean): Promise<void> {
    if (graceful && this.lastCompleted !== undefined) this.tryWriteCheckpoint(this.lastCompleted, true);
    this.release();
  }

  /** Lets go of files, handlers and idle waiters without writing anything (a simulated crash). */
  release(): void {
    this.removeShutdownHook();
    this.writer?.close();
    this.wal?.close();
    this.lock?.release();
    this.lock = undefined;
  }

  private metadata(time: number, streams: StreamCheckpoint[]): CheckpointMetadata {
    const ssc = this.ssc;
    const carried = this.live?.waiting ? this.live.carried() : undefined;
    return {
      version: 1,
      appName: ssc.appName,
      master: ssc.master,
      batchDuration: ssc.batchDuration,
      zeroTime: ssc.graph.zeroTime as number,
      startTime: ssc.graph.startTime as number,
      checkpointTime: time,
      pendingTimes: [...ssc.jobScheduler.pendingTimes, ...(this.pendingAtGeneration === undefined ? [] : [this.pendingAtGeneration])].filter((t) => t > time),
      conf: ssc.conf.getAll(),
      graph: carried ? [...this.currentIdentities(), ...carried.identities] : this.currentIdentities(),
      // Only needed once the graph changed since start (recovery reads the streams of `graph`
      // without a join time otherwise).
      startGraph: ssc.graph.version === 0 ? undefined : this.startGraph,
      streams: [...streams, ...(carried?.entries ?? [])],
    };
  }

  private currentIdentities(): StreamIdentity[] {
    const graph = this.ssc.graph;
    if (this.identities?.version !== graph.version) this.identities = { version: graph.version, graph: fingerprintGraph(graph) };
    return this.identities.graph;
  }

  /** Puts the checkpointed batches and stream states back, after the graph is initialized. */
  private restoreStreams(plan: RestorePlan): void {
    const ssc = this.ssc;
    for (const entry of plan.metadata.streams) {
      if (!plan.streamIds.has(entry.id)) continue;
      const stream = ssc.graph.streamById(entry.id);
      if (!stream) continue;
      const data = plan.batches.get(entry.id);
      if (entry.batch && data) {
        const partitioner = data.hashPartitions ? new HashPartitioner(data.hashPartitions) : undefined;
        stream.generatedRDDs.set(entry.batch.time, new RDD(data.partitions, ssc.rddContext, partitioner));
        this.latestBatch.set(entry.id, entry.batch);
      }
      if (entry.state !== undefined) stream.restoreState(entry.state, plan.metadata.checkpointTime);
    }
  }
}

/**
 * The newest checkpoint time of `s` at or before `time`. Usually `time` itself or one already
 * written; a stream that computed its batches since a restored state before joining (see
 * LiveStreamRecovery) passed checkpoint times no batch completed at, and writes the newest now,
 * so its state file and its window journal's range (ReducedWindowedDStream) agree again.
 */
function lastCheckpointTime(s: { zeroTime: number | undefined; checkpointDuration: number | undefined }, time: number): number | undefined {
  const zero = s.zeroTime, interval = s.checkpointDuration;
  if (zero === undefined || interval === undefined) return undefined;
  return zero + Math.floor((time - zero) / interval) * interval;
}

/**
 * Writes a stateful stream's batch; a value v8 cannot serialize (a function, a class with native
 * fields) fails with STREAM_ERR_STATE_NOT_CHECKPOINTABLE naming the stream and the key.
 */
function writeStateOf(writer: CheckpointWriter, stream: DStream<unknown>, time: number, data: StreamBatchData): { name: string; bytes: number } {
  try {
    return writer.writeState(stream.id, time, data);
  } catch (e) {
    if (hasCode(e, "STREAM_ERR_CHECKPOINT_WRITE")) throw e;
    for (const partition of data.partitions) {
      for (const record of partition) {
        try {
          v8.serialize(record);
        } catch (cause) {
          const key = Array.isArray(record) && record.length === 2 ? record[0] : record;
          throw Errors.stateNotCheckpointable(`stream ${stream.id} (${stream.constructor.name})`, key, (cause as Error).message);
        }
      }
    }
    throw e;
  }
}

/**
 * Checkpoint write failures, summarised: the first is warned in full, then at most one warning a
 * minute counts the failed batches, and the first success after a spell says how long it was.
 * A full disk used to warn once per batch for as long as it lasted.
 */
class CheckpointFailures {
  private count = 0;
  private first = 0;
  private lastWarned = 0;

  failed(time: number, error: Error): void {
    this.count++;
    const now = Date.now();
    if (this.count === 1) {
      this.first = time;
      this.lastWarned = now;
      log().warn(`Checkpoint: checkpoint of batch ${time} ms failed: ${error.message}`);
    } else if (now - this.lastWarned >= 60_000) {
      this.lastWarned = now;
      log().warn(`Checkpoint: still failing: ${this.count} batches from ${this.first} ms to ${time} ms have no checkpoint. Newest error: ${error.message}`);
    }
  }

  succeeded(time: number): void {
    if (this.count === 0) return;
    log().warn(`Checkpoint: checkpoint of batch ${time} ms written; ${this.count} batches from ${this.first} ms on had failed to write theirs.`);
    this.count = 0;
  }
}

/** The absolute path of a file named in a checkpoint. @internal */
export function checkpointPath(dir: string, name: string): string {
  return path.join(dir, name);
}
