import type { BatchInfo, OutputOperationInfo } from "../../engine/scheduler/batch-info";
import type { CheckpointRestoredInfo, CheckpointWrittenInfo, OutputInfo, ReceiverInfo, StreamingListener, StreamNodeInfo, StreamSizeInfo } from "../../engine/scheduler/listener";
import type { StreamingContext } from "../../engine/streaming-context";
import { BatchRow, MAX_ACTIVE_ROWS, MAX_POINTS, MemoryPoint, OpRow, OutputRow, UiState, UiUpdate } from "../model/ui-state";

/** Spark's default of `spark.streaming.ui.retainedBatches`. */
export const DEFAULT_RETAINED_BATCHES = 1000;
/** A failure's text is cut to this many characters on the wire (the message and the top of the stack). */
const MAX_FAILURE_CHARS = 4000;

/**
 * The Streaming page's data, kept from a context's listener events (Spark's
 * StreamingJobProgressListener): the last `spark.streaming.ui.retainedBatches` completed batches,
 * the active ones, receivers, outputs with their last error, the graph with its sizes, the
 * checkpoint's story, backpressure rates and memory samples. Changes since the last `takeUpdate()`
 * are collected as an update; `onChange` is called when there is one, so a server can coalesce.
 */
export class StreamingUiModel implements StreamingListener {
  readonly state: UiState;
  private readonly activeBatches = new Map<number, BatchRow>();
  private pending: UiUpdate = {};
  private changed = false;
  /** Called (at most once until the next takeUpdate) when something changed. */
  onChange: () => void = () => {};

  constructor(private readonly ssc: StreamingContext) {
    const retained = ssc.conf.getNumber("spark.streaming.ui.retainedBatches", DEFAULT_RETAINED_BATCHES);
    this.state = {
      app: {
        appName: ssc.appName, master: ssc.master, batchDuration: ssc.batchDuration, startTime: ssc.startTime,
        retainedBatches: Math.max(1, Math.floor(retained)), state: "running", pid: process.pid,
      },
      graph: [], completed: [], active: [], activeTotal: 0, totalCompleted: 0, totalRecords: 0, receivers: [], outputs: [],
      checkpoint: { directory: ssc.checkpointDir, written: 0, walEnabled: ssc.conf.get("spark.streaming.receiver.writeAheadLog.enable") === "true" },
      rates: [], memory: [],
    };
  }

  /** The changes since the last call (and forgets them). */
  takeUpdate(): UiUpdate | undefined {
    if (!this.changed) return undefined;
    const u = this.pending;
    this.pending = {};
    this.changed = false;
    return u;
  }

  private mark(): void {
    if (this.changed) return;
    this.changed = true;
    this.onChange();
  }

  /** The context stopped: no batch is active any more (a non-graceful stop drops the queued ones). */
  onStreamingStopped(): void {
    this.state.app = { ...this.state.app, state: "stopped" };
    this.pending.app = this.state.app;
    this.activeBatches.clear();
    this.activeChanged();
  }

