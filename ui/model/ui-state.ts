/**
 * What the Streaming page shows, as plain JSON: the server keeps one `UiState` per context (fed by
 * listener events), sends it whole when a page connects (so a reload or reconnect starts complete)
 * and then coalesced `UiUpdate`s; the page applies them with `applyUpdate`. Shared by Node and the
 * browser: no imports.
 */

/** One output operation within a batch (Spark's OutputOperationInfo, trimmed for the wire). */
export interface OpRow {
  id: number;
  name: string;
  startTime?: number;
  endTime?: number;
  /** The error's message and the first lines of its stack, when the operation failed. */
  failureReason?: string;
  errorCode?: string;
}

/** One batch (Spark's BatchInfo), completed or active. */
export interface BatchRow {
  batchTime: number;
  submissionTime: number;
  processingStartTime?: number;
  processingEndTime?: number;
  numRecords: number;
  /** Records per input stream id. */
  inputs: Record<string, number>;
  /** Per input stream, the metadata's Description (e.g. files read, offset ranges), when given. */
  inputDescriptions?: Record<string, string>;
  ops: OpRow[];
}

/** A receiver as its table shows it (Spark's ReceiverInfo). */
export interface ReceiverRow {
  streamId: number;
  name: string;
  active: boolean;
  location: string;
  lastErrorMessage: string;
  lastError: string;
  lastErrorTime: number;
}

/** One output operation over the run: its status and last error. */
export interface OutputRow {
  id: number;
  name: string;
  /**
   * `ok` after a success, `failing` after a failure, `waiting` before its first batch, `stopped`
   * once removed (its handle's stop(), its cell re-ran, an Interrupt) or stopped by its context.
   */
  status: "waiting" | "ok" | "failing" | "stopped";
  /** Why it stopped, when it did (e.g. "cell [3] re-ran"). */
  stopReason?: string;
  succeeded: number;
  failed: number;
  lastDuration?: number;
  lastBatchTime?: number;
  lastError?: string;
  lastErrorCode?: string;
  lastErrorBatch?: number;
  firstFailedBatch?: number;
}

/** A stream of the DStream graph with its latest sizes. */
export interface GraphNode {
  id: number;
  kind: string;
  parents: number[];
  slideDuration: number;
  input: boolean;
  stateful: boolean;
  outputOpId?: number;
  outputOpName?: string;
  records?: number;
  stateSize?: number;
  sizeBatchTime?: number;
}

/** The checkpoint's story. */
export interface CheckpointState {
  directory?: string;
  written: number;
  lastBatchTime?: number;
  lastWriteTime?: number;
  lastFile?: string;
  lastBytes?: number;
  walEnabled: boolean;
  walBytes?: number;
  restoredFrom?: { file: string; checkpointTime: number; replayedBatches: number; restoredStreams: number; walBlocks?: number };
}

/** A backpressure point: the rate limit backpressure set for an input stream. */
export interface RatePoint { time: number; streamId: number; rate: number }
/** The process's memory at one moment, in bytes. */
export interface MemoryPoint { time: number; rss: number; heapUsed: number; heapTotal: number; external: number }

/** The context the page belongs to. */
export interface AppInfo {
  appName: string;
  master: string;
  batchDuration: number;
  startTime?: number;
  retainedBatches: number;
  state: "running" | "stopped";
  pid: number;
}

/** Everything the page shows. */
export interface UiState {
  app: AppInfo;
  graph: GraphNode[];
  /** Completed batches, oldest first, at most `app.retainedBatches`. */
  completed: BatchRow[];
  /** Running and queued batches, oldest first: the first MAX_ACTIVE_ROWS of `activeTotal`. */
  active: BatchRow[];
  activeTotal: number;
  totalCompleted: number;
  totalRecords: number;
  receivers: ReceiverRow[];
  outputs: OutputRow[];
  checkpoint: CheckpointState;
  rates: RatePoint[];
  memory: MemoryPoint[];
}

/**
 * What changed since the last message. The server flushes what is pending before it sends a new
 * page its snapshot, so no page sees a change twice.
 */
export interface UiUpdate {
  app?: AppInfo;
  graph?: GraphNode[];
  completed?: BatchRow[];
  active?: BatchRow[];
  activeTotal?: number;
  totalCompleted?: number;
  totalRecords?: number;
  receivers?: ReceiverRow[];
  outputs?: OutputRow[];
  checkpoint?: CheckpointState;
  rates?: RatePoint[];
  memory?: MemoryPoint[];
}

