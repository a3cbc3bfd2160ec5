import * as path from "path";
import { HashPartitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import type { RecoveryHooks, StreamingContext } from "../streaming-context";
import { CheckpointMetadata, StreamBatchData, StreamCheckpoint } from "./checkpoint-data";
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
  private wal: WriteAheadLog | undefined;
  /** Per stream, the newest state file written or restored: every metadata file references it. */
  private readonly latestBatch = new Map<number, { time: number; file: string }>();
  private removeShutdownHook: () => void = () => {};
  /** The newest batch whose checkpoint was written. */
  private lastCompleted: number | undefined;

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
    replayBatches(ssc, times, new Set(cp.pendingTimes), cp.checkpointTime);
    return ssc.jobGenerator.timer.start(restartTime);
  }

  /** Writes the checkpoint of batch `time`, then trims the write-ahead log. */
  afterBatchCompleted(time: number): void {
    this.lastCompleted = time;
    this.live?.expire(time);
    this.writeCheckpoint(time, false);
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
    for (const s of ssc.graph.streams) {
      const stateTime = s.checkpointDuration === undefined ? undefined
        : everyState ? Math.max(-Infinity, ...[...s.generatedRDDs.keys()].filter((t) => t <= time))
        : lastCheckpointTime(s, time);
      const written = this.latestBatch.get(s.id)?.time;
      const rdd = stateTime !== undefined && stateTime !== written ? s.generatedRDDs.get(stateTime) : undefined;
      if (rdd && stateTime !== undefined) {
        const data: StreamBatchData = { partitions: rdd.partitions, hashPartitions: rdd.partitioner instanceof HashPartitioner ? rdd.partitioner.numPartitions : undefined };
        this.latestBatch.set(s.id, { time: stateTime, file: writer.writeState(s.id, stateTime, data).name });
      }
      const state = s.checkpointState(time);
      const batch = this.latestBatch.get(s.id);
      if (state !== undefined || batch) streams.push({ id: s.id, state, batch });
    }
    writer.writeMetadata(time, this.metadata(time, streams), everyState);
    this.wal?.trim(Math.min(time - ssc.graph.maxInputRememberDuration(), ssc.graph.historyPin ?? Infinity));
  }

  /**
   * A graceful stop (all received data processed) rewrites the last batch's checkpoint with the
   * state of every stateful stream, so a restart loses nothing even without a write-ahead log.
   * Spark writes only its usual metadata checkpoint here; its state between RDD checkpoints is
   * recomputed from input that a receiver without WAL no longer has.
   */
  async onStop(_ssc: StreamingContext, graceful: boolean): Promise<void> {
    if (graceful && this.lastCompleted !== undefined) this.writeCheckpoint(this.lastCompleted, true);
    this.release();
  }

  /** Lets go of files, handlers and idle waiters without writing anything (a simulated crash). */
  release(): void {
    this.removeShutdownHook();
    this.writer?.close();
    this.wal?.close();
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
      pendingTimes: ssc.jobScheduler.pendingTimes.filter((t) => t > time),
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

/** The absolute path of a file named in a checkpoint. @internal */
export function checkpointPath(dir: string, name: string): string {
  return path.join(dir, name);
}
