import * as path from "path";
import { log } from "../log";
import type { StreamingContext } from "../streaming-context";
import { CheckpointMetadata, StreamBatchData } from "./checkpoint-data";
import { CheckpointManager, RestorePlan } from "./checkpoint-manager";
import { readCheckpointFile, readLatestCheckpoint } from "./checkpoint-reader";
import { describeStream, diffFingerprints, fingerprintGraph, sameIdentity, StreamIdentity } from "./graph-fingerprint";
import { Errors } from "../errors/messages";
import { writeAheadLogEnabled } from "./write-ahead-log";

/** Options of `StreamingContext.getOrCreate`. */
export interface GetOrCreateOptions {
  /**
   * When no checkpoint can be used (every file unreadable, or written by a different graph),
   * start from scratch with the context `create` built instead of failing. Default false.
   */
  createOnError?: boolean;
  /**
   * When the graph changed, restore the state of the stateful streams whose identity (position,
   * operator, inputs, function source) did not change, and start the others empty. Default false.
   */
  restoreUnchangedState?: boolean;
}

/**
 * `StreamingContext.getOrCreate`: runs `create()` to build the graph (closures cannot be stored,
 * so unlike Spark it always runs), then, if `dir` holds a readable checkpoint, checks that it was
 * written by the same graph and arranges for `start()` to restore its state and time grid and to
 * replay the pending and down-time batches. @internal
 */
export function getOrCreate(dir: string, create: () => StreamingContext, options: GetOrCreateOptions = {}): StreamingContext {
  const ssc = create();
  ssc.graph.createdIds = new Set(ssc.graph.streams.map((s) => s.id));
  let loaded: { file: string; data: CheckpointMetadata } | undefined;
  let batches = new Map<number, StreamBatchData>();
  try {
    // A metadata file whose state files are missing or damaged is skipped like a damaged one.
    loaded = readLatestCheckpoint<CheckpointMetadata>(dir, (cp, file) => {
      if (cp?.version !== 1) throw Errors.checkpointFormat(file, "it is not a metadata checkpoint");
      batches = readStreamBatches(dir, cp);
    });
  } catch (e) {
    if (!options.createOnError) throw e;
    log().warn(`Checkpoint: starting from scratch (createOnError): ${(e as Error).message}`);
  }
  if (!loaded) return ssc;
  if (!ssc.checkpointDir) ssc.checkpoint(dir);
  const cp = loaded.data;
  const current = fingerprintGraph(ssc.graph);
  // `create()` builds the graph as it was at start; streams added later are matched when the
  // code that adds them runs again (see CheckpointManager).
  const startGraph = cp.startGraph ?? cp.graph.filter((s) => s.joinTime === undefined);
  const differences = diffFingerprints(startGraph, current);
  if (cp.batchDuration !== ssc.batchDuration) differences.unshift(`the batch interval changed from ${cp.batchDuration} ms to ${ssc.batchDuration} ms`);
  const restorable = startGraph.filter((s) => sameIdentity(s, current[s.id]));
  let streamIds = new Set(restorable.map((s) => s.id));
  if (differences.length > 0) {
    const unchangedStateful = cp.streams.filter((e) => e.batch && streamIds.has(e.id)).map((e) => describeStream(startGraph.find((g) => g.id === e.id) as StreamIdentity));
    if (options.restoreUnchangedState && cp.batchDuration === ssc.batchDuration) {
      log().warn(`Checkpoint: the graph changed since ${loaded.file} was written; restoring only ${unchangedStateful.join(", ") || "no stateful stream"}.`);
    } else if (options.createOnError) {
      log().warn(`Checkpoint: the graph changed since ${loaded.file} was written; starting from scratch (createOnError).`);
      return ssc;
    } else {
      throw Errors.checkpointGraphChanged(loaded.file, differences, unchangedStateful);
    }
  } else {
    streamIds = new Set(current.map((s) => s.id));
  }
  const plan: RestorePlan = { file: loaded.file, metadata: cp, batches, streamIds, createdIds: new Set(current.map((s) => s.id)) };
  ssc.recoveryHooks = new CheckpointManager(ssc, plan);
  return ssc;
}

/** `StreamingContext.getActiveOrCreate(dir, create)`: the active context, or getOrCreate. @internal */
export function getActiveOrCreate(active: StreamingContext | undefined, dir: string, create: () => StreamingContext, options?: GetOrCreateOptions): StreamingContext {
  return active ?? getOrCreate(dir, create, options);
}

/**
 * The RecoveryHooks `start()` installs when nothing else did: writing checkpoints when a
 * checkpoint directory is set, the shutdown hook when asked for. @internal
 */
export function defaultRecoveryHooks(ssc: StreamingContext): CheckpointManager | undefined {
  const wanted = ssc.checkpointDir !== undefined || writeAheadLogEnabled(ssc.conf) || ssc.conf.getBoolean("spark.streaming.stopGracefullyOnShutdown", false);
  return wanted ? new CheckpointManager(ssc) : undefined;
}

function readStreamBatches(dir: string, cp: CheckpointMetadata): Map<number, StreamBatchData> {
  const out = new Map<number, StreamBatchData>();
  for (const entry of cp.streams) {
    if (entry.batch) out.set(entry.id, readCheckpointFile<StreamBatchData>(path.join(dir, entry.batch.file)));
  }
  return out;
}