/** A message on the page's WebSocket. */
export type UiMessage = { type: "snapshot"; state: UiState } | { type: "update"; update: UiUpdate };

/** Active batches sent (an overloaded stream can queue thousands; the count is sent whole). */
export const MAX_ACTIVE_ROWS = 100;
/** Points of memory and backpressure kept (at one a second, ten minutes). */
export const MAX_POINTS = 600;

/** Applies `u` to `s` in place: new completed batches appended (by batch time, bounded), the rest replaced. */
export function applyUpdate(s: UiState, u: UiUpdate): UiState {
  if (u.app) s.app = u.app;
  if (u.graph) s.graph = u.graph;
  if (u.completed) {
    const last = s.completed.length ? s.completed[s.completed.length - 1].batchTime : -Infinity;
    for (const b of u.completed) if (b.batchTime > last) s.completed.push(b);
    const over = s.completed.length - s.app.retainedBatches;
    if (over > 0) s.completed.splice(0, over);
  }
  if (u.active) s.active = u.active;
  if (u.activeTotal !== undefined) s.activeTotal = u.activeTotal;
  if (u.totalCompleted !== undefined) s.totalCompleted = u.totalCompleted;
  if (u.totalRecords !== undefined) s.totalRecords = u.totalRecords;
  if (u.receivers) s.receivers = mergeBy(s.receivers, u.receivers, (r) => r.streamId);
  if (u.outputs) s.outputs = mergeBy(s.outputs, u.outputs, (o) => o.id);
  if (u.checkpoint) s.checkpoint = u.checkpoint;
  if (u.rates) s.rates = appendPoints(s.rates, u.rates);
  if (u.memory) s.memory = appendPoints(s.memory, u.memory);
  return s;
}

function mergeBy<T>(old: T[], changed: T[], key: (t: T) => number): T[] {
  const m = new Map(old.map((t) => [key(t), t]));
  for (const t of changed) m.set(key(t), t);
  return [...m.values()].sort((a, b) => key(a) - key(b));
}

function appendPoints<T>(old: T[], added: T[]): T[] {
  const out = old.concat(added);
  return out.length > MAX_POINTS ? out.slice(out.length - MAX_POINTS) : out;
}

/** A batch's delays (Spark's BatchInfo getters). */
/** Why a stopped output stopped, unless its last error (shown beside it) already says so. */
export function stopReasonToShow(o: OutputRow): string | undefined {
  return o.status === "stopped" && o.stopReason && !(o.lastError ?? "").includes(o.stopReason) ? o.stopReason : undefined;
}

export function schedulingDelay(b: BatchRow): number | undefined {
  return b.processingStartTime === undefined ? undefined : b.processingStartTime - b.submissionTime;
}
export function processingTime(b: BatchRow): number | undefined {
  return b.processingStartTime === undefined || b.processingEndTime === undefined ? undefined : b.processingEndTime - b.processingStartTime;
}
export function totalDelay(b: BatchRow): number | undefined {
  const s = schedulingDelay(b), p = processingTime(b);
  return s === undefined || p === undefined ? undefined : s + p;
}

/** Output operations of a batch that succeeded, and all of them (Spark's "Output Ops: Succeeded/Total"). */
export function opCounts(b: BatchRow): { succeeded: number; failed: number; total: number } {
  let succeeded = 0, failed = 0;
  for (const o of b.ops) {
    if (o.failureReason !== undefined) failed++;
    else if (o.endTime !== undefined) succeeded++;
  }
  return { succeeded, failed, total: b.ops.length };
}

/** The averages Spark's page shows over the retained batches; undefined before the first. */
export interface Averages { inputRate?: number; schedulingDelay?: number; processingTime?: number; totalDelay?: number }

export function averages(s: UiState): Averages {
  const bs = s.completed;
  if (bs.length === 0) return {};
  const avg = (f: (b: BatchRow) => number | undefined) => {
    const xs = bs.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
  };
  const records = bs.reduce((n, b) => n + b.numRecords, 0);
  return {
    inputRate: records / ((bs.length * s.app.batchDuration) / 1000),
    schedulingDelay: avg(schedulingDelay),
    processingTime: avg(processingTime),
    totalDelay: avg(totalDelay),
  };
}