  /** Adds a sample of the process's memory. */
  sampleMemory(time: number, m: NodeJS.MemoryUsage): void {
    const p: MemoryPoint = { time, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
    pushBounded(this.state.memory, p, MAX_POINTS);
    (this.pending.memory ??= []).push(p);
    this.mark();
  }

  onStreamingStarted(): void {
    this.state.app = { ...this.state.app, startTime: this.ssc.startTime, state: "running" };
    this.pending.app = this.state.app;
    // A model made with its context (the notebook's) sees ssc.checkpoint(dir) only now.
    if (this.state.checkpoint.directory !== this.ssc.checkpointDir) {
      this.state.checkpoint = { ...this.state.checkpoint, directory: this.ssc.checkpointDir };
      this.pending.checkpoint = this.state.checkpoint;
    }
    this.mark();
  }

  onGraphUpdated({ streams }: { streams: StreamNodeInfo[] }): void {
    const old = new Map(this.state.graph.map((n) => [n.id, n]));
    this.state.graph = streams.map((s) => ({ ...s, records: old.get(s.id)?.records, stateSize: old.get(s.id)?.stateSize, sizeBatchTime: old.get(s.id)?.sizeBatchTime }));
    for (const s of streams) {
      if (s.outputOpId !== undefined && !this.state.outputs.some((o) => o.id === s.outputOpId)) {
        this.setOutput({ id: s.outputOpId, name: s.outputOpName ?? "output", status: "waiting", succeeded: 0, failed: 0 });
      }
    }
    this.pending.graph = this.state.graph;
    this.mark();
  }

  onStreamSizes({ batchTime, streams }: { batchTime: number; streams: StreamSizeInfo[] }): void {
    const byId = new Map(this.state.graph.map((n) => [n.id, n]));
    for (const s of streams) {
      const n = byId.get(s.streamId);
      if (!n || (n.input && s.records === undefined)) continue;
      n.records = s.records;
      n.sizeBatchTime = batchTime;
      if (s.stateSize !== undefined) n.stateSize = s.stateSize;
    }
    this.pending.graph = this.state.graph;
    this.mark();
  }

  onReceiverStarted({ receiverInfo }: { receiverInfo: ReceiverInfo }): void { this.receiver(receiverInfo); }
  onReceiverError({ receiverInfo }: { receiverInfo: ReceiverInfo }): void { this.receiver(receiverInfo); }
  onReceiverStopped({ receiverInfo }: { receiverInfo: ReceiverInfo }): void { this.receiver(receiverInfo); }

  private receiver(r: ReceiverInfo): void {
    const row = { streamId: r.streamId, name: r.name, active: r.active, location: r.location, lastErrorMessage: r.lastErrorMessage, lastError: cut(r.lastError), lastErrorTime: r.lastErrorTime };
    const i = this.state.receivers.findIndex((x) => x.streamId === r.streamId);
    if (i >= 0) this.state.receivers[i] = row; else this.state.receivers.push(row);
    (this.pending.receivers ??= []).push(row);
    this.mark();
  }

  onBatchSubmitted({ batchInfo }: { batchInfo: BatchInfo }): void {
    this.activeBatches.set(batchInfo.batchTime, batchRow(batchInfo));
    this.activeChanged();
  }

  onBatchStarted({ batchInfo }: { batchInfo: BatchInfo }): void {
    this.activeBatches.set(batchInfo.batchTime, batchRow(batchInfo));
    this.activeChanged();
  }

  onOutputOperationStarted({ outputOperationInfo }: { outputOperationInfo: OutputOperationInfo }): void {
    this.updateActiveOp(outputOperationInfo);
  }

  onOutputOperationCompleted({ outputOperationInfo: o }: { outputOperationInfo: OutputOperationInfo }): void {
    this.updateActiveOp(o);
    const base = this.outputRow(o.id, o.name);
    const duration = o.startTime !== undefined && o.endTime !== undefined ? o.endTime - o.startTime : undefined;
    // The batch that was running when the output was removed completes after the removal: it stays stopped.
    const stopped = base.status === "stopped";
    if (o.failureReason !== undefined) {
      this.setOutput({ ...base, status: stopped ? "stopped" : "failing", failed: base.failed + 1, lastDuration: duration, lastBatchTime: o.batchTime,
        lastError: cut(o.failureReason), lastErrorCode: o.errorCode, lastErrorBatch: o.batchTime, firstFailedBatch: base.firstFailedBatch ?? o.batchTime });
    } else {
      this.setOutput({ ...base, status: stopped ? "stopped" : "ok", succeeded: base.succeeded + 1, lastDuration: duration, lastBatchTime: o.batchTime });
    }
  }

  onOutputOperationStopped({ output }: { output: OutputInfo }): void {
    this.setOutput({ ...this.outputRow(output.id, output.name), status: "stopped", stopReason: output.stopReason !== undefined ? cut(output.stopReason) : undefined });
  }

  onBatchCompleted({ batchInfo }: { batchInfo: BatchInfo }): void {
    this.activeBatches.delete(batchInfo.batchTime);
    const row = batchRow(batchInfo);
    pushBounded(this.state.completed, row, this.state.app.retainedBatches);
    (this.pending.completed ??= []).push(row);
    // An input stream's batch may be a lineage over its blocks: its size is what it reported.
    for (const n of this.state.graph) {
      if (n.input && row.inputs[n.id] !== undefined) { n.records = row.inputs[n.id]; n.sizeBatchTime = row.batchTime; this.pending.graph = this.state.graph; }
    }
    this.state.totalCompleted++;
    this.state.totalRecords += row.numRecords;
    this.pending.totalCompleted = this.state.totalCompleted;
    this.pending.totalRecords = this.state.totalRecords;
    this.activeChanged();
  }

  onRateLimitUpdated({ streamId, rate, time }: { streamId: number; rate: number; time: number }): void {
    const p = { time, streamId, rate };
    pushBounded(this.state.rates, p, MAX_POINTS);
    (this.pending.rates ??= []).push(p);
    this.mark();
  }

  onCheckpointWritten({ checkpoint: c }: { checkpoint: CheckpointWrittenInfo }): void {
    this.state.checkpoint = { ...this.state.checkpoint, directory: this.ssc.checkpointDir, written: this.state.checkpoint.written + 1, lastBatchTime: c.batchTime,
      lastWriteTime: c.writeTime, lastFile: c.file, lastBytes: c.bytes, walBytes: c.walBytes, walEnabled: c.walBytes !== undefined || this.state.checkpoint.walEnabled };
    this.pending.checkpoint = this.state.checkpoint;
    this.mark();
  }

  onCheckpointRestored({ restore }: { restore: CheckpointRestoredInfo }): void {
    this.state.checkpoint = { ...this.state.checkpoint, directory: this.ssc.checkpointDir, restoredFrom: { ...restore } };
    this.pending.checkpoint = this.state.checkpoint;
    this.mark();
  }

  /** A batch by time: retained completed or active. */
  batch(time: number): BatchRow | undefined {
    return this.activeBatches.get(time) ?? this.state.completed.find((b) => b.batchTime === time);
  }

  private updateActiveOp(o: OutputOperationInfo): void {
    const b = this.activeBatches.get(o.batchTime);
    if (!b) return;
    const i = b.ops.findIndex((x) => x.id === o.id);
    const row = opRow(o);
    if (i >= 0) b.ops[i] = row; else b.ops.push(row);
    this.activeChanged();
  }

  private activeChanged(): void {
    // Batches are submitted in time order: the map's order is theirs.
    const rows: BatchRow[] = [];
    for (const b of this.activeBatches.values()) { if (rows.length >= MAX_ACTIVE_ROWS) break; rows.push(b); }
    this.state.active = rows;
    this.state.activeTotal = this.activeBatches.size;
    this.pending.active = this.state.active;
    this.pending.activeTotal = this.state.activeTotal;
    this.mark();
  }

  /** The output's row so far, or a new one waiting for its first batch. */
  private outputRow(id: number, name: string): OutputRow {
    return this.state.outputs.find((x) => x.id === id) ?? { id, name, status: "waiting", succeeded: 0, failed: 0 };
  }

  private setOutput(row: OutputRow): void {
    const i = this.state.outputs.findIndex((x) => x.id === row.id);
    if (i >= 0) this.state.outputs[i] = row; else this.state.outputs.push(row);
    this.state.outputs.sort((a, b) => a.id - b.id);
    const pend = (this.pending.outputs ??= []);
    const j = pend.findIndex((x) => x.id === row.id);
    if (j >= 0) pend[j] = row; else pend.push(row);
    this.mark();
  }
}

function opRow(o: OutputOperationInfo): OpRow {
  const row: OpRow = { id: o.id, name: o.name, startTime: o.startTime, endTime: o.endTime };
  if (o.failureReason !== undefined) row.failureReason = cut(o.failureReason);
  if (o.errorCode !== undefined) row.errorCode = o.errorCode;
  return row;
}

function batchRow(b: BatchInfo): BatchRow {
  const inputs: Record<string, number> = {};
  let descriptions: Record<string, string> | undefined;
  for (const [id, info] of b.streamIdToInputInfo) {
    inputs[id] = info.numRecords;
    const d = info.metadata?.Description;
    if (typeof d === "string") (descriptions ??= {})[id] = cut(d);
  }
  const row: BatchRow = {
    batchTime: b.batchTime, submissionTime: b.submissionTime, processingStartTime: b.processingStartTime, processingEndTime: b.processingEndTime,
    numRecords: b.numRecords, inputs, ops: [...b.outputOperationInfos.values()].map(opRow),
  };
  if (descriptions) row.inputDescriptions = descriptions;
  return row;
}

function cut(s: string): string {
  return s.length > MAX_FAILURE_CHARS ? `${s.slice(0, MAX_FAILURE_CHARS)}…` : s;
}

function pushBounded<T>(xs: T[], x: T, max: number): void {
  xs.push(x);
  if (xs.length > max) xs.splice(0, xs.length - max);
}
