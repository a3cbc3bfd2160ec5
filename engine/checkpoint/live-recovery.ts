import type { DStream } from "../dstream/dstream";
import type { GraphChange } from "../graph";
import { log } from "../log";
import { HashPartitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import type { CheckpointMetadata, StreamBatchData, StreamCheckpoint } from "./checkpoint-data";
import { structuralFingerprint, StreamIdentity } from "./graph-fingerprint";

/** A stateful stream that was added after start in the checkpointed run, waiting for its definition. */
interface PendingStream {
  identity: StreamIdentity;
  entry: StreamCheckpoint;
  data: StreamBatchData | undefined;
  /** The newest batch time of which its state is known (none: it starts at its join time). */
  from: number;
}

/** How long (in stream time after the restart) the state of a stream added live waits for it. */
export const LIVE_WAIT_CONF = "streamlab.graph.recoveryWaitMs";
const DEFAULT_LIVE_WAIT_MS = 10 * 60_000;

/**
 * The recovery of the streams a checkpointed run added while it ran (notebook cells run after
 * `start()`). `create()` cannot rebuild them: they are defined again when the code that added
 * them runs again (Run All after a restart), after `start()` has replayed the batches since the
 * checkpoint. So each waits here, matched by its structural fingerprint (same owner first):
 * when a matching stream joins the graph, it gets the checkpointed state and computes the batches
 * it missed, from its state's time up to the batch it joined at, before its first job. Meanwhile
 * the input streams keep every batch since the oldest waiting state (the graph's history pin), and
 * every checkpoint written still records the waiting streams, so a second crash loses nothing.
 * A stream not defined again within `streamlab.graph.recoveryWaitMs` (10 min of stream time) is
 * given up with a warning. @internal
 */
export class LiveStreamRecovery {
  private pending: PendingStream[];
  private deadline: number | undefined;

  constructor(private readonly ssc: StreamingContext, private readonly cp: CheckpointMetadata, batches: Map<number, StreamBatchData>,
    private readonly adoptFile: (streamId: number, batch: { time: number; file: string }) => void) {
    const entries = new Map(cp.streams.map((e) => [e.id, e]));
    this.pending = cp.graph.filter((g) => g.joinTime !== undefined && g.stateful && g.structure !== undefined).map((identity) => {
      const entry = entries.get(identity.id) ?? { id: identity.id };
      return { identity, entry, data: batches.get(identity.id), from: entry.batch?.time ?? (identity.joinTime as number) - cp.batchDuration };
    });
  }

  /** True while some checkpointed stream waits for its definition. */
  get waiting(): boolean { return this.pending.length > 0; }

  /** The oldest batch time whose input the waiting streams need. */
  get oldestNeeded(): number | undefined {
    return this.pending.length ? Math.min(...this.pending.map((p) => p.from)) : undefined;
  }

  /** Streams defined from now on get ids the checkpoint never used, so their state files and journals are new. */
  reserveIds(): void {
    this.ssc.graph.reserveIdsBelow(Math.max(-1, ...this.cp.graph.map((g) => g.id)) + 1);
  }

  /**
   * Matches the stateful streams defined after `create()` but before `start()` (a notebook whose
   * cells define streams between getOrCreate and start): they are in the graph from the start, so
   * they get their state now and the replayed batches bring them up to date.
   * @param created the ids of the streams `create()` built (restored as usual)
   */
  matchStartGraph(created: Set<number>): void {
    for (const s of this.ssc.graph.streams) {
      if (created.has(s.id)) continue;
      const found = this.claim(s);
      if (found) this.restore(s, found);
    }
  }

  /** Starts waiting: pins the inputs' history and listens for streams joining. */
  install(restartTime: number): void {
    const graph = this.ssc.graph;
    if (!this.waiting) return;
    this.deadline = restartTime + this.ssc.conf.getTimeMs(LIVE_WAIT_CONF, DEFAULT_LIVE_WAIT_MS);
    graph.historyPin = this.oldestNeeded;
    graph.onChange.push((change) => this.match(change));
  }

  /** The identities and entries of the waiting streams, for every metadata file written meanwhile. */
  carried(): { identities: StreamIdentity[]; entries: StreamCheckpoint[] } {
    return { identities: this.pending.map((p) => p.identity), entries: this.pending.map((p) => p.entry) };
  }

  /** Gives up on the waiting streams once the wait is over (called after each batch). */
  expire(time: number): void {
    if (!this.waiting || this.deadline === undefined || time < this.deadline) return;
    log().warn(`Checkpoint: ${this.pending.map((p) => `${p.identity.operation ?? p.identity.operator} [${p.identity.id}]${p.identity.owner ? ` of ${p.identity.owner}` : ""}`).join(", ")} ` +
      `added after start in the checkpointed run ${this.pending.length === 1 ? "was" : "were"} not defined again within ${LIVE_WAIT_CONF}; ${this.pending.length === 1 ? "its" : "their"} state is dropped.`);
    this.pending = [];
    this.ssc.graph.historyPin = undefined;
  }

  private match(change: GraphChange): void {
    for (const s of change.added) {
      const found = this.claim(s);
      if (found) this.restore(s, found, change.time);
    }
    this.ssc.graph.historyPin = this.oldestNeeded;
  }

  /** The waiting checkpointed stream `s` is the new definition of, taken off the waiting list. */
  private claim(s: DStream<unknown>): PendingStream | undefined {
    if (!s.keepsHistory || s.dependencies.length === 0 || !s.isInitialized || s.adoptsFrom) return undefined;
    const fp = structuralFingerprint(s);
    const same = this.pending.filter((p) => p.identity.structure === fp);
    const found = same.find((p) => p.identity.owner === s.owner) ?? same[0];
    if (found) this.pending.splice(this.pending.indexOf(found), 1);
    return found;
  }

  /**
   * Puts the checkpointed state into `s`; for a stream that joins a running graph at `joinTime`,
   * also computes the batches it missed, oldest first.
   */
  private restore(s: DStream<unknown>, p: PendingStream, joinTime?: number): void {
    const { entry, data } = p;
    if (entry.batch && data) {
      const partitioner = data.hashPartitions ? new HashPartitioner(data.hashPartitions) : undefined;
      s.generatedRDDs.set(entry.batch.time, new RDD(data.partitions, this.ssc.rddContext, partitioner));
      this.adoptFile(s.id, entry.batch);
    }
    if (entry.state !== undefined) s.restoreState(entry.state, this.cp.checkpointTime);
    if (joinTime === undefined) return;
    s.joinTime = p.from + s.slideDuration;
    // Computed now, one batch after the other (not by recursion from the first job), from the
    // inputs' pinned batches; a batch that fails is remembered as failed by the stream itself.
    for (let t = s.joinTime; t < joinTime; t += s.slideDuration) {
      try {
        s.getOrCompute(t);
      } catch {
        /* reported by the first job that reads it */
      }
    }
  }
}
